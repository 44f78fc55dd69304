// AVX-512 instantiation of the int8-feature SpMM row kernel (compiled with AVX-512 flags; only
// called after the run-time check in cpu_features.cc). 16 codes per vector: vpmovsxbd from a
// 16-byte load (a byte-masked load for the tail, which reads nothing past the row), vcvtdq2ps.
#include "qspmm_simd_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {
namespace {

struct Int8Codes {
  using Tail = __mmask16;
  static Tail MakeTail(int64_t n) { return Vec::FirstN(n); }
  static __m512 Load(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static __m512 LoadTail(const int8_t* p, Tail m) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)));
  }
};

}  // namespace

void QSpmmTaskKernel(const QSpmmArgs& args, const SpmmTask& task, int prefetch_distance) {
  qspmm_impl::RunTask<Vec, Int8Codes, kMaxTileColumns / Vec::kWidth>(args, task, prefetch_distance);
}

}  // namespace avx512
}  // namespace gnn
