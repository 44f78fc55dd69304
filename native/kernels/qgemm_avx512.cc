// AVX-512BW int8 path for CPUs without VNNI: u8 x s8 dot products emulated exactly. vpmaddubsw
// would saturate (255 * 127 * 2 > 32767), so each activation byte is split into its low 7 bits
// and its top bit: maddubs(lo7, w) <= 127 * 127 * 2 and maddubs(top, w) <= 2 * 127 both fit in
// int16; vpmaddwd by 1 widens the pairs to int32, the top-bit part shifted left by 7.
// 6 instructions per 64 multiply-adds instead of 1. Tile 4 x 64 (16 accumulators; the split
// broadcasts and constants need registers too).
// GCC 12 warns that _mm512_cvtepi32_ps reads its (unused) pass-through operand uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>

#include "qgemm_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {
namespace {

struct FVec : avx512::Vec {};

struct Q {
  static constexpr int kLanes = 16;
  static constexpr bool kFixedVectors = false;
  using V = FVec;
  using I = __m512i;
  struct A {
    __m512i lo, hi;
  };
  using W = __m512i;
  static I Zero() { return _mm512_setzero_si512(); }
  static A Bcast(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    const __m512i b = _mm512_set1_epi32(v);
    return {_mm512_and_si512(b, _mm512_set1_epi8(0x7f)), _mm512_and_si512(_mm512_srli_epi16(b, 7), _mm512_set1_epi8(1))};
  }
  static W LoadW(const int8_t* p) { return _mm512_loadu_si512(p); }
  static I Dot(I acc, const A& a, W w) {
    const __m512i ones = _mm512_set1_epi16(1);
    const __m512i lo = _mm512_madd_epi16(_mm512_maddubs_epi16(a.lo, w), ones);
    const __m512i hi = _mm512_madd_epi16(_mm512_maddubs_epi16(a.hi, w), ones);
    return _mm512_add_epi32(acc, _mm512_add_epi32(lo, _mm512_slli_epi32(hi, 7)));
  }
  static I Set1I(int32_t v) { return _mm512_set1_epi32(v); }
  static I LoadI(const int32_t* p) { return _mm512_loadu_si512(p); }
  static I Sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I MulLo(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static __m512 ToFloat(I a) { return _mm512_cvtepi32_ps(a); }
  static void StoreCodes(uint8_t* dst, __m512 y, int32_t zp, int64_t n) {
    const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(y), _mm512_set1_epi32(zp));
    _mm512_mask_cvtepi32_storeu_epi8(dst, FVec::FirstN(n), q);
  }
};

}  // namespace

const QKernels& QGemmKernels() { return qgemm_impl::Table<Q, 4, 4>(); }

}  // namespace avx512
}  // namespace gnn
