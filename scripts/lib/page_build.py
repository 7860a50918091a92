"""The steps of the page build that edit its files, for scripts/build-frontend.sh.

    page_build.py stub IN MAP OUT [WASM-OPT FLAG]...
    page_build.py shorten-imports WASM JS WASM_OUT JS_OUT
    page_build.py minify-js IN OUT [--drop-stream-classes]
    page_build.py minify-css IN OUT
    page_build.py catalogs BUILD_JSON

Layout:
- `Module`: one reader of a WebAssembly binary's sections (imports,
  exports, function names, code), and `Module.rebuild` to write one back
  with some sections replaced; every edit below goes through it.
- `stub_functions`: the functions that cannot run get `unreachable` for a
  body, so wasm-opt drops all they alone reach. What cannot run is
  `UNREACHABLE`, kept beside the reason it cannot; a list that matches
  nothing fails the build, so a renamed symbol cannot end the stubbing
  unnoticed.
- `shorten_imports`: wasm-bindgen's hashed import names, shortened in the
  module and its glue alike.
- `minify_js`, `minify_css`: comments and whitespace out, nothing else.
- `catalog_dir`: where the page crate's build script wrote the catalogs.

Standard library only: the build runs on a fresh machine before anything
from PyPI is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


class BuildError(Exception):
    """A step cannot do what it promises; the build stops with this message."""


# ---------------------------------------------------------------------------
# WebAssembly binary format: LEB128 numbers, sections, names.

MAGIC = b"\0asm"
SECTION_CUSTOM, SECTION_IMPORT, SECTION_EXPORT, SECTION_CODE = 0, 2, 7, 10
KIND_FUNCTION, KIND_TABLE, KIND_MEMORY, KIND_GLOBAL = 0, 1, 2, 3
# A function whose body is `unreachable`: no locals, the instruction, `end`.
UNREACHABLE_BODY = b"\x03\x00\x00\x0b"


def read_uleb(data: bytes, i: int) -> tuple[int, int]:
    """The unsigned LEB128 number at `i`, and the offset after it."""
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return n, i


def uleb(n: int) -> bytes:
    """`n` as unsigned LEB128, in the fewest bytes."""
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def read_name(data: bytes, i: int) -> tuple[str, int]:
    """The length-prefixed UTF-8 name at `i`, and the offset after it."""
    n, i = read_uleb(data, i)
    return data[i : i + n].decode("utf-8"), i + n


def name_bytes(name: str) -> bytes:
    raw = name.encode("utf-8")
    return uleb(len(raw)) + raw


@dataclass(frozen=True)
class Section:
    id: int
    start: int  # first byte of the contents, after the id and size
    end: int


@dataclass(frozen=True)
class Import:
    module: str
    field: str
    kind: int
    desc: bytes  # the kind byte and what follows it, as in the binary


@dataclass(frozen=True)
class Export:
    name: str
    kind: int
    index: int


class Module:
    """A WebAssembly binary, read section by section."""

    def __init__(self, data: bytes, label: str = "module"):
        if data[:4] != MAGIC:
            raise BuildError(f"{label}: not a WebAssembly module")
        self.data = data
        self.label = label
        self.sections: list[Section] = []
        i = 8
        while i < len(data):
            size, start = read_uleb(data, i + 1)
            self.sections.append(Section(data[i], start, start + size))
            i = start + size

    def section(self, sid: int) -> Section | None:
        return next((s for s in self.sections if s.id == sid), None)

    def imports(self) -> list[Import]:
        section = self.section(SECTION_IMPORT)
        if section is None:
            return []
        data, out = self.data, []
        n, i = read_uleb(data, section.start)
        for _ in range(n):
            module, i = read_name(data, i)
            field, i = read_name(data, i)
            at, kind = i, data[i]
            i += 1
            if kind == KIND_TABLE:
                i = self._skip_limits(i + 1)  # the element type, then limits
            elif kind == KIND_MEMORY:
                i = self._skip_limits(i)
            elif kind == KIND_GLOBAL:
                i += 2  # value type, mutability
            else:  # a function's or a tag's type index
                i = read_uleb(data, i)[1]
            out.append(Import(module, field, kind, data[at:i]))
        return out

    def _skip_limits(self, i: int) -> int:
        flags, i = read_uleb(self.data, i)
        i = read_uleb(self.data, i)[1]
        return read_uleb(self.data, i)[1] if flags & 1 else i

    def imported_functions(self) -> int:
        """Imported functions come first in the function index space."""
        return sum(1 for imp in self.imports() if imp.kind == KIND_FUNCTION)

    def exports(self) -> list[Export]:
        section = self.section(SECTION_EXPORT)
        if section is None:
            return []
        data, out = self.data, []
        n, i = read_uleb(data, section.start)
        for _ in range(n):
            name, i = read_name(data, i)
            kind = data[i]
            index, i = read_uleb(data, i + 1)
            out.append(Export(name, kind, index))
        return out

    def function_names(self) -> dict[int, str]:
        """Function index to name, from the `name` custom section."""
        data, names = self.data, {}
        for section in self.sections:
            if section.id != SECTION_CUSTOM:
                continue
            title, i = read_name(data, section.start)
            if title != "name":
                continue
            while i < section.end:
                kind = data[i]
                size, i = read_uleb(data, i + 1)
                stop = i + size
                if kind == 1:  # function names
                    n, i = read_uleb(data, i)
                    for _ in range(n):
                        index, i = read_uleb(data, i)
                        names[index], i = read_name(data, i)
                i = stop
        return names

    def code_bodies(self) -> list[bytes]:
        """Each defined function's body, with its size prefix."""
        section = self.section(SECTION_CODE)
        if section is None:
            return []
        data, out = self.data, []
        n, i = read_uleb(data, section.start)
        for _ in range(n):
            size, at = read_uleb(data, i)
            out.append(data[i : at + size])
            i = at + size
        return out

    def rebuild(self, contents: dict[int, bytes]) -> bytes:
        """The module with the sections of the ids in `contents` replaced.

        Every section's size is written in the fewest bytes, so the result
        is the same whichever sections were replaced.
        """
        parts = [self.data[:8]]
        for s in self.sections:
            body = contents.get(s.id, self.data[s.start : s.end])
            parts.append(bytes([s.id]) + uleb(len(body)) + body)
        return b"".join(parts)


# ---------------------------------------------------------------------------
# Stubbing the functions that cannot run.


@dataclass(frozen=True)
class Unreachable:
    """Code that is linked into the page but can never run."""

    why: str
    # Exports of the module (names matched whole) that nothing calls.
    exports: str
    # The crate whose own functions cannot run (as named in v0 symbols).
    crate: str
    # Classes of wasm-bindgen's JavaScript glue that wrap those exports.
    glue_classes: tuple[str, ...]


UNREACHABLE = Unreachable(
    why=(
        "Leptos turns on server_fn's `browser` feature unconditionally "
        "(leptos 0.8's dependency on server_fn names it), and that feature "
        "brings in wasm-streams, whose readable and writable stream adapters "
        "wasm-bindgen exports to JavaScript. The page calls no server "
        "function and makes no stream: the glue's three stream classes, the "
        "functions exported for them and the futures behind them (kept alive "
        "only by the function table) can never run. Stubbed, they and all "
        "they alone reach are gone (~2.8 KB brotli)."
    ),
    exports=r"(__wbg_)?intounderlying(bytesource|sink|source)_.*",
    crate="wasm_streams",
    glue_classes=("IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"),
)


def own_path(symbol: str) -> str:
    """A v0 symbol without the instantiating crate that may end it.

    A generic function instantiated in crate X ends with X's name (or a
    back reference `B…_` to it); that crate did not write the function.
    """
    symbol = symbol.split(".", 1)[0]
    if re.search(r"B[0-9A-Za-z]*_$", symbol):
        return re.sub(r"B[0-9A-Za-z]*_$", "", symbol)
    for m in re.finditer(r"C(?:s[0-9A-Za-z]*_)?(\d+)_?", symbol):
        if m.end() + int(m.group(1)) == len(symbol):
            return symbol[: m.start()]
    return symbol


def parse_link_map(text: str) -> dict[str, list[str]]:
    """Every symbol of the CODE section of wasm-ld's `--Map`, mapped to all
    the symbols of its function (LLVM merges identical functions and keeps
    each name: one input line, then a line per symbol)."""
    symbols: dict[str, list[str]] = {}
    aliases: list[str] = []
    in_code = False
    for line in text.splitlines():
        if not in_code:
            in_code = line.rstrip().endswith(" CODE")
        elif re.match(r"\s+-\s+\w+\s+\w+ [A-Z]+$", line):
            break  # the next output section
        elif m := re.match(r"\s+-\s+\w+\s+\w+ {17}(\S+)$", line):
            aliases.append(m.group(1))
            symbols[m.group(1)] = aliases
        elif re.match(r"\s+-\s+\w+\s+\w+ {9}\S", line):
            aliases = []  # an input: the symbols below are one function
    return symbols


def parse_call_graph(text: str) -> list[tuple[str, str]]:
    """The direct calls (caller, callee) of wasm-opt's `--print-call-graph`."""
    return re.findall(r'^\s*"([^"]+)" -> "([^"]+)"; // call', text, re.M)


def stub_functions(
    module: Module, link_map: str, calls: list[tuple[str, str]], unreachable: Unreachable
) -> tuple[bytes, int, int]:
    """The module with the functions that cannot run stubbed, the number of
    functions stubbed and the bytes of code they had.

    A function is stubbed when it is exported under a name `unreachable`
    matches, or when its symbol names the crate as its own (not as the
    crate that merely instantiated a generic; wasm-bindgen's `describe`
    functions stay, wasm-bindgen runs them). It stays whole when the link
    map gives it another symbol that is not stubbed (identical functions
    merged), or when a function left whole calls it. Nothing else changes
    (no index, no type), so wasm-bindgen still finds every export.

    Raises BuildError when any part of the list matches nothing: after an
    upgrade renames what the list names, the build stops instead of quietly
    shipping the code again.
    """
    names = module.function_names()
    if not names:
        raise BuildError(f'{module.label}: no function names; build with strip = "none"')
    if not any(s.startswith("_R") for s in names.values()):
        raise BuildError(f"{module.label}: symbols are not v0-mangled (-Csymbol-mangling-version=v0)")
    symbols = parse_link_map(link_map)
    if not symbols:
        raise BuildError("the link map lists no functions")

    exports = re.compile(unreachable.exports)
    mention = f"{len(unreachable.crate)}{unreachable.crate}"

    def cannot_run(symbol: str) -> bool:
        own = "describe" not in symbol and mention in own_path(symbol)
        return own or exports.fullmatch(symbol) is not None

    exported = {
        e.index for e in module.exports() if e.kind == KIND_FUNCTION and exports.fullmatch(e.name)
    }
    if not exported:
        raise BuildError(f"{module.label}: no export matches {unreachable.exports!r}; {unreachable.why}")
    imported = module.imported_functions()
    owned = {
        i for i, s in names.items() if i >= imported and mention in own_path(s) and s in symbols
    }
    if not owned:
        raise BuildError(f"{module.label}: no function of crate {unreachable.crate}; {unreachable.why}")

    candidates = exported | {i for i, s in names.items() if i >= imported and cannot_run(s) and s in symbols}
    candidates = {
        i
        for i in candidates
        if i in names and all(cannot_run(s) for s in symbols.get(names[i], [names[i]]))
    }
    index = {s: i for i, s in names.items()}
    callees: dict[int, set[int]] = {}
    for caller, callee in calls:
        if caller in index and callee in index:
            callees.setdefault(index[caller], set()).add(index[callee])
    kept = [i for i in range(imported, max(names) + 1) if i not in candidates]
    while kept:
        for callee in callees.get(kept.pop(), ()):
            if callee in candidates:
                candidates.discard(callee)
                kept.append(callee)
    if not candidates:
        raise BuildError(f"{module.label}: every function {unreachable.crate} has is called from code that stays")

    bodies = module.code_bodies()
    stubbed = 0
    out = [uleb(len(bodies))]
    for k, body in enumerate(bodies):
        if k + imported in candidates:
            out.append(UNREACHABLE_BODY)
            stubbed += read_uleb(body, 0)[0]
        else:
            out.append(body)
    return module.rebuild({SECTION_CODE: b"".join(out)}), len(candidates), stubbed


# ---------------------------------------------------------------------------
# The glue's import names.


def shorten_imports(module: Module, js: str) -> tuple[bytes, str]:
    """wasm-bindgen names each import `__wbg_<name>_<16 hex digits>`, and
    those digits, in both the module and the glue, compress to nothing
    (~2 KB brotli of 60). Each becomes `<name>` (`<name>2`, ... for a name
    taken), the same in both; only names change, so nothing in the module
    moves. Raises BuildError if a name is not in the glue exactly once."""
    imports = module.imports()
    taken = {imp.field for imp in imports}
    renamed: dict[str, str] = {}
    entries = [uleb(len(imports))]
    for imp in imports:
        field = imp.field
        if m := re.fullmatch(r"__wbg_(\w+?)_[0-9a-f]{16}", field):
            short, k = m.group(1), 1
            while short in taken:
                k += 1
                short = f"{m.group(1)}{k}"
            taken.add(short)
            renamed[field] = field = short
        entries.append(name_bytes(imp.module) + name_bytes(field) + imp.desc)
    if not renamed:
        raise BuildError(f"{module.label}: no import named __wbg_<name>_<hash>; has wasm-bindgen changed?")
    for old, new in renamed.items():
        js, count = re.subn(r"\b%s\b" % old, new, js)
        if count != 1:
            raise BuildError(f"the glue names {old} {count} times, not once")
    return module.rebuild({SECTION_IMPORT: b"".join(entries)}), js


# ---------------------------------------------------------------------------
# JavaScript and CSS.


def minify_js(js: str, unused_classes: tuple[str, ...] = ()) -> str:
    """Drops comment lines and indentation, which is all our scripts and
    wasm-bindgen's glue need (~0.8 KB brotli off the glue). Line by line, so
    it refuses a template literal that spans lines. Each of `unused_classes`
    is an exported class of the glue that nothing uses: it goes too, and
    BuildError says so if anything still names it."""
    for name in unused_classes:
        js, n = re.subn(r"^export class %s \{\n.*?^\}\n" % name, "", js, flags=re.S | re.M)
        js, m = re.subn(r"^if \(Symbol\.dispose\) %s\..*\n" % name, "", js, flags=re.M)
        js, k = re.subn(r"^const %sFinalization = .*?;\n" % name, "", js, flags=re.S | re.M)
        if (n, m, k) != (1, 1, 1) or re.search(r"\b%s\b" % name, js):
            raise BuildError(f"cannot drop class {name} ({n}, {m}, {k}); is it used now?")
    lines, comment = [], False
    for number, line in enumerate(js.split("\n"), 1):
        t = line.strip()
        if comment or t.startswith("/*"):
            comment = not t.endswith("*/")
        elif t and not t.startswith("//"):
            if t.count("`") % 2:
                raise BuildError(f"line {number}: a template literal spans lines; cannot minify")
            lines.append(t)
    return "\n".join(lines) + "\n"


def minify_css(css: str) -> str:
    """Our own simple CSS without comments and the whitespace a browser does
    not need."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r" ?([{};,>]) ?", r"\1", css)
    return css.replace(": ", ":").replace(";}", "}").strip()


# ---------------------------------------------------------------------------
# The language catalogs.


def catalog_dir(messages: list[str], package: str = "otp-frontend") -> str:
    """The folder where `package`'s build script wrote the language catalogs,
    from cargo's `--message-format=json` lines."""
    dirs = [
        m["out_dir"]
        for m in map(json.loads, messages)
        if m.get("reason") == "build-script-executed" and package in m["package_id"]
    ]
    if len(dirs) != 1:
        raise BuildError(f"expected one build script output of {package}, got {dirs}")
    return dirs[0]


# ---------------------------------------------------------------------------
# Command line.


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="page_build.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    stub = commands.add_parser("stub", help="stub the functions that cannot run")
    stub.add_argument("input")
    stub.add_argument("link_map")
    stub.add_argument("output")
    stub.add_argument("wasm_opt_flags", nargs=argparse.REMAINDER)
    shorten = commands.add_parser("shorten-imports", help="shorten wasm-bindgen's import names")
    for arg in ("wasm", "js", "wasm_out", "js_out"):
        shorten.add_argument(arg)
    js = commands.add_parser("minify-js", help="minify a script")
    js.add_argument("input")
    js.add_argument("output")
    js.add_argument("--drop-stream-classes", action="store_true",
                    help="drop the glue's classes for code that cannot run")
    css = commands.add_parser("minify-css", help="minify a style sheet")
    css.add_argument("input")
    css.add_argument("output")
    catalogs = commands.add_parser("catalogs", help="print where the catalogs were written")
    catalogs.add_argument("build_json")
    args = parser.parse_args(argv)

    if args.command == "stub":
        module = Module(Path(args.input).read_bytes(), args.input)
        graph = subprocess.run(
            ["wasm-opt", args.input, *args.wasm_opt_flags, "--print-call-graph", "-o", "/dev/null"],
            check=True, capture_output=True, text=True,
        ).stdout
        link_map = Path(args.link_map).read_text(encoding="utf-8")
        out, count, size = stub_functions(module, link_map, parse_call_graph(graph), UNREACHABLE)
        Path(args.output).write_bytes(out)
        print(f"stubbed {count} functions that cannot run ({size} bytes)", file=sys.stderr)
    elif args.command == "shorten-imports":
        module = Module(Path(args.wasm).read_bytes(), args.wasm)
        wasm, glue = shorten_imports(module, Path(args.js).read_text(encoding="utf-8"))
        Path(args.wasm_out).write_bytes(wasm)
        Path(args.js_out).write_text(glue, encoding="utf-8")
    elif args.command == "minify-js":
        classes = UNREACHABLE.glue_classes if args.drop_stream_classes else ()
        try:
            text = minify_js(Path(args.input).read_text(encoding="utf-8"), classes)
        except BuildError as e:
            raise BuildError(f"{args.input}: {e}") from None
        Path(args.output).write_text(text, encoding="utf-8")
    elif args.command == "minify-css":
        text = minify_css(Path(args.input).read_text(encoding="utf-8"))
        Path(args.output).write_text(text, encoding="utf-8")
    elif args.command == "catalogs":
        print(catalog_dir(Path(args.build_json).read_text(encoding="utf-8").splitlines()))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BuildError as e:
        sys.exit(f"page_build: {e}")
