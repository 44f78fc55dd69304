// Sddmm and EdgeSoftmax on the device (cuda/kernels.h), with the CPU kernels' semantics
// (native/kernels/attention.h): per-edge values in the caller's edge order (csr.edge_ids), head
// broadcasting for add / sub / mul, -inf scores weighing 0, all -inf rows giving zeros, NaN
// spreading over its row and head.
//
// Sddmm is edge-parallel: a group of G lanes per CSR position (G from the feature width), its
// destination row found by a binary search of indptr (whose upper levels stay in L1, and which the
// group's lanes share as broadcast loads), so power-law rows cost nothing special. dot: each lane
// takes every G-th vector of the head's columns with an fma chain, and the group adds the lanes'
// sums by a fixed butterfly. Cost per edge: the source row's and the destination row's D floats
// (the latter mostly from L1/L2), D or H floats written.
//
// EdgeSoftmax is row-parallel: a warp per row, lanes split over (edge slot, head) so that a row's
// heads are read together; max, sum of exp(s - max) and the normalised write are three passes over
// the row's scores (the second and third from L1/L2), their lane partials combined by a fixed
// butterfly. Hub rows (hub_schedule.cuh) are split into chunks: per chunk max and sum of
// exp(s - chunk max), merged per row in chunk order, then a chunked write pass. Cost per score:
// 3 reads and 1 write of 4 bytes (+ 4 bytes of edge id per edge and pass with edge ids), 2 exps.
#include "checks.h"
#include "common.cuh"
#include "device_math.cuh"
#include "hub_schedule.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

int Pow2AtLeast(int64_t v, int cap) {
  int p = 1;
  while (p < v && p < cap) p *= 2;
  return p;
}

// ---- SDDMM -----------------------------------------------------------------------------------------

struct SddmmParams {
  const void* indptr;
  bool indptr64;
  int64_t num_rows;
  const int32_t* indices;
  const int32_t* edge_ids;
  int64_t nnz;
  const float* u;
  int64_t u_width;
  const float* v;
  int64_t v_width;
  int64_t heads;
  int64_t head_width;  // dot: u_width / heads
  float* out;
  int64_t out_width;
  int lanes;
};

template <SddmmOp kOp>
__device__ __forceinline__ float Combine(float a, float b) {
  if constexpr (kOp == SddmmOp::kAdd) return dmath::Add(a, b);
  if constexpr (kOp == SddmmOp::kSub) return dmath::Sub(a, b);
  return dmath::Mul(a, b);
}

template <SddmmOp kOp, int V>
__global__ void __launch_bounds__(kThreads) SddmmKernel(const SddmmParams p) {
  const int G = p.lanes;
  const int lane = static_cast<int>(threadIdx.x) & (G - 1);
  const int64_t groups_per_block = blockDim.x / G;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  const unsigned mask = GroupMask(G);
  for (int64_t j = blockIdx.x * groups_per_block + threadIdx.x / G; j < p.nnz; j += stride) {
    const int64_t dst = sched::RowOfEdge(p.indptr, p.indptr64, p.num_rows, j);
    const int64_t src = p.indices[j];
    const int64_t e = p.edge_ids != nullptr ? static_cast<int64_t>(p.edge_ids[j]) : j;
    const float* ur = p.u + src * p.u_width;
    const float* vr = p.v + dst * p.v_width;
    if constexpr (kOp == SddmmOp::kDot) {
      const int64_t f = p.head_width;
      for (int64_t h = 0; h < p.heads; ++h) {
        float acc = 0.0f;
        for (int64_t c = static_cast<int64_t>(lane) * V; c < f; c += static_cast<int64_t>(G) * V) {
          float a[V], b[V];
          LoadFloats<V>(ur + h * f + c, a);
          LoadFloats<V>(vr + h * f + c, b);
#pragma unroll
          for (int k = 0; k < V; ++k) acc = dmath::Fma(a[k], b[k], acc);
        }
        acc = GroupSum(acc, mask, G);
        if (lane == 0) p.out[e * p.heads + h] = acc;
      }
    } else {
      // Head broadcasting: a narrower operand's column h serves the wider one's head h.
      const int64_t d = p.out_width;
      const int64_t ru = d / p.u_width;
      const int64_t rv = d / p.v_width;
      float* o = p.out + e * d;
      for (int64_t c = lane; c < d; c += G) {
        const float a = __ldg(ur + (ru == 1 ? c : c / ru));
        const float b = __ldg(vr + (rv == 1 ? c : c / rv));
        o[c] = Combine<kOp>(a, b);
      }
    }
  }
}

template <SddmmOp kOp>
void LaunchSddmm(const SddmmParams& p, int vector, cudaStream_t stream) {
  const unsigned blocks = GridFor(p.nnz, kThreads / p.lanes);
  if (vector == 4) {
    SddmmKernel<kOp, 4><<<blocks, kThreads, 0, stream>>>(p);
  } else {
    SddmmKernel<kOp, 1><<<blocks, kThreads, 0, stream>>>(p);
  }
}

// ---- edge softmax ----------------------------------------------------------------------------------

struct SoftmaxParams {
  const void* indptr;
  bool indptr64;
  int64_t num_rows;
  const int32_t* edge_ids;
  const float* scores;
  float* out;
  int64_t heads;
  int hp;  // lanes per edge slot: heads rounded up to a power of two, at most 32
  const int32_t* hub_rows;
  int64_t num_hub_rows;
};

__device__ __forceinline__ int64_t EdgeAt(const SoftmaxParams& p, int64_t j) {
  return p.edge_ids != nullptr ? static_cast<int64_t>(p.edge_ids[j]) : j;
}

// Max and sum over the lanes of one head (lanes hl, hl + hp, ...): a butterfly over the slots.
__device__ __forceinline__ float SlotsMaxNan(float v, int hp) {
  for (int o = 16; o >= hp; o /= 2) v = dmath::MaxNan(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}
__device__ __forceinline__ float SlotsSum(float v, int hp) {
  for (int o = 16; o >= hp; o /= 2) v = dmath::Add(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}

// The max and the sum of exp(s - max) of head h over CSR positions [b, e), every lane holding the
// result for its head (lanes of inactive heads hold -inf and 0).
__device__ __forceinline__ dmath::SoftmaxState RangeStats(const SoftmaxParams& p, int64_t b, int64_t e, int64_t h,
                                                          bool active, int slot, int slots) {
  float m = -dmath::kInf;
  if (active) {
    for (int64_t j = b + slot; j < e; j += slots) m = dmath::MaxNan(m, p.scores[EdgeAt(p, j) * p.heads + h]);
  }
  m = SlotsMaxNan(m, p.hp);
  float sum = 0.0f;
  if (active) {
    for (int64_t j = b + slot; j < e; j += slots) {
      const float s = p.scores[EdgeAt(p, j) * p.heads + h];
      sum = dmath::Add(sum, s == -dmath::kInf ? 0.0f : dmath::Exp(dmath::Sub(s, m)));
    }
  }
  dmath::SoftmaxState st;
  st.max = m;
  st.sum = SlotsSum(sum, p.hp);
  return st;
}

__device__ __forceinline__ void WriteRange(const SoftmaxParams& p, int64_t b, int64_t e, int64_t h, int slot,
                                           int slots, const dmath::SoftmaxState& st) {
  for (int64_t j = b + slot; j < e; j += slots) {
    const int64_t at = EdgeAt(p, j) * p.heads + h;
    p.out[at] = dmath::SoftmaxWeight(st, p.scores[at]);  // read before the write: in place is fine
  }
}

// A warp per row (hub rows left to the chunk kernels).
__global__ void __launch_bounds__(kThreads) EdgeSoftmaxRowsKernel(const SoftmaxParams p) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int slots = 32 / p.hp;
  const int slot = lane / p.hp;
  const int hl = lane % p.hp;
  const int64_t warps_per_block = blockDim.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * warps_per_block;
  for (int64_t row = blockIdx.x * warps_per_block + threadIdx.x / 32; row < p.num_rows; row += stride) {
    const int64_t b = sched::RowBegin(p.indptr, p.indptr64, row);
    const int64_t e = sched::RowBegin(p.indptr, p.indptr64, row + 1);
    if (b == e || sched::IsHubRow(p.hub_rows, p.num_hub_rows, row, e - b)) continue;
    for (int64_t h0 = 0; h0 < p.heads; h0 += p.hp) {
      const int64_t h = h0 + hl;
      const bool active = h < p.heads;
      const dmath::SoftmaxState st = RangeStats(p, b, e, h, active, slot, slots);
      if (active) WriteRange(p, b, e, h, slot, slots, st);
    }
  }
}

// Hub rows, pass 1: per chunk and head, the chunk's max and sum of exp(s - chunk max).
__global__ void __launch_bounds__(kThreads)
    EdgeSoftmaxHubPartialsKernel(const SoftmaxParams p, const int64_t* offsets, int64_t bound, float* part_max,
                                 float* part_sum) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int slots = 32 / p.hp;
  const int slot = lane / p.hp;
  const int hl = lane % p.hp;
  const int64_t warps_per_block = blockDim.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * warps_per_block;
  for (int64_t t = blockIdx.x * warps_per_block + threadIdx.x / 32; t < bound; t += stride) {
    int64_t hub, chunk, b, e;
    if (!sched::FindHubChunk(offsets, p.num_hub_rows, t, &hub, &chunk)) break;
    const int64_t row = p.hub_rows[hub];
    sched::HubChunkRange(sched::RowBegin(p.indptr, p.indptr64, row), sched::RowBegin(p.indptr, p.indptr64, row + 1),
                         chunk, &b, &e);
    for (int64_t h0 = 0; h0 < p.heads; h0 += p.hp) {
      const int64_t h = h0 + hl;
      const bool active = h < p.heads;
      const dmath::SoftmaxState st = RangeStats(p, b, e, h, active, slot, slots);
      if (active && slot == 0) {
        part_max[t * p.heads + h] = st.max;
        part_sum[t * p.heads + h] = st.sum;
      }
    }
  }
}

// Hub rows, pass 2: per (hub row, head), the chunks' states merged in chunk order.
__global__ void __launch_bounds__(kThreads)
    EdgeSoftmaxHubMergeKernel(const SoftmaxParams p, const int64_t* offsets, const float* part_max,
                              const float* part_sum, float* row_max, float* row_sum) {
  const int64_t total = p.num_hub_rows * p.heads;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const int64_t i = idx / p.heads;
    const int64_t h = idx - i * p.heads;
    dmath::SoftmaxState st;
    for (int64_t k = offsets[i]; k < offsets[i + 1]; ++k) {
      dmath::OnlineSoftmaxMerge(st, part_max[k * p.heads + h], part_sum[k * p.heads + h]);
    }
    row_max[idx] = st.max;
    row_sum[idx] = st.sum;
  }
}

// Hub rows, pass 3: each chunk's scores normalised with its row's state.
__global__ void __launch_bounds__(kThreads)
    EdgeSoftmaxHubWriteKernel(const SoftmaxParams p, const int64_t* offsets, int64_t bound, const float* row_max,
                              const float* row_sum) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int slots = 32 / p.hp;
  const int slot = lane / p.hp;
  const int hl = lane % p.hp;
  const int64_t warps_per_block = blockDim.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * warps_per_block;
  for (int64_t t = blockIdx.x * warps_per_block + threadIdx.x / 32; t < bound; t += stride) {
    int64_t hub, chunk, b, e;
    if (!sched::FindHubChunk(offsets, p.num_hub_rows, t, &hub, &chunk)) break;
    const int64_t row = p.hub_rows[hub];
    sched::HubChunkRange(sched::RowBegin(p.indptr, p.indptr64, row), sched::RowBegin(p.indptr, p.indptr64, row + 1),
                         chunk, &b, &e);
    for (int64_t h0 = 0; h0 < p.heads; h0 += p.hp) {
      const int64_t h = h0 + hl;
      if (h >= p.heads) continue;
      dmath::SoftmaxState st;
      st.max = row_max[hub * p.heads + h];
      st.sum = row_sum[hub * p.heads + h];
      WriteRange(p, b, e, h, slot, slots, st);
    }
  }
}

}  // namespace

Status Sddmm(const DeviceGraph& graph, const SddmmArgs& in, const Workspace& /*ws*/, Stream stream) {
  const CsrView& g = graph.csr;
  const SddmmArgs& a = in;
  GNN_RETURN_IF_ERROR(CheckGraphArrays(g));
  if (a.u_width < 1 || a.v_width < 1 || a.heads < 1) {
    return Status(StatusCode::kShapeMismatch, "sddmm: expected non-empty features and at least one head");
  }
  if (a.op == SddmmOp::kDot) {
    if (a.u_width != a.v_width || a.u_width % a.heads != 0 || a.out_width != a.heads) {
      return Status(StatusCode::kShapeMismatch, "sddmm dot: expected u and v of equal width divisible by heads (" +
                                                    Str(a.heads) + "), got " + Str(a.u_width) + " and " + Str(a.v_width));
    }
  } else if (a.op == SddmmOp::kAdd || a.op == SddmmOp::kSub || a.op == SddmmOp::kMul) {
    const int64_t d = a.u_width > a.v_width ? a.u_width : a.v_width;
    if (a.out_width != d || d % a.u_width != 0 || d % a.v_width != 0) {
      return Status(StatusCode::kShapeMismatch, "sddmm: expected u and v widths where the wider is a multiple of the "
                                                "narrower, got " + Str(a.u_width) + " and " + Str(a.v_width));
    }
  } else {
    return Status(StatusCode::kInvalidArgValue, "sddmm: unknown op");
  }
  if (g.nnz == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(a.u, g.num_cols > 0, "sddmm", "u"));
  GNN_RETURN_IF_ERROR(Present(a.v, g.num_rows > 0, "sddmm", "v"));
  GNN_RETURN_IF_ERROR(Present(a.out, true, "sddmm", "out"));

  SddmmParams p;
  p.indptr = g.indptr;
  p.indptr64 = g.indptr64;
  p.num_rows = g.num_rows;
  p.indices = g.indices;
  p.edge_ids = g.edge_ids;
  p.nnz = g.nnz;
  p.u = a.u;
  p.u_width = a.u_width;
  p.v = a.v;
  p.v_width = a.v_width;
  p.heads = a.heads;
  p.head_width = a.u_width / a.heads;
  p.out = a.out;
  p.out_width = a.out_width;
  const cudaStream_t s = AsStream(stream);
  switch (a.op) {
    case SddmmOp::kDot: {
      // float4 when the head width and both row strides allow it.
      const int vector = p.head_width % 4 == 0 && Aligned(a.u, a.u_width, 4, 16) && Aligned(a.v, a.v_width, 4, 16) ? 4 : 1;
      p.lanes = Pow2AtLeast(CeilDiv(p.head_width, vector), 32);
      LaunchSddmm<SddmmOp::kDot>(p, vector, s);
      break;
    }
    case SddmmOp::kAdd:
      p.lanes = Pow2AtLeast(p.out_width, 32);
      LaunchSddmm<SddmmOp::kAdd>(p, 1, s);
      break;
    case SddmmOp::kSub:
      p.lanes = Pow2AtLeast(p.out_width, 32);
      LaunchSddmm<SddmmOp::kSub>(p, 1, s);
      break;
    case SddmmOp::kMul:
      p.lanes = Pow2AtLeast(p.out_width, 32);
      LaunchSddmm<SddmmOp::kMul>(p, 1, s);
      break;
  }
  return LaunchStatus("sddmm");
}

Status EdgeSoftmax(const DeviceGraph& graph, const EdgeSoftmaxArgs& a, const Workspace& ws, Stream stream) {
  const CsrView& g = graph.csr;
  GNN_RETURN_IF_ERROR(CheckGraphArrays(g));
  if (a.heads < 1) return Status(StatusCode::kShapeMismatch, "edgeSoftmax: expected at least one head");
  if (g.nnz == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(a.scores, true, "edgeSoftmax", "scores"));
  GNN_RETURN_IF_ERROR(Present(a.out, true, "edgeSoftmax", "out"));
  const cudaStream_t s = AsStream(stream);

  HubSchedule hubs;
  GNN_RETURN_IF_ERROR(PrepareHubSchedule(graph, ws, s, "edgeSoftmax", &hubs));
  SoftmaxParams p;
  p.indptr = g.indptr;
  p.indptr64 = g.indptr64;
  p.num_rows = g.num_rows;
  p.edge_ids = g.edge_ids;
  p.scores = a.scores;
  p.out = a.out;
  p.heads = a.heads;
  p.hp = Pow2AtLeast(a.heads, 32);
  p.hub_rows = hubs.rows;
  p.num_hub_rows = hubs.num_rows;
  const int64_t warps = kThreads / 32;
  EdgeSoftmaxRowsKernel<<<GridFor(g.num_rows, warps), kThreads, 0, s>>>(p);
  GNN_RETURN_IF_ERROR(LaunchStatus("edgeSoftmax"));
  if (hubs.num_rows == 0 || hubs.bound == 0) return Status::Ok();

  float* part = nullptr;
  float* rows = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, 2 * hubs.bound * a.heads, &part, "edgeSoftmax", "hub-row partial results"));
  GNN_RETURN_IF_ERROR(Allocate(ws, 2 * hubs.num_rows * a.heads, &rows, "edgeSoftmax", "hub-row statistics"));
  float* part_max = part;
  float* part_sum = part + hubs.bound * a.heads;
  float* row_max = rows;
  float* row_sum = rows + hubs.num_rows * a.heads;
  EdgeSoftmaxHubPartialsKernel<<<GridFor(hubs.bound, warps), kThreads, 0, s>>>(p, hubs.offsets, hubs.bound, part_max,
                                                                               part_sum);
  GNN_RETURN_IF_ERROR(LaunchStatus("edgeSoftmax"));
  EdgeSoftmaxHubMergeKernel<<<GridFor(hubs.num_rows * a.heads, kThreads), kThreads, 0, s>>>(p, hubs.offsets, part_max,
                                                                                             part_sum, row_max, row_sum);
  GNN_RETURN_IF_ERROR(LaunchStatus("edgeSoftmax"));
  EdgeSoftmaxHubWriteKernel<<<GridFor(hubs.bound, warps), kThreads, 0, s>>>(p, hubs.offsets, hubs.bound, row_max,
                                                                            row_sum);
  return LaunchStatus("edgeSoftmax");
}

}  // namespace cuda
}  // namespace gnn
