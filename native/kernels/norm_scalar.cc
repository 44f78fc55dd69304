// scalar instantiation of the normalisation kernels.
#include "norm.h"
#include "norm_impl.h"
#include "simd_scalar.h"

namespace gnn {
namespace scalar {

const NormKernels kNormKernels = norm_impl::MakeNormKernels<Vec>();

}  // namespace scalar
}  // namespace gnn
