/** Forcing each int8 GEMM path: the SIMD level caps it, the VNNI switch picks with or without VNNI. */
import { backendInfo, ops, setSimdLevel } from '../../lib/index';
import type { SimdLevel } from '../../lib/index';
import type { Int8Path } from '../../lib/ops/quantize';

const SETTINGS: Record<Int8Path, { level: SimdLevel; vnni: boolean }> = {
  scalar: { level: 'scalar', vnni: false },
  avx2: { level: 'avx2', vnni: false },
  'avx-vnni': { level: 'avx2', vnni: true },
  avx512bw: { level: 'avx512', vnni: false },
  'avx512-vnni': { level: 'avx512', vnni: true },
};

export function withInt8Path<T>(path: Int8Path, fn: () => T): T {
  const detected = backendInfo().simdDetected;
  setSimdLevel(SETTINGS[path].level);
  ops.setInt8Vnni(SETTINGS[path].vnni);
  try {
    return fn();
  } finally {
    setSimdLevel(detected);
    ops.setInt8Vnni(true);
  }
}

/** The paths this CPU can run (each one checked to be what int8Path() reports when forced). */
export function availableInt8Paths(): Int8Path[] {
  return (Object.keys(SETTINGS) as Int8Path[]).filter((p) => withInt8Path(p, () => ops.int8Path()) === p);
}
