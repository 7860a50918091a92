"""What a cargo build made, read from its `--message-format=json` lines, for
scripts/test: it runs the test executables and the server binary itself,
because cargo locks the target directory for a whole build, and a `cargo
test` started while the next build compiles would wait for that build.

    cargo_artifacts.py tests BUILD_JSON      one "PACKAGE_DIR<TAB>EXECUTABLE" line
                                             per test executable, in cargo's order
    cargo_artifacts.py bin NAME BUILD_JSON   the path of the binary NAME
    cargo_artifacts.py example NAME BUILD_JSON
                                             the path of the example NAME
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The order `cargo test` runs a package's targets in.
KIND_ORDER = {"lib": 0, "bin": 1, "test": 2, "example": 3, "bench": 4}


def artifacts(lines: list[str]) -> list[dict]:
    """The compiler-artifact messages among cargo's output lines."""
    found = []
    for line in lines:
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact":
            found.append(message)
    return found


def test_executables(lines: list[str]) -> list[tuple[str, str]]:
    """(package folder, executable) of every test harness built, sorted as
    `cargo test` runs them: by package, then library, binaries, integration
    tests, each kind by name."""
    found = set()
    for a in artifacts(lines):
        if a["profile"]["test"] and a.get("executable"):
            kind = a["target"]["kind"][0]
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
    if len(argv) == 2 and argv[0] == "tests":
        lines = Path(argv[1]).read_text(encoding="utf-8").splitlines()
        for folder, exe in test_executables(lines):
            print(f"{folder}\t{exe}")
        return 0
    if len(argv) == 3 and argv[0] in ("bin", "example"):
        lines = Path(argv[2]).read_text(encoding="utf-8").splitlines()
        print(binary(lines, argv[1], argv[0]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
