// Quantize / Dequantize on the device (cuda/kernels.h) with native/kernels/quantize.h's arithmetic:
// scales and zero points from the range in double, rounded once to float (device_math.cuh's
// SymmetricParams / AsymmetricParams, shared with the CPU tests), codes RNE(clamp(x · inv)) + zp,
// degenerate ranges giving scale 1 and zero codes, NaN / ±Infinity refused.
//
// Per row: a warp per row finds the row's range (max |x|, or min(0, min x) and max(0, max x)),
// lane 0 turns it into the row's parameters and the warp writes the codes. Per tensor: one pass
// reduces the range with integer atomics on the floats' bit patterns (max of non-negative floats
// is the max of their bits: exact, so the order of the atomics cannot matter), a one-thread
// kernel makes the parameters, and an elementwise pass writes the codes; static parameters come
// from the host (quantize.h StaticParams). Non-finite inputs set a workspace flag that Quantize
// reads back: it synchronizes the stream. Bytes: two reads of x (range, codes; one for static
// parameters) and N K bytes of codes written. Dequantize: N K bytes read, 4 N K written.
#include <string>

#include "common.cuh"
#include "device_math.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t ThreadIndex() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t GridStride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// A warp per row: range, parameters (lane 0, broadcast), codes.
__global__ void __launch_bounds__(kThreads)
    QuantizeRowsKernel(const float* x, int64_t n, int64_t k, bool is_signed, uint8_t* codes, float* scale,
                       int32_t* zero_point, int* not_finite) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t warps = blockDim.x / 32;
  for (int64_t r = blockIdx.x * warps + threadIdx.x / 32; r < n; r += static_cast<int64_t>(gridDim.x) * warps) {
    const float* xr = x + r * k;
    float hi = 0.0f;   // max |x| (signed) or max(0, max x)
    float neg = 0.0f;  // max(0, −min x) (unsigned)
    bool finite = true;
    for (int64_t c = lane; c < k; c += 32) {
      const float v = xr[c];
      finite &= dmath::IsFinite(v);
      if (is_signed) {
        hi = dmath::MaxFast(hi, dmath::Abs(v));
      } else {
        hi = dmath::MaxFast(hi, v);
        neg = dmath::MaxFast(neg, -v);
      }
    }
    hi = GroupMax(hi, kFullMask, 32);
    neg = GroupMax(neg, kFullMask, 32);
    if (__any_sync(kFullMask, !finite) && lane == 0) atomicExch(not_finite, 1);
    const dmath::QParams p = is_signed ? dmath::SymmetricParams(hi) : dmath::AsymmetricParams(-neg, hi);
    uint8_t* q = codes + r * k;
    for (int64_t c = lane; c < k; c += 32) q[c] = dmath::QuantCode(xr[c], p.inv, p.zero_point, is_signed);
    if (lane == 0) {
      scale[r] = p.scale;
      if (zero_point != nullptr) zero_point[r] = p.zero_point;
    }
  }
}

// Per tensor, pass 1: bits of max |x| (signed) or of max(0, max x) and max(0, −min x) (unsigned).
__global__ void __launch_bounds__(kThreads)
    TensorRangeKernel(const float* x, int64_t total, bool is_signed, unsigned* hi_bits, unsigned* neg_bits,
                      int* not_finite) {
  float hi = 0.0f;
  float neg = 0.0f;
  bool finite = true;
  for (int64_t i = ThreadIndex(); i < total; i += GridStride()) {
    const float v = x[i];
    if (!dmath::IsFinite(v)) {
      finite = false;
      continue;
    }
    if (is_signed) {
      hi = dmath::MaxFast(hi, dmath::Abs(v));
    } else {
      hi = dmath::MaxFast(hi, v);
      neg = dmath::MaxFast(neg, -v);
    }
  }
  hi = GroupMax(hi, kFullMask, 32);
  neg = GroupMax(neg, kFullMask, 32);
  const bool any_bad = __any_sync(kFullMask, !finite);
  if ((threadIdx.x & 31) == 0) {
    atomicMax(hi_bits, dmath::Bits(hi));  // non-negative floats order as their bits
    atomicMax(neg_bits, dmath::Bits(neg));
    if (any_bad) atomicExch(not_finite, 1);
  }
}

// Per tensor, pass 2: the parameters, to scale[0] / zero_point[0] and to `params` for pass 3.
__global__ void TensorParamsKernel(const unsigned* hi_bits, const unsigned* neg_bits, bool is_signed, float* scale,
                                   int32_t* zero_point, dmath::QParams* params) {
  const float hi = dmath::FromBits(*hi_bits);
  const float lo = -dmath::FromBits(*neg_bits);
  const dmath::QParams p = is_signed ? dmath::SymmetricParams(hi) : dmath::AsymmetricParams(lo, hi);
  *params = p;
  scale[0] = p.scale;
  if (zero_point != nullptr) zero_point[0] = p.zero_point;
}

// Codes with one set of parameters: from device memory (dynamic) or by value (static, which also
// records them and checks finiteness here, the only pass over x).
__global__ void __launch_bounds__(kThreads)
    TensorCodesKernel(const float* x, int64_t total, bool is_signed, const dmath::QParams* device_params,
                      dmath::QParams static_params, uint8_t* codes, float* scale, int32_t* zero_point, int* not_finite) {
  const dmath::QParams p = device_params != nullptr ? *device_params : static_params;
  bool finite = true;
  for (int64_t i = ThreadIndex(); i < total; i += GridStride()) {
    const float v = x[i];
    finite &= dmath::IsFinite(v);
    codes[i] = dmath::QuantCode(v, p.inv, p.zero_point, is_signed);
  }
  if (device_params == nullptr) {
    if (__any_sync(kFullMask, !finite) && (threadIdx.x & 31) == 0) atomicExch(not_finite, 1);
    if (ThreadIndex() == 0) {
      scale[0] = p.scale;
      if (zero_point != nullptr) zero_point[0] = p.zero_point;
    }
  }
}

// out = float(q − zp) · s per element, s and zp of the row (or of the tensor).
__global__ void __launch_bounds__(kThreads)
    DequantizeKernel(const uint8_t* codes, bool is_signed, int64_t n, int64_t k, const float* scale,
                     const int32_t* zero_point, bool per_row, float* out) {
  const int64_t total = n * k;
  for (int64_t i = ThreadIndex(); i < total; i += GridStride()) {
    const int64_t g = per_row ? i / k : 0;
    const float s = __ldg(scale + g);
    const int32_t q = is_signed ? static_cast<int32_t>(static_cast<int8_t>(codes[i])) : static_cast<int32_t>(codes[i]) -
                                                                                            __ldg(zero_point + g);
    out[i] = dmath::Mul(static_cast<float>(q), s);
  }
}

}  // namespace

Status Quantize(const QuantizeArgs& a, const Workspace& ws, Stream stream) {
  const char* op = "quantize";
  GNN_RETURN_IF_ERROR(CheckQuantizeArgs(a));
  if (a.n == 0) return Status::Ok();
  const cudaStream_t s = AsStream(stream);
  int* not_finite = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, 1, &not_finite, op, "the finiteness flag"));
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemsetAsync(not_finite, 0, sizeof(int), s)));
  const int64_t total = a.n * a.k;
  if (a.per_row && !a.is_static) {
    QuantizeRowsKernel<<<GridFor(a.n, kThreads / 32), kThreads, 0, s>>>(a.x, a.n, a.k, a.is_signed, a.codes, a.scale,
                                                                       a.zero_point, not_finite);
    GNN_RETURN_IF_ERROR(LaunchStatus(op));
  } else if (a.is_static) {
    const QuantParams host = StaticParams(a.static_scale, a.static_zero_point);
    dmath::QParams p;
    p.scale = host.scale;
    p.inv = host.inv;
    p.zero_point = host.zero_point;
    TensorCodesKernel<<<GridFor(total > 0 ? total : 1, kThreads), kThreads, 0, s>>>(
        a.x, total, a.is_signed, nullptr, p, a.codes, a.scale, a.zero_point, not_finite);
    GNN_RETURN_IF_ERROR(LaunchStatus(op));
  } else {
    unsigned* bits = nullptr;
    dmath::QParams* params = nullptr;
    GNN_RETURN_IF_ERROR(Allocate(ws, 2, &bits, op, "the tensor range"));
    GNN_RETURN_IF_ERROR(Allocate(ws, 1, &params, op, "the tensor parameters"));
    GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemsetAsync(bits, 0, 2 * sizeof(unsigned), s)));  // +0.0f
    if (total > 0) {
      TensorRangeKernel<<<GridFor(total, kThreads), kThreads, 0, s>>>(a.x, total, a.is_signed, bits, bits + 1,
                                                                       not_finite);
      GNN_RETURN_IF_ERROR(LaunchStatus(op));
    }
    TensorParamsKernel<<<1, 1, 0, s>>>(bits, bits + 1, a.is_signed, a.scale, a.zero_point, params);
    GNN_RETURN_IF_ERROR(LaunchStatus(op));
    if (total > 0) {
      TensorCodesKernel<<<GridFor(total, kThreads), kThreads, 0, s>>>(a.x, total, a.is_signed, params, dmath::QParams(),
                                                                       a.codes, a.scale, a.zero_point, not_finite);
      GNN_RETURN_IF_ERROR(LaunchStatus(op));
    }
  }
  int flag = 0;
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaMemcpyAsync(&flag, not_finite, sizeof(flag), cudaMemcpyDeviceToHost, s)));
  GNN_RETURN_IF_ERROR(CudaCall(op, cudaStreamSynchronize(s)));
  if (flag != 0) {
    return Status(StatusCode::kInvalidArgValue, "x: expected finite values to quantize, got NaN or ±Infinity");
  }
  return Status::Ok();
}

Status Dequantize(const DequantizeArgs& a, Stream stream) {
  GNN_RETURN_IF_ERROR(CheckDequantizeArgs(a));
  if (a.n == 0 || a.k == 0) return Status::Ok();
  const bool per_row = a.scale_length != 1 || a.n == 1;
  DequantizeKernel<<<GridFor(a.n * a.k, kThreads), kThreads, 0, AsStream(stream)>>>(a.codes, a.is_signed, a.n, a.k, a.scale,
                                                                                    a.zero_point, per_row, a.out);
  return LaunchStatus("dequantize");
}

}  // namespace cuda
}  // namespace gnn
