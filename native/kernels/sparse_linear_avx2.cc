// avx2 instantiation of the sparse-weight linear (compiled with AVX2/FMA flags; called only after
// the run-time check in cpu_features.cc).
#include "simd_avx2.h"
#include "sparse_linear.h"
#include "sparse_linear_impl.h"

namespace gnn {
namespace avx2 {
namespace {

constexpr int kBlock = kSparseLinearBlockRows[1];
constexpr int kVectors = kBlock / Vec::kWidth;
static_assert(kBlock % Vec::kWidth == 0, "a block is a whole number of vectors");

// 8 x 8 transpose in registers: r[i] holds row i on entry and column i on return.
inline void Transpose8(__m256 r[8]) {
  __m256 t[8];
  for (int g = 0; g < 2; ++g) {
    t[4 * g + 0] = _mm256_unpacklo_ps(r[4 * g + 0], r[4 * g + 1]);
    t[4 * g + 1] = _mm256_unpackhi_ps(r[4 * g + 0], r[4 * g + 1]);
    t[4 * g + 2] = _mm256_unpacklo_ps(r[4 * g + 2], r[4 * g + 3]);
    t[4 * g + 3] = _mm256_unpackhi_ps(r[4 * g + 2], r[4 * g + 3]);
  }
  __m256 u[8];  // u[4 g + c], 128-bit lane L: rows 4g .. 4g + 3 of column 4L + c
  for (int g = 0; g < 2; ++g) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

struct Transpose {
  static void PackX(const float* x, int64_t ldx, int64_t rows, int64_t k, float* xt) {
    const Vec::Mask all = Vec::FirstN(8);
    for (int64_t h = 0; h < kVectors; ++h) {
      for (int64_t k0 = 0; k0 < k; k0 += 8) {
        const int64_t kc = k - k0 < 8 ? k - k0 : 8;
        const Vec::Mask mask = kc == 8 ? all : Vec::FirstN(kc);
        __m256 r[8];
        for (int i = 0; i < 8; ++i) {
          const int64_t row = h * 8 + i;
          r[i] = row < rows ? (kc == 8 ? _mm256_loadu_ps(x + row * ldx + k0) : Vec::LoadMasked(x + row * ldx + k0, mask))
                            : _mm256_setzero_ps();
          _mm_prefetch(reinterpret_cast<const char*>(x + (row + kBlock) * ldx + k0), _MM_HINT_T0);  // next block (as avx512)
        }
        Transpose8(r);
        for (int64_t c = 0; c < kc; ++c) _mm256_store_ps(xt + (k0 + c) * kBlock + h * 8, r[c]);
      }
    }
  }

  template <Activation kAct>
  static void StoreTile(const float* tile, int64_t channels, int64_t rows, const float* bias, float alpha, float* out,
                        int64_t ldo) {
    const Vec::Mask mask = Vec::FirstN(channels);
    const __m256 bv = bias != nullptr ? Vec::LoadMasked(bias, mask) : _mm256_setzero_ps();
    const __m256 av = _mm256_set1_ps(alpha);
    for (int64_t h = 0; h * 8 < rows; ++h) {
      __m256 r[8];
      for (int c = 0; c < 8; ++c) r[c] = c < channels ? _mm256_load_ps(tile + c * kBlock + h * 8) : _mm256_setzero_ps();
      Transpose8(r);
      const int64_t n = rows - h * 8 < 8 ? rows - h * 8 : 8;
      for (int64_t i = 0; i < n; ++i) {
        __m256 v = r[i];
        if (bias != nullptr) v = _mm256_add_ps(v, bv);
        v = simd_math::Activate<Vec, kAct>(v, av);
        float* dst = out + (h * 8 + i) * ldo;
        if (channels == 8) {
          _mm256_storeu_ps(dst, v);
        } else {
          Vec::StoreMasked(dst, v, mask);
        }
      }
    }
  }
};

}  // namespace

void SparseLinearRows(const SparseLinearArgs& args, int64_t row_begin, int64_t row_end, float* scratch) {
  sparse_linear_impl::Rows<Vec, kVectors, 2, Transpose>(args, row_begin, row_end, scratch);
}

}  // namespace avx2
}  // namespace gnn
