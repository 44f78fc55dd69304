// The benchmark baseline: cuSPARSE's SpMM over a device graph (CSR), built only where the toolkit
// has cuSPARSE (GNN_HAVE_CUSPARSE). Plain C++ declarations.
#pragma once

#include <cstdint>

#include "../native/kernels/status.h"
#include "kernels.h"

namespace gnn {
namespace cuda {

#ifdef GNN_HAVE_CUSPARSE
// out = A · x (sum reducer) with A the graph's CSR matrix [num_rows, num_cols], valued by the
// graph's own weights (use_graph_weights) or ones; x [num_cols, width] and out [num_rows, width]
// row-major. CUSPARSE_SPMM_CSR_ALG2 where cuSPARSE accepts it for the problem, else its default.
// Runs 3 warm-up calls, then `repeats` timed ones on the calling thread's stream; *ms is the
// median. An int64 indptr is refused (kInvalidArgValue): the baseline takes int32 CSR only.
Status CusparseSpmmMs(const DeviceGraph& graph, const float* x, int64_t width, bool use_graph_weights, float* out,
                      int repeats, double* ms);
#endif

}  // namespace cuda
}  // namespace gnn
