// avx512 instantiation of the elementwise kernels.
#include "elementwise.h"
#include "elementwise_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {

void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha) {
  elementwise_impl::ActivationRange<Vec>(x, out, n, act, alpha);
}

}  // namespace avx512
}  // namespace gnn
