"""Checks what scripts/test reads from cargo's build messages: every test
executable, once, in the order `cargo test` runs them, and the server
binary rather than its test harness.

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
    "   Compiling otp v0.1.0",
    json.dumps({"reason": "build-finished", "success": True}),
    # A second build of the same workspace names the same executables again.
    artifact("lambda", "test", "mail", True, "/t/debug/deps/mail-1"),
]


class CargoArtifactsTest(unittest.TestCase):
    def test_test_executables_in_cargo_test_order(self):
        self.assertEqual(cargo_artifacts.test_executables(BUILD), [
            ("/w/api", "/t/debug/deps/otp_api-4"),
            ("/w/lambda", "/t/debug/deps/otp-2"),
            ("/w/lambda", "/t/debug/deps/otp-3"),
            ("/w/lambda", "/t/debug/deps/api-5"),
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
