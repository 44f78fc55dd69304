// The GATv2 score schedule: argument checks, then row ranges balanced by nonzeros
// (row_partition.h) on the thread pool with the kernel of the active SIMD level.
#include "gatv2.h"

#include <cmath>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "cpu_features.h"
#include "row_partition.h"
#include "thread_pool.h"

namespace gnn {
namespace {

constexpr int64_t kPerEdgeUnits = 16;  // index, edge id and loop overhead, in floats (as spmm)

const Gatv2Kernels& Kernels() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return avx512::kGatv2Kernels;
    case SimdLevel::kAvx2: return avx2::kGatv2Kernels;
    case SimdLevel::kScalar: break;
  }
#endif
  return scalar::kGatv2Kernels;
}

}  // namespace

Status Gatv2Scores(const Gatv2ScoresArgs& a) {
  const CsrView& g = a.graph;
  if (g.indptr == nullptr || (g.nnz > 0 && g.indices == nullptr) || g.num_rows < 0 || g.num_cols < 0 || g.nnz < 0) {
    return Status(StatusCode::kInvalidGraph, "graph: CSR arrays are missing or sizes are negative");
  }
  if (a.heads < 1 || a.head_width < 0) {
    return Status(StatusCode::kShapeMismatch, "gatv2Scores: expected at least one head and a non-negative width, got " +
                                                  Str(a.heads) + " heads of " + Str(a.head_width));
  }
  if (!std::isfinite(a.negative_slope)) {
    return Status(StatusCode::kOutOfRange, "negativeSlope: expected a finite number, got " + std::to_string(a.negative_slope));
  }
  if (g.nnz == 0) return Status::Ok();
  const Gatv2Kernels& k = Kernels();
  const int64_t units = a.heads * (4 * a.head_width + 8);
  const int64_t threads = ThreadsForWork((g.nnz + g.num_rows) * (units + kPerEdgeUnits), NumThreads());
  const std::vector<int64_t> bounds = PartitionRows(g, threads, 1);
  ParallelFor(static_cast<int64_t>(bounds.size()) - 1, static_cast<int>(threads),
              [&](int64_t c) { k.scores(a, bounds[c], bounds[c + 1]); });
  return Status::Ok();
}

}  // namespace gnn
