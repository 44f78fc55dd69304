// scalar instantiation of the row-op kernels.
#include "rowops.h"
#include "rowops_impl.h"
#include "simd_scalar.h"

namespace gnn {
namespace scalar {

const RowKernels kRowKernels = rowops_impl::MakeRowKernels<Vec>();

}  // namespace scalar
}  // namespace gnn
