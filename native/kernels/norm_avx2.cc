// avx2 instantiation of the normalisation kernels.
#include "norm.h"
#include "norm_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avx2 {

const NormKernels kNormKernels = norm_impl::MakeNormKernels<Vec>();

}  // namespace avx2
}  // namespace gnn
