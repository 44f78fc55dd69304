// scalar instantiation of the GATv2 score kernel.
#include "gatv2.h"
#include "gatv2_impl.h"
#include "simd_scalar.h"

namespace gnn {
namespace scalar {

const Gatv2Kernels kGatv2Kernels = gatv2_impl::MakeGatv2Kernels<Vec>();

}  // namespace scalar
}  // namespace gnn
