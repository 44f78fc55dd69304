#include "graph_build.h"
#include "arg_checks.h"

#include <string>
#include <vector>

namespace gnn {
namespace {
}  // namespace

Status CheckEdgeIndex(const int32_t* src, const int32_t* dst, int64_t num_edges, int64_t num_nodes) {
  // One branch-free pass per row finds whether anything is out of range; only then locate it.
  for (int row = 0; row < 2; ++row) {
    const int32_t* ids = row == 0 ? src : dst;
    bool bad = false;
    for (int64_t e = 0; e < num_edges; ++e) {
      bad |= static_cast<uint64_t>(static_cast<int64_t>(ids[e])) >= static_cast<uint64_t>(num_nodes);
    }
    if (!bad) continue;
    for (int64_t e = 0; e < num_edges; ++e) {
      const int64_t v = ids[e];
      if (v < 0 || v >= num_nodes) {
        return Status(StatusCode::kInvalidGraph,
                      "edgeIndex: expected node ids in [0, " + Str(num_nodes) + "), got edgeIndex[" +
                          Str(row) + "][" + Str(e) + "] = " + Str(v) +
                          (row == 0 ? " (a source)" : " (a target)"));
      }
    }
  }
  return Status::Ok();
}

int64_t MaxNodeId(const int32_t* src, const int32_t* dst, int64_t num_edges) {
  int64_t m = -1;
  for (int64_t e = 0; e < num_edges; ++e) {
    m = src[e] > m ? src[e] : m;
    m = dst[e] > m ? dst[e] : m;
  }
  return m;
}

bool IsSortedByDestination(const int32_t* dst, int64_t num_edges) {
  bool unsorted = false;
  for (int64_t e = 1; e < num_edges; ++e) unsorted |= dst[e] < dst[e - 1];
  return !unsorted;
}

void CooToCsr(const int32_t* src, const int32_t* dst, const float* weights, int64_t num_edges,
              int64_t num_nodes, const CsrGraphOut& out) {
  // Count in-degrees into indptr[v + 1], prefix-sum, then place each edge at its row's cursor.
  std::vector<int64_t> cursor(static_cast<size_t>(num_nodes) + 1, 0);
  for (int64_t e = 0; e < num_edges; ++e) ++cursor[static_cast<size_t>(dst[e]) + 1];
  for (int64_t v = 0; v < num_nodes; ++v) cursor[v + 1] += cursor[v];
  for (int64_t v = 0; v <= num_nodes; ++v) out.indptr.Set(v, cursor[v]);
  for (int64_t e = 0; e < num_edges; ++e) {
    const int64_t pos = cursor[dst[e]]++;
    out.indices[pos] = src[e];
    if (out.edge_ids != nullptr) out.edge_ids[pos] = static_cast<int32_t>(e);
    if (out.weights != nullptr) out.weights[pos] = weights[e];
  }
}

Status ValidateCsr(const IndptrView& indptr, const int32_t* indices, int64_t num_rows,
                   int64_t num_cols, int64_t nnz) {
  if (indptr.Get(0) != 0) {
    return Status(StatusCode::kInvalidGraph,
                  "indptr: expected indptr[0] = 0, got " + Str(indptr.Get(0)));
  }
  int64_t prev = 0;
  for (int64_t r = 1; r <= num_rows; ++r) {
    const int64_t cur = indptr.Get(r);
    if (cur < prev) {
      return Status(StatusCode::kInvalidGraph, "indptr: expected a non-decreasing array, got indptr[" +
                                                   Str(r) + "] = " + Str(cur) + " < indptr[" +
                                                   Str(r - 1) + "] = " + Str(prev));
    }
    prev = cur;
  }
  if (prev != nnz) {
    return Status(StatusCode::kInvalidGraph, "indptr: expected the last entry to equal the number of indices (" +
                                                 Str(nnz) + "), got " + Str(prev));
  }
  bool bad = false;
  for (int64_t j = 0; j < nnz; ++j) {
    bad |= static_cast<uint64_t>(static_cast<int64_t>(indices[j])) >= static_cast<uint64_t>(num_cols);
  }
  if (bad) {
    for (int64_t j = 0; j < nnz; ++j) {
      if (indices[j] < 0 || indices[j] >= num_cols) {
        return Status(StatusCode::kInvalidGraph, "indices: expected source ids in [0, " + Str(num_cols) +
                                                     "), got indices[" + Str(j) + "] = " + Str(indices[j]));
      }
    }
  }
  return Status::Ok();
}

}  // namespace gnn
