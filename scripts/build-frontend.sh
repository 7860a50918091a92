#!/usr/bin/env bash
# Builds the verification page into frontend/dist/, ready for the backend to embed:
# content-hashed file names, index.html pointing at them, and .br/.gz siblings.
# Two WebAssembly modules: the page (otp-frontend, smallest) and the
# proof-of-work solver (otp-pow, fastest), which the page fetches only when
# the service asks for a proof, with its two small scripts.
#
#   scripts/build-frontend.sh
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli at the exact
# version in Cargo.lock, wasm-opt (binaryen), brotli, gzip, sha256sum,
# python3 (the minifiers, and the module edits: dead functions stubbed,
# import names shortened). Re-running with nothing changed redoes only the
# solver's sub-second wasm-opt and leaves dist/ untouched, so the backend is
# not rebuilt either.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
FRONTEND="$ROOT/frontend"
DIST="$FRONTEND/dist"
WORK="$TARGET_DIR/otp-frontend"
PROFILE=wasm-release

die() { echo "build-frontend: $*" >&2; exit 1; }

for tool in wasm-bindgen wasm-opt brotli gzip sha256sum python3; do
  command -v "$tool" >/dev/null || die "$tool not found on PATH"
done

# wasm-bindgen's output only works with the exact library version it was built against.
locked="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
installed="$(wasm-bindgen --version | awk '{ print $2 }')"
[[ "$locked" == "$installed" ]] ||
  die "wasm-bindgen $installed is installed, Cargo.lock has $locked: cargo install wasm-bindgen-cli --version =$locked"

start=$(date +%s%N)

# v0 symbols name a generic's arguments, and the linker's map says which
# symbols share a function; stub_functions below reads both. Only this
# build's flags: the profile's artifacts are this script's alone.
# The build's messages name the folder where frontend/build.rs wrote each
# language's catalog (i18n-<tag>-<hash>.json), copied into dist/ below.
mkdir -p "$WORK"
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Csymbol-mangling-version=v0 -Clink-arg=--Map=$WORK/otp.map" \
  cargo build --manifest-path "$ROOT/Cargo.toml" -p otp-frontend --bin otp-frontend \
  --target wasm32-unknown-unknown --profile "$PROFILE" --message-format=json-render-diagnostics \
  >"$WORK/build.json"
input="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/otp-frontend.wasm"
catalogs="$(python3 - "$WORK/build.json" <<'PY'
import json, sys
dirs = [m["out_dir"] for m in map(json.loads, open(sys.argv[1], encoding="utf-8"))
        if m.get("reason") == "build-script-executed" and "otp-frontend" in m["package_id"]]
if len(dirs) != 1:
    sys.exit(f"expected one build script output of otp-frontend, got {dirs}")
print(dirs[0])
PY
)"
# A build of its own, so the page's build never sees otp-api's `pow` feature.
cargo build --manifest-path "$ROOT/Cargo.toml" -p otp-pow \
  --target wasm32-unknown-unknown --profile wasm-pow
pow_input="$TARGET_DIR/wasm32-unknown-unknown/wasm-pow/otp_pow.wasm"

# stub_functions IN MAP OUT EXPORTS CRATE [WASM-OPT FLAG]...: a copy of
# the module IN in which functions that cannot run get a bare `unreachable`
# for a body: those exported under a name the regex EXPORTS matches, and
# those whose symbol (v0 mangling: generic arguments included) names the
# crate CRATE, other than as the crate that merely instantiated a generic.
# Nothing else moves (no index, no type), so wasm-bindgen still finds every
# export and wasm-opt then drops all the code only those functions
# reached, including what the function table (vtables) alone kept. A
# function stays whole when the linker's map MAP gives it another symbol
# too (LLVM merges identical functions into one under several names), or
# when a function left whole calls it.
stub_functions() {
  python3 - "$@" <<'PY'
import re, subprocess, sys
src, link_map, out, exports, crate = sys.argv[1:6]
wasm = open(src, "rb").read()
def uleb(i):
    n = shift = 0
    while True:
        b = wasm[i]; i += 1; n |= (b & 0x7F) << shift; shift += 7
        if b < 0x80: return n, i
def enc(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n: return bytes(out)
def name(i):
    n, i = uleb(i)
    return wasm[i:i + n].decode("utf-8", "replace"), i + n
def limits(i):
    flags, i = uleb(i); i = uleb(i)[1]
    return uleb(i)[1] if flags & 1 else i
def own_path(symbol):
    """The v0 symbol without the instantiating crate that may end it."""
    symbol = symbol.split(".", 1)[0]
    if re.search(r"B[0-9A-Za-z]*_$", symbol):
        return re.sub(r"B[0-9A-Za-z]*_$", "", symbol)
    for m in re.finditer(r"C(?:s[0-9A-Za-z]*_)?(\d+)_?", symbol):
        if m.end() + int(m.group(1)) == len(symbol):
            return symbol[:m.start()]
    return symbol
sections, i = [], 8
while i < len(wasm):
    size, start = uleb(i + 1)
    sections.append((wasm[i], start, start + size)); i = start + size
imported, names, candidates = 0, {}, set()
for sid, start, end in sections:
    if sid == 2:  # imports: functions come first in the index space
        n, i = uleb(start)
        for _ in range(n):
            i = name(name(i)[1])[1]; kind = wasm[i]; i += 1
            if kind == 0: imported += 1; i = uleb(i)[1]
            elif kind == 1: i = limits(i + 1)
            elif kind == 2: i = limits(i)
            elif kind == 3: i += 2
            else: i = uleb(i)[1]
    elif sid == 7:  # exports
        n, i = uleb(start)
        for _ in range(n):
            export, i = name(i); kind = wasm[i]; index, i = uleb(i + 1)
            if kind == 0 and re.fullmatch(exports, export): candidates.add(index)
    elif sid == 0 and name(start)[0] == "name":
        i = name(start)[1]
        while i < end:
            kind = wasm[i]; size, i = uleb(i + 1); stop = i + size
            if kind == 1:  # function names
                n, i = uleb(i)
                for _ in range(n):
                    index, i = uleb(i); names[index], i = name(i)
            i = stop
if not names:
    sys.exit(f"{src}: no function names; build with strip = \"none\"")
if not any(s.startswith("_R") for s in names.values()):
    sys.exit(f"{src}: symbols are not v0-mangled (-Csymbol-mangling-version=v0)")
mention = f"{len(crate)}{crate}"
def cannot_run(symbol):
    return ("describe" not in symbol and mention in own_path(symbol)) or re.fullmatch(exports, symbol)
# Every symbol of each function, from the map: input lines, then the
# function's symbols under each.
symbols, code = {}, False
for line in open(link_map, encoding="utf-8"):
    if not code:
        code = line.rstrip().endswith(" CODE")
    elif re.match(r"\s+-\s+\w+\s+\w+ [A-Z]+$", line):
        break
    elif m := re.match(r"\s+-\s+\w+\s+\w+ {17}(\S+)$", line):
        aliases.append(m.group(1)); symbols[m.group(1)] = aliases
    elif re.match(r"\s+-\s+\w+\s+\w+ {9}\S", line):
        aliases = []
if not symbols:
    sys.exit(f"{link_map}: no functions in this link map")
candidates |= {i for i, s in names.items()
               if i >= imported and cannot_run(s) and s in symbols}
candidates = {i for i in candidates if all(cannot_run(s) for s in symbols.get(names.get(i), [names.get(i)]))}
# Direct calls, by name, from binaryen's call graph.
graph = subprocess.run(["wasm-opt", src, *sys.argv[6:], "--print-call-graph", "-o", "/dev/null"],
                       check=True, capture_output=True, text=True).stdout
index = {s: i for i, s in names.items()}
calls = {}
for caller, callee in re.findall(r'^\s*"([^"]+)" -> "([^"]+)"; // call', graph, re.M):
    if caller in index and callee in index:
        calls.setdefault(index[caller], set()).add(index[callee])
kept = [i for i in range(imported, max(names) + 1) if i not in candidates]
while kept:
    for callee in calls.get(kept.pop(), ()):
        if callee in candidates:
            candidates.discard(callee); kept.append(callee)
if not candidates:
    sys.exit(f"{src}: nothing to stub; drop this step?")
parts, stubbed = [wasm[:8]], 0
for sid, start, end in sections:
    body = wasm[start:end]
    if sid == 10:  # code: count, then each body with its size
        n, i = uleb(start); bodies = [enc(n)]
        for k in range(n):
            size, at = uleb(i)
            if k + imported in candidates:
                bodies.append(b"\x03\x00\x00\x0b"); stubbed += size
            else:
                bodies.append(wasm[i:at + size])
            i = at + size
        body = b"".join(bodies)
    parts.append(bytes([sid]) + enc(len(body)) + body)
open(out, "wb").write(b"".join(parts))
print(f"stubbed {len(candidates)} functions that cannot run ({stubbed} bytes)", file=sys.stderr)
PY
}

mkdir -p "$WORK"
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# leptos links server_fn's browser support, whose streams (wasm-streams)
# this page never makes: the glue's three stream classes (dropped from the
# JavaScript by minify_js below) come with exported functions, and the
# futures behind them sit in the function table. Stubbed, they and all
# they reach are gone (~2.8 KB brotli).
stub_functions "$input" "$WORK/otp.map" "$WORK/otp.stub.wasm" \
  '(__wbg_)?intounderlying(bytesource|sink|source)_.*' wasm_streams "${WASM_FEATURES[@]}"
# Optimise before wasm-bindgen, not after: binaryen 108 (Debian) rewrites a
# two-table module so that wasm-bindgen's externref table export points at
# the function table, and the page fails to start. The feature flags match
# what rustc enables by default for wasm32; --converge repeats the passes
# while the module still shrinks (~120 B brotli). Two promises that hold for
# Rust's output make it smaller still (~450 B): nothing lives below address
# 1024 (the stack comes first and grows down from 1 MiB), and no load, store
# or division traps (Rust checks bounds and divisors before, and converts
# floats with the saturating instructions). Flattening the code and
# rebuilding its control flow first (--flatten --rereloop) lets -Oz find
# more to fold (~460 B brotli); -Os instead of -Oz, here or in rustc, is larger.
WASM_OPT=(wasm-opt --flatten --rereloop -Oz -Oz --converge --low-memory-unused --ignore-implicit-traps
  "${WASM_FEATURES[@]}")
stamp="$(sha256sum "$WORK/otp.stub.wasm" | cut -c1-64) $installed $(wasm-opt --version) ${WASM_OPT[*]}"
if [[ ! -f "$WORK/stamp" || "$(cat "$WORK/stamp")" != "$stamp" || ! -f "$WORK/otp_bg.wasm" ]]; then
  rm -f "$WORK/stamp"
  "${WASM_OPT[@]}" "$WORK/otp.stub.wasm" -o "$WORK/otp.opt.wasm"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$WORK" --out-name otp "$WORK/otp.opt.wasm"
  echo "$stamp" >"$WORK/stamp"
fi
# The solver is small: optimised for speed on every build, in well under a second.
wasm-opt -O3 "${WASM_FEATURES[@]}" --strip-debug --strip-producers "$pow_input" -o "$WORK/pow.wasm"

hash8() { sha256sum "$1" | cut -c1-8; }

stage="$WORK/dist.new"
rm -rf "$stage"
mkdir -p "$stage"

# shorten_imports WASM JS WASM_OUT JS_OUT: wasm-bindgen names each import
# `__wbg_<name>_<16 hex digits>`, and those digits, in both the module and
# the glue, compress to nothing (~2 KB brotli of 60). Each becomes `<name>`
# (`<name>2`, ... for a name taken), the same in both files; only names
# change, so nothing in the module moves. Fails if a name is not in the
# glue exactly once.
shorten_imports() {
  python3 - "$@" <<'PY'
import re, sys
wasm_in, js_in, wasm_out, js_out = sys.argv[1:5]
wasm = open(wasm_in, "rb").read()
js = open(js_in, encoding="utf-8").read()
def uleb(i):
    n = shift = 0
    while True:
        b = wasm[i]; i += 1; n |= (b & 0x7F) << shift; shift += 7
        if b < 0x80: return n, i
def enc(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n: return bytes(out)
def name(i):
    n, i = uleb(i)
    return wasm[i:i + n].decode(), i + n
def limits(i):
    flags, i = uleb(i); i = uleb(i)[1]
    return uleb(i)[1] if flags & 1 else i
def imports(start):  # (module bytes, field, kind and description bytes)
    n, j = uleb(start)
    for _ in range(n):
        at = j; j = name(j)[1]; module = wasm[at:j]
        field, j = name(j); desc = j; kind = wasm[j]; j += 1
        if kind == 0: j = uleb(j)[1]
        elif kind == 1: j = limits(j + 1)
        elif kind == 2: j = limits(j)
        elif kind == 3: j += 2
        else: j = uleb(j)[1]
        yield module, field, wasm[desc:j]
sections, i = [], 8
while i < len(wasm):
    size, start = uleb(i + 1)
    sections.append((wasm[i], start, start + size)); i = start + size
renamed, taken = {}, set()
for sid, start, _ in sections:
    if sid == 2:
        taken = {field for _, field, _ in imports(start)}
parts = [wasm[:8]]
for sid, start, end in sections:
    body = wasm[start:end]
    if sid == 2:
        entries = [enc(uleb(start)[0])]
        for module, field, desc in imports(start):
            m = re.fullmatch(r"__wbg_(\w+?)_[0-9a-f]{16}", field)
            if m:
                short, k = m.group(1), 1
                while short in taken: k += 1; short = f"{m.group(1)}{k}"
                taken.add(short); renamed[field] = short; field = short
            field = field.encode()
            entries.append(module + enc(len(field)) + field + desc)
        body = b"".join(entries)
    parts.append(bytes([sid]) + enc(len(body)) + body)
if not renamed:
    sys.exit(f"{wasm_in}: no import named __wbg_<name>_<hash>; has wasm-bindgen changed?")
for old, new in renamed.items():
    js, k = re.subn(r"\b%s\b" % old, new, js)
    if k != 1:
        sys.exit(f"{js_in}: {old} appears {k} times, not once")
open(wasm_out, "wb").write(b"".join(parts))
open(js_out, "w", encoding="utf-8").write(js)
PY
}

shorten_imports "$WORK/otp_bg.wasm" "$WORK/otp.js" "$stage/otp_bg.wasm" "$stage/otp_full.js"
wasm="otp-$(hash8 "$stage/otp_bg.wasm").wasm"
mv "$stage/otp_bg.wasm" "$stage/$wasm"
# minify_js IN OUT [CLASS]...: drops comment lines and indentation, which is
# all our scripts and wasm-bindgen's glue need (~0.8 KB brotli off the glue).
# Line by line, so it refuses a template literal that spans lines. Each
# CLASS is an exported class of the glue that nothing uses: it goes too,
# and the build fails if anything still names it.
minify_js() {
  python3 - "$@" <<'PY'
import re, sys
src, out, unused = sys.argv[1], sys.argv[2], sys.argv[3:]
js = open(src, encoding="utf-8").read()
for name in unused:
    js, n = re.subn(r"^export class %s \{\n.*?^\}\n" % name, "", js, flags=re.S | re.M)
    js, m = re.subn(r"^if \(Symbol\.dispose\) %s\..*\n" % name, "", js, flags=re.M)
    js, k = re.subn(r"^const %sFinalization = .*?;\n" % name, "", js, flags=re.S | re.M)
    if (n, m, k) != (1, 1, 1) or re.search(r"\b%s\b" % name, js):
        sys.exit(f"{src}: cannot drop class {name} ({n}, {m}, {k}); is it used now?")
lines, comment = [], False
for n, line in enumerate(js.split("\n"), 1):
    t = line.strip()
    if comment or t.startswith("/*"):
        comment = not t.endswith("*/")
    elif t and not t.startswith("//"):
        if t.count("`") % 2:
            sys.exit(f"{src}:{n}: a template literal spans lines; cannot minify")
        lines.append(t)
open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
}

# The glue exports wasm-streams' three classes (leptos links server_fn's
# browser support, which brings them); this page makes no streams.
minify_js "$stage/otp_full.js" "$stage/otp.tmp" IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource
rm "$stage/otp_full.js"
js="otp-$(hash8 "$stage/otp.tmp").js"
mv "$stage/otp.tmp" "$stage/$js"
# Our own simple CSS, minified: no comments, no whitespace a browser does not need.
python3 - "$FRONTEND/styles/app.css" >"$stage/app.tmp" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
css = re.sub(r"\s+", " ", css)
css = re.sub(r" ?([{};,>]) ?", r"\1", css)
print(css.replace(": ", ":").replace(";}", "}").strip(), end="")
PY
css="app-$(hash8 "$stage/app.tmp").css"
mv "$stage/app.tmp" "$stage/$css"
# Each language but English (compiled into the page) as fetched when chosen;
# the name already carries a hash of the content.
catalog_files=()
for f in "$catalogs"/i18n-*.json; do
  cp "$f" "$stage/"
  catalog_files+=("$(basename "$f")")
done
((${#catalog_files[@]})) || die "no language catalogs in $catalogs"
pow_wasm="pow-$(hash8 "$WORK/pow.wasm").wasm"
cp "$WORK/pow.wasm" "$stage/$pow_wasm"
minify_js "$FRONTEND/pow-worker.js" "$stage/worker.tmp"
pow_worker="pow-worker-$(hash8 "$stage/worker.tmp").js"
mv "$stage/worker.tmp" "$stage/$pow_worker"
minify_js "$FRONTEND/pow.js" "$stage/pow.min"
sed -e "s/@POW_WASM@/$pow_wasm/g" -e "s/@POW_WORKER@/$pow_worker/g" "$stage/pow.min" >"$stage/pow.tmp"
rm "$stage/pow.min"
pow="pow-$(hash8 "$stage/pow.tmp").js"
mv "$stage/pow.tmp" "$stage/$pow"
minify_js "$FRONTEND/boot.js" "$stage/boot.min"
sed -e "s/@JS@/$js/g" -e "s/@WASM@/$wasm/g" -e "s/@POW@/$pow/g" "$stage/boot.min" >"$stage/boot.tmp"
rm "$stage/boot.min"
boot="boot-$(hash8 "$stage/boot.tmp").js"
mv "$stage/boot.tmp" "$stage/$boot"
sed -e "s/@CSS@/$css/g" -e "s/@JS@/$js/g" -e "s/@WASM@/$wasm/g" -e "s/@BOOT@/$boot/g" \
  "$FRONTEND/index.html" >"$stage/index.html"

for f in "$stage"/*; do
  brotli -q 11 -f -k -o "$f.br" "$f"
  gzip -9 -n -k -c "$f" >"$f.gz"
done

# Replace dist/ only when something changed, so its timestamps stay put otherwise.
if [[ -d "$DIST" ]] && diff -rq "$stage" "$DIST" >/dev/null 2>&1; then
  rm -rf "$stage"
  echo "frontend/dist is up to date"
else
  rm -rf "$DIST"
  mv "$stage" "$DIST"
  echo "frontend/dist written"
fi

size() { stat -c %s "$1"; }
# table TITLE FILE...: raw, gzip and brotli bytes of each file in dist/, and their sum.
table() {
  local title="$1" name f raw gz br total_raw=0 total_gz=0 total_br=0
  shift
  printf '%-24s %9s %9s %9s\n' "$title" raw gzip brotli
  for name in "$@"; do
    f="$DIST/$name"
    raw=$(size "$f") gz=$(size "$f.gz") br=$(size "$f.br")
    total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
    printf '  %-22s %9d %9d %9d\n' "$name" "$raw" "$gz" "$br"
  done
  printf '  %-22s %9d %9d %9d\n' total "$total_raw" "$total_gz" "$total_br"
}
# The budget (≤ 60 KiB brotli, BUDGET_PAGE_BR_KIB in scripts/bench) is for
# the first load; the solver comes only when the service asks for a proof of
# work.
table "first load" index.html "$css" "$boot" "$js" "$wasm"
table "on demand: proof of work" "$pow" "$pow_worker" "$pow_wasm"
table "on demand: languages" "${catalog_files[@]}"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
printf 'built in %d.%01d s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
