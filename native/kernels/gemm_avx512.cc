// avx512 instantiation of the GEMM (compiled with AVX-512 flags; called only after the run-time check in cpu_features.cc).
#include "gemm.h"
#include "gemm_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {
namespace {
constexpr GemmTile kTile = kGemmTiles[2];
static_assert(kTile.width == Vec::kWidth, "gemm.h's tile table matches this ISA's vector");
}  // namespace

void GemmPack(const float* w, int64_t m, int64_t k, const GemmBlocking& blocks, float* packed) {
  gemm_impl::Pack<Vec, kTile.nr>(w, m, k, blocks, packed);
}

void GemmRows(const LinearArgs& args, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end) {
  gemm_impl::Rows<Vec, kTile.mr, kTile.nr>(args, blocks, row_begin, row_end);
}

float FmaProbe(int64_t iterations, float seed) {
  return gemm_impl::FmaProbeLoop<Vec, kFmaProbeAccumulators[2]>(iterations, seed);
}

}  // namespace avx512
}  // namespace gnn
