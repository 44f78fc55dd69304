// AVX-512 instantiation of the SpMM row kernel (compiled with AVX-512 flags; only called after the
// run-time check in cpu_features.cc).
#include "simd_avx512.h"
#include "spmm_simd_impl.h"

namespace gnn {
namespace avx512 {

void SpmmTaskKernel(const SpmmArgs& args, const SpmmTask& task, int prefetch_distance) {
  simd_impl::RunTask<Vec, kMaxTileColumns / Vec::kWidth>(args, task, prefetch_distance);
}

}  // namespace avx512
}  // namespace gnn
