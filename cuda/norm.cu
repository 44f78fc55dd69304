// Normalisation ops on the device (cuda/kernels.h) with native/kernels/norm.h's semantics:
// ColumnAffine as one fma per element, torch's layer_norm with the pivot trick for the row
// statistics, and PyG's graph-mode LayerNorm with both of its eps placements.
//
// ColumnAffine: a grid-stride loop over float4 (or float) units, the column tracked per thread.
// LayerNorm: a warp per row (a block per row from 1024 columns): the CPU's three passes, pivot sum
// Σ(x − x0) and centred sums Σ(x − hi), Σ(x − hi)² in float lanes combined by a fixed butterfly,
// the mean and variance in double from them, then the write pass t = ((x − hi) − lo)·rstd,
// y = fma(t, w, b). Bytes: 8 N F (the second and third passes re-read the row from L1/L2).
// GraphLayerNorm: statistics span rows, so per-row partial sums (double) go to scratch and are
// combined per graph by a block in a fixed order; rows are grouped by graph with a stable radix
// sort of the batch vector, which also gives each graph's first row (its pivot). Bytes: 16 N F
// (x read three times, out written once) plus O(N) for the sort and the partials. The batch check
// reads its verdict back, so GraphLayerNorm with a batch synchronizes the stream.
#include <cub/device/device_radix_sort.cuh>

#include "checks.h"
#include "common.cuh"
#include "device_math.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t ThreadIndex() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t GridStride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// ---- column affine ---------------------------------------------------------------------------------

enum class Affine : int { kScaleShift, kScale, kShift, kCopy };

template <Affine kKind, int V>
__global__ void __launch_bounds__(kThreads) AffineKernel(const float* x, const float* scale, const float* shift,
                                                         float* out, int64_t rows, int64_t units_per_row) {
  const int64_t total = rows * units_per_row;
  const int64_t stride = GridStride();
  int64_t i = ThreadIndex();
  if (i >= total) return;
  int64_t col = i % units_per_row;
  const int64_t step = stride % units_per_row;
  for (; i < total; i += stride) {
    float v[V], s[V], t[V];
    LoadFloats<V>(x + i * V, v);
    if constexpr (kKind == Affine::kScaleShift || kKind == Affine::kScale) LoadFloats<V>(scale + col * V, s);
    if constexpr (kKind == Affine::kScaleShift || kKind == Affine::kShift) LoadFloats<V>(shift + col * V, t);
#pragma unroll
    for (int k = 0; k < V; ++k) {
      if constexpr (kKind == Affine::kScaleShift) v[k] = dmath::Fma(v[k], s[k], t[k]);
      if constexpr (kKind == Affine::kScale) v[k] = dmath::Mul(v[k], s[k]);
      if constexpr (kKind == Affine::kShift) v[k] = dmath::Add(v[k], t[k]);
    }
    StoreFloats<V>(out + i * V, v);
    col += step;
    if (col >= units_per_row) col -= units_per_row;
  }
}

template <Affine kKind>
void LaunchAffine(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width,
                  bool vec, cudaStream_t s) {
  if (vec) {
    AffineKernel<kKind, 4><<<GridFor(rows * width / 4, kThreads), kThreads, 0, s>>>(x, scale, shift, out, rows, width / 4);
  } else {
    AffineKernel<kKind, 1><<<GridFor(rows * width, kThreads), kThreads, 0, s>>>(x, scale, shift, out, rows, width);
  }
}

// ---- layer norm ------------------------------------------------------------------------------------

// The write pass: t = ((x − hi) − lo)·rstd, then fma(t, w, b), t·w, t + b or t.
__device__ __forceinline__ float Normalized(float x, float hi, float lo, float rstd, const float* w, const float* b,
                                           int64_t c) {
  const float t = dmath::Mul(dmath::Sub(dmath::Sub(x, hi), lo), rstd);
  if (w != nullptr && b != nullptr) return dmath::Fma(t, __ldg(w + c), __ldg(b + c));
  if (w != nullptr) return dmath::Mul(t, __ldg(w + c));
  if (b != nullptr) return dmath::Add(t, __ldg(b + c));
  return t;
}

// A row per warp (kBlock false) or per block (kBlock true); norm_impl.h RowStatsOf's arithmetic.
template <bool kBlock>
__global__ void __launch_bounds__(kThreads) LayerNormKernel(const float* x, const float* w, const float* b, float* out,
                                                            int64_t rows, int64_t width, float eps) {
  __shared__ float shared[33];
  const int lanes = kBlock ? static_cast<int>(blockDim.x) : 32;
  const int lane = kBlock ? static_cast<int>(threadIdx.x) : static_cast<int>(threadIdx.x) & 31;
  const int64_t per_block = kBlock ? 1 : blockDim.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * per_block;
  const auto sum_all = [&](float v) { return kBlock ? BlockReduce<float, true>(v, shared) : GroupSum(v, kFullMask, 32); };
  const double n = static_cast<double>(width);
  for (int64_t r = blockIdx.x * per_block + (kBlock ? 0 : threadIdx.x / 32); r < rows; r += stride) {
    const float* xr = x + r * width;
    const float pivot = xr[0];
    float s = 0.0f;
    for (int64_t c = lane; c < width; c += lanes) s = dmath::Add(s, dmath::Sub(xr[c], pivot));
    s = sum_all(s);
    const double mean = dmath::DAdd(static_cast<double>(pivot), dmath::DDiv(static_cast<double>(s), n));
    const float hi = static_cast<float>(mean);
    float sum = 0.0f;
    float sq = 0.0f;
    for (int64_t c = lane; c < width; c += lanes) {
      const float d = dmath::Sub(xr[c], hi);
      sum = dmath::Add(sum, d);
      sq = dmath::Fma(d, d, sq);
    }
    sum = sum_all(sum);
    sq = sum_all(sq);
    const double lo = dmath::DDiv(static_cast<double>(sum), n);
    const double v = dmath::DAdd(dmath::DDiv(static_cast<double>(sq), n), -dmath::DMul(lo, lo));
    const double var = 0.0 < v ? v : 0.0;  // std::max(0.0, v), NaN included (the row is NaN through hi)
    const float rstd = static_cast<float>(dmath::DDiv(1.0, dmath::DSqrt(dmath::DAdd(var, static_cast<double>(eps)))));
    const float lof = static_cast<float>(lo);
    float* o = out + r * width;
    for (int64_t c = lane; c < width; c += lanes) o[c] = Normalized(xr[c], hi, lof, rstd, w, b, c);
  }
}

// ---- graph layer norm ------------------------------------------------------------------------------

// The first row with a graph id outside [0, rows) and the largest id.
__global__ void __launch_bounds__(kThreads)
    CheckBatchKernel(const int32_t* batch, int64_t rows, unsigned long long* first_bad, int* max_id) {
  for (int64_t r = ThreadIndex(); r < rows; r += GridStride()) {
    const int32_t g = __ldg(batch + r);
    if (g < 0 || g >= rows) {
      atomicMin(first_bad, static_cast<unsigned long long>(r));
    } else {
      atomicMax(max_id, g);
    }
  }
}

__global__ void IotaKernel(int64_t* out, int64_t n) {
  for (int64_t i = ThreadIndex(); i < n; i += GridStride()) out[i] = i;
}

// Graph g's rows are sorted positions [begin[g], end[g]) (both zero for an absent id).
__global__ void __launch_bounds__(kThreads)
    SegmentsKernel(const uint32_t* keys, int64_t n, int64_t* begin, int64_t* end) {
  for (int64_t k = ThreadIndex(); k < n; k += GridStride()) {
    const uint32_t g = keys[k];
    if (k == 0 || keys[k - 1] != g) begin[g] = k;
    if (k == n - 1 || keys[k + 1] != g) end[g] = k + 1;
  }
}

struct GraphNorm {
  const float* x;
  int64_t rows;
  int64_t width;
  const int32_t* batch;      // null: one graph of every row
  const int64_t* order;      // rows sorted by graph (null: identity)
  const int64_t* begin;      // per graph (null: one graph [0, rows))
  const int64_t* end;
  int64_t graphs;
  double* row_a;             // per row: Σ (x − pivot), then Σ (x − hi)
  double* row_b;             // per row: Σ (x − hi)²
  float* centre;             // per graph: pivot, then hi
  double* mean;              // per graph
  float* lo;                 // per graph
  float* rstd;               // per graph
};

__device__ __forceinline__ int64_t GraphOf(const GraphNorm& p, int64_t r) { return p.batch != nullptr ? p.batch[r] : 0; }
__device__ __forceinline__ int64_t SegBegin(const GraphNorm& p, int64_t g) { return p.begin != nullptr ? p.begin[g] : 0; }
__device__ __forceinline__ int64_t SegEnd(const GraphNorm& p, int64_t g) { return p.end != nullptr ? p.end[g] : p.rows; }
__device__ __forceinline__ int64_t RowAt(const GraphNorm& p, int64_t k) { return p.order != nullptr ? p.order[k] : k; }

// Each graph's pivot: the first element of its first row.
__global__ void PivotKernel(GraphNorm p) {
  for (int64_t g = ThreadIndex(); g < p.graphs; g += GridStride()) {
    const int64_t b = SegBegin(p, g);
    p.centre[g] = b < SegEnd(p, g) ? p.x[RowAt(p, b) * p.width] : 0.0f;
  }
}

// Per row (a warp each): kSquares false: Σ (x − c); true: Σ (x − c) and Σ (x − c)², c the row's
// graph's centre, in double.
template <bool kSquares>
__global__ void __launch_bounds__(kThreads) RowSumsKernel(GraphNorm p) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t warps = blockDim.x / 32;
  for (int64_t r = blockIdx.x * warps + threadIdx.x / 32; r < p.rows; r += static_cast<int64_t>(gridDim.x) * warps) {
    const double c = p.centre[GraphOf(p, r)];
    const float* xr = p.x + r * p.width;
    double s = 0.0;
    double q = 0.0;
    for (int64_t k = lane; k < p.width; k += 32) {
      const double d = static_cast<double>(xr[k]) - c;  // exact
      s = dmath::DAdd(s, d);
      if constexpr (kSquares) q = fma(d, d, q);
    }
    s = GroupSumD(s, kFullMask, 32);
    if constexpr (kSquares) q = GroupSumD(q, kFullMask, 32);
    if (lane == 0) {
      p.row_a[r] = s;
      if constexpr (kSquares) p.row_b[r] = q;
    }
  }
}

// Per graph (a block each): kStats false: mean = pivot + Σ row_a / (count·F), centre = float(mean);
// true: lo, var and rstd with PyG's eps placement.
template <bool kStats>
__global__ void __launch_bounds__(kThreads) GraphSumsKernel(GraphNorm p, float eps, bool eps_on_std) {
  __shared__ double shared[33];
  for (int64_t g = blockIdx.x; g < p.graphs; g += gridDim.x) {
    const int64_t b = SegBegin(p, g);
    const int64_t e = SegEnd(p, g);
    double s = 0.0;
    double q = 0.0;
    for (int64_t k = b + threadIdx.x; k < e; k += blockDim.x) {
      const int64_t r = RowAt(p, k);
      s = dmath::DAdd(s, p.row_a[r]);
      if constexpr (kStats) q = dmath::DAdd(q, p.row_b[r]);
    }
    s = BlockReduce<double, true>(s, shared);
    if constexpr (kStats) q = BlockReduce<double, true>(q, shared);
    if (threadIdx.x != 0 || b == e) continue;
    const double count = static_cast<double>(e - b) * static_cast<double>(p.width);
    if constexpr (!kStats) {
      const double mean = dmath::DAdd(static_cast<double>(p.centre[g]), dmath::DDiv(s, count));
      p.mean[g] = mean;
      p.centre[g] = static_cast<float>(mean);  // from here on: hi
    } else {
      const double lo = dmath::DDiv(s, count);
      const double v = dmath::DAdd(dmath::DDiv(q, count), -dmath::DMul(lo, lo));
      const double var = 0.0 < v ? v : 0.0;  // std::max(0.0, v), as norm.cc StatsFrom
      const double rstd = eps_on_std ? dmath::DDiv(1.0, dmath::DAdd(dmath::DSqrt(var), static_cast<double>(eps)))
                                     : dmath::DDiv(1.0, dmath::DSqrt(dmath::DAdd(var, static_cast<double>(eps))));
      p.lo[g] = static_cast<float>(lo);
      p.rstd[g] = static_cast<float>(rstd);
    }
  }
}

__global__ void __launch_bounds__(kThreads)
    GraphNormalizeKernel(GraphNorm p, const float* w, const float* b, float* out) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t warps = blockDim.x / 32;
  for (int64_t r = blockIdx.x * warps + threadIdx.x / 32; r < p.rows; r += static_cast<int64_t>(gridDim.x) * warps) {
    const int64_t g = GraphOf(p, r);
    const float hi = p.centre[g];
    const float lo = p.lo[g];
    const float rstd = p.rstd[g];
    const float* xr = p.x + r * p.width;
    float* o = out + r * p.width;
    for (int64_t c = lane; c < p.width; c += 32) o[c] = Normalized(xr[c], hi, lo, rstd, w, b, c);
  }
}

}  // namespace

Status ColumnAffine(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width,
                    Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("columnAffine", rows, width));
  if (rows * width == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(x, true, "columnAffine", "x"));
  GNN_RETURN_IF_ERROR(Present(out, true, "columnAffine", "out"));
  const cudaStream_t s = AsStream(stream);
  const auto a16 = [](const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  const bool vec = width % 4 == 0 && a16(x) && a16(out) && a16(scale) && a16(shift);
  if (scale != nullptr && shift != nullptr) {
    LaunchAffine<Affine::kScaleShift>(x, scale, shift, out, rows, width, vec, s);
  } else if (scale != nullptr) {
    LaunchAffine<Affine::kScale>(x, scale, shift, out, rows, width, vec, s);
  } else if (shift != nullptr) {
    LaunchAffine<Affine::kShift>(x, scale, shift, out, rows, width, vec, s);
  } else if (x != out) {
    return CudaCall("columnAffine", cudaMemcpyAsync(out, x, static_cast<size_t>(rows * width) * sizeof(float),
                                                    cudaMemcpyDeviceToDevice, s));
  }
  return LaunchStatus("columnAffine");
}

Status LayerNorm(const LayerNormArgs& a, Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("layerNorm", a.rows, a.width));
  GNN_RETURN_IF_ERROR(CheckEps("layerNorm", a.eps));
  if (a.rows * a.width == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(a.x, true, "layerNorm", "x"));
  GNN_RETURN_IF_ERROR(Present(a.out, true, "layerNorm", "out"));
  const cudaStream_t s = AsStream(stream);
  if (a.width >= 1024) {
    LayerNormKernel<true><<<GridFor(a.rows, 1), kThreads, 0, s>>>(a.x, a.weight, a.bias, a.out, a.rows, a.width, a.eps);
  } else {
    LayerNormKernel<false><<<GridFor(a.rows, kThreads / 32), kThreads, 0, s>>>(a.x, a.weight, a.bias, a.out, a.rows,
                                                                               a.width, a.eps);
  }
  return LaunchStatus("layerNorm");
}

Status GraphLayerNorm(const GraphLayerNormArgs& a, const Workspace& ws, Stream stream) {
  const char* op = "graphLayerNorm";
  GNN_RETURN_IF_ERROR(CheckBlock(op, a.rows, a.width));
  GNN_RETURN_IF_ERROR(CheckEps(op, a.eps));
  const int64_t n = a.rows;
  const int64_t f = a.width;
  const cudaStream_t s = AsStream(stream);

  // Graph ids in [0, rows), checked in full before anything is written (read back: synchronizes).
  int64_t graphs = n == 0 ? 0 : 1;
  if (a.batch != nullptr && n > 0) {
    unsigned long long* first_bad = nullptr;
    int* max_id = nullptr;
    GNN_RETURN_IF_ERROR(Allocate(ws, 1, &first_bad, op, "the batch check"));
    GNN_RETURN_IF_ERROR(Allocate(ws, 1, &max_id, op, "the batch check"));
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemsetAsync(first_bad, 0xff, sizeof(*first_bad), s)));
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemsetAsync(max_id, 0, sizeof(*max_id), s)));
    CheckBatchKernel<<<GridFor(n, kThreads), kThreads, 0, s>>>(a.batch, n, first_bad, max_id);
    GNN_RETURN_IF_ERROR(LaunchStatus(op));
    unsigned long long bad = 0;
    int largest = 0;
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemcpyAsync(&bad, first_bad, sizeof(bad), cudaMemcpyDeviceToHost, s)));
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemcpyAsync(&largest, max_id, sizeof(largest), cudaMemcpyDeviceToHost, s)));
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaStreamSynchronize(s)));
    if (bad != ~0ull) {
      int32_t value = 0;
      const int64_t at = static_cast<int64_t>(bad);
      GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemcpyAsync(&value, a.batch + at, sizeof(value), cudaMemcpyDeviceToHost, s)));
      GNN_RETURN_IF_ERROR(CudaCall(op, cudaStreamSynchronize(s)));
      return Status(StatusCode::kOutOfRange,
                    "batch: expected graph ids in [0, " + Str(n) + "), got batch[" + Str(at) + "] = " + Str(value));
    }
    graphs = int64_t{largest} + 1;
  }
  if (n * f == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(a.x, true, op, "x"));
  GNN_RETURN_IF_ERROR(Present(a.out, true, op, "out"));

  GraphNorm p{};
  p.x = a.x;
  p.rows = n;
  p.width = f;
  p.batch = a.batch;
  p.graphs = graphs;
  GNN_RETURN_IF_ERROR(Allocate(ws, n, &p.row_a, op, "per-row partial sums"));
  GNN_RETURN_IF_ERROR(Allocate(ws, n, &p.row_b, op, "per-row partial sums"));
  GNN_RETURN_IF_ERROR(Allocate(ws, graphs, &p.centre, op, "per-graph statistics"));
  GNN_RETURN_IF_ERROR(Allocate(ws, graphs, &p.mean, op, "per-graph statistics"));
  GNN_RETURN_IF_ERROR(Allocate(ws, graphs, &p.lo, op, "per-graph statistics"));
  GNN_RETURN_IF_ERROR(Allocate(ws, graphs, &p.rstd, op, "per-graph statistics"));
  if (a.batch != nullptr) {
    // Rows grouped by graph, in row order within a graph (a stable sort), and each graph's range.
    int end_bit = 1;
    while (end_bit < 32 && (int64_t{1} << end_bit) < graphs) ++end_bit;
    uint32_t* keys = nullptr;
    int64_t* rows_in = nullptr;
    int64_t* order = nullptr;
    int64_t* seg = nullptr;
    GNN_RETURN_IF_ERROR(Allocate(ws, n, &keys, op, "sorted graph ids"));
    GNN_RETURN_IF_ERROR(Allocate(ws, n, &rows_in, op, "row ids"));
    GNN_RETURN_IF_ERROR(Allocate(ws, n, &order, op, "rows by graph"));
    GNN_RETURN_IF_ERROR(Allocate(ws, 2 * graphs, &seg, op, "graph ranges"));
    const auto* keys_in = reinterpret_cast<const uint32_t*>(a.batch);  // checked non-negative
    size_t temp_bytes = 0;
    GNN_RETURN_IF_ERROR(CudaCall(op, cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_in, keys, rows_in, order,
                                                                     n, 0, end_bit, s)));
    uint8_t* temp = nullptr;
    GNN_RETURN_IF_ERROR(Allocate(ws, static_cast<int64_t>(temp_bytes), &temp, op, "sort scratch"));
    IotaKernel<<<GridFor(n, kThreads), kThreads, 0, s>>>(rows_in, n);
    GNN_RETURN_IF_ERROR(LaunchStatus(op));
    GNN_RETURN_IF_ERROR(CudaCall(op, cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys_in, keys, rows_in, order, n,
                                                                     0, end_bit, s)));
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemsetAsync(seg, 0, static_cast<size_t>(2 * graphs) * sizeof(int64_t), s)));
    SegmentsKernel<<<GridFor(n, kThreads), kThreads, 0, s>>>(keys, n, seg, seg + graphs);
    GNN_RETURN_IF_ERROR(LaunchStatus(op));
    p.order = order;
    p.begin = seg;
    p.end = seg + graphs;
  }
  const unsigned row_blocks = GridFor(n, kThreads / 32);
  const unsigned graph_blocks = GridFor(graphs, 1);
  const bool eps_on_std = a.batch == nullptr;  // PyG's no-batch path: x / (std + eps)
  PivotKernel<<<GridFor(graphs, kThreads), kThreads, 0, s>>>(p);
  RowSumsKernel<false><<<row_blocks, kThreads, 0, s>>>(p);
  GraphSumsKernel<false><<<graph_blocks, kThreads, 0, s>>>(p, a.eps, eps_on_std);
  RowSumsKernel<true><<<row_blocks, kThreads, 0, s>>>(p);
  GraphSumsKernel<true><<<graph_blocks, kThreads, 0, s>>>(p, a.eps, eps_on_std);
  GraphNormalizeKernel<<<row_blocks, kThreads, 0, s>>>(p, a.weight, a.bias, a.out);
  return LaunchStatus(op);
}

}  // namespace cuda
}  // namespace gnn
