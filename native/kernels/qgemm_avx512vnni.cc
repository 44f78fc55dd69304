// AVX512-VNNI int8 path: one vpdpbusd (zmm) per 4 k x 16 columns x 1 row (64 multiply-adds).
// Its own static library (-mavx512vnni), so the AVX-512 code of other files never carries VNNI.
// Tile 6 x 64: 24 zmm accumulators + 4 weight vectors + 1 broadcast (of 32).
// GCC 12 warns that _mm512_cvtepi32_ps reads its (unused) pass-through operand uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>

#include "qgemm_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512vnni {
namespace {

struct FVec : avx512::Vec {};  // a type of this file's own, so the float templates are ours too

struct Q {
  static constexpr int kLanes = 16;
  static constexpr bool kFixedVectors = false;
  using V = FVec;
  using I = __m512i;
  using A = __m512i;
  using W = __m512i;
  static I Zero() { return _mm512_setzero_si512(); }
  static A Bcast(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  static W LoadW(const int8_t* p) { return _mm512_loadu_si512(p); }
  // Inline asm rather than _mm512_dpbusd_epi32: GCC 12 copies each accumulator through another
  // register and spills it to the stack every step with the builtin (6x4 tile: 1.2x fp32 instead of
  // the expected ~3x); "+v" keeps the accumulator in place.
  static I Dot(I acc, A a, W w) {
#if defined(__GNUC__)
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
    return acc;
#else
    return _mm512_dpbusd_epi32(acc, a, w);
#endif
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

const QKernels& QGemmKernels() { return qgemm_impl::Table<Q, 6, 4>(); }

}  // namespace avx512vnni
}  // namespace gnn
