// avx2 instantiation of the elementwise kernels.
#include "elementwise.h"
#include "elementwise_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avx2 {

void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha) {
  elementwise_impl::ActivationRange<Vec>(x, out, n, act, alpha);
}

}  // namespace avx2
}  // namespace gnn
