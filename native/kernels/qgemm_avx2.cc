// AVX2 int8 path for CPUs without VNNI: the exact split emulation of qgemm_avx512.cc on ymm.
// Tile 4 x 16 (8 accumulators of 16 ymm).
#include <immintrin.h>

#include <cstring>

#include "qgemm_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avx2 {
namespace {

struct FVec : avx2::Vec {};  // a type of this file's own, so the float templates are ours too

struct Q {
  static constexpr int kLanes = 8;
  static constexpr bool kFixedVectors = false;
  using V = FVec;
  using I = __m256i;
  struct A {
    __m256i lo, hi;
  };
  using W = __m256i;
  static I Zero() { return _mm256_setzero_si256(); }
  static A Bcast(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    const __m256i b = _mm256_set1_epi32(v);
    return {_mm256_and_si256(b, _mm256_set1_epi8(0x7f)), _mm256_and_si256(_mm256_srli_epi16(b, 7), _mm256_set1_epi8(1))};
  }
  static W LoadW(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I Dot(I acc, const A& a, W w) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i lo = _mm256_madd_epi16(_mm256_maddubs_epi16(a.lo, w), ones);
    const __m256i hi = _mm256_madd_epi16(_mm256_maddubs_epi16(a.hi, w), ones);
    return _mm256_add_epi32(acc, _mm256_add_epi32(lo, _mm256_slli_epi32(hi, 7)));
  }
  static I Set1I(int32_t v) { return _mm256_set1_epi32(v); }
  static I LoadI(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I Sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I MulLo(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static __m256 ToFloat(I a) { return _mm256_cvtepi32_ps(a); }
  // AVX2 has no vpmovdb: the (at most 8) codes go out through a small buffer.
  static void StoreCodes(uint8_t* dst, __m256 y, int32_t zp, int64_t n) {
    alignas(32) int32_t q[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(q), _mm256_add_epi32(_mm256_cvtps_epi32(y), _mm256_set1_epi32(zp)));
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(q[i]);
  }
};

}  // namespace

const QKernels& QGemmKernels() { return qgemm_impl::Table<Q, 4, 2>(); }

}  // namespace avx2
}  // namespace gnn
