// Graph transforms with PyG semantics. Each returns a new graph whose "caller's edge order" is the
// order PyG's function would return its edges in, so edge ids (and per-edge inputs given in that
// order) keep their meaning:
// - remove_self_loops: the input's edges without loops, in input order.
// - add_remaining_self_loops: the input's non-loop edges in input order, then one loop per node in
//   node order. A node's loop keeps the weight of its last existing loop, else gets fill_value.
// - to_undirected: coalesced, sorted by (source, target); duplicates merged by a reducer.
// Transforms are planned (sizes computed) before the caller allocates the output, then filled.
#pragma once

#include <cstdint>
#include <vector>

#include "csr.h"
#include "spmm.h"  // Reduce
#include "status.h"

namespace gnn {

int64_t CountSelfLoops(const CsrGraphView& g);

// out: nnz - CountSelfLoops(g) edges; out.edge_ids may be null exactly when g.edge_ids is null.
void RemoveSelfLoops(const CsrGraphView& g, const CsrGraphOut& out);

// out: nnz - CountSelfLoops(g) + num_rows edges, edge ids always written. Weights are written when
// out.weights is set, from g's weights (1 each when g is unweighted, as if PyG were given
// edge_weight = ones): a node's loop keeps the weight of its last existing loop, other nodes'
// loops get fill_value. Needs a square graph.
void AddRemainingSelfLoops(const CsrGraphView& g, float fill_value, const CsrGraphOut& out);

// PyG's gcn_norm weights for a square graph (loops already added if wanted):
// w'[u->v] = d(u)^-1/2 * w * d(v)^-1/2, d(v) = sum of the weights of v's in-edges (1 each when
// unweighted), d^-1/2 := 0 where d = 0. Writes nnz weights in CSR order.
void GcnNormWeights(const CsrGraphView& g, float* out_weights);

// to_undirected: plan, then fill.
struct UndirectedPlan {
  std::vector<int64_t> row_ptr;   // merged rows, before deduplication (2 * nnz entries)
  std::vector<int32_t> sources;   // sorted within each row
  std::vector<float> weights;     // aligned with sources (empty when unweighted)
  std::vector<int64_t> out_ptr;   // rows after deduplication
  int64_t out_nnz = 0;
};
Status PlanToUndirected(const CsrGraphView& g, UndirectedPlan* plan);
// out: plan.out_nnz edges; weights reduced with `reduce` (sum, mean, max, min) when out.weights.
void FillToUndirected(const UndirectedPlan& plan, Reduce reduce, const CsrGraphOut& out);

// In- and out-degree counts.
void InDegrees(const CsrGraphView& g, int32_t* out);
void OutDegrees(const CsrGraphView& g, int32_t* out);

}  // namespace gnn
