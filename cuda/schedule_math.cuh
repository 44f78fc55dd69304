// Index arithmetic the CUDA kernels share with host code (as device_math.cuh: __host__ __device__
// under nvcc, plain inline functions otherwise), so the plan binding runs exactly the lookups the
// kernels run and test/cuda-plan.test.ts checks them on the CPU: the row of a CSR position, the
// hub-row test, the (hub row, chunk) of a chunk task, and the (row, tile) of a row task.
#pragma once

#include <cstdint>

#include "host_device.cuh"
#include "launch_plan.h"

namespace gnn {
namespace cuda {
namespace sched {

// indptr[r] of an int32 or int64 indptr.
GNN_HD int64_t RowBegin(const void* indptr, bool wide, int64_t r) {
  return wide ? static_cast<const int64_t*>(indptr)[r] : static_cast<int64_t>(static_cast<const int32_t*>(indptr)[r]);
}

// The row holding CSR position j (0 <= j < nnz): the largest r < num_rows with indptr[r] <= j,
// which skips empty rows because their successor starts at the same position.
GNN_HD int64_t RowOfEdge(const void* indptr, bool wide, int64_t num_rows, int64_t j) {
  int64_t lo = 0;
  int64_t hi = num_rows - 1;
  while (lo < hi) {  // invariant: indptr[lo] <= j, answer in [lo, hi]
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (RowBegin(indptr, wide, mid) <= j) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// Whether `row` is in the ascending hub list. Only rows longer than kMinHubThreshold can be hubs
// (PlanHubRows never uses a smaller threshold), so shorter rows skip the search.
GNN_HD bool IsHubRow(const int32_t* hub_rows, int64_t num_hub_rows, int64_t row, int64_t row_nnz) {
  if (num_hub_rows <= 0 || row_nnz <= kMinHubThreshold) return false;
  int64_t lo = 0;
  int64_t hi = num_hub_rows;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (hub_rows[mid] < row) lo = mid + 1; else hi = mid;
  }
  return lo < num_hub_rows && hub_rows[lo] == row;
}

GNN_HD int64_t HubChunksOfRow(int64_t row_nnz) { return (row_nnz + kHubChunkEdges - 1) / kHubChunkEdges; }

// Chunk task t -> (hub index, chunk within the row) through the chunk offsets (offsets[0] = 0,
// offsets[num_hub_rows] = total). False for t >= total (tasks beyond the exact count, which the
// grid covers because the host only knows an upper bound).
GNN_HD bool FindHubChunk(const int64_t* offsets, int64_t num_hub_rows, int64_t t, int64_t* hub, int64_t* chunk) {
  if (t < 0 || t >= offsets[num_hub_rows]) return false;
  int64_t lo = 0;
  int64_t hi = num_hub_rows - 1;
  while (lo < hi) {  // the largest i with offsets[i] <= t
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (offsets[mid] <= t) lo = mid; else hi = mid - 1;
  }
  *hub = lo;
  *chunk = t - offsets[lo];
  return true;
}

// The CSR range of chunk `chunk` of a row [begin, end).
GNN_HD void HubChunkRange(int64_t begin, int64_t end, int64_t chunk, int64_t* chunk_begin, int64_t* chunk_end) {
  *chunk_begin = begin + chunk * kHubChunkEdges;
  const int64_t e = *chunk_begin + kHubChunkEdges;
  *chunk_end = e < end ? e : end;
}

// Row task t of a SpmmLaunch -> (tile, row): tile-major, so at any moment the groups gather from
// the same column slice of the features.
struct RowTask {
  int64_t row;
  int64_t tile;
};
GNN_HD RowTask RowTaskOf(int64_t t, int64_t num_rows) { return RowTask{t % num_rows, t / num_rows}; }

}  // namespace sched
}  // namespace cuda
}  // namespace gnn
