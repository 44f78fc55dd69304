#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (into build-asan/, leaving the
# normal build alone) and runs the whole test suite against it. Node itself is not instrumented, so
# the ASan runtime is preloaded; leak detection is off because V8 keeps memory until exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/build-asan"
rm -rf "$work"
mkdir -p "$work"
cp -r "$root/native" "$root/cuda" "$root/binding.gyp" "$root/package.json" "$work/"
ln -s "$root/node_modules" "$work/node_modules"

nodedir=()
prefix=$(cd "$(dirname "$(command -v node)")/.." && pwd)
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node_api.h" ]; then
  nodedir=(--nodedir="$prefix")
fi
echo "test:asan: building the sanitized addon in build-asan/"
(cd "$work" && node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild --jobs=max --loglevel=warn "${nodedir[@]}" -- -Dgnn_sanitize=1 >/dev/null)

addon="$work/build/Release/gnn_kernels.node"
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
echo "test:asan: running the tests against $addon"
cd "$root"
npm run build:ts --silent >/dev/null
GNN_KERNELS_NATIVE_PATH="$addon" \
LD_PRELOAD="$asan:$ubsan" \
ASAN_OPTIONS="detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:abort_on_error=1:detect_odr_violation=0" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  npx vitest run "$@"
