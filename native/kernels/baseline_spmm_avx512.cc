#include "baseline_spmm.h"
#include "baseline_spmm_impl.h"

namespace gnn {
namespace baseline {
namespace avx512 {
struct Tag {};
void Rows(const CsrView& g, const float* x, int64_t w, float* o, bool m, int64_t b, int64_t e) {
  RowsImpl<Tag>(g, x, w, o, m, b, e);
}
}  // namespace avx512
}  // namespace baseline
}  // namespace gnn
