#!/usr/bin/env bash
# Builds the verification page into frontend/dist/, ready for the backend to embed:
# content-hashed file names, index.html pointing at them, and .br/.gz siblings.
#
#   scripts/build-frontend.sh
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli at the exact
# version in Cargo.lock, wasm-opt (binaryen), brotli, gzip, sha256sum.
# Re-running with nothing changed redoes no work and leaves dist/ untouched,
# so the backend is not rebuilt either.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
FRONTEND="$ROOT/frontend"
DIST="$FRONTEND/dist"
WORK="$TARGET_DIR/otp-frontend"
PROFILE=wasm-release

die() { echo "build-frontend: $*" >&2; exit 1; }

for tool in wasm-bindgen wasm-opt brotli gzip sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found on PATH"
done

# wasm-bindgen's output only works with the exact library version it was built against.
locked="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
installed="$(wasm-bindgen --version | awk '{ print $2 }')"
[[ "$locked" == "$installed" ]] ||
  die "wasm-bindgen $installed is installed, Cargo.lock has $locked: cargo install wasm-bindgen-cli --version =$locked"

start=$(date +%s%N)

cargo build --manifest-path "$ROOT/Cargo.toml" -p otp-frontend --bin otp-frontend \
  --target wasm32-unknown-unknown --profile "$PROFILE"
input="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/otp-frontend.wasm"

mkdir -p "$WORK"
# Optimise before wasm-bindgen, not after: binaryen 108 (Debian) rewrites a
# two-table module so that wasm-bindgen's externref table export points at
# the function table, and the page fails to start. The feature flags match
# what rustc enables by default for wasm32; --converge repeats the passes
# while the module still shrinks (~120 B brotli).
WASM_OPT=(wasm-opt -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue)
stamp="$(sha256sum "$input" | cut -c1-64) $installed $(wasm-opt --version) ${WASM_OPT[*]}"
if [[ ! -f "$WORK/stamp" || "$(cat "$WORK/stamp")" != "$stamp" || ! -f "$WORK/otp_bg.wasm" ]]; then
  rm -f "$WORK/stamp"
  "${WASM_OPT[@]}" "$input" -o "$WORK/otp.opt.wasm"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$WORK" --out-name otp "$WORK/otp.opt.wasm"
  echo "$stamp" >"$WORK/stamp"
fi

hash8() { sha256sum "$1" | cut -c1-8; }

stage="$WORK/dist.new"
rm -rf "$stage"
mkdir -p "$stage"

wasm="otp-$(hash8 "$WORK/otp_bg.wasm").wasm"
cp "$WORK/otp_bg.wasm" "$stage/$wasm"
js="otp-$(hash8 "$WORK/otp.js").js"
cp "$WORK/otp.js" "$stage/$js"
css="app-$(hash8 "$FRONTEND/styles/app.css").css"
cp "$FRONTEND/styles/app.css" "$stage/$css"
sed -e "s/@JS@/$js/g" -e "s/@WASM@/$wasm/g" "$FRONTEND/boot.js" >"$stage/boot.tmp"
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
printf '%-24s %9s %9s %9s\n' file raw gzip brotli
total_raw=0 total_gz=0 total_br=0
for name in index.html "$css" "$boot" "$js" "$wasm"; do
  f="$DIST/$name"
  raw=$(size "$f") gz=$(size "$f.gz") br=$(size "$f.br")
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
  printf '%-24s %9d %9d %9d\n' "$name" "$raw" "$gz" "$br"
done
printf '%-24s %9d %9d %9d\n' total "$total_raw" "$total_gz" "$total_br"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
printf 'built in %d.%01d s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
