// scalar instantiation of the GEMM (portable; the compiler may use SSE2, never wider).
#include "gemm.h"
#include "gemm_impl.h"
#include "simd_scalar.h"

namespace gnn {
namespace scalar {
namespace {
constexpr GemmTile kTile = kGemmTiles[0];
static_assert(kTile.width == Vec::kWidth, "gemm.h's tile table matches this ISA's vector");
}  // namespace

void GemmPack(const float* w, int64_t m, int64_t k, const GemmBlocking& blocks, float* packed) {
  gemm_impl::Pack<Vec, kTile.nr>(w, m, k, blocks, packed);
}

void GemmRows(const LinearArgs& args, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end) {
  gemm_impl::Rows<Vec, kTile.mr, kTile.nr>(args, blocks, row_begin, row_end);
}

float FmaProbe(int64_t iterations, float seed) {
  return gemm_impl::FmaProbeLoop<Vec, kFmaProbeAccumulators[0]>(iterations, seed);
}

}  // namespace scalar
}  // namespace gnn
