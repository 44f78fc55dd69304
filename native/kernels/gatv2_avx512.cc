// avx512 instantiation of the GATv2 score kernel.
#include "gatv2.h"
#include "gatv2_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {

const Gatv2Kernels kGatv2Kernels = gatv2_impl::MakeGatv2Kernels<Vec>();

}  // namespace avx512
}  // namespace gnn
