// scalar instantiation of the elementwise kernels.
#include "elementwise.h"
#include "elementwise_impl.h"
#include "simd_scalar.h"

namespace gnn {
namespace scalar {

void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha) {
  elementwise_impl::ActivationRange<Vec>(x, out, n, act, alpha);
}

}  // namespace scalar
}  // namespace gnn
