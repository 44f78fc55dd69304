// What every CUDA kernel file shares: CUDA errors as Status, workspace allocation, grid sizes,
// group (sub-warp) shuffles and reductions in a fixed order, and vector loads and stores.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "../native/kernels/status.h"
#include "device_math.cuh"
#include "kernels.h"
#include "schedule_math.cuh"

namespace gnn {
namespace cuda {

inline cudaStream_t AsStream(Stream s) { return static_cast<cudaStream_t>(s); }

// kCuda naming the runtime's error, e.g. "spmm: cudaErrorInvalidConfiguration (invalid
// configuration argument)".
inline Status CudaError(const char* op, cudaError_t e) {
  return Status(StatusCode::kCuda, std::string(op) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

// After a launch: the launch's own error (bad configuration, no kernel image for the device, a
// context already poisoned). Errors of the kernel's execution surface at the next synchronization,
// where the runtime layer reports them.
inline Status LaunchStatus(const char* op) {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? Status::Ok() : CudaError(op, e);
}

inline Status CudaCall(const char* op, cudaError_t e) { return e == cudaSuccess ? Status::Ok() : CudaError(op, e); }

// `count` elements of T from the workspace, or kOutOfMemory. count 0 gives null and Ok.
template <class T>
Status Allocate(const Workspace& ws, int64_t count, T** out, const char* op, const char* what) {
  *out = nullptr;
  if (count <= 0) return Status::Ok();
  if (ws.allocate == nullptr) return Status(StatusCode::kInternal, std::string(op) + ": no workspace for " + what);
  if (count > INT64_MAX / static_cast<int64_t>(sizeof(T))) {
    return Status(StatusCode::kOutOfMemory, std::string(op) + ": " + what + " is too large");
  }
  *out = static_cast<T*>(ws.Allocate(static_cast<size_t>(count) * sizeof(T)));
  if (*out == nullptr) {
    return Status(StatusCode::kOutOfMemory, std::string(op) + ": out of device memory for " + what + " (" +
                                                std::to_string(count * static_cast<int64_t>(sizeof(T))) + " bytes)");
  }
  return Status::Ok();
}

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for `items` work items of `per_block` each, for kernels that loop with a grid stride (so
// the cap keeps the grid legal and bounded; 1-D grids only: gridDim.y would cap at 65535).
inline unsigned GridFor(int64_t items, int64_t per_block) {
  const int64_t blocks = CeilDiv(items, per_block);
  return static_cast<unsigned>(blocks < kMaxGridBlocks ? blocks : kMaxGridBlocks);
}

// Whether a device pointer and a row stride (in elements of `elem_bytes`) allow vector accesses of
// `bytes` bytes at every row start.
inline bool Aligned(const void* p, int64_t stride_elems, int64_t elem_bytes, int64_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(bytes) == 0 && (stride_elems * elem_bytes) % bytes == 0;
}

// ---- device helpers --------------------------------------------------------------------------------

#if defined(__CUDACC__)

constexpr unsigned kFullMask = 0xffffffffu;

// The lanes of the group of `lanes` (a power of two) that holds this thread.
__device__ __forceinline__ unsigned GroupMask(int lanes) {
  if (lanes >= 32) return kFullMask;
  const unsigned lane = threadIdx.x & 31u;
  return ((1u << lanes) - 1u) << (lane & ~static_cast<unsigned>(lanes - 1));
}

// Sum and NaN-sticky max over the lanes of a group, by a butterfly in a fixed order (the result
// depends only on the values, not on the timing), every lane receiving the result.
__device__ __forceinline__ float GroupSum(float v, unsigned mask, int lanes) {
  for (int o = lanes / 2; o > 0; o /= 2) v = dmath::Add(v, __shfl_xor_sync(mask, v, o, lanes));
  return v;
}
__device__ __forceinline__ double GroupSumD(double v, unsigned mask, int lanes) {
  for (int o = lanes / 2; o > 0; o /= 2) v = dmath::DAdd(v, __shfl_xor_sync(mask, v, o, lanes));
  return v;
}
__device__ __forceinline__ float GroupMaxNan(float v, unsigned mask, int lanes) {
  for (int o = lanes / 2; o > 0; o /= 2) v = dmath::MaxNan(v, __shfl_xor_sync(mask, v, o, lanes));
  return v;
}
// max without NaN stickiness (softmax's row max, where NaN reaches the result through the sum).
__device__ __forceinline__ float GroupMax(float v, unsigned mask, int lanes) {
  for (int o = lanes / 2; o > 0; o /= 2) v = dmath::MaxFast(v, __shfl_xor_sync(mask, v, o, lanes));
  return v;
}

// A sum or max over the whole block (blockDim.x a multiple of 32), every thread receiving it: the
// warps' butterflies, then warp 0 over the warp results, in a fixed order. `shared` holds 33
// values; all threads of the block must call it.
template <class T, bool kSum>
__device__ __forceinline__ T BlockReduce(T v, T* shared) {
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  const auto combine = [](T a, T b) -> T {
    if constexpr (kSum) {
      return a + b;
    } else {
      return a > b ? a : b;
    }
  };
  for (int o = 16; o > 0; o /= 2) v = combine(v, __shfl_xor_sync(kFullMask, v, o));
  __syncthreads();  // shared may still be read from the previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T w = lane < warps ? shared[lane] : (kSum ? T(0) : shared[0]);
    for (int o = 16; o > 0; o /= 2) w = combine(w, __shfl_xor_sync(kFullMask, w, o));
    if (lane == 0) shared[32] = w;
  }
  __syncthreads();
  return shared[32];
}

// V consecutive floats (V = 1, 2, 4) through the read-only path; p must be aligned to 4 V bytes.
template <int V>
__device__ __forceinline__ void LoadFloats(const float* p, float (&v)[V]) {
  if constexpr (V == 4) {
    const float4 t = __ldg(reinterpret_cast<const float4*>(p));
    v[0] = t.x; v[1] = t.y; v[2] = t.z; v[3] = t.w;
  } else if constexpr (V == 2) {
    const float2 t = __ldg(reinterpret_cast<const float2*>(p));
    v[0] = t.x; v[1] = t.y;
  } else {
    v[0] = __ldg(p);
  }
}

template <int V>
__device__ __forceinline__ void StoreFloats(float* p, const float (&v)[V]) {
  if constexpr (V == 4) {
    *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
  } else if constexpr (V == 2) {
    *reinterpret_cast<float2*>(p) = make_float2(v[0], v[1]);
  } else {
    *p = v[0];
  }
}

// V consecutive int8 codes (char4 / char2 / char), widened to float; p aligned to V bytes.
template <int V>
__device__ __forceinline__ void LoadCodes(const int8_t* p, float (&v)[V]) {
  if constexpr (V == 4) {
    const char4 t = __ldg(reinterpret_cast<const char4*>(p));
    v[0] = static_cast<float>(t.x); v[1] = static_cast<float>(t.y);
    v[2] = static_cast<float>(t.z); v[3] = static_cast<float>(t.w);
  } else if constexpr (V == 2) {
    const char2 t = __ldg(reinterpret_cast<const char2*>(p));
    v[0] = static_cast<float>(t.x); v[1] = static_cast<float>(t.y);
  } else {
    v[0] = static_cast<float>(__ldg(reinterpret_cast<const signed char*>(p)));
  }
}

#endif  // __CUDACC__

}  // namespace cuda
}  // namespace gnn
