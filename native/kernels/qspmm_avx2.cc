// AVX2 + FMA instantiation of the int8-feature SpMM row kernel (compiled with -mavx2 -mfma; only
// called after the run-time check in cpu_features.cc). 8 codes per vector: vpmovsxbd from an
// 8-byte load, vcvtdq2ps; the tail (< 8 codes) is assembled byte by byte, so nothing past the row
// is read.
#include "qspmm_simd_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avx2 {
namespace {

struct Int8Codes {
  using Tail = int64_t;
  static Tail MakeTail(int64_t n) { return n; }
  static __m256 Load(const int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static __m256 LoadTail(const int8_t* p, Tail n) {
    uint64_t bytes = 0;
    for (int64_t k = 0; k < n; ++k) bytes |= static_cast<uint64_t>(static_cast<uint8_t>(p[k])) << (8 * k);
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(bytes))));
  }
};

}  // namespace

void QSpmmTaskKernel(const QSpmmArgs& args, const SpmmTask& task, int prefetch_distance) {
  qspmm_impl::RunTask<Vec, Int8Codes, kMaxTileColumns / Vec::kWidth>(args, task, prefetch_distance);
}

}  // namespace avx2
}  // namespace gnn
