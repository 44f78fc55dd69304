#!/usr/bin/env bash
# Builds bench/native/gemm_tiles against native/kernels, once with the addon's AVX-512 flags and once
# with its AVX2 flags (never a host-specific -march), and runs the one GEMM_ISA names (avx512 by
# default) with the given arguments: N K M [block KiB] [threads]; TILES="6x64 8x48" picks tiles.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/bench-native"
mkdir -p "$out"
k="$root/native/kernels"
flags=(-O3 -std=c++17 -fno-strict-aliasing -DGNN_X86_KERNELS=1 -I"$k")
avx2=(-mavx2 -mfma)
avx512=(-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mprefer-vector-width=512 -Wno-maybe-uninitialized)
if [ ! -x "$out/gemm_tiles" ] || [ -n "$(find "$k" "$root/bench/native" -newer "$out/gemm_tiles" -name '*.[ch]*' | head -1)" ]; then
  echo "building build/bench-native/gemm_tiles" >&2
  objs=()
  for f in thread_pool cpu_features gemm gemm_scalar; do
    g++ "${flags[@]}" -c "$k/$f.cc" -o "$out/$f.o" & objs+=("$out/$f.o")
  done
  g++ "${flags[@]}" "${avx2[@]}" -c "$k/gemm_avx2.cc" -o "$out/gemm_avx2.o" & objs+=("$out/gemm_avx2.o")
  g++ "${flags[@]}" "${avx512[@]}" -c "$k/gemm_avx512.cc" -o "$out/gemm_avx512.o" & objs+=("$out/gemm_avx512.o")
  wait
  g++ "${flags[@]}" "${avx512[@]}" "$root/bench/native/gemm_tiles.cc" "${objs[@]}" -o "$out/gemm_tiles" -lpthread
  g++ "${flags[@]}" "${avx2[@]}" "$root/bench/native/gemm_tiles.cc" "${objs[@]}" -o "$out/gemm_tiles_avx2" -lpthread
fi
if [ "${GEMM_ISA:-avx512}" = avx2 ]; then exec "$out/gemm_tiles_avx2" "$@"; fi
exec "$out/gemm_tiles" "$@"
