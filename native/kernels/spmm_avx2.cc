// AVX2 + FMA instantiation of the SpMM row kernel (compiled with -mavx2 -mfma; only called after
// the run-time check in cpu_features.cc).
#include "simd_avx2.h"
#include "spmm_simd_impl.h"

namespace gnn {
namespace avx2 {

void SpmmTaskKernel(const SpmmArgs& args, const SpmmTask& task, int prefetch_distance) {
  simd_impl::RunTask<Vec, kMaxTileColumns / Vec::kWidth>(args, task, prefetch_distance);
}

}  // namespace avx2
}  // namespace gnn
