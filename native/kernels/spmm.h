// SpMM over a destination-major CSR graph:
//   out[v, c] = reduce over in-edges (u -> v, CSR position j) of message(x[u, c], w[j, head(c)])
// message is copy_u (no weights) or u_mul_e (per-edge weights, one per head); reduce is sum, mean,
// max or min. Rows with no in-edges produce 0 for every reducer. Results are bitwise independent of
// the thread count: each output element is reduced by one thread, in CSR order.
#pragma once

#include <cstdint>

#include "csr.h"
#include "status.h"

namespace gnn {

enum class Reduce { kSum = 0, kMean = 1, kMax = 2, kMin = 3 };

struct SpmmArgs {
  CsrView graph;
  const float* x = nullptr;    // [graph.num_cols, width], row stride ldx
  int64_t width = 0;           // columns of x and out (heads * per-head width)
  int64_t ldx = 0;
  const float* weights = nullptr;   // optional per-edge weights, `heads` per edge
  const int32_t* weight_ids = nullptr;  // optional: weight row of CSR position j is weight_ids[j]
  int64_t heads = 1;           // head h scales columns [h * width / heads, (h + 1) * width / heads)
  float* out = nullptr;        // [graph.num_rows, width], row stride ldo
  int64_t ldo = 0;
  Reduce reduce = Reduce::kSum;
};

// Checks the O(1) invariants of `args` (the graph itself is trusted: validated at construction).
Status CheckSpmmArgs(const SpmmArgs& args);
// The checks every aggregation over a CSR graph shares (spmm, the int8-feature spmm): graph arrays
// and sizes, width / heads / row strides, data present (`x_names` names the feature arrays in the
// message), weight ids only with weights, a known reducer.
Status CheckAggregationArgs(const CsrView& graph, int64_t width, int64_t heads, int64_t ldx, int64_t ldo, bool has_x,
                            const char* x_names, bool has_out, bool has_weights, bool has_weight_ids, Reduce reduce);
// Computes the SpMM with the thread pool and the active SIMD level.
Status Spmm(const SpmmArgs& args);

// Schedule knobs, exposed for benchmarks and tests; 0 means "choose automatically".
struct SpmmSchedule {
  int64_t tile_columns = 0;   // columns per feature tile (rounded to the SIMD width)
  int prefetch_distance = -1; // edges ahead to prefetch source rows; -1 auto, 0 off
  int max_threads = 0;
  // max / min: 0 scan the inputs (see spmm.cc), 1 assume they are finite, -1 check every message.
  int finite_inputs = 0;
};
Status SpmmWithSchedule(const SpmmArgs& args, const SpmmSchedule& schedule);

}  // namespace gnn
