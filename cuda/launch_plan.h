// Host-side scheduling of the CUDA kernels: plain C++ (no CUDA headers), compiled into the CPU
// build too, so the choices are unit-tested on machines without a GPU (test/cuda-plan.test.ts).
#pragma once

#include <cstdint>
#include <vector>

#include "../native/kernels/csr.h"

namespace gnn {
namespace cuda {

// Rows whose in-degree exceeds the threshold are "hub rows": a warp per row would serialise on
// them, so the kernels split each hub row into fixed chunks of edges reduced by separate warps into
// partial results, combined afterwards in chunk order (deterministic, no atomics).
struct HubPlan {
  std::vector<int32_t> rows;  // ascending row ids with nnz > threshold
  int64_t max_row_nnz = 0;    // the largest in-degree of the graph
  int64_t threshold = 0;      // the threshold used
};

// The default threshold: rows longer than this many edges are split.
int64_t DefaultHubThreshold();

// Scans a host CSR graph (indptr only) once. threshold <= 0 means DefaultHubThreshold().
HubPlan PlanHubRows(const CsrView& host_graph, int64_t threshold);

}  // namespace cuda
}  // namespace gnn
