#!/usr/bin/env bash
# Builds bench/native/spmm_schedule against native/kernels (same per-ISA flags as binding.gyp,
# never a host-specific -march) and runs it with the given arguments.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/bench-native"
mkdir -p "$out"
k="$root/native/kernels"
flags=(-O3 -std=c++17 -fno-strict-aliasing -DGNN_X86_KERNELS=1 -I"$k")
avx2=(-mavx2 -mfma)
avx512=(-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -Wno-maybe-uninitialized)
if [ ! -x "$out/spmm_schedule" ] || [ -n "$(find "$k" "$root/bench/native" -newer "$out/spmm_schedule" -name '*.[ch]*' | head -1)" ]; then
  echo "building build/bench-native/spmm_schedule" >&2
  objs=()
  for f in thread_pool cpu_features spmm spmm_scalar finite_scan row_partition baseline_spmm; do
    g++ "${flags[@]}" -c "$k/$f.cc" -o "$out/$f.o" & objs+=("$out/$f.o")
  done
  g++ "${flags[@]}" "${avx2[@]}" -c "$k/spmm_avx2.cc" -o "$out/spmm_avx2.o" & objs+=("$out/spmm_avx2.o")
  g++ "${flags[@]}" "${avx2[@]}" -c "$k/baseline_spmm_avx2.cc" -o "$out/baseline_avx2.o" & objs+=("$out/baseline_avx2.o")
  g++ "${flags[@]}" "${avx512[@]}" -c "$k/spmm_avx512.cc" -o "$out/spmm_avx512.o" & objs+=("$out/spmm_avx512.o")
  g++ "${flags[@]}" "${avx512[@]}" -mprefer-vector-width=512 -c "$k/baseline_spmm_avx512.cc" -o "$out/baseline_avx512.o" & objs+=("$out/baseline_avx512.o")
  wait
  g++ "${flags[@]}" "$root/bench/native/spmm_schedule.cc" "${objs[@]}" -o "$out/spmm_schedule" -lpthread
fi
exec "$out/spmm_schedule" "$@"
