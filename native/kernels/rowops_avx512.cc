// avx512 instantiation of the row-op kernels.
#include "rowops.h"
#include "rowops_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {

const RowKernels kRowKernels = rowops_impl::MakeRowKernels<Vec>();

}  // namespace avx512
}  // namespace gnn
