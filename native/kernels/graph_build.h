// Building and validating destination-major CSR graphs. O(E) each; called once per graph.
#pragma once

#include <cstdint>

#include "csr.h"
#include "status.h"

namespace gnn {

// Checks that every src[e], dst[e] lies in [0, num_nodes); the message names the first bad entry
// as PyG's edge_index row and column.
Status CheckEdgeIndex(const int32_t* src, const int32_t* dst, int64_t num_edges, int64_t num_nodes);

// Largest node id in src and dst, or -1 when there are no edges.
int64_t MaxNodeId(const int32_t* src, const int32_t* dst, int64_t num_edges);

// True when dst is non-decreasing: the caller's order is already CSR order (edge ids identity).
bool IsSortedByDestination(const int32_t* dst, int64_t num_edges);

// Stable counting sort of the edges by destination. out.indptr has num_nodes + 1 entries,
// out.indices / out.edge_ids / out.weights num_edges (edge_ids and weights may be null).
// weights (caller order) may be null. Inputs must have passed CheckEdgeIndex.
void CooToCsr(const int32_t* src, const int32_t* dst, const float* weights, int64_t num_edges,
              int64_t num_nodes, const CsrGraphOut& out);

// Checks a caller-supplied CSR: indptr[0] == 0, non-decreasing, indptr[num_rows] == nnz, every
// index in [0, num_cols).
Status ValidateCsr(const IndptrView& indptr, const int32_t* indices, int64_t num_rows,
                   int64_t num_cols, int64_t nnz);

}  // namespace gnn
