// GatAggregate on the device (cuda/kernels.h): the fused GAT aggregation of
// native/kernels/attention.h. Per destination row and head, leaky-relu scores
// s = leaky(a_src[u] + a_dst[v] (+ edge_term[e])), an online softmax (running max and sum, the
// accumulated features rescaled when the max moves) and the weighted sum of source features, in
// one pass over the row's edges: no E x H array is ever made.
//
// Schedule: the spmm schedule's shape (ChooseSpmmLaunch with the head width as the vector's
// limit): a group of G lanes per (row, feature tile), lane slots of V columns, neighbour indices
// (and edge ids) staged G at a time and broadcast by shuffles, U edges' feature vectors and
// attention terms loaded before they are folded in. Each slot keeps the softmax state of its own
// head (lanes of one head compute it redundantly, which costs exps, not memory). The optional
// attention output is written after the row: the lanes holding a head's first column publish the
// head's final (max, sum) in shared memory and the group's lanes then split the (edge, head) pairs.
// Hub rows are split into chunks whose (acc, max, sum) go to scratch and are merged in chunk order.
//
// Cost per edge and tile of T columns: 4 T bytes of features and 4 bytes of a_src per head in the
// tile gathered, 4 bytes of index (and 4 of edge id with edge terms or attention output), 4 H bytes
// of edge terms; 1 exp per slot (2 when the max moves); 4 T bytes written per row, and 4 H bytes
// of attention per edge when asked. Matches the CPU arithmetic step for step (fma(w, x, acc·scale),
// fma(sum, scale, w), acc / sum); hub rows differ only in the order their chunks are merged.
#include <string>

#include "checks.h"
#include "common.cuh"
#include "device_math.cuh"
#include "hub_schedule.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

struct GatParams {
  const void* indptr;
  bool indptr64;
  int64_t num_rows;
  const int32_t* indices;
  const int32_t* edge_ids;
  const float* x;
  int64_t heads;
  int64_t f;   // head width
  int64_t ld;  // heads * f: the row stride of x and out
  const float* a_src;
  const float* a_dst;
  const float* edge_term;
  float slope;
  float* out;
  float* attention;
  const int32_t* hub_rows;
  int64_t num_hub_rows;
  int lanes;
  int64_t vectors;
  int64_t tile_vectors;
  int64_t tile_columns;
};

struct GatTasks {
  int64_t count = 0;
  bool chunks = false;
  const int64_t* offsets = nullptr;
  int64_t tile = 0;
  float* scratch = nullptr;  // per chunk task: acc, max, sum, tile_columns each
};

__device__ __forceinline__ int64_t EdgeAt(const GatParams& p, int64_t j) {
  return p.edge_ids != nullptr ? static_cast<int64_t>(p.edge_ids[j]) : j;
}

// Score of (CSR position j, head h) of row `row`, recomputed for the attention output.
__device__ __forceinline__ float ScoreAt(const GatParams& p, int64_t row, int64_t j, int64_t e, int64_t h) {
  const int64_t u = p.indices[j];
  float s = dmath::Add(__ldg(p.a_src + u * p.heads + h), __ldg(p.a_dst + row * p.heads + h));
  if (p.edge_term != nullptr) s = dmath::Add(s, __ldg(p.edge_term + e * p.heads + h));
  return dmath::LeakyRelu(s, p.slope);
}

// Edges loaded before they are folded in: about 8 floats of features per lane (each edge also
// brings a source term and an edge term per slot), at most 4.
template <int V, int R>
struct EdgesInFlight {
  static constexpr int kRaw = 8 / (V * R);
  static constexpr int value = kRaw < 1 ? 1 : kRaw > 4 ? 4 : kRaw;
};

// Slots per lane: the softmax state per slot costs registers, so at most 4 (no spills).
constexpr int kGatMaxSlots = 4;

template <int V, int R, bool kEdgeTerm>
__global__ void __launch_bounds__(kThreads, 2) GatKernel(const GatParams p, const GatTasks tasks) {
  extern __shared__ float2 head_state[];  // per group: (max, sum) of the heads starting in the tile
  constexpr int U = EdgesInFlight<V, R>::value;
  const int G = p.lanes;
  const int lane = static_cast<int>(threadIdx.x) & (G - 1);
  const int64_t groups_per_block = blockDim.x / G;
  const int64_t group_in_block = threadIdx.x / G;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  const unsigned mask = GroupMask(G);
  for (int64_t t = blockIdx.x * groups_per_block + group_in_block; t < tasks.count; t += stride) {
    int64_t row, tile, b, e;
    if (!tasks.chunks) {
      const sched::RowTask rt = sched::RowTaskOf(t, p.num_rows);
      row = rt.row;
      tile = rt.tile;
      b = sched::RowBegin(p.indptr, p.indptr64, row);
      e = sched::RowBegin(p.indptr, p.indptr64, row + 1);
      if (sched::IsHubRow(p.hub_rows, p.num_hub_rows, row, e - b)) continue;
    } else {
      int64_t hub, chunk;
      if (!sched::FindHubChunk(tasks.offsets, p.num_hub_rows, t, &hub, &chunk)) break;
      row = p.hub_rows[hub];
      tile = tasks.tile;
      sched::HubChunkRange(sched::RowBegin(p.indptr, p.indptr64, row), sched::RowBegin(p.indptr, p.indptr64, row + 1),
                           chunk, &b, &e);
    }
    // This lane's slots: vector s G + lane of the tile, its head and the head's destination term.
    const int64_t first = tile * p.tile_vectors;
    const int64_t rest = p.vectors - first;
    const int64_t count = rest < p.tile_vectors ? rest : p.tile_vectors;
    int64_t col[R], head[R];
    bool valid[R];
    float dst_term[R];
    dmath::SoftmaxState st[R];
    float acc[R][V];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int64_t vi = static_cast<int64_t>(r) * G + lane;
      valid[r] = vi < count;
      col[r] = (first + vi) * V;
      head[r] = valid[r] ? col[r] / p.f : 0;
      dst_term[r] = valid[r] && b < e ? __ldg(p.a_dst + row * p.heads + head[r]) : 0.0f;
#pragma unroll
      for (int v = 0; v < V; ++v) acc[r][v] = 0.0f;
    }

    for (int64_t base = b; base < e; base += G) {
      const int n = static_cast<int>(e - base < G ? e - base : G);
      int32_t u = 0;
      int64_t eid = 0;
      if (lane < n) {
        u = __ldg(p.indices + base + lane);
        if constexpr (kEdgeTerm) eid = EdgeAt(p, base + lane);
      }
      for (int k0 = 0; k0 < n; k0 += U) {
        float xv[U][R][V];
        float src_term[U][R];
        float edge_term[U][R];
#pragma unroll
        for (int i = 0; i < U; ++i) {
          if (k0 + i < n) {  // the same for the whole group
            const int64_t uk = __shfl_sync(mask, u, k0 + i, G);
            int64_t ek = 0;
            if constexpr (kEdgeTerm) ek = __shfl_sync(mask, eid, k0 + i, G);
#pragma unroll
            for (int r = 0; r < R; ++r) {
              if (valid[r]) {
                LoadFloats<V>(p.x + uk * p.ld + col[r], xv[i][r]);
                src_term[i][r] = __ldg(p.a_src + uk * p.heads + head[r]);
                edge_term[i][r] = kEdgeTerm ? __ldg(p.edge_term + ek * p.heads + head[r]) : 0.0f;
              }
            }
          }
        }
#pragma unroll
        for (int i = 0; i < U; ++i) {
          if (k0 + i < n) {
#pragma unroll
            for (int r = 0; r < R; ++r) {
              if (valid[r]) {
                float s = dmath::Add(src_term[i][r], dst_term[r]);
                if constexpr (kEdgeTerm) s = dmath::Add(s, edge_term[i][r]);
                s = dmath::LeakyRelu(s, p.slope);
                const dmath::SoftmaxStep step = dmath::OnlineSoftmaxStep(st[r], s);
#pragma unroll
                for (int v = 0; v < V; ++v) acc[r][v] = dmath::Fma(step.w, xv[i][r][v], dmath::Mul(acc[r][v], step.scale));
              }
            }
          }
        }
      }
    }

    if (tasks.chunks) {
      float* part = tasks.scratch + t * 3 * p.tile_columns;
      const int64_t col0 = tile * p.tile_columns;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (valid[r]) {
          const int64_t c = col[r] - col0;
          float m[V], sm[V];
#pragma unroll
          for (int v = 0; v < V; ++v) {
            m[v] = st[r].max;
            sm[v] = st[r].sum;
          }
          StoreFloats<V>(part + c, acc[r]);
          StoreFloats<V>(part + p.tile_columns + c, m);
          StoreFloats<V>(part + 2 * p.tile_columns + c, sm);
        }
      }
      continue;
    }

#pragma unroll
    for (int r = 0; r < R; ++r) {
      if (valid[r]) {
#pragma unroll
        for (int v = 0; v < V; ++v) acc[r][v] = st[r].sum == 0.0f ? 0.0f : dmath::Div(acc[r][v], st[r].sum);
        StoreFloats<V>(p.out + row * p.ld + col[r], acc[r]);
      }
    }
    if (p.attention == nullptr) continue;
    // Heads whose first column lies in this tile: [h_first, h_last]; their (max, sum) to shared
    // memory, then the group splits the row's (edge, head) pairs.
    const int64_t col0 = first * V;
    const int64_t h_first = (col0 + p.f - 1) / p.f;
    const int64_t h_last = (col0 + count * V - 1) / p.f;
    const int64_t nh = h_last - h_first + 1;
    if (nh <= 0 || b == e) continue;
    float2* state = head_state + group_in_block * (static_cast<int64_t>(G) * R);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      if (valid[r] && col[r] % p.f == 0) state[head[r] - h_first] = make_float2(st[r].max, st[r].sum);
    }
    __syncwarp(mask);
    const int64_t pairs = (e - b) * nh;
    for (int64_t q = lane; q < pairs; q += G) {
      const int64_t k = q / nh;
      const int64_t hl = q - k * nh;
      const int64_t j = b + k;
      const int64_t eid = EdgeAt(p, j);
      const float2 hs = state[hl];
      dmath::SoftmaxState final_state;
      final_state.max = hs.x;
      final_state.sum = hs.y;
      p.attention[eid * p.heads + h_first + hl] = dmath::SoftmaxWeight(final_state, ScoreAt(p, row, j, eid, h_first + hl));
    }
    __syncwarp(mask);  // the next task reuses the shared state
  }
}

// Hub rows, per tile: out = the chunks' (acc, max, sum) merged in chunk order; the column that
// starts a head also records the head's final (max, sum) for the attention pass.
__global__ void __launch_bounds__(kThreads)
    GatHubMergeKernel(const GatParams p, const int64_t* offsets, const float* scratch, int64_t tile, int64_t columns,
                      float2* hub_state) {
  const int64_t total = p.num_hub_rows * columns;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t col0 = tile * p.tile_columns;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const int64_t i = idx / columns;
    const int64_t c = idx - i * columns;
    dmath::SoftmaxState st;
    float acc = 0.0f;
    for (int64_t k = offsets[i]; k < offsets[i + 1]; ++k) {
      const float* part = scratch + k * 3 * p.tile_columns;
      const dmath::SoftmaxMerge m = dmath::OnlineSoftmaxMerge(st, part[p.tile_columns + c], part[2 * p.tile_columns + c]);
      acc = dmath::Fma(acc, m.scale_old, dmath::Mul(part[c], m.scale_chunk));
    }
    const int64_t row = p.hub_rows[i];
    p.out[row * p.ld + col0 + c] = st.sum == 0.0f ? 0.0f : dmath::Div(acc, st.sum);
    if (hub_state != nullptr && (col0 + c) % p.f == 0) hub_state[i * p.heads + (col0 + c) / p.f] = make_float2(st.max, st.sum);
  }
}

// Hub rows: attention of every (edge, head), one thread each, from the merged states.
__global__ void __launch_bounds__(kThreads)
    GatHubAttentionKernel(const GatParams p, const int64_t* offsets, int64_t bound, const float2* hub_state) {
  const int64_t total = bound * kHubChunkEdges * p.heads;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const int64_t h = idx % p.heads;
    const int64_t rest = idx / p.heads;
    const int64_t k = rest % kHubChunkEdges;
    const int64_t t = rest / kHubChunkEdges;
    int64_t hub, chunk, b, e;
    if (!sched::FindHubChunk(offsets, p.num_hub_rows, t, &hub, &chunk)) break;  // t only grows
    const int64_t row = p.hub_rows[hub];
    sched::HubChunkRange(sched::RowBegin(p.indptr, p.indptr64, row), sched::RowBegin(p.indptr, p.indptr64, row + 1), chunk,
                         &b, &e);
    const int64_t j = b + k;
    if (j >= e) continue;
    const int64_t eid = EdgeAt(p, j);
    const float2 hs = hub_state[hub * p.heads + h];
    dmath::SoftmaxState st;
    st.max = hs.x;
    st.sum = hs.y;
    p.attention[eid * p.heads + h] = dmath::SoftmaxWeight(st, ScoreAt(p, row, j, eid, h));
  }
}

template <int V, int R>
void LaunchGat(const GatParams& p, const GatTasks& t, unsigned blocks, size_t smem, cudaStream_t stream) {
  if (p.edge_term != nullptr) {
    GatKernel<V, R, true><<<blocks, kThreads, smem, stream>>>(p, t);
  } else {
    GatKernel<V, R, false><<<blocks, kThreads, smem, stream>>>(p, t);
  }
}

// The shapes ChooseSpmmLaunch can pick with kGatMaxSlots (V in {1, 2, 4}, R in {1, 2, 4}); false
// for any other.
template <int V>
bool LaunchGatR(const SpmmLaunch& l, const GatParams& p, const GatTasks& t, unsigned blocks, size_t smem,
                cudaStream_t stream) {
  switch (l.slots) {
    case 1: LaunchGat<V, 1>(p, t, blocks, smem, stream); return true;
    case 2: LaunchGat<V, 2>(p, t, blocks, smem, stream); return true;
    case 4: LaunchGat<V, 4>(p, t, blocks, smem, stream); return true;
    default: return false;
  }
}

Status LaunchGatVR(const SpmmLaunch& l, const GatParams& p, const GatTasks& t, unsigned blocks, size_t smem,
                   cudaStream_t stream) {
  bool ok = false;
  switch (l.vector) {
    case 4: ok = LaunchGatR<4>(l, p, t, blocks, smem, stream); break;
    case 2: ok = LaunchGatR<2>(l, p, t, blocks, smem, stream); break;
    case 1: ok = LaunchGatR<1>(l, p, t, blocks, smem, stream); break;
    default: break;
  }
  if (!ok) {
    return Status(StatusCode::kInternal, "gatAggregate: no kernel for vector " + std::to_string(l.vector) + " x " +
                                             std::to_string(l.slots) + " slots");
  }
  return LaunchStatus("gatAggregate");
}

}  // namespace

Status GatAggregate(const DeviceGraph& graph, const GatArgs& a, const Workspace& ws, Stream stream) {
  const CsrView& g = graph.csr;
  GNN_RETURN_IF_ERROR(CheckGraphArrays(g));
  if (a.heads < 1 || a.head_width < 0) {
    return Status(StatusCode::kShapeMismatch, "gatAggregate: expected at least one head and a non-negative width");
  }
  if (g.num_rows == 0 || a.head_width == 0) return Status::Ok();
  if (a.heads > (int64_t{1} << 40) / a.head_width) {
    return Status(StatusCode::kShapeMismatch, "gatAggregate: heads x head width is too large");
  }
  const bool gathers = g.nnz > 0;
  GNN_RETURN_IF_ERROR(Present(a.x, gathers, "gatAggregate", "x"));
  GNN_RETURN_IF_ERROR(Present(a.a_src, gathers, "gatAggregate", "aSrc"));
  GNN_RETURN_IF_ERROR(Present(a.a_dst, gathers, "gatAggregate", "aDst"));
  GNN_RETURN_IF_ERROR(Present(a.out, true, "gatAggregate", "out"));
  const cudaStream_t s = AsStream(stream);

  GatParams p;
  p.indptr = g.indptr;
  p.indptr64 = g.indptr64;
  p.num_rows = g.num_rows;
  p.indices = g.indices;
  p.edge_ids = g.edge_ids;
  p.x = a.x;
  p.heads = a.heads;
  p.f = a.head_width;
  p.ld = a.heads * a.head_width;
  p.a_src = a.a_src;
  p.a_dst = a.a_dst;
  p.edge_term = a.edge_term;
  p.slope = a.negative_slope;
  p.out = a.out;
  p.attention = a.attention;
  const int max_vector = Aligned(a.x, p.ld, 4, 16) && Aligned(a.out, p.ld, 4, 16)  ? 4
                         : Aligned(a.x, p.ld, 4, 8) && Aligned(a.out, p.ld, 4, 8) ? 2
                                                                                  : 1;
  const SpmmLaunch l = ChooseSpmmLaunch(p.ld, p.f, g.num_rows, max_vector, kGatMaxSlots);
  if (l.tasks == 0) return Status::Ok();
  p.lanes = l.lanes;
  p.vectors = p.ld / l.vector;
  p.tile_vectors = l.tile_vectors;
  p.tile_columns = l.tile_columns;
  HubSchedule hubs;
  GNN_RETURN_IF_ERROR(PrepareHubSchedule(graph, ws, s, "gatAggregate", &hubs));
  p.hub_rows = hubs.rows;
  p.num_hub_rows = hubs.num_rows;

  // Shared memory for the attention pass: one (max, sum) per vector of each group's tile.
  const size_t smem = a.attention != nullptr ? static_cast<size_t>(kThreads) * l.slots * sizeof(float2) : 0;
  GatTasks rows;
  rows.count = l.tasks;
  GNN_RETURN_IF_ERROR(LaunchGatVR(l, p, rows, static_cast<unsigned>(l.blocks), smem, s));
  if (hubs.num_rows == 0 || hubs.bound == 0) return Status::Ok();

  float* scratch = nullptr;
  float2* hub_state = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, 3 * hubs.bound * l.tile_columns, &scratch, "gatAggregate", "hub-row partial results"));
  if (a.attention != nullptr) {
    GNN_RETURN_IF_ERROR(Allocate(ws, hubs.num_rows * a.heads, &hub_state, "gatAggregate", "hub-row softmax states"));
  }
  for (int64_t tile = 0; tile < l.tiles; ++tile) {
    GatTasks chunks;
    chunks.count = hubs.bound;
    chunks.chunks = true;
    chunks.offsets = hubs.offsets;
    chunks.tile = tile;
    chunks.scratch = scratch;
    GNN_RETURN_IF_ERROR(LaunchGatVR(l, p, chunks, GridFor(hubs.bound, l.groups_per_block), 0, s));
    const int64_t rest = p.ld - tile * l.tile_columns;
    const int64_t columns = rest < l.tile_columns ? rest : l.tile_columns;
    GatHubMergeKernel<<<GridFor(hubs.num_rows * columns, kThreads), kThreads, 0, s>>>(p, hubs.offsets, scratch, tile,
                                                                                      columns, hub_state);
    GNN_RETURN_IF_ERROR(LaunchStatus("gatAggregate"));
  }
  if (a.attention != nullptr) {
    GatHubAttentionKernel<<<GridFor(hubs.bound * kHubChunkEdges * a.heads, kThreads), kThreads, 0, s>>>(
        p, hubs.offsets, hubs.bound, hub_state);
    GNN_RETURN_IF_ERROR(LaunchStatus("gatAggregate"));
  }
  return Status::Ok();
}

}  // namespace cuda
}  // namespace gnn
