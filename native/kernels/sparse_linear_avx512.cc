// avx512 instantiation of the sparse-weight linear (compiled with AVX-512 flags; called only after
// the run-time check in cpu_features.cc).
#include "simd_avx512.h"
#include "sparse_linear.h"
#include "sparse_linear_impl.h"

namespace gnn {
namespace avx512 {
namespace {

constexpr int kBlock = kSparseLinearBlockRows[2];
constexpr int kVectors = kBlock / Vec::kWidth;
static_assert(kBlock % Vec::kWidth == 0, "a block is a whole number of vectors");

// 16 x 16 transpose in registers: r[i] holds row i on entry and column i on return.
inline void Transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int g = 0; g < 4; ++g) {
    t[4 * g + 0] = _mm512_unpacklo_ps(r[4 * g + 0], r[4 * g + 1]);
    t[4 * g + 1] = _mm512_unpackhi_ps(r[4 * g + 0], r[4 * g + 1]);
    t[4 * g + 2] = _mm512_unpacklo_ps(r[4 * g + 2], r[4 * g + 3]);
    t[4 * g + 3] = _mm512_unpackhi_ps(r[4 * g + 2], r[4 * g + 3]);
  }
  __m512 u[16];  // u[4 g + c], 128-bit lane L: rows 4g .. 4g + 3 of column 4L + c
  for (int g = 0; g < 4; ++g) {
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  __m512 v[16];  // pairs of 128-bit lanes gathered across row groups {0, 1} and {2, 3}
  for (int c = 0; c < 4; ++c) {
    v[c] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
    v[4 + c] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    v[8 + c] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    v[12 + c] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm512_shuffle_f32x4(v[c], v[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(v[c], v[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(v[4 + c], v[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(v[4 + c], v[12 + c], 0xDD);
  }
}

struct Transpose {
  static void PackX(const float* x, int64_t ldx, int64_t rows, int64_t k, float* xt) {
    for (int64_t h = 0; h < kVectors; ++h) {
      for (int64_t k0 = 0; k0 < k; k0 += 16) {
        const int64_t kc = k - k0 < 16 ? k - k0 : 16;
        const __mmask16 mask = Vec::FirstN(kc);
        __m512 r[16];
        for (int i = 0; i < 16; ++i) {
          const int64_t row = h * 16 + i;
          r[i] = row < rows ? _mm512_maskz_loadu_ps(mask, x + row * ldx + k0) : _mm512_setzero_ps();
          // The same line of the next block's row: it arrives while this block computes (the
          // hardware prefetcher alone left N = 100k, K = 64 at half the dense rate). A prefetch
          // past the end of x is harmless (it never faults).
          Vec::Prefetch(x + (row + kBlock) * ldx + k0);
        }
        Transpose16(r);
        for (int64_t c = 0; c < kc; ++c) _mm512_store_ps(xt + (k0 + c) * kBlock + h * 16, r[c]);
      }
    }
  }

  template <Activation kAct>
  static void StoreTile(const float* tile, int64_t channels, int64_t rows, const float* bias, float alpha, float* out,
                        int64_t ldo) {
    const __mmask16 mask = Vec::FirstN(channels);
    const __m512 bv = bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias) : _mm512_setzero_ps();
    const __m512 av = _mm512_set1_ps(alpha);
    for (int64_t h = 0; h * 16 < rows; ++h) {
      __m512 r[16];
      for (int c = 0; c < 16; ++c) r[c] = c < channels ? _mm512_load_ps(tile + c * kBlock + h * 16) : _mm512_setzero_ps();
      Transpose16(r);
      const int64_t n = rows - h * 16 < 16 ? rows - h * 16 : 16;
      for (int64_t i = 0; i < n; ++i) {
        __m512 v = r[i];
        if (bias != nullptr) v = _mm512_add_ps(v, bv);
        v = simd_math::Activate<Vec, kAct>(v, av);
        _mm512_mask_storeu_ps(out + (h * 16 + i) * ldo, mask, v);
      }
    }
  }
};

}  // namespace

void SparseLinearRows(const SparseLinearArgs& args, int64_t row_begin, int64_t row_end, float* scratch) {
  sparse_linear_impl::Rows<Vec, kVectors, 2, Transpose>(args, row_begin, row_end, scratch);
}

}  // namespace avx512
}  // namespace gnn
