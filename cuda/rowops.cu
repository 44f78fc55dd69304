// Row ops on the device (cuda/kernels.h) with the CPU kernels' semantics (native/kernels/rowops.h):
// Add as fma(alpha, b, beta·a), Scale, row softmax / log-softmax as torch computes them, Concat,
// IndexSelect and IndexScatter with their indices checked before anything is written.
//
// All are memory-bound; the byte counts are rowops.h's (add 12 N F, scale 8 N F, softmax 8 N F,
// concat 8 N ΣF, gather 8 K F + 4 K, scatter copy 8 K F / add 12 K F, plus the index sort below).
// The elementwise ones run a grid-stride loop over float4 units when every pointer and the width
// allow it (else over floats), tracking each thread's (row, column) incrementally instead of
// dividing per element. Softmax is a warp per row (a block per row for rows of 1024 and more),
// three passes over the row with partials combined by a fixed butterfly.
//
// IndexSelect and IndexScatter check every index on the device, record the first bad position
// (an integer atomicMin) in workspace memory and read it back: they synchronize the stream. A bad
// index returns kOutOfRange naming the position and value, exactly as the CPU, with out / target
// untouched. IndexScatter is deterministic without atomics: the (index, position) pairs are sorted
// stably by index (CUB radix sort), and one group per target row applies its updates in position
// order (copy: the last wins; add: summed in order).
#include <cub/device/device_radix_sort.cuh>

#include "checks.h"
#include "common.cuh"
#include "device_math.cuh"
#include "kernels_ext.h"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

// A thread's position in a row-major [rows, width] walk of units, advanced by a fixed stride
// without a division per step.
struct Cursor {
  int64_t row;
  int64_t col;
  int64_t step_rows;
  int64_t step_cols;
  __device__ Cursor(int64_t start, int64_t stride, int64_t width)
      : row(start / width), col(start % width), step_rows(stride / width), step_cols(stride % width) {}
  __device__ void Advance(int64_t width) {
    row += step_rows;
    col += step_cols;
    if (col >= width) {
      col -= width;
      ++row;
    }
  }
};

__device__ __forceinline__ int64_t ThreadIndex() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t GridStride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// ---- add, scale ------------------------------------------------------------------------------------

// out = fma(alpha, b, beta·a) over units of V floats; b is a full block or one row (broadcast).
template <int V>
__global__ void __launch_bounds__(kThreads)
    AddKernel(const float* a, const float* b, float* out, int64_t rows, int64_t units_per_row, bool broadcast,
              float alpha, float beta) {
  const int64_t total = rows * units_per_row;
  const int64_t stride = GridStride();
  int64_t i = ThreadIndex();
  if (i >= total) return;
  Cursor cur(i, stride, units_per_row);
  for (; i < total; i += stride, cur.Advance(units_per_row)) {
    float x[V], y[V];
    LoadFloats<V>(a + i * V, x);
    LoadFloats<V>(b + (broadcast ? cur.col : i) * V, y);
#pragma unroll
    for (int k = 0; k < V; ++k) x[k] = dmath::Fma(alpha, y[k], dmath::Mul(beta, x[k]));
    StoreFloats<V>(out + i * V, x);
  }
}

// out[r, :] = s_r · x[r, :], s_r = row_scale[r] or scale.
template <int V>
__global__ void __launch_bounds__(kThreads)
    ScaleKernel(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t units_per_row) {
  const int64_t total = rows * units_per_row;
  const int64_t stride = GridStride();
  int64_t i = ThreadIndex();
  if (i >= total) return;
  Cursor cur(i, stride, units_per_row);
  for (; i < total; i += stride, cur.Advance(units_per_row)) {
    const float s = row_scale != nullptr ? __ldg(row_scale + cur.row) : scale;
    float v[V];
    LoadFloats<V>(x + i * V, v);
#pragma unroll
    for (int k = 0; k < V; ++k) v[k] = dmath::Mul(s, v[k]);
    StoreFloats<V>(out + i * V, v);
  }
}

bool Aligned16(const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// ---- softmax ---------------------------------------------------------------------------------------

// torch's order: m = max, e = exp(x − m) stored, out = e · (1 / Σ e); log: (x − m) − log Σ e. One
// row per warp (kBlock false) or per block (kBlock true).
template <bool kBlock, SoftmaxKind kKind>
__global__ void __launch_bounds__(kThreads) SoftmaxKernel(const float* x, float* out, int64_t rows, int64_t width) {
  __shared__ float shared[33];
  const int lanes = kBlock ? static_cast<int>(blockDim.x) : 32;
  const int lane = kBlock ? static_cast<int>(threadIdx.x) : static_cast<int>(threadIdx.x) & 31;
  const int64_t per_block = kBlock ? 1 : blockDim.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * per_block;
  for (int64_t r = blockIdx.x * per_block + (kBlock ? 0 : threadIdx.x / 32); r < rows; r += stride) {
    const float* xr = x + r * width;
    float* o = out + r * width;
    float m = -dmath::kInf;
    for (int64_t c = lane; c < width; c += lanes) m = dmath::MaxFast(m, xr[c]);
    m = kBlock ? BlockReduce<float, false>(m, shared) : GroupMax(m, kFullMask, 32);
    float sum = 0.0f;
    for (int64_t c = lane; c < width; c += lanes) {
      const float e = dmath::ExpNonPositive(dmath::Sub(xr[c], m));
      if constexpr (kKind == SoftmaxKind::kSoftmax) o[c] = e;  // read before written: in place is fine
      sum = dmath::Add(sum, e);
    }
    sum = kBlock ? BlockReduce<float, true>(sum, shared) : GroupSum(sum, kFullMask, 32);
    if constexpr (kKind == SoftmaxKind::kSoftmax) {
      const float inv = dmath::Div(1.0f, sum);
      for (int64_t c = lane; c < width; c += lanes) o[c] = dmath::Mul(o[c], inv);
    } else {
      // log in double, rounded once: the correctly rounded logf of the CPU's libm.
      const float lse = static_cast<float>(log(static_cast<double>(sum)));
      for (int64_t c = lane; c < width; c += lanes) o[c] = dmath::Sub(dmath::Sub(xr[c], m), lse);
    }
  }
}

template <SoftmaxKind kKind>
void LaunchSoftmax(const float* x, float* out, int64_t rows, int64_t width, cudaStream_t s) {
  if (width >= 1024) {
    SoftmaxKernel<true, kKind><<<GridFor(rows, 1), kThreads, 0, s>>>(x, out, rows, width);
  } else {
    SoftmaxKernel<false, kKind><<<GridFor(rows, kThreads / 32), kThreads, 0, s>>>(x, out, rows, width);
  }
}

// ---- concat, gather, scatter -----------------------------------------------------------------------

// One part: out[r, offset + c] = part[r, c].
__global__ void __launch_bounds__(kThreads)
    ConcatPartKernel(const float* part, int64_t width, int64_t rows, float* out, int64_t out_width, int64_t offset) {
  const int64_t total = rows * width;
  const int64_t stride = GridStride();
  int64_t i = ThreadIndex();
  if (i >= total) return;
  Cursor cur(i, stride, width);
  for (; i < total; i += stride, cur.Advance(width)) out[cur.row * out_width + offset + cur.col] = __ldg(part + i);
}

// The smallest i < n with index[i] outside [0, rows), as an unsigned 64-bit minimum.
__global__ void __launch_bounds__(kThreads)
    CheckIndexKernel(const int32_t* index, int64_t n, int64_t rows, unsigned long long* first_bad) {
  const uint32_t limit = rows >= (int64_t{1} << 31) ? 0x80000000u : static_cast<uint32_t>(rows);
  for (int64_t i = ThreadIndex(); i < n; i += GridStride()) {
    if (static_cast<uint32_t>(__ldg(index + i)) >= limit) atomicMin(first_bad, static_cast<unsigned long long>(i));
  }
}

// out[i, :] = x[index[i], :]: a group of lanes per output row, V floats per access.
template <int V>
__global__ void __launch_bounds__(kThreads)
    GatherKernel(const float* x, int64_t width, const int32_t* index, int64_t n, float* out, int lanes) {
  const int lane = static_cast<int>(threadIdx.x) & (lanes - 1);
  const int64_t groups_per_block = blockDim.x / lanes;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  for (int64_t i = blockIdx.x * groups_per_block + threadIdx.x / lanes; i < n; i += stride) {
    const float* src = x + static_cast<int64_t>(__ldg(index + i)) * width;
    float* dst = out + i * width;
    for (int64_t c = static_cast<int64_t>(lane) * V; c < width; c += static_cast<int64_t>(lanes) * V) {
      float v[V];
      LoadFloats<V>(src + c, v);
      StoreFloats<V>(dst + c, v);
    }
  }
}

// After the stable sort by target row: the group at each run of equal keys applies the run in
// position order (copy: its last entry; add: fma(alpha, src, target) entry by entry).
__global__ void __launch_bounds__(kThreads)
    ScatterRunsKernel(float* target, int64_t width, const uint32_t* keys, const int64_t* positions, int64_t n,
                      const float* src, bool add, float alpha, int lanes) {
  const int lane = static_cast<int>(threadIdx.x) & (lanes - 1);
  const int64_t groups_per_block = blockDim.x / lanes;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  for (int64_t k = blockIdx.x * groups_per_block + threadIdx.x / lanes; k < n; k += stride) {
    const uint32_t row = keys[k];
    if (k > 0 && keys[k - 1] == row) continue;  // not the start of a run
    int64_t end = k + 1;
    while (end < n && keys[end] == row) ++end;
    float* dst = target + static_cast<int64_t>(row) * width;
    if (!add) {
      const float* s = src + positions[end - 1] * width;
      for (int64_t c = lane; c < width; c += lanes) dst[c] = s[c];
      continue;
    }
    for (int64_t c = lane; c < width; c += lanes) {
      float acc = dst[c];
      for (int64_t q = k; q < end; ++q) acc = dmath::Fma(alpha, src[positions[q] * width + c], acc);
      dst[c] = acc;
    }
  }
}

__global__ void IotaKernel(int64_t* out, int64_t n) {
  for (int64_t i = ThreadIndex(); i < n; i += GridStride()) out[i] = i;
}

int LanesFor(int64_t units) {
  int lanes = 1;
  while (lanes < 32 && lanes < units) lanes *= 2;
  return lanes;
}

// Checks index[0, n) against [0, rows) on the device; synchronizes the stream to read the verdict.
Status CheckIndexOnDevice(const int32_t* index, int64_t n, int64_t rows, const Workspace& ws, cudaStream_t s,
                          const char* op) {
  if (n == 0) return Status::Ok();
  if (index == nullptr) return Status(StatusCode::kShapeMismatch, std::string(op) + ": index: data is missing");
  unsigned long long* flag = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, 1, &flag, op, "the index check's flag"));
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemsetAsync(flag, 0xff, sizeof(*flag), s)));
  CheckIndexKernel<<<GridFor(n, kThreads), kThreads, 0, s>>>(index, n, rows, flag);
  GNN_RETURN_IF_ERROR(LaunchStatus(op));
  unsigned long long first_bad = 0;
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemcpyAsync(&first_bad, flag, sizeof(first_bad), cudaMemcpyDeviceToHost, s)));
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaStreamSynchronize(s)));
  if (first_bad == ~0ull) return Status::Ok();
  int32_t value = 0;
  const int64_t at = static_cast<int64_t>(first_bad);
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemcpyAsync(&value, index + at, sizeof(value), cudaMemcpyDeviceToHost, s)));
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaStreamSynchronize(s)));
  return Status(StatusCode::kOutOfRange,
                "index: expected values in [0, " + Str(rows) + "), got index[" + Str(at) + "] = " + Str(value));
}

}  // namespace

Status Add(const AddArgs& p, Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("add", p.rows, p.width));
  if (p.b_row_stride != 0 && p.b_row_stride != p.width) {
    return Status(StatusCode::kInternal, "add: b must be a full block or one broadcast row");
  }
  const int64_t n = p.rows * p.width;
  if (n == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(p.a, true, "add", "a"));
  GNN_RETURN_IF_ERROR(Present(p.b, true, "add", "b"));
  GNN_RETURN_IF_ERROR(Present(p.out, true, "add", "out"));
  const bool broadcast = p.b_row_stride == 0;
  const cudaStream_t s = AsStream(stream);
  // Units of float4 when the width is (or, without broadcasting, the element count is) a multiple
  // of 4 and every pointer is 16-byte aligned; otherwise single floats over the whole block.
  const bool vec = (broadcast ? p.width % 4 == 0 : n % 4 == 0) && Aligned16(p.a) && Aligned16(p.b) && Aligned16(p.out);
  const int64_t rows = broadcast ? p.rows : 1;
  const int64_t width = broadcast ? p.width : n;
  if (vec) {
    AddKernel<4><<<GridFor(n / 4, kThreads), kThreads, 0, s>>>(p.a, p.b, p.out, rows, width / 4, broadcast, p.alpha, p.beta);
  } else {
    AddKernel<1><<<GridFor(n, kThreads), kThreads, 0, s>>>(p.a, p.b, p.out, rows, width, broadcast, p.alpha, p.beta);
  }
  return LaunchStatus("add");
}

Status Scale(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t width,
             Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("scale", rows, width));
  const int64_t n = rows * width;
  if (n == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(x, true, "scale", "x"));
  GNN_RETURN_IF_ERROR(Present(out, true, "scale", "out"));
  const cudaStream_t s = AsStream(stream);
  const bool vec = width % 4 == 0 && Aligned16(x) && Aligned16(out);
  if (vec) {
    ScaleKernel<4><<<GridFor(n / 4, kThreads), kThreads, 0, s>>>(x, row_scale, scale, out, rows, width / 4);
  } else {
    ScaleKernel<1><<<GridFor(n, kThreads), kThreads, 0, s>>>(x, row_scale, scale, out, rows, width);
  }
  return LaunchStatus("scale");
}

Status Softmax(const float* x, float* out, int64_t rows, int64_t width, SoftmaxKind kind, Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("softmax", rows, width));
  if (kind != SoftmaxKind::kSoftmax && kind != SoftmaxKind::kLogSoftmax) {
    return Status(StatusCode::kInvalidArgValue, "softmax: unknown kind");
  }
  if (rows * width == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(x, true, "softmax", "x"));
  GNN_RETURN_IF_ERROR(Present(out, true, "softmax", "out"));
  const cudaStream_t s = AsStream(stream);
  if (kind == SoftmaxKind::kSoftmax) {
    LaunchSoftmax<SoftmaxKind::kSoftmax>(x, out, rows, width, s);
  } else {
    LaunchSoftmax<SoftmaxKind::kLogSoftmax>(x, out, rows, width, s);
  }
  return LaunchStatus("softmax");
}

Status Concat(const ConcatPart* parts, int64_t num_parts, int64_t rows, float* out, const Workspace& /*ws*/,
              Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("concat", rows, num_parts));
  if (num_parts > 0 && parts == nullptr) return Status(StatusCode::kInternal, "concat: parts are missing");
  int64_t out_width = 0;
  for (int64_t i = 0; i < num_parts; ++i) {
    if (parts[i].width < 0) return Status(StatusCode::kInvalidArgValue, "concat: negative width");
    out_width += parts[i].width;
  }
  if (rows * out_width == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(out, true, "concat", "out"));
  const cudaStream_t s = AsStream(stream);
  int64_t offset = 0;
  for (int64_t i = 0; i < num_parts; ++i) {  // `parts` is host memory holding device pointers
    const int64_t w = parts[i].width;
    if (w > 0) {
      GNN_RETURN_IF_ERROR(Present(parts[i].data, true, "concat", "parts"));
      ConcatPartKernel<<<GridFor(rows * w, kThreads), kThreads, 0, s>>>(parts[i].data, w, rows, out, out_width, offset);
      GNN_RETURN_IF_ERROR(LaunchStatus("concat"));
    }
    offset += w;
  }
  return Status::Ok();
}

Status IndexSelect(const float* x, int64_t x_rows, int64_t width, const int32_t* index, int64_t n, float* out,
                   const Workspace& ws, Stream stream) {
  GNN_RETURN_IF_ERROR(CheckBlock("indexSelect", x_rows, width));
  if (n < 0) return Status(StatusCode::kInvalidArgValue, "indexSelect: negative index length");
  const cudaStream_t s = AsStream(stream);
  GNN_RETURN_IF_ERROR(CheckIndexOnDevice(index, n, x_rows, ws, s, "indexSelect"));
  if (n * width == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(x, true, "indexSelect", "x"));
  GNN_RETURN_IF_ERROR(Present(out, true, "indexSelect", "out"));
  const bool vec = width % 4 == 0 && Aligned16(x) && Aligned16(out);
  const int vector = vec ? 4 : 1;
  const int lanes = LanesFor(CeilDiv(width, vector));
  const unsigned blocks = GridFor(n, kThreads / lanes);
  if (vec) {
    GatherKernel<4><<<blocks, kThreads, 0, s>>>(x, width, index, n, out, lanes);
  } else {
    GatherKernel<1><<<blocks, kThreads, 0, s>>>(x, width, index, n, out, lanes);
  }
  return LaunchStatus("indexSelect");
}

Status IndexScatterScaled(float* target, int64_t target_rows, int64_t width, const int32_t* index, int64_t n,
                          const float* src, bool add, float alpha, const Workspace& ws, Stream stream) {
  const char* op = "indexScatter";
  GNN_RETURN_IF_ERROR(CheckBlock(op, target_rows, width));
  if (n < 0) return Status(StatusCode::kInvalidArgValue, "indexScatter: negative index length");
  const cudaStream_t s = AsStream(stream);
  GNN_RETURN_IF_ERROR(CheckIndexOnDevice(index, n, target_rows, ws, s, op));
  if (n * width == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(Present(target, true, op, "target"));
  GNN_RETURN_IF_ERROR(Present(src, true, op, "src"));

  // Stable sort of (index, position) by index over the bits a row id can have.
  int end_bit = 1;
  while (end_bit < 32 && (int64_t{1} << end_bit) < target_rows) ++end_bit;
  const auto* keys_in = reinterpret_cast<const uint32_t*>(index);  // checked non-negative
  uint32_t* keys = nullptr;
  int64_t* positions_in = nullptr;
  int64_t* positions = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, n, &keys, op, "sorted indices"));
  GNN_RETURN_IF_ERROR(Allocate(ws, n, &positions_in, op, "positions"));
  GNN_RETURN_IF_ERROR(Allocate(ws, n, &positions, op, "sorted positions"));
  size_t temp_bytes = 0;
  GNN_RETURN_IF_ERROR(CudaCall(op, cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_in, keys, positions_in,
                                                                   positions, n, 0, end_bit, s)));
  uint8_t* temp = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, static_cast<int64_t>(temp_bytes), &temp, op, "sort scratch"));
  IotaKernel<<<GridFor(n, kThreads), kThreads, 0, s>>>(positions_in, n);
  GNN_RETURN_IF_ERROR(LaunchStatus(op));
  GNN_RETURN_IF_ERROR(CudaCall(op, cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys_in, keys, positions_in,
                                                                   positions, n, 0, end_bit, s)));
  const int lanes = LanesFor(width);
  ScatterRunsKernel<<<GridFor(n, kThreads / lanes), kThreads, 0, s>>>(target, width, keys, positions, n, src, add, alpha,
                                                                     lanes);
  return LaunchStatus(op);
}

Status IndexScatter(float* target, int64_t target_rows, int64_t width, const int32_t* index, int64_t n,
                    const float* src, bool add, const Workspace& ws, Stream stream) {
  return IndexScatterScaled(target, target_rows, width, index, n, src, add, 1.0f, ws, stream);
}

}  // namespace cuda
}  // namespace gnn
