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
  static bool AnyNan(Reg v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) != 0; }
  static void Prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace avx512
}  // namespace gnn
