"""What a cargo build made, read from its `--message-format=json` lines, for
scripts/test: it runs the test executables and the server binary itself,
because cargo locks the target directory for a whole build, and a `cargo
test` started while the next build compiles would wait for that build.

    cargo_artifacts.py tests BUILD_JSON [NAME]
                                             one "PACKAGE_DIR<TAB>EXECUTABLE" line
                                             per test executable, in cargo's order
                                             (only of the target NAME, if given)
    cargo_artifacts.py bin NAME BUILD_JSON   the path of the binary NAME
    cargo_artifacts.py example NAME BUILD_JSON
                                             the path of the example NAME
    cargo_artifacts.py diagnostics BUILD_JSON...
                                             every diagnostic of the builds,
                                             rendered as cargo prints them
    cargo_artifacts.py lints BUILD_JSON...   the warnings and errors of the
                                             workspace's own packages (the
                                             builds ran clippy-driver on
                                             them); fails if there is one

The builds' messages are `--message-format=json`, so their diagnostics are
in the file, not on the terminal: `diagnostics` prints them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# The order `cargo test` runs a package's targets in.
KIND_ORDER = {"lib": 0, "bin": 1, "test": 2, "example": 3, "bench": 4}


def messages(lines: list[str], reason: str) -> list[dict]:
    """The messages of one kind among cargo's output lines."""
    found = []
    for line in lines:
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("reason") == reason:
                found.append(message)
    return found


def artifacts(lines: list[str]) -> list[dict]:
    """The compiler-artifact messages among cargo's output lines."""
    return messages(lines, "compiler-artifact")


def diagnostics(lines: list[str]) -> list[str]:
    """Every diagnostic of the build, rendered, each once (a build whose
    units were fresh replays their diagnostics)."""
    rendered = []
    for m in messages(lines, "compiler-message"):
        text = m["message"].get("rendered") or m["message"].get("message", "")
        if text not in rendered:
            rendered.append(text)
    return rendered


def lints(lines: list[str], members: set[str]) -> list[str]:
    """The warnings and errors, rendered, of the packages whose manifests
    are `members`."""
    found = []
    for m in messages(lines, "compiler-message"):
        if m.get("manifest_path") not in members:
            continue
        if m["message"].get("level") not in ("warning", "error"):
            continue
        text = m["message"].get("rendered") or m["message"].get("message", "")
        if text not in found:
            found.append(text)
    return found


def workspace_members() -> set[str]:
    """The manifests of the workspace's own packages (not the patched
    copies of dependencies, which are not members)."""
    out = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        check=True, capture_output=True, text=True,
    ).stdout
    metadata = json.loads(out)
    members = set(metadata["workspace_members"])
    return {p["manifest_path"] for p in metadata["packages"] if p["id"] in members}


def test_executables(lines: list[str], name: str | None = None) -> list[tuple[str, str]]:
    """(package folder, executable) of every test harness built, sorted as
    `cargo test` runs them: by package, then library, binaries, integration
    tests, examples with `test = true`, each kind by name. Benches built as
    tests (by `--all-targets`, for their lints) are not run, as `cargo test`
    does not run them."""
    found = set()
    for a in artifacts(lines):
        if a["profile"]["test"] and a.get("executable"):
            kind = a["target"]["kind"][0]
            if kind == "bench" or name not in (None, a["target"]["name"]):
                continue
            key = (str(Path(a["manifest_path"]).parent), KIND_ORDER.get(kind, 9), a["target"]["name"])
            found.add((key, a["executable"]))
    return [(key[0], exe) for key, exe in sorted(found)]


def binary(lines: list[str], name: str, kind: str = "bin") -> str:
    """The path of the `kind` target `name` (a binary or an example, not its
    test harness)."""
    paths = {
        a["executable"]
        for a in artifacts(lines)
        if a.get("executable") and not a["profile"]["test"]
        and a["target"]["name"] == name and kind in a["target"]["kind"]
    }
    if len(paths) != 1:
        raise SystemExit(f"cargo_artifacts: expected one {kind} {name}, found {sorted(paths)}")
    return paths.pop()


def main(argv: list[str]) -> int:
    if len(argv) in (2, 3) and argv[0] == "tests":
        lines = Path(argv[1]).read_text(encoding="utf-8").splitlines()
        for folder, exe in test_executables(lines, argv[2] if len(argv) == 3 else None):
            print(f"{folder}\t{exe}")
        return 0
    if len(argv) >= 2 and argv[0] in ("diagnostics", "lints"):
        lines = [line for path in argv[1:] for line in Path(path).read_text(encoding="utf-8").splitlines()]
        if argv[0] == "diagnostics":
            for text in diagnostics(lines):
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
            return 0
        found = lints(lines, workspace_members())
        for text in found:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        print(f"{len(found)} warnings or errors in the workspace's packages")
        return 1 if found else 0
    if len(argv) == 3 and argv[0] in ("bin", "example"):
        lines = Path(argv[2]).read_text(encoding="utf-8").splitlines()
        print(binary(lines, argv[1], argv[0]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
