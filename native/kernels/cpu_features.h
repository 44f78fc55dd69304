// Run-time CPU feature detection and the process-wide SIMD level kernels dispatch on.
#pragma once

namespace gnn {

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// The widest level this CPU and OS support (AVX2 needs FMA and OS YMM state; AVX-512 needs F, BW,
// DQ, VL and OS ZMM state).
SimdLevel DetectedSimdLevel();
// The level kernels use: the detected one unless lowered by GNN_KERNELS_SIMD or SetSimdLevel().
SimdLevel ActiveSimdLevel();
// Lowers (or restores) the level used by later kernels; clamped to DetectedSimdLevel().
// Returns the level now in effect.
SimdLevel SetSimdLevel(SimdLevel level);
const char* SimdLevelName(SimdLevel level);
// Parses "scalar" | "avx2" | "avx512"; returns false for anything else.
bool ParseSimdLevel(const char* name, SimdLevel* level);
// True when the CPU has AVX-512 VNNI (reported, used by the int8 kernels).
bool HasAvx512Vnni();

}  // namespace gnn
