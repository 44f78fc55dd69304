// avx2 instantiation of the row-op kernels.
#include "rowops.h"
#include "rowops_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avx2 {

const RowKernels kRowKernels = rowops_impl::MakeRowKernels<Vec>();

}  // namespace avx2
}  // namespace gnn
