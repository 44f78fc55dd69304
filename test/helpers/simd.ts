/** Runs a block under each SIMD level this CPU has, restoring the detected level afterwards. */
import { backendInfo, setSimdLevel } from '../../lib/backend';
import type { SimdLevel } from '../../lib/backend';

export function availableSimdLevels(): SimdLevel[] {
  const detected = backendInfo().simdDetected;
  const all: SimdLevel[] = ['scalar', 'avx2', 'avx512'];
  return all.slice(0, all.indexOf(detected) + 1);
}

export function withSimd<T>(level: SimdLevel, fn: () => T): T {
  const detected = backendInfo().simdDetected;
  setSimdLevel(level);
  try {
    return fn();
  } finally {
    setSimdLevel(detected);
  }
}
