// 8-lane float vector for the AVX2 translation units. Include only from files compiled with
// -mavx2 -mfma.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace gnn {
namespace avx2 {

struct Vec {
  static constexpr int kWidth = 8;
  using Reg = __m256;
  using Mask = __m256i;

  static Mask FirstN(int64_t n) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int k = n >= 8 ? 8 : static_cast<int>(n);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), lanes);
  }
  static Reg Zero() { return _mm256_setzero_ps(); }
  static Reg Set1(float v) { return _mm256_set1_ps(v); }
  static Reg Load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg LoadMasked(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void Store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static void StoreMasked(float* p, Reg v, Mask m) { _mm256_maskstore_ps(p, m, v); }
  static Reg Add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg Mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg Div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg Fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  // max / min that propagate NaN: once a lane is NaN it stays NaN.
  static Reg MaxNan(Reg acc, Reg v) {
    return _mm256_blendv_ps(_mm256_max_ps(acc, v), acc, _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q));
  }
  static Reg MinNan(Reg acc, Reg v) {
    return _mm256_blendv_ps(_mm256_min_ps(acc, v), acc, _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q));
  }
  // Plain max / min, for finite inputs only (the schedule checks): v as the second operand lets
  // the compiler fold its load into vmaxps.
  static Reg MaxFast(Reg acc, Reg v) { return _mm256_max_ps(acc, v); }
  static Reg MinFast(Reg acc, Reg v) { return _mm256_min_ps(acc, v); }
  // Math building blocks (simd_math.h). Masks are all-ones / all-zeros lanes.
  static Reg Sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg Abs(Reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static Reg Xor(Reg a, Reg b) { return _mm256_xor_ps(a, b); }
  static Reg And(Reg a, Reg b) { return _mm256_and_ps(a, b); }
  static Reg Round(Reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Reg Floor(Reg a) { return _mm256_floor_ps(a); }
  // 2^n for integral n in [-126, 127].
  static Reg Pow2(Reg n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  // y·2^n for integral n in [-252, 254], rounded once: 2^n is applied in two halves that are
  // each a normal float, so only the second product rounds (into subnormals, 0 or inf).
  static Reg Scalef(Reg y, Reg n) {
    const Reg n1 = Floor(Mul(n, Set1(0.5f)));
    return Mul(Mul(y, Pow2(n1)), Pow2(Sub(n, n1)));
  }
  static Mask Lt(Reg a, Reg b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static Mask Gt(Reg a, Reg b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
  static Mask Le(Reg a, Reg b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_LE_OQ)); }
  static Mask IsNan(Reg a) { return _mm256_castps_si256(_mm256_cmp_ps(a, a, _CMP_UNORD_Q)); }
  static Reg Select(Mask m, Reg a, Reg b) { return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(m)); }
  // max(x, 0), keeping NaN (vmaxps returns its second operand, here +0, for NaN and for -0).
  static Reg Relu(Reg x) { return Select(IsNan(x), x, _mm256_max_ps(x, _mm256_setzero_ps())); }
  static Mask Eq(Reg a, Reg b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_EQ_OQ)); }
  static Mask Ne(Reg a, Reg b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_NEQ_UQ)); }
  static bool Any(Mask m) { return _mm256_movemask_ps(_mm256_castsi256_ps(m)) != 0; }
  // Lanes [lo, hi) set (0 <= lo <= hi <= 8).
  static Mask LaneRange(int64_t lo, int64_t hi) { return _mm256_andnot_si256(FirstN(lo), FirstN(hi)); }
  // Lane permutation: result lane i = table[index[i]] (index lanes in [0, 8)).
  using Index = __m256i;
  static Index LoadIndex(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static Reg Permute(Reg table, Index index) { return _mm256_permutevar8x32_ps(table, index); }
  static bool AnyNan(Reg v) { return _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0; }
  // Horizontal reductions (row-wise kernels). The lane order is fixed, so results are
  // reproducible; the max is NaN when any lane is.
  static float ReduceAdd(Reg v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float ReduceMaxNan(Reg v) {
    if (AnyNan(v)) return __builtin_nanf("");
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
  }
  static void Prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace avx2
}  // namespace gnn
