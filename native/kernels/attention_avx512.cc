// avx512 instantiation of SDDMM, edge softmax and the fused GAT aggregation.
#include "attention_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {

void SddmmRows(const SddmmArgs& a, int64_t row_begin, int64_t row_end) {
  attention_impl::SddmmRows<Vec>(a, row_begin, row_end);
}

void EdgeSoftmaxRows(const EdgeSoftmaxArgs& a, int64_t row_begin, int64_t row_end, float* buffer) {
  attention_impl::EdgeSoftmaxRows<Vec>(a, row_begin, row_end, buffer);
}

void GatTaskKernel(const GatArgs& a, const GatTask& t) {
  attention_impl::GatTaskKernel<Vec, kGatMaxTileColumns / Vec::kWidth>(a, t);
}

}  // namespace avx512
}  // namespace gnn
