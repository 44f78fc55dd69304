// The hub rows' chunk offsets on the device (hub_schedule.cuh).
#include "hub_schedule.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kScanThreads = 1024;

// offsets[0] = 0, offsets[i + 1] = Σ_{k <= i} ceil(nnz(hub_rows[k]) / kHubChunkEdges): one block
// scans the hub rows kScanThreads at a time (warp scans, then a scan of the warp totals), carrying
// the running total between rounds.
__global__ void __launch_bounds__(kScanThreads)
    HubOffsetsKernel(const void* indptr, bool wide, const int32_t* hub_rows, int64_t num_hub, int64_t* offsets) {
  __shared__ int64_t warp_total[kScanThreads / 32];
  __shared__ int64_t carry;
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  if (tid == 0) {
    carry = 0;
    offsets[0] = 0;
  }
  __syncthreads();
  for (int64_t base = 0; base < num_hub; base += kScanThreads) {
    const int64_t i = base + tid;
    int64_t v = 0;
    if (i < num_hub) {
      const int64_t r = hub_rows[i];
      v = sched::HubChunksOfRow(sched::RowBegin(indptr, wide, r + 1) - sched::RowBegin(indptr, wide, r));
    }
    for (int o = 1; o < 32; o *= 2) {  // inclusive scan within the warp
      const int64_t up = __shfl_up_sync(kFullMask, v, o);
      if (lane >= o) v += up;
    }
    if (lane == 31) warp_total[warp] = v;
    __syncthreads();
    if (warp == 0) {
      int64_t w = warp_total[lane];
      for (int o = 1; o < 32; o *= 2) {
        const int64_t up = __shfl_up_sync(kFullMask, w, o);
        if (lane >= o) w += up;
      }
      warp_total[lane] = w;  // inclusive totals of warps 0..lane
    }
    __syncthreads();
    const int64_t inclusive = carry + v + (warp > 0 ? warp_total[warp - 1] : 0);
    if (i < num_hub) offsets[i + 1] = inclusive;
    __syncthreads();  // everyone has read carry and warp_total
    if (tid == kScanThreads - 1) carry = inclusive;
    __syncthreads();
  }
}

}  // namespace

Status PrepareHubSchedule(const DeviceGraph& g, const Workspace& ws, cudaStream_t stream, const char* op,
                          HubSchedule* out) {
  *out = HubSchedule();
  if (g.num_hub_rows <= 0 || g.hub_rows == nullptr) return Status::Ok();
  int64_t* offsets = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, g.num_hub_rows + 1, &offsets, op, "hub-row chunk offsets"));
  HubOffsetsKernel<<<1, kScanThreads, 0, stream>>>(g.csr.indptr, g.csr.indptr64, g.hub_rows, g.num_hub_rows, offsets);
  GNN_RETURN_IF_ERROR(LaunchStatus(op));
  out->rows = g.hub_rows;
  out->num_rows = g.num_hub_rows;
  out->offsets = offsets;
  out->bound = HubChunkBound(g.num_hub_rows, g.max_row_nnz, g.csr.nnz);
  return Status::Ok();
}

}  // namespace cuda
}  // namespace gnn
