// Portable int8 path (reference semantics; the compiler may use SSE2). Tile 4 x 16: one panel,
// always computed whole (kFixedVectors), the stores masked to the real columns.
#include <cmath>
#include <cstring>

#include "qgemm_impl.h"
#include "simd_scalar.h"

namespace gnn {
namespace scalar {
namespace {

struct FVec : scalar::Vec {};

struct Q {
  static constexpr int kLanes = 1;
  static constexpr bool kFixedVectors = true;
  using V = FVec;
  using I = int32_t;
  struct A {
    int32_t b[4];
  };
  struct W {
    int32_t w[4];
  };
  static I Zero() { return 0; }
  static A Bcast(const uint8_t* p) { return {{p[0], p[1], p[2], p[3]}}; }
  static W LoadW(const int8_t* p) { return {{p[0], p[1], p[2], p[3]}}; }
  // Exact: |sum| <= 255 * 127 * K < 2^31 (K <= kMaxQGemmK).
  static I Dot(I acc, const A& a, const W& w) { return acc + a.b[0] * w.w[0] + a.b[1] * w.w[1] + a.b[2] * w.w[2] + a.b[3] * w.w[3]; }
  static I Set1I(int32_t v) { return v; }
  static I LoadI(const int32_t* p) { return *p; }
  // Wrapping, as the SIMD paths: the compensated value fits even when a product alone would not.
  static I Sub(I a, I b) { return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b)); }
  static I MulLo(I a, I b) { return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b)); }
  static float ToFloat(I a) { return static_cast<float>(a); }
  static void StoreCodes(uint8_t* dst, float y, int32_t zp, int64_t n) {
    if (n > 0) dst[0] = static_cast<uint8_t>(static_cast<int32_t>(y) + zp);
  }
};

}  // namespace

const QKernels& QGemmKernels() { return qgemm_impl::Table<Q, 4, 16>(); }

}  // namespace scalar
}  // namespace gnn
