// The hub-row schedule shared by the row-parallel kernels (spmm, the int8-feature spmm,
// gatAggregate, edge softmax): rows longer than the upload's threshold (DeviceGraph::hub_rows, made
// by PlanHubRows) are split into chunks of kHubChunkEdges edges, each reduced by one group into
// scratch, and the partials are combined per row in chunk order by a separate pass, so the result
// is deterministic and the longest task is one chunk, not one row.
//
// The chunk offsets (a prefix sum of each hub row's chunk count) are computed on the device by one
// small kernel; the host sizes the chunk grid and the scratch by HubChunkBound, so nothing is read
// back and nothing synchronizes.
#pragma once

#include <cstdint>

#include "common.cuh"

namespace gnn {
namespace cuda {

struct HubSchedule {
  const int32_t* rows = nullptr;    // device, ascending
  int64_t num_rows = 0;             // 0: the graph has no hub rows (nothing else is set)
  const int64_t* offsets = nullptr; // device [num_rows + 1]: chunk offsets
  int64_t bound = 0;                // chunk tasks to launch (>= the exact total offsets[num_rows])
};

// Allocates and computes the chunk offsets of g's hub rows on `stream` (one block). With no hub
// rows, leaves `out` empty and launches nothing.
Status PrepareHubSchedule(const DeviceGraph& g, const Workspace& ws, cudaStream_t stream, const char* op,
                          HubSchedule* out);

}  // namespace cuda
}  // namespace gnn
