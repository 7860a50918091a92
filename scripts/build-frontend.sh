#!/usr/bin/env bash
# Builds the verification page into frontend/dist/, ready for the backend to embed:
# content-hashed file names, index.html pointing at them, and .br/.gz siblings.
# Two WebAssembly modules: the page (otp-frontend, smallest) and the
# proof-of-work solver (otp-pow, fastest), which the page fetches only when
# the service asks for a proof, with its two small scripts.
#
#   scripts/build-frontend.sh           builds; replaces frontend/dist if anything changed
#   scripts/build-frontend.sh --check   builds; fails if frontend/dist is not what it built
#
# frontend/dist is committed, so running the service needs none of these
# tools: dist/.sources holds a fingerprint of the sources it was built from
# (scripts/lib/page_sources.py `fresh` compares it), and `--check`, run by
# scripts/test, proves every committed file is what the sources build.
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli at the exact
# version in Cargo.lock, wasm-opt (binaryen), brotli, gzip, sha256sum,
# python3 (scripts/lib/page_build.py: the minifiers, and the module edits:
# dead functions stubbed, import names shortened). Re-running with nothing
# changed redoes only the solver's sub-second wasm-opt and leaves dist/
# untouched, so the backend is not rebuilt either.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
FRONTEND="$ROOT/frontend"
DIST="$FRONTEND/dist"
WORK="$TARGET_DIR/otp-frontend"
PROFILE=wasm-release
PAGE_BUILD=(python3 "$ROOT/scripts/lib/page_build.py")

die() { echo "build-frontend: $*" >&2; exit 1; }

check=false
case "${1:-}" in
"") ;;
--check) check=true ;;
*) die "usage: scripts/build-frontend.sh [--check]" ;;
esac

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
# symbols share a function; the stubbing below reads both. Only this
# build's flags: the profile's artifacts are this script's alone.
# The map's path goes to the page's own link only (`cargo rustc`), never
# into RUSTFLAGS: cargo names every crate's files by a hash of RUSTFLAGS,
# LTO merges the crates in the order of those names, and a path that
# differs between checkouts would swap two crates of one name (hashbrown's
# two versions), and so two functions of the module.
# The build's messages name the folder where frontend/build.rs wrote each
# language's catalog (i18n-<tag>-<hash>.json), copied into dist/ below.
mkdir -p "$WORK"
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Csymbol-mangling-version=v0" \
  cargo rustc --manifest-path "$ROOT/Cargo.toml" -p otp-frontend --bin otp-frontend \
  --target wasm32-unknown-unknown --profile "$PROFILE" --message-format=json-render-diagnostics \
  -- -Clink-arg=--Map="$WORK/otp.map" >"$WORK/build.json"
input="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/otp-frontend.wasm"
catalogs="$("${PAGE_BUILD[@]}" catalogs "$WORK/build.json")"
# A build of its own, so the page's build never sees otp-api's `pow` feature.
cargo build --manifest-path "$ROOT/Cargo.toml" -p otp-pow \
  --target wasm32-unknown-unknown --profile wasm-pow
pow_input="$TARGET_DIR/wasm32-unknown-unknown/wasm-pow/otp_pow.wasm"

WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# Code that is linked in but cannot run (wasm-streams, which leptos brings
# through server_fn: page_build.py's UNREACHABLE says why) gets a bare
# `unreachable` for a body; the build fails if that list matches nothing.
"${PAGE_BUILD[@]}" stub "$input" "$WORK/otp.map" "$WORK/otp.stub.wasm" "${WASM_FEATURES[@]}"
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

# wasm-bindgen's hashed import names, shortened in the module and the glue.
"${PAGE_BUILD[@]}" shorten-imports "$WORK/otp_bg.wasm" "$WORK/otp.js" "$stage/otp_bg.wasm" "$stage/otp_full.js"
wasm="otp-$(hash8 "$stage/otp_bg.wasm").wasm"
mv "$stage/otp_bg.wasm" "$stage/$wasm"
# The glue without the classes of the stubbed stream code.
"${PAGE_BUILD[@]}" minify-js --drop-stream-classes "$stage/otp_full.js" "$stage/otp.tmp"
rm "$stage/otp_full.js"
js="otp-$(hash8 "$stage/otp.tmp").js"
mv "$stage/otp.tmp" "$stage/$js"
"${PAGE_BUILD[@]}" minify-css "$FRONTEND/styles/app.css" "$stage/app.tmp"
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
"${PAGE_BUILD[@]}" minify-js "$FRONTEND/pow-worker.js" "$stage/worker.tmp"
pow_worker="pow-worker-$(hash8 "$stage/worker.tmp").js"
mv "$stage/worker.tmp" "$stage/$pow_worker"
"${PAGE_BUILD[@]}" minify-js "$FRONTEND/pow.js" "$stage/pow.min"
sed -e "s/@POW_WASM@/$pow_wasm/g" -e "s/@POW_WORKER@/$pow_worker/g" "$stage/pow.min" >"$stage/pow.tmp"
rm "$stage/pow.min"
pow="pow-$(hash8 "$stage/pow.tmp").js"
mv "$stage/pow.tmp" "$stage/$pow"
"${PAGE_BUILD[@]}" minify-js "$FRONTEND/boot.js" "$stage/boot.min"
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
python3 "$ROOT/scripts/lib/page_sources.py" fingerprint "$ROOT" >"$stage/.sources"

out="$DIST"
if [[ -d "$DIST" ]] && diff -rq "$stage" "$DIST" >/dev/null 2>&1; then
  rm -rf "$stage"
  echo "frontend/dist is up to date"
elif $check; then
  {
    echo "build-frontend: frontend/dist is not what its sources build:"
    diff -rq "$stage" "$DIST" 2>&1 | sed -e "s#$stage#built#g" -e "s#$DIST#frontend/dist#g" -e 's/^/  /' || true
    echo "built with $(rustc --version), wasm-bindgen $installed, $(wasm-opt --version), $(brotli --version)"
    echo "the build is in $stage; to take it: scripts/build-frontend.sh, then commit frontend/dist"
  } >&2
  out="$stage"
else
  rm -rf "$DIST"
  mv "$stage" "$DIST"
  echo "frontend/dist written"
fi

size() { stat -c %s "$1"; }
# table TITLE FILE...: raw, gzip and brotli bytes of each file built, and their sum.
table() {
  local title="$1" name f raw gz br total_raw=0 total_gz=0 total_br=0
  shift
  printf '%-24s %9s %9s %9s\n' "$title" raw gzip brotli
  for name in "$@"; do
    f="$out/$name"
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
[[ "$out" == "$DIST" ]]
