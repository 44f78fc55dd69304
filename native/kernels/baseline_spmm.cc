#include "baseline_spmm.h"

#include "baseline_spmm_impl.h"
#include "cpu_features.h"
#include "thread_pool.h"

namespace gnn {
namespace baseline {
namespace scalar {
struct Tag {};
void Rows(const CsrView& g, const float* x, int64_t w, float* o, bool m, int64_t b, int64_t e) {
  RowsImpl<Tag>(g, x, w, o, m, b, e);
}
}  // namespace scalar
}  // namespace baseline

Status BaselineSpmm(const CsrView& g, const float* x, int64_t width, float* out, Reduce reduce) {
  if (reduce != Reduce::kSum && reduce != Reduce::kMax) {
    return Status(StatusCode::kInvalidArgValue, "reduce: the baseline supports only sum and max");
  }
  baseline::RowsFn fn = &baseline::scalar::Rows;
#if defined(GNN_X86_KERNELS)
  if (ActiveSimdLevel() == SimdLevel::kAvx512) fn = &baseline::avx512::Rows;
  else if (ActiveSimdLevel() == SimdLevel::kAvx2) fn = &baseline::avx2::Rows;
#endif
  constexpr int64_t kRowsPerTask = 64;
  const int64_t tasks = (g.num_rows + kRowsPerTask - 1) / kRowsPerTask;
  const bool max = reduce == Reduce::kMax;
  ParallelFor(tasks, NumThreads(), [&](int64_t t) {
    const int64_t b = t * kRowsPerTask;
    const int64_t e = b + kRowsPerTask < g.num_rows ? b + kRowsPerTask : g.num_rows;
    fn(g, x, width, out, max, b, e);
  });
  return Status::Ok();
}

}  // namespace gnn
