"""What the page is built from, as one fingerprint: scripts/build-frontend.sh
records it in the built page (frontend/dist/.sources), and scripts/run and
scripts/test compare it with the sources to tell whether the committed page
is the one they build, without the WebAssembly tools.

    page_sources.py fingerprint ROOT     prints the fingerprint of the sources under ROOT
    page_sources.py fresh ROOT DIST      exits 0 if DIST was built from them, 1 if not

Standard library only: it runs on a fresh machine before anything from PyPI
is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from pathlib import Path

# Written into the built page; the backend embeds no file whose name starts
# with a dot.
SOURCES_FILE = ".sources"
# The page's crates; the lock file's packages they reach are its dependencies.
PAGE_PACKAGES = ("otp-frontend", "otp-pow", "otp-api")
PAGE_MANIFESTS = ("frontend/Cargo.toml", "frontend/pow/Cargo.toml", "api/Cargo.toml")
# Folders whose files the page is built from, but for these.
PAGE_FOLDERS = ("frontend", "api", "locales")
NOT_INPUTS = ("frontend/dist", "frontend/tests")
BUILD_FILES = ("scripts/build-frontend.sh", "scripts/lib/page_build.py", "scripts/lib/page_sources.py")


def page_dependencies(lock: dict) -> list[dict]:
    """The lock file's packages reachable from the page's crates (through
    any kind of dependency, on any target), sorted."""
    packages = lock.get("package", [])
    by_name: dict[str, list[dict]] = {}
    for p in packages:
        by_name.setdefault(p["name"], []).append(p)

    def resolve(spec: str) -> list[dict]:
        name, _, rest = spec.partition(" ")
        candidates = by_name.get(name, [])
        version = rest.split(" ", 1)[0]
        return [p for p in candidates if not version or p["version"] == version]

    seen: dict[tuple[str, str], dict] = {}
    todo = [p for name in PAGE_PACKAGES for p in by_name.get(name, [])]
    while todo:
        p = todo.pop()
        key = (p["name"], p["version"])
        if key in seen:
            continue
        seen[key] = p
        for spec in p.get("dependencies", []):
            todo.extend(resolve(spec))
    return [seen[k] for k in sorted(seen)]


def page_manifest_settings(workspace_manifest: dict, member_manifests: list[dict]) -> dict:
    """What the root Cargo.toml says that a page build reads: the profiles,
    the workspace's settings, and the workspace dependencies that the page's
    crates name."""
    named: set[str] = set()
    for manifest in member_manifests:
        tables = [manifest] + list(manifest.get("target", {}).values())
        for table in tables:
            for kind in ("dependencies", "dev-dependencies", "build-dependencies"):
                named.update(table.get(kind, {}))
    workspace = dict(workspace_manifest.get("workspace", {}))
    dependencies = workspace.pop("dependencies", {})
    return {
        "profile": workspace_manifest.get("profile", {}),
        "workspace": workspace,
        "dependencies": {k: v for k, v in sorted(dependencies.items()) if k in named},
    }


def page_input_files(root: Path) -> list[str]:
    """Every file under the page's folders but the built page, the browser
    tests and Markdown, and the build's own files: relative paths, sorted."""
    found = [f for f in BUILD_FILES if (root / f).is_file()]
    for folder in PAGE_FOLDERS:
        for dirpath, dirnames, filenames in os.walk(root / folder):
            rel = Path(dirpath).relative_to(root).as_posix()
            dirnames[:] = [d for d in dirnames if f"{rel}/{d}" not in NOT_INPUTS]
            found.extend(f"{rel}/{f}" for f in filenames if not f.endswith(".md"))
    return sorted(found)


def sources_fingerprint(root: Path) -> str:
    """A SHA-256 of what the page is built from (its files, the locked
    versions of its dependencies, the workspace's settings for it).

    Whom it protects: a person running the service, who must be served the
    page the sources build. The safe direction is to count too much: a file
    that does not matter costs one needless page build; one missed would
    serve a stale page until the build's check (scripts/test) fails.
    """
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    for rel in page_input_files(root):
        add(rel, (root / rel).read_bytes())
    with open(root / "Cargo.lock", "rb") as f:
        lock = tomllib.load(f)
    add("Cargo.lock", json.dumps(page_dependencies(lock), sort_keys=True).encode())
    with open(root / "Cargo.toml", "rb") as f:
        workspace = tomllib.load(f)
    members = []
    for rel in PAGE_MANIFESTS:
        with open(root / rel, "rb") as f:
            members.append(tomllib.load(f))
    settings = page_manifest_settings(workspace, members)
    add("Cargo.toml", json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def is_fresh(root: Path, dist: Path) -> bool:
    """Whether `dist` holds a page built from the sources under `root`."""
    try:
        recorded = (dist / SOURCES_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return False
    return recorded == sources_fingerprint(root)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "fingerprint":
        print(sources_fingerprint(Path(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "fresh":
        return 0 if is_fresh(Path(argv[1]), Path(argv[2])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
