// The row-parallel SpMM schedule, written once over a feature type (fp32 rows, or int8 codes with a
// scale per source row) and a reducer, and instantiated by spmm.cu and qspmm.cu.
//
// Schedule (GE-SpMM style; launch shapes from ChooseSpmmLaunch, cuda/launch_plan.h):
// - A group of G lanes (G a power of two <= 32) owns one (row, feature tile) task; tasks run
//   tile-major with a grid stride. Lane l holds the tile's vectors s G + l (s < R slots), V columns
//   each, so the group's loads of one source row are G consecutive float4 / float2 / float (char4 /
//   char2 / char) accesses: coalesced and as wide as the alignment allows.
// - The row's edges are staged G at a time: lane k loads index k (and its weight or weight row, and
//   for int8 the source row's scale), and the group broadcasts them with __shfl_sync; each lane then
//   gathers U edges' vectors before accumulating them, to keep U * R loads in flight per lane.
// - Each output element is reduced by one lane in CSR order (acc = fma(c, x, acc) for sums, the
//   NaN-sticky max / min), so the shape chooses which lane computes an element, never its value.
// - Hub rows (hub_schedule.cuh) are skipped by the row tasks and reduced by chunk tasks of the same
//   kernel into scratch, then combined in chunk order (HubCombineKernel): no atomics anywhere.
//
// Cost model per edge and tile of T columns: T * 4 bytes gathered from x (T bytes for int8), 4 bytes
// of index and [4 of weight or 8 of weight row], and the same once per tile for each extra tile;
// 4 T bytes written per row. Compulsory traffic (what bench:gpu's bandwidth fraction divides by):
// indptr 4 (8) bytes per row, indices 4 bytes per edge, each source row's T columns once per
// *gather* (4 T per edge: the gathers are the cost, L2 reuse lowers it), the output once.
#pragma once

#include <cstdint>

#include "common.cuh"
#include "device_math.cuh"
#include "hub_schedule.cuh"

namespace gnn {
namespace cuda {
namespace agg {

constexpr int kThreads = 256;  // SpmmLaunch::threads_per_block

struct Params {
  // graph
  const void* indptr = nullptr;
  bool indptr64 = false;
  const int32_t* indices = nullptr;
  int64_t num_rows = 0;
  const int32_t* hub_rows = nullptr;  // skipped by row tasks (null: none)
  int64_t num_hub_rows = 0;
  // features: fp32 [., ldx] or int8 codes [., ldx] with scale[u * scale_stride]
  const void* x = nullptr;
  int64_t ldx = 0;
  const float* scale = nullptr;
  int64_t scale_stride = 0;
  // optional weights [E, heads]: row weight_ids[j] (null: j) of CSR position j
  const float* weights = nullptr;
  const int32_t* weight_ids = nullptr;
  int64_t heads = 1;
  int64_t head_width = 0;
  float* out = nullptr;
  int64_t ldo = 0;
  int64_t width = 0;
  bool mean = false;
  // shape
  int lanes = 1;
  int64_t vectors = 0;       // width / V
  int64_t tile_vectors = 0;
  int64_t tile_columns = 0;
};

// One launch: the row tasks (every row x tile; hub rows skipped), or the chunk tasks of the hub
// rows for one tile, each writing its partial tile to scratch[task][tile_columns].
struct Tasks {
  int64_t count = 0;
  bool chunks = false;
  const int64_t* chunk_offsets = nullptr;
  int64_t tile = 0;
  float* scratch = nullptr;
};

// ---- what is computed: reducers and feature types ---------------------------------------------------

struct SumOp {
  static constexpr bool kSum = true;
  __device__ static float Init() { return 0.0f; }
  __device__ static float Step(float acc, float m) { return dmath::Add(acc, m); }
  __device__ static float StepScaled(float acc, float c, float x) { return dmath::Fma(c, x, acc); }
  __device__ static float Merge(float acc, float part) { return dmath::Add(acc, part); }
};

struct MaxOp {
  static constexpr bool kSum = false;
  __device__ static float Init() { return -dmath::kInf; }
  __device__ static float Step(float acc, float m) { return dmath::MaxNan(acc, m); }
  __device__ static float StepScaled(float acc, float c, float x) { return dmath::MaxNan(acc, dmath::Mul(c, x)); }
  __device__ static float Merge(float acc, float part) { return dmath::MaxNan(acc, part); }
};

struct MinOp {
  static constexpr bool kSum = false;
  __device__ static float Init() { return dmath::kInf; }
  __device__ static float Step(float acc, float m) { return dmath::MinNan(acc, m); }
  __device__ static float StepScaled(float acc, float c, float x) { return dmath::MinNan(acc, dmath::Mul(c, x)); }
  __device__ static float Merge(float acc, float part) { return dmath::MinNan(acc, part); }
};

// fp32 features: message x (or w * x).
template <int V>
struct F32Features {
  static constexpr bool kScaled = false;
  __device__ static void Load(const void* x, int64_t offset, float (&v)[V]) {
    LoadFloats<V>(static_cast<const float*>(x) + offset, v);
  }
};

// int8 codes: message c * float(q) with c = scale[u] (or w * scale[u]), computed once per edge.
template <int V>
struct I8Features {
  static constexpr bool kScaled = true;
  __device__ static void Load(const void* x, int64_t offset, float (&v)[V]) {
    LoadCodes<V>(static_cast<const int8_t*>(x) + offset, v);
  }
};

// ---- how it is scheduled ---------------------------------------------------------------------------

template <int V, int R>
struct Slots {
  int64_t col[R];   // first column of each slot's vector
  int64_t head[R];  // its head (per-head weights)
  bool valid[R];
};

template <int V, int R>
__device__ __forceinline__ Slots<V, R> SetupSlots(const Params& p, int64_t tile, int lane) {
  Slots<V, R> s;
  const int64_t first = tile * p.tile_vectors;
  const int64_t rest = p.vectors - first;
  const int64_t count = rest < p.tile_vectors ? rest : p.tile_vectors;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int64_t v = static_cast<int64_t>(r) * p.lanes + lane;
    s.valid[r] = v < count;
    s.col[r] = (first + v) * V;
    s.head[r] = s.valid[r] && p.heads > 1 ? s.col[r] / p.head_width : 0;
  }
  return s;
}

// Edges gathered before they are accumulated: U * R vector loads in flight per lane (about 16
// floats of registers).
template <int V, int R>
struct EdgesInFlight {
  static constexpr int kRaw = 16 / (V * R);
  static constexpr int value = kRaw < 1 ? 1 : kRaw > 8 ? 8 : kRaw;
};

// acc = reduce over CSR positions [eb, ee) of the messages, in order. Every lane of the group runs
// it (the shuffles need them all); lanes whose slots are invalid load nothing.
template <template <int> class Feat, class Op, bool kWeighted, int V, int R>
__device__ __forceinline__ void ReduceRange(const Params& p, int64_t eb, int64_t ee, unsigned mask, int lane,
                                            const Slots<V, R>& s, float (&acc)[R][V]) {
  using F = Feat<V>;
  constexpr int U = EdgesInFlight<V, R>::value;
  constexpr bool kCoef = kWeighted || F::kScaled;
  const int G = p.lanes;
  const bool head_weights = kWeighted && p.heads > 1;
  for (int64_t base = eb; base < ee; base += G) {
    const int n = static_cast<int>(ee - base < G ? ee - base : G);
    // Stage: lane k < n holds edge base + k.
    int32_t u = 0;
    int64_t wrow = 0;
    float c = 1.0f;
    if (lane < n) {
      const int64_t j = base + lane;
      u = __ldg(p.indices + j);
      if constexpr (kWeighted) {
        wrow = p.weight_ids != nullptr ? static_cast<int64_t>(__ldg(p.weight_ids + j)) : j;
        if (!head_weights) c = __ldg(p.weights + wrow);
      }
      if constexpr (F::kScaled) {
        const float sc = __ldg(p.scale + static_cast<int64_t>(u) * p.scale_stride);
        c = kWeighted && !head_weights ? dmath::Mul(c, sc) : sc;  // w * scale[u], the CPU's order
      }
    }
    for (int k0 = 0; k0 < n; k0 += U) {
      float xv[U][R][V];
      float cv[U][R];
#pragma unroll
      for (int i = 0; i < U; ++i) {
        if (k0 + i < n) {  // the same for the whole group
          const int src = k0 + i;
          const int64_t uk = __shfl_sync(mask, u, src, G);
          float ck = 1.0f;
          if constexpr (kCoef) ck = __shfl_sync(mask, c, src, G);
          int64_t wk = 0;
          if (head_weights) wk = __shfl_sync(mask, wrow, src, G) * p.heads;
          const int64_t row_offset = uk * p.ldx;
#pragma unroll
          for (int r = 0; r < R; ++r) {
            if (s.valid[r]) {
              F::Load(p.x, row_offset + s.col[r], xv[i][r]);
              if constexpr (kCoef) {
                if (head_weights) {
                  const float w = __ldg(p.weights + wk + s.head[r]);
                  cv[i][r] = F::kScaled ? dmath::Mul(w, ck) : w;
                } else {
                  cv[i][r] = ck;
                }
              }
            }
          }
        }
      }
#pragma unroll
      for (int i = 0; i < U; ++i) {
        if (k0 + i < n) {
#pragma unroll
          for (int r = 0; r < R; ++r) {
            if (s.valid[r]) {
#pragma unroll
              for (int v = 0; v < V; ++v) {
                if constexpr (kCoef) {
                  acc[r][v] = Op::StepScaled(acc[r][v], cv[i][r], xv[i][r][v]);
                } else {
                  acc[r][v] = Op::Step(acc[r][v], xv[i][r][v]);
                }
              }
            }
          }
        }
      }
    }
  }
}

// At least two blocks (16 warps) per SM: the gathers need warps in flight more than registers.
template <template <int> class Feat, class Op, bool kWeighted, int V, int R>
__global__ void __launch_bounds__(kThreads, 2) AggregateKernel(const Params p, const Tasks tasks) {
  const int G = p.lanes;
  const int lane = static_cast<int>(threadIdx.x) & (G - 1);
  const int64_t groups_per_block = blockDim.x / G;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  const unsigned mask = GroupMask(G);
  for (int64_t t = blockIdx.x * groups_per_block + threadIdx.x / G; t < tasks.count; t += stride) {
    int64_t row, tile, b, e;
    if (!tasks.chunks) {
      const sched::RowTask rt = sched::RowTaskOf(t, p.num_rows);
      row = rt.row;
      tile = rt.tile;
      b = sched::RowBegin(p.indptr, p.indptr64, row);
      e = sched::RowBegin(p.indptr, p.indptr64, row + 1);
      if (sched::IsHubRow(p.hub_rows, p.num_hub_rows, row, e - b)) continue;  // the chunk tasks' row
    } else {
      int64_t hub, chunk;
      if (!sched::FindHubChunk(tasks.chunk_offsets, p.num_hub_rows, t, &hub, &chunk)) break;  // t only grows
      row = p.hub_rows[hub];
      tile = tasks.tile;
      sched::HubChunkRange(sched::RowBegin(p.indptr, p.indptr64, row), sched::RowBegin(p.indptr, p.indptr64, row + 1),
                           chunk, &b, &e);
    }
    const Slots<V, R> s = SetupSlots<V, R>(p, tile, lane);
    float acc[R][V];
#pragma unroll
    for (int r = 0; r < R; ++r) {
#pragma unroll
      for (int v = 0; v < V; ++v) acc[r][v] = Op::Init();
    }
    ReduceRange<Feat, Op, kWeighted, V, R>(p, b, e, mask, lane, s, acc);
    if (!tasks.chunks) {
      if (b == e) {  // no in-edges: 0 for every reducer
#pragma unroll
        for (int r = 0; r < R; ++r) {
#pragma unroll
          for (int v = 0; v < V; ++v) acc[r][v] = 0.0f;
        }
      } else if (Op::kSum && p.mean) {
        const float deg = static_cast<float>(e - b);
#pragma unroll
        for (int r = 0; r < R; ++r) {
#pragma unroll
          for (int v = 0; v < V; ++v) acc[r][v] = dmath::Div(acc[r][v], deg);
        }
      }
      float* dst = p.out + row * p.ldo;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (s.valid[r]) StoreFloats<V>(dst + s.col[r], acc[r]);
      }
    } else {
      const int64_t col0 = tile * p.tile_columns;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (s.valid[r]) StoreFloats<V>(tasks.scratch + t * p.tile_columns + (s.col[r] - col0), acc[r]);
      }
    }
  }
}

// Hub rows: out[row, tile columns] = the chunks' partials merged in chunk order (mean: / nnz).
// One thread per (hub row, column), consecutive threads on consecutive columns.
template <class Op>
__global__ void __launch_bounds__(kThreads)
    HubCombineKernel(const Params p, const int64_t* offsets, const float* scratch, int64_t tile, int64_t columns) {
  const int64_t total = p.num_hub_rows * columns;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const int64_t i = idx / columns;
    const int64_t c = idx - i * columns;
    const int64_t row = p.hub_rows[i];
    float acc = Op::Init();
    for (int64_t k = offsets[i]; k < offsets[i + 1]; ++k) acc = Op::Merge(acc, scratch[k * p.tile_columns + c]);
    if (Op::kSum && p.mean) {
      const int64_t nnz = sched::RowBegin(p.indptr, p.indptr64, row + 1) - sched::RowBegin(p.indptr, p.indptr64, row);
      acc = dmath::Div(acc, static_cast<float>(nnz));
    }
    p.out[row * p.ldo + tile * p.tile_columns + c] = acc;
  }
}

// ---- host side: the template arguments from run-time values, and the launches ------------------------

template <template <int> class Feat, class Op, bool kWeighted, int V, int R>
void Launch(const Params& p, const Tasks& t, unsigned blocks, cudaStream_t stream) {
  AggregateKernel<Feat, Op, kWeighted, V, R><<<blocks, kThreads, 0, stream>>>(p, t);
}

// The instantiations ChooseSpmmLaunch can pick: V in {1, 2, 4}, R in {1, 2, 4, 8}, V R <= 16.
// False for a shape outside them.
template <template <int> class Feat, class Op, bool kWeighted, int V>
bool LaunchR(int slots, const Params& p, const Tasks& t, unsigned blocks, cudaStream_t stream) {
  switch (slots) {
    case 1: Launch<Feat, Op, kWeighted, V, 1>(p, t, blocks, stream); return true;
    case 2: Launch<Feat, Op, kWeighted, V, 2>(p, t, blocks, stream); return true;
    case 4: Launch<Feat, Op, kWeighted, V, 4>(p, t, blocks, stream); return true;
    case 8:
      if constexpr (V * 8 <= 16) {
        Launch<Feat, Op, kWeighted, V, 8>(p, t, blocks, stream);
        return true;
      }
      return false;
    default: return false;
  }
}

template <template <int> class Feat, class Op, bool kWeighted>
bool LaunchVR(const SpmmLaunch& l, const Params& p, const Tasks& t, unsigned blocks, cudaStream_t stream) {
  switch (l.vector) {
    case 4: return LaunchR<Feat, Op, kWeighted, 4>(l.slots, p, t, blocks, stream);
    case 2: return LaunchR<Feat, Op, kWeighted, 2>(l.slots, p, t, blocks, stream);
    case 1: return LaunchR<Feat, Op, kWeighted, 1>(l.slots, p, t, blocks, stream);
    default: return false;
  }
}

template <template <int> class Feat, class Op>
Status RunOp(const char* name, const Params& p, bool weighted, const SpmmLaunch& l, const HubSchedule& hubs,
             const Workspace& ws, cudaStream_t stream) {
  const auto launch = [&](const Tasks& t, unsigned blocks) -> Status {
    const bool ok = weighted ? LaunchVR<Feat, Op, true>(l, p, t, blocks, stream)
                             : LaunchVR<Feat, Op, false>(l, p, t, blocks, stream);
    if (!ok) {
      return Status(StatusCode::kInternal, std::string(name) + ": no kernel for vector " + std::to_string(l.vector) +
                                               " x " + std::to_string(l.slots) + " slots");
    }
    return LaunchStatus(name);
  };
  Tasks rows;
  rows.count = l.tasks;
  GNN_RETURN_IF_ERROR(launch(rows, static_cast<unsigned>(l.blocks)));
  if (hubs.num_rows == 0 || hubs.bound == 0) return Status::Ok();

  float* scratch = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, hubs.bound * l.tile_columns, &scratch, name, "hub-row partial results"));
  for (int64_t tile = 0; tile < l.tiles; ++tile) {  // scratch holds one tile's partials at a time
    Tasks chunks;
    chunks.count = hubs.bound;
    chunks.chunks = true;
    chunks.chunk_offsets = hubs.offsets;
    chunks.tile = tile;
    chunks.scratch = scratch;
    GNN_RETURN_IF_ERROR(launch(chunks, GridFor(hubs.bound, l.groups_per_block)));
    const int64_t rest = p.width - tile * l.tile_columns;
    const int64_t columns = rest < l.tile_columns ? rest : l.tile_columns;
    HubCombineKernel<Op><<<GridFor(hubs.num_rows * columns, kThreads), kThreads, 0, stream>>>(p, hubs.offsets, scratch,
                                                                                              tile, columns);
    GNN_RETURN_IF_ERROR(LaunchStatus(name));
  }
  return Status::Ok();
}

// Runs the aggregation `p` describes (graph, features, weights and output set; the shape fields are
// filled here from the launch plan) with the reducer `reduce`.
template <template <int> class Feat>
Status Run(const char* name, Params p, Reduce reduce, bool weighted, int max_vector, const DeviceGraph& g,
           const Workspace& ws, cudaStream_t stream) {
  const SpmmLaunch l = ChooseSpmmLaunch(p.width, weighted ? p.head_width : p.width, p.num_rows, max_vector);
  if (l.tasks == 0) return Status::Ok();
  p.lanes = l.lanes;
  p.vectors = p.width / l.vector;
  p.tile_vectors = l.tile_vectors;
  p.tile_columns = l.tile_columns;
  HubSchedule hubs;
  GNN_RETURN_IF_ERROR(PrepareHubSchedule(g, ws, stream, name, &hubs));
  p.hub_rows = hubs.rows;
  p.num_hub_rows = hubs.num_rows;
  switch (reduce) {
    case Reduce::kSum:
    case Reduce::kMean:
      p.mean = reduce == Reduce::kMean;
      return RunOp<Feat, SumOp>(name, p, weighted, l, hubs, ws, stream);
    case Reduce::kMax: return RunOp<Feat, MaxOp>(name, p, weighted, l, hubs, ws, stream);
    case Reduce::kMin: return RunOp<Feat, MinOp>(name, p, weighted, l, hubs, ws, stream);
  }
  return Status(StatusCode::kInvalidArgValue, std::string(name) + ": unknown reducer");
}

}  // namespace agg
}  // namespace cuda
}  // namespace gnn
