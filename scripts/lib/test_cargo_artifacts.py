"""Checks what scripts/test reads from cargo's build messages: every test
executable, once, in the order `cargo test` runs them, and the server
binary rather than its test harness; the lints of the workspace's packages
in a build through clippy-driver.

    PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s scripts/lib -p 'test_*.py'
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cargo_artifacts  # noqa: E402


def artifact(package: str, kind: str, name: str, test: bool, executable: str | None) -> str:
    return json.dumps({
        "reason": "compiler-artifact",
        "manifest_path": f"/w/{package}/Cargo.toml",
        "target": {"kind": [kind], "name": name},
        "profile": {"test": test},
        "executable": executable,
    })


BUILD = [
    json.dumps({"reason": "build-script-executed", "package_id": "otp-lambda", "out_dir": "/t/out"}),
    artifact("lambda", "test", "mail", True, "/t/debug/deps/mail-1"),
    artifact("lambda", "lib", "otp", False, None),
    artifact("lambda", "bin", "otp", False, "/t/debug/otp"),
    artifact("lambda", "bin", "otp", True, "/t/debug/deps/otp-3"),
    artifact("lambda", "lib", "otp", True, "/t/debug/deps/otp-2"),
    artifact("api", "lib", "otp_api", True, "/t/debug/deps/otp_api-4"),
    artifact("lambda", "test", "api", True, "/t/debug/deps/api-5"),
    artifact("lambda", "example", "local", False, "/t/debug/examples/local"),
    artifact("lambda", "bench", "service", True, "/t/debug/deps/service-6"),
    artifact("lambda", "example", "load", True, "/t/debug/deps/load-7"),
    "   Compiling otp v0.1.0",
    json.dumps({"reason": "build-finished", "success": True}),
    # A second build of the same workspace names the same executables again.
    artifact("lambda", "test", "mail", True, "/t/debug/deps/mail-1"),
]


def diagnostic(manifest: str, level: str, text: str) -> str:
    return json.dumps({
        "reason": "compiler-message",
        "manifest_path": manifest,
        "message": {"level": level, "message": text, "rendered": f"{level}: {text}\n"},
    })


LINTED = [
    diagnostic("/w/lambda/Cargo.toml", "warning", "this `if` has identical blocks"),
    # A fresh unit replays its diagnostics in a second build.
    diagnostic("/w/lambda/Cargo.toml", "warning", "this `if` has identical blocks"),
    diagnostic("/w/vendor/lettre/Cargo.toml", "warning", "unused import"),
    diagnostic("/w/api/Cargo.toml", "note", "a note alone"),
    diagnostic("/w/api/Cargo.toml", "error", "mismatched types"),
]
MEMBERS = {"/w/lambda/Cargo.toml", "/w/api/Cargo.toml"}


class CargoArtifactsTest(unittest.TestCase):
    def test_lints_of_the_workspace_only_each_once(self):
        self.assertEqual(cargo_artifacts.lints(LINTED, MEMBERS), [
            "warning: this `if` has identical blocks\n",
            "error: mismatched types\n",
        ])
        self.assertEqual(cargo_artifacts.lints(LINTED[2:4], MEMBERS), [])

    def test_diagnostics_of_every_package(self):
        self.assertEqual(len(cargo_artifacts.diagnostics(LINTED)), 4)

    def test_test_executables_in_cargo_test_order(self):
        self.assertEqual(cargo_artifacts.test_executables(BUILD), [
            ("/w/api", "/t/debug/deps/otp_api-4"),
            ("/w/lambda", "/t/debug/deps/otp-2"),
            ("/w/lambda", "/t/debug/deps/otp-3"),
            ("/w/lambda", "/t/debug/deps/api-5"),
            ("/w/lambda", "/t/debug/deps/mail-1"),
            ("/w/lambda", "/t/debug/deps/load-7"),
        ])

    def test_the_test_executables_of_one_target(self):
        self.assertEqual(cargo_artifacts.test_executables(BUILD, "mail"), [
            ("/w/lambda", "/t/debug/deps/mail-1"),
        ])

    def test_the_binary_not_its_test_harness(self):
        self.assertEqual(cargo_artifacts.binary(BUILD, "otp"), "/t/debug/otp")

    def test_an_example_not_a_binary_of_its_name(self):
        self.assertEqual(cargo_artifacts.binary(BUILD, "local", "example"), "/t/debug/examples/local")
        with self.assertRaisesRegex(SystemExit, "expected one example otp"):
            cargo_artifacts.binary(BUILD, "otp", "example")

    def test_a_binary_not_built_is_an_error(self):
        with self.assertRaisesRegex(SystemExit, "expected one bin otp-frontend"):
            cargo_artifacts.binary(BUILD, "otp-frontend")


if __name__ == "__main__":
    unittest.main()
