"""Checks the fingerprint of what the page is built from on small trees made
here: each input of the page's build moves it, and what the page is not
built from (the built page, tests, Markdown, the backend) does not.

    PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s scripts/lib -p 'test_*.py'
"""

import os
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import page_sources  # noqa: E402

WORKSPACE = """[workspace]
members = ["api", "frontend", "frontend/pow", "lambda"]
[workspace.dependencies]
serde = { version = "1", features = ["derive"] }
leptos = { version = "0.8", features = ["csr"] }
axum = "0.8"
[profile.release]
lto = true
"""
LOCK = """version = 4
[[package]]
name = "otp-frontend"
version = "0.1.0"
dependencies = ["leptos", "otp-api"]
[[package]]
name = "otp-api"
version = "0.1.0"
dependencies = ["serde 1.0.1"]
[[package]]
name = "otp-pow"
version = "0.1.0"
dependencies = ["otp-api"]
[[package]]
name = "otp-lambda"
version = "0.1.0"
dependencies = ["axum", "serde 1.0.2"]
[[package]]
name = "leptos"
version = "0.8.1"
[[package]]
name = "serde"
version = "1.0.1"
[[package]]
name = "serde"
version = "1.0.2"
[[package]]
name = "axum"
version = "0.8.1"
"""


class SourcesTest(unittest.TestCase):
    FILES = {
        "Cargo.toml": WORKSPACE,
        "Cargo.lock": LOCK,
        "frontend/Cargo.toml": '[package]\nname = "otp-frontend"\n[dependencies]\notp-api.workspace = true\n'
                               '[target.\'cfg(target_arch = "wasm32")\'.dependencies]\nleptos.workspace = true\n',
        "frontend/pow/Cargo.toml": '[package]\nname = "otp-pow"\n[dependencies]\notp-api.workspace = true\n',
        "api/Cargo.toml": '[package]\nname = "otp-api"\n[dependencies]\nserde.workspace = true\n',
        "frontend/src/main.rs": "fn main() {}\n",
        "frontend/index.html": "<!doctype html>\n",
        "frontend/README.md": "# page\n",
        "frontend/tests/dom.rs": "\n",
        "frontend/dist/index.html": "built\n",
        "api/src/lib.rs": "\n",
        "locales/en.ftl": "hello = Hello\n",
        "lambda/src/main.rs": "fn main() {}\n",
        "scripts/build-frontend.sh": "#!/bin/sh\n",
    }

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        for rel, text in self.FILES.items():
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.root / rel).write_text(text)
        self.before = page_sources.sources_fingerprint(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def edit(self, rel: str, old: str | None = None, new: str = "") -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text() if path.exists() else ""
        path.write_text(text.replace(old, new) if old is not None else text + new)
        return page_sources.sources_fingerprint(self.root)

    def test_the_page_sources_count(self):
        for rel in ("frontend/src/main.rs", "frontend/index.html", "api/src/lib.rs", "locales/en.ftl",
                    "scripts/build-frontend.sh", "frontend/src/new.rs", "frontend/pow/src/lib.rs"):
            with self.subTest(rel):
                before = page_sources.sources_fingerprint(self.root)
                self.assertNotEqual(self.edit(rel, new="// changed\n"), before)

    def test_the_built_page_tests_docs_and_backend_do_not(self):
        for rel in ("frontend/dist/index.html", "frontend/dist/new.js", "frontend/tests/dom.rs",
                    "frontend/README.md", "lambda/src/main.rs"):
            with self.subTest(rel):
                self.assertEqual(self.edit(rel, new="// changed\n"), self.before)

    def test_the_locked_versions_the_page_reaches_count(self):
        self.assertNotEqual(self.edit("Cargo.lock", 'version = "0.8.1"\n[[package]]\nname = "serde"',
                                      'version = "0.8.2"\n[[package]]\nname = "serde"'), self.before)

    def test_the_backends_locked_versions_do_not(self):
        self.assertEqual(self.edit("Cargo.lock", 'name = "axum"\nversion = "0.8.1"',
                                   'name = "axum"\nversion = "0.8.2"'), self.before)
        self.assertEqual(self.edit("Cargo.lock", 'name = "serde"\nversion = "1.0.2"',
                                   'name = "serde"\nversion = "1.0.3"'), self.before)

    def test_profiles_and_the_page_dependencies_settings_count(self):
        self.assertNotEqual(self.edit("Cargo.toml", "lto = true", "lto = false"), self.before)
        self.assertNotEqual(self.edit("Cargo.toml", '"csr"', '"csr", "nightly"'), self.before)

    def test_the_backends_workspace_dependencies_do_not(self):
        self.assertEqual(self.edit("Cargo.toml", 'axum = "0.8"', 'axum = "0.9"'), self.before)

    def test_a_page_is_fresh_only_for_the_sources_it_records(self):
        dist = self.root / "frontend/dist"
        self.assertFalse(page_sources.is_fresh(self.root, dist))
        (dist / page_sources.SOURCES_FILE).write_text(self.before + "\n")
        self.assertTrue(page_sources.is_fresh(self.root, dist))
        self.edit("frontend/src/main.rs", new="// changed\n")
        self.assertFalse(page_sources.is_fresh(self.root, dist))


if __name__ == "__main__":
    unittest.main()
