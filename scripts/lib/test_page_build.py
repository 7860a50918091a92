"""Checks the page build's file edits on small modules and trees made here:
a stub list that no longer matches must stop the build, and every edit must
leave all else byte for byte as it was.

    PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s scripts/lib -p 'test_*.py'
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import page_build  # noqa: E402
from page_build import (  # noqa: E402
    UNREACHABLE,
    UNREACHABLE_BODY,
    BuildError,
    Module,
    Unreachable,
    name_bytes,
    uleb,
)

# Symbols as rustc's v0 mangling writes them (crate hashes made up).
STREAM_PULL = "_RNvCs1a_12wasm_streams4pull"
STREAM_DESCRIBE = "_RNvCs1a_12wasm_streams8describe"
MOUNT = "_RNvCs1d_6leptos5mount"
# core's drop of a leptos type, instantiated in wasm_streams: not its own code.
DROP_IN_STREAMS = "_RINvNtCs1b_4core3mem4dropNtCs1d_6leptos4ViewECs1a_12wasm_streams"
EXPORTED_PULL = "intounderlyingsource_pull"


def section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + uleb(len(body)) + body


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def body(*instructions: int) -> bytes:
    code = b"\x00" + bytes(instructions) + b"\x0b"  # no locals, ..., end
    return uleb(len(code)) + code


def make_module(functions: list[str], exports: dict[str, int],
                imports: tuple[str, ...] = ("__wbindgen_throw",)) -> bytes:
    """A module importing `imports` (functions of type 0), defining one
    function per name in `functions` (indices after the imports), each with
    a distinct body, and exporting `exports` (name to function index)."""
    types = section(1, vec([b"\x60\x00\x00"]))
    import_section = section(2, vec([name_bytes("wbg") + name_bytes(f) + b"\x00\x00" for f in imports]))
    function_section = section(3, vec([b"\x00"] * len(functions)))
    export_section = section(7, vec([name_bytes(n) + b"\x00" + uleb(i) for n, i in exports.items()]))
    code = section(10, vec([body(*([0x01] * (k + 1))) for k in range(len(functions))]))
    first = len(imports)
    names = vec([uleb(first + k) + name_bytes(n) for k, n in enumerate(functions)])
    name_section = section(0, name_bytes("name") + bytes([1]) + uleb(len(names)) + names)
    return (page_build.MAGIC + b"\x01\x00\x00\x00" + types + import_section + function_section
            + export_section + code + name_section)


def link_map(functions: list[list[str]]) -> str:
    """wasm-ld's map: each function one input line, then one line per symbol."""
    row = "{:>8} {:>8x} {:>8x}".format
    lines = ["    Addr      Off     Size Out     In      Symbol", row("-", 8, 10) + " TYPE",
             row("-", 0x40, 0x100) + " CODE"]
    for k, symbols in enumerate(functions):
        lines.append(row("-", 0x42 + k, 4) + " " * 9 + f"/build/page.o:({symbols[0]})")
        lines.extend(row("-", 0x42 + k, 4) + " " * 17 + s for s in symbols)
    lines.append(row("-", 0x200, 0x10) + " DATA")
    lines.append(row("-", 0x202, 4) + " " * 17 + "_RNvCs1e_4data5after")
    return "\n".join(lines) + "\n"


FUNCTIONS = [EXPORTED_PULL, STREAM_PULL, MOUNT, DROP_IN_STREAMS, STREAM_DESCRIBE]


class StubTest(unittest.TestCase):
    def stub(self, functions=FUNCTIONS, exports=None, aliases=None, calls=(), unreachable=UNREACHABLE):
        exports = {EXPORTED_PULL: 1, "mount": 3} if exports is None else exports
        data = make_module(functions, exports)
        groups = [[f] + (aliases or {}).get(f, []) for f in functions]
        out, count, size = page_build.stub_functions(
            Module(data), link_map(groups), list(calls), unreachable)
        return data, Module(out), count, size

    def bodies(self, module: Module) -> dict[str, bytes]:
        names = module.function_names()
        first = module.imported_functions()
        return {names[first + k]: b for k, b in enumerate(module.code_bodies())}

    def test_stubs_the_exports_and_the_crates_own_functions_only(self):
        data, out, count, size = self.stub()
        before, after = self.bodies(Module(data)), self.bodies(out)
        self.assertEqual(count, 2)
        self.assertEqual(size, len(before[EXPORTED_PULL]) - 1 + len(before[STREAM_PULL]) - 1)
        self.assertEqual(after[EXPORTED_PULL], UNREACHABLE_BODY)
        self.assertEqual(after[STREAM_PULL], UNREACHABLE_BODY)
        for kept in (MOUNT, DROP_IN_STREAMS, STREAM_DESCRIBE):
            self.assertEqual(after[kept], before[kept], kept)
        # Nothing but the code moves: same sections, same exports and names.
        self.assertEqual([s.id for s in out.sections], [s.id for s in Module(data).sections])
        self.assertEqual(out.exports(), Module(data).exports())
        self.assertEqual(out.function_names(), Module(data).function_names())

    def test_a_function_that_kept_code_calls_stays_whole(self):
        _, out, count, _ = self.stub(calls=[(MOUNT, STREAM_PULL)])
        self.assertEqual(count, 1)
        self.assertNotEqual(self.bodies(out)[STREAM_PULL], UNREACHABLE_BODY)
        self.assertEqual(self.bodies(out)[EXPORTED_PULL], UNREACHABLE_BODY)

    def test_what_a_kept_call_reaches_stays_whole_transitively(self):
        close = "_RNvCs1a_12wasm_streams5close"
        calls = [(MOUNT, EXPORTED_PULL), (EXPORTED_PULL, STREAM_PULL)]
        _, out, count, _ = self.stub(FUNCTIONS + [close], calls=calls)
        self.assertEqual(count, 1)
        self.assertEqual(self.bodies(out)[close], UNREACHABLE_BODY)
        self.assertNotEqual(self.bodies(out)[STREAM_PULL], UNREACHABLE_BODY)
        self.assertNotEqual(self.bodies(out)[EXPORTED_PULL], UNREACHABLE_BODY)

    def test_a_function_merged_with_live_code_stays_whole(self):
        _, out, count, _ = self.stub(aliases={STREAM_PULL: ["_RNvCs1d_6leptos4stop"]})
        self.assertEqual(count, 1)
        self.assertNotEqual(self.bodies(out)[STREAM_PULL], UNREACHABLE_BODY)

    def test_the_list_failing_to_match_the_exports_stops_the_build(self):
        # An upgrade that renames the exported stream adapters.
        functions = ["readablestreamsource_pull", STREAM_PULL, MOUNT]
        with self.assertRaisesRegex(BuildError, "no export matches"):
            self.stub(functions, exports={"readablestreamsource_pull": 1, "mount": 3})

    def test_the_list_failing_to_match_the_crate_stops_the_build(self):
        # An upgrade that moves the streams into a crate of another name.
        functions = [EXPORTED_PULL, "_RNvCs1a_11web_streams4pull", MOUNT]
        with self.assertRaisesRegex(BuildError, "no function of crate wasm_streams"):
            self.stub(functions)

    def test_a_list_whose_every_match_is_called_stops_the_build(self):
        calls = [(MOUNT, EXPORTED_PULL), (MOUNT, STREAM_PULL)]
        with self.assertRaisesRegex(BuildError, "called from code that stays"):
            self.stub(calls=calls)

    def test_the_reason_is_in_the_error(self):
        renamed = Unreachable("the reason", r"nothing_.*", "wasm_streams", ())
        with self.assertRaisesRegex(BuildError, "the reason"):
            self.stub(unreachable=renamed)

    def test_a_module_without_v0_names_is_refused(self):
        data = make_module(["pull", "mount"], {"pull": 1})
        with self.assertRaisesRegex(BuildError, "v0"):
            page_build.stub_functions(Module(data), link_map([["pull"]]), [], UNREACHABLE)

    def test_own_path_drops_only_the_instantiating_crate(self):
        self.assertEqual(page_build.own_path(DROP_IN_STREAMS),
                         "_RINvNtCs1b_4core3mem4dropNtCs1d_6leptos4ViewE")
        self.assertEqual(page_build.own_path(STREAM_PULL), STREAM_PULL)
        self.assertEqual(page_build.own_path("_RINvCs1a_1f1gB2_"), "_RINvCs1a_1f1g")
        self.assertEqual(page_build.own_path(STREAM_PULL + ".llvm.123"), STREAM_PULL)

    def test_the_link_map_groups_merged_symbols(self):
        symbols = page_build.parse_link_map(link_map([[MOUNT, "_RNvCs1d_6leptos4stop"], [STREAM_PULL]]))
        self.assertEqual(symbols[MOUNT], [MOUNT, "_RNvCs1d_6leptos4stop"])
        self.assertEqual(symbols[STREAM_PULL], [STREAM_PULL])
        self.assertNotIn("_RNvCs1e_4data5after", symbols)

    def test_the_call_graph_keeps_direct_calls_only(self):
        graph = '''digraph call {
  "A" -> "B" [style="filled, rounded", label = "Direct Call"];
  "f" [style="filled", fillcolor="white"];
  "f" -> "g"; // call
  "g" -> "h"; // call
}'''
        self.assertEqual(page_build.parse_call_graph(graph), [("f", "g"), ("g", "h")])


class ShortenImportsTest(unittest.TestCase):
    IMPORTS = ("__wbg_log_0123456789abcdef", "__wbg_log_fedcba9876543210", "__wbindgen_throw")
    GLUE = ("imports.wbg.__wbg_log_0123456789abcdef = function() {};\n"
            "imports.wbg.__wbg_log_fedcba9876543210 = function() {};\n"
            "imports.wbg.__wbindgen_throw = function() {};\n")

    def test_hashed_names_become_short_in_module_and_glue(self):
        data = make_module([MOUNT], {"mount": 3}, imports=self.IMPORTS)
        wasm, js = page_build.shorten_imports(Module(data), self.GLUE)
        out = Module(wasm)
        self.assertEqual([i.field for i in out.imports()], ["log", "log2", "__wbindgen_throw"])
        self.assertEqual(js, self.GLUE.replace("__wbg_log_0123456789abcdef", "log")
                         .replace("__wbg_log_fedcba9876543210", "log2"))
        # Only the import section changed.
        original = Module(data)
        for a, b in zip(original.sections, out.sections):
            if a.id != 2:
                self.assertEqual(data[a.start:a.end], wasm[b.start:b.end])

    def test_a_name_the_glue_has_twice_is_refused(self):
        data = make_module([MOUNT], {"mount": 3}, imports=self.IMPORTS)
        glue = self.GLUE + "// __wbg_log_0123456789abcdef\n"
        with self.assertRaisesRegex(BuildError, "2 times"):
            page_build.shorten_imports(Module(data), glue)

    def test_a_module_without_hashed_names_is_refused(self):
        data = make_module([MOUNT], {"mount": 3})
        with self.assertRaisesRegex(BuildError, "has wasm-bindgen changed"):
            page_build.shorten_imports(Module(data), self.GLUE)


class MinifyTest(unittest.TestCase):
    GLUE = """/* @ts-self-types="./otp.d.ts" */
let wasm;
// the class
const ThingFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {} }
    : new FinalizationRegistry(ptr => wasm.thing_free(ptr));
export class Thing {
    free() {
        wasm.thing_free(this.ptr);
    }
}
if (Symbol.dispose) Thing.prototype[Symbol.dispose] = Thing.prototype.free;

export function start() {
    return `one line`;
}
"""

    def test_comments_and_indentation_go(self):
        self.assertEqual(page_build.minify_js("// note\nfunction f() {\n    /* a\n b */\n    return 1;\n}\n"),
                         "function f() {\nreturn 1;\n}\n")

    def test_an_unused_class_goes_whole(self):
        out = page_build.minify_js(self.GLUE, ("Thing",))
        self.assertNotIn("Thing", out)
        self.assertEqual(out, "let wasm;\nexport function start() {\nreturn `one line`;\n}\n")

    def test_a_class_still_named_is_refused(self):
        with self.assertRaisesRegex(BuildError, "cannot drop class Thing"):
            page_build.minify_js(self.GLUE + "new Thing();\n", ("Thing",))

    def test_a_class_that_is_gone_is_refused(self):
        with self.assertRaisesRegex(BuildError, r"cannot drop class Gone \(0, 0, 0\)"):
            page_build.minify_js(self.GLUE, ("Gone",))

    def test_the_stream_classes_are_the_stubbed_ones(self):
        self.assertEqual(len(UNREACHABLE.glue_classes), 3)
        for name in UNREACHABLE.glue_classes:
            self.assertRegex(name.lower() + "_pull", UNREACHABLE.exports)

    def test_a_template_literal_across_lines_is_refused(self):
        with self.assertRaisesRegex(BuildError, "line 2: a template literal"):
            page_build.minify_js("let a;\nlet b = `one\ntwo`;\n")

    def test_css_keeps_only_what_the_browser_reads(self):
        css = "/* page */\nbody {\n  margin: 0;\n  color: red;\n}\na > b, c { x: 1 }\n"
        self.assertEqual(page_build.minify_css(css), "body{margin:0;color:red}a>b,c{x:1}")


class CatalogDirTest(unittest.TestCase):
    def message(self, package: str, out_dir: str, reason="build-script-executed") -> str:
        return json.dumps({"reason": reason, "package_id": package, "out_dir": out_dir})

    def test_the_page_crates_build_script_output(self):
        lines = [self.message("path+file:///w/api#otp-api@0.1.0", "/t/a"),
                 self.message("path+file:///w/frontend#otp-frontend@0.1.0", "/t/f"),
                 json.dumps({"reason": "compiler-artifact", "package_id": "otp-frontend"})]
        self.assertEqual(page_build.catalog_dir(lines), "/t/f")

    def test_no_build_script_output_is_refused(self):
        with self.assertRaisesRegex(BuildError, "expected one build script output"):
            page_build.catalog_dir([self.message("otp-api", "/t/a")])


if __name__ == "__main__":
    unittest.main()
