// 16-lane float vector for the AVX-512 translation units. Include only from files compiled with
// -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace gnn {
namespace avx512 {

struct Vec {
  static constexpr int kWidth = 16;
  using Reg = __m512;
  using Mask = __mmask16;

  static Mask FirstN(int64_t n) {
    return n >= 16 ? static_cast<Mask>(0xFFFF) : static_cast<Mask>((1u << n) - 1u);
  }
  static Reg Zero() { return _mm512_setzero_ps(); }
  static Reg Set1(float v) { return _mm512_set1_ps(v); }
  static Reg Load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg LoadMasked(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void Store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static void StoreMasked(float* p, Reg v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
  static Reg Add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg Mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg Div(Reg a, Reg b) { return _mm512_div_ps(a, b); }
  static Reg Fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }  // a * b + c
  // max / min that propagate NaN: a NaN input makes the lane NaN and it stays NaN. (vmaxps
  // returns its second operand when either is NaN; the mask keeps lanes that are already NaN.)
  static Reg MaxNan(Reg acc, Reg v) {
    return _mm512_mask_max_ps(acc, _mm512_cmp_ps_mask(acc, acc, _CMP_ORD_Q), acc, v);
  }
  static Reg MinNan(Reg acc, Reg v) {
    return _mm512_mask_min_ps(acc, _mm512_cmp_ps_mask(acc, acc, _CMP_ORD_Q), acc, v);
  }
  // Plain max / min, for finite inputs only (the schedule checks): v as the second operand lets
  // the compiler fold its load into vmaxps.
  static Reg MaxFast(Reg acc, Reg v) { return _mm512_max_ps(acc, v); }
  static Reg MinFast(Reg acc, Reg v) { return _mm512_min_ps(acc, v); }
  // Math building blocks (simd_math.h).
  static Reg Sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg Abs(Reg a) { return _mm512_abs_ps(a); }
  static Reg Xor(Reg a, Reg b) { return _mm512_xor_ps(a, b); }
  static Reg And(Reg a, Reg b) { return _mm512_and_ps(a, b); }
  static Reg Round(Reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Reg Floor(Reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  // 2^n for integral n in [-126, 127].
  static Reg Pow2(Reg n) {
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  // y·2^n for integral n, rounded once: results underflow to subnormals and 0, or overflow to
  // inf, as IEEE says (one vscalefps).
  static Reg Scalef(Reg y, Reg n) { return _mm512_scalef_ps(y, n); }
  static Mask Lt(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static Mask Gt(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static Mask Le(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static Mask IsNan(Reg a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static Reg Select(Mask m, Reg a, Reg b) { return _mm512_mask_blend_ps(m, b, a); }  // m ? a : b
  // max(x, 0), keeping NaN (vmaxps returns its second operand, here +0, for NaN and for -0).
  static Reg Relu(Reg x) { return Select(IsNan(x), x, _mm512_max_ps(x, _mm512_setzero_ps())); }
  static Mask Eq(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static Mask Ne(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
  static bool Any(Mask m) { return m != 0; }
  // Lanes [lo, hi) set (0 <= lo <= hi <= 16).
  static Mask LaneRange(int64_t lo, int64_t hi) { return static_cast<Mask>(FirstN(hi) & ~FirstN(lo)); }
  // Lane permutation: result lane i = table[index[i]] (index lanes in [0, 16)).
  using Index = __m512i;
  static Index LoadIndex(const int32_t* p) { return _mm512_loadu_si512(p); }
  static Reg Permute(Reg table, Index index) { return _mm512_permutexvar_ps(index, table); }
  static bool AnyNan(Reg v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) != 0; }
  // Horizontal reductions (row-wise kernels). The lane order is fixed, so results are
  // reproducible; the max is NaN when any lane is.
  static float ReduceAdd(Reg v) { return _mm512_reduce_add_ps(v); }
  static float ReduceMaxNan(Reg v) { return AnyNan(v) ? __builtin_nanf("") : _mm512_reduce_max_ps(v); }
  static void Prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace avx512
}  // namespace gnn
