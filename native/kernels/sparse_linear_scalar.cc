// scalar instantiation of the sparse-weight linear (portable; the compiler may use SSE2, never wider).
#include "simd_scalar.h"
#include "sparse_linear.h"
#include "sparse_linear_impl.h"

namespace gnn {
namespace scalar {
namespace {
constexpr int kVectors = kSparseLinearBlockRows[0] / Vec::kWidth;  // 4 rows: 4 independent chains
using Transpose = sparse_linear_impl::GenericTranspose<Vec, kSparseLinearBlockRows[0]>;
}  // namespace

void SparseLinearRows(const SparseLinearArgs& args, int64_t row_begin, int64_t row_end, float* scratch) {
  sparse_linear_impl::Rows<Vec, kVectors, 1, Transpose>(args, row_begin, row_end, scratch);
}

}  // namespace scalar
}  // namespace gnn
