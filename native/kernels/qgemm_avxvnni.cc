// AVX-VNNI int8 path (VEX vpdpbusd on ymm: CPUs with AVX-VNNI, or AVX-512 ones capped at avx2).
// Its own static library (-mavxvnni). Tile 6 x 16: 12 ymm accumulators + 2 weights + 1 broadcast.
#include <immintrin.h>

#include <cstring>

#include "qgemm_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avxvnni {
namespace {

struct FVec : avx2::Vec {};  // a type of this file's own, so the float templates are ours too

struct Q {
  static constexpr int kLanes = 8;
  static constexpr bool kFixedVectors = false;
  using V = FVec;
  using I = __m256i;
  using A = __m256i;
  using W = __m256i;
  static I Zero() { return _mm256_setzero_si256(); }
  static A Bcast(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
  }
  static W LoadW(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  // Inline asm for the reason given in qgemm_avx512vnni.cc ({vex}: the AVX-VNNI encoding).
  static I Dot(I acc, A a, W w) {
#if defined(__GNUC__)
    __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(w));
    return acc;
#else
    return _mm256_dpbusd_avx_epi32(acc, a, w);
#endif
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

const QKernels& QGemmKernels() { return qgemm_impl::Table<Q, 6, 2>(); }

}  // namespace avxvnni
}  // namespace gnn
