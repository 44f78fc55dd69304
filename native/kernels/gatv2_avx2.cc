// avx2 instantiation of the GATv2 score kernel.
#include "gatv2.h"
#include "gatv2_impl.h"
#include "simd_avx2.h"

namespace gnn {
namespace avx2 {

const Gatv2Kernels kGatv2Kernels = gatv2_impl::MakeGatv2Kernels<Vec>();

}  // namespace avx2
}  // namespace gnn
