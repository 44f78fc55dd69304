// Linear on the device (cuda/kernels.h): out[n, m] = act(x[n, k] · weight[m, k]^T + bias[m]).
//
// Our kernel: a tiled SGEMM. A block of 128 threads owns a 128 x 64 tile of out; per step of 8 k
// it stages x's 128 x 8 and weight's 64 x 8 slices in shared memory (transposed, k-major, double
// buffered: the next slice is loaded into registers while the current one is used), and each thread
// accumulates an 8 x 8 register tile with 64 fmas per k. Every output element is one fma chain in
// increasing k from 0, the CPU GEMM's order, then + bias and the activation in the epilogue (the
// same roundings as the CPU's AVX kernels). Any n, m, k (k = 0 gives act(bias)); tiles are a 1-D
// grid with a grid stride. Cost: 2 n m k flops; x is read m / 64 times and weight n / 128 times
// (from L2 mostly), out written once.
//
// With GNN_HAVE_CUBLAS (the CUDA build defines it when CMake finds cuBLAS), use_library runs the
// product with cublasSgemm (default math mode: no TF32) into out and our epilogue kernel applies
// bias and activation in place; sizes beyond int range fall back to our kernel.
#include <climits>
#include <string>

#include "../native/kernels/arg_checks.h"

#include "common.cuh"
#include "device_math.cuh"

#if defined(GNN_HAVE_CUBLAS)
#include <cublas_v2.h>
#endif

namespace gnn {
namespace cuda {
namespace {

constexpr int kBM = 128;
constexpr int kBN = 64;
constexpr int kBK = 8;
constexpr int kTM = 8;
constexpr int kTN = 8;
constexpr int kGemmThreads = (kBM / kTM) * (kBN / kTN);  // 128

struct GemmParams {
  const float* x;
  const float* w;
  const float* bias;
  float* out;
  int64_t n;
  int64_t m;
  int64_t k;
  gnn::Activation act;
  float alpha;
};

// Global -> registers: thread t holds row t of x's slice (8 floats) and half a row of weight's
// (4 floats), zero beyond the matrix. kVec: k % 4 == 0 and 16-byte aligned x, w (float4 loads).
template <bool kVec>
__device__ __forceinline__ void LoadSlices(const GemmParams& p, int64_t row0, int64_t col0, int64_t k0, float (&a)[8],
                                           float (&b)[4]) {
  const int t = threadIdx.x;
  const int64_t ar = row0 + t;
  const int64_t br = col0 + t / 2;
  const int64_t bk = k0 + (t % 2) * 4;
  if constexpr (kVec) {
    const float4 z = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    const float4 a0 = ar < p.n ? __ldg(reinterpret_cast<const float4*>(p.x + ar * p.k + k0)) : z;
    const float4 a1 = ar < p.n && k0 + 4 < p.k ? __ldg(reinterpret_cast<const float4*>(p.x + ar * p.k + k0 + 4)) : z;
    const float4 b0 = br < p.m && bk < p.k ? __ldg(reinterpret_cast<const float4*>(p.w + br * p.k + bk)) : z;
    a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
    a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
    b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
  } else {
#pragma unroll
    for (int i = 0; i < 8; ++i) a[i] = ar < p.n && k0 + i < p.k ? __ldg(p.x + ar * p.k + k0 + i) : 0.0f;
#pragma unroll
    for (int i = 0; i < 4; ++i) b[i] = br < p.m && bk + i < p.k ? __ldg(p.w + br * p.k + bk + i) : 0.0f;
  }
}

__device__ __forceinline__ void StoreSlices(float (*as)[kBM], float (*bs)[kBN], const float (&a)[8], const float (&b)[4]) {
  const int t = threadIdx.x;
#pragma unroll
  for (int i = 0; i < 8; ++i) as[i][t] = a[i];
#pragma unroll
  for (int i = 0; i < 4; ++i) bs[(t % 2) * 4 + i][t / 2] = b[i];
}

template <bool kVec>
__global__ void __launch_bounds__(kGemmThreads) SgemmKernel(const GemmParams p, int64_t col_tiles, int64_t tiles,
                                                           bool vec_out) {
  __shared__ __align__(16) float as[2][kBK][kBM];
  __shared__ __align__(16) float bs[2][kBK][kBN];
  const int tx = threadIdx.x % (kBN / kTN);  // 8 column groups
  const int ty = threadIdx.x / (kBN / kTN);  // 16 row groups
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t row0 = (tile / col_tiles) * kBM;
    const int64_t col0 = (tile % col_tiles) * kBN;
    float acc[kTM][kTN];
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
#pragma unroll
      for (int j = 0; j < kTN; ++j) acc[i][j] = 0.0f;
    }
    float ra[8], rb[4];
    int buf = 0;
    __syncthreads();  // the previous tile's last reads of `as` / `bs` are done
    if (p.k > 0) {
      LoadSlices<kVec>(p, row0, col0, 0, ra, rb);
      StoreSlices(as[0], bs[0], ra, rb);
    }
    __syncthreads();
    for (int64_t k0 = 0; k0 < p.k; k0 += kBK) {
      const bool more = k0 + kBK < p.k;
      if (more) LoadSlices<kVec>(p, row0, col0, k0 + kBK, ra, rb);
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        const float4 a0 = *reinterpret_cast<const float4*>(&as[buf][kk][ty * kTM]);
        const float4 a1 = *reinterpret_cast<const float4*>(&as[buf][kk][ty * kTM + 4]);
        const float4 b0 = *reinterpret_cast<const float4*>(&bs[buf][kk][tx * kTN]);
        const float4 b1 = *reinterpret_cast<const float4*>(&bs[buf][kk][tx * kTN + 4]);
        const float a[kTM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
        const float b[kTN] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
        for (int i = 0; i < kTM; ++i) {
#pragma unroll
          for (int j = 0; j < kTN; ++j) acc[i][j] = dmath::Fma(a[i], b[j], acc[i][j]);
        }
      }
      if (more) StoreSlices(as[buf ^ 1], bs[buf ^ 1], ra, rb);
      __syncthreads();
      buf ^= 1;
    }
    // Epilogue: + bias, activation, store (float4 when the row stride and out allow it).
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int64_t r = row0 + ty * kTM + i;
      if (r >= p.n) break;
      const int64_t c0 = col0 + tx * kTN;
      float v[kTN];
#pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const int64_t c = c0 + j;
        float y = acc[i][j];
        if (p.bias != nullptr && c < p.m) y = dmath::Add(y, __ldg(p.bias + c));
        v[j] = dmath::ActivateAny(p.act, y, p.alpha);
      }
      float* o = p.out + r * p.m + c0;
      if (vec_out && c0 + kTN <= p.m) {
        *reinterpret_cast<float4*>(o) = make_float4(v[0], v[1], v[2], v[3]);
        *reinterpret_cast<float4*>(o + 4) = make_float4(v[4], v[5], v[6], v[7]);
      } else {
#pragma unroll
        for (int j = 0; j < kTN; ++j) {
          if (c0 + j < p.m) o[j] = v[j];
        }
      }
    }
  }
}

#if defined(GNN_HAVE_CUBLAS)
constexpr int kThreads = 256;

// out = act(out + bias) in place, after the library's product.
__global__ void __launch_bounds__(kThreads) EpilogueKernel(float* out, const float* bias, int64_t n, int64_t m,
                                                           gnn::Activation act, float alpha) {
  const int64_t total = n * m;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    float y = out[i];
    if (bias != nullptr) y = dmath::Add(y, __ldg(bias + i % m));
    out[i] = dmath::ActivateAny(act, y, alpha);
  }
}

Status CublasError(cublasStatus_t st) {
  return Status(StatusCode::kCuda, std::string("linear: cuBLAS ") + cublasGetStatusName(st) + " (" +
                                       cublasGetStatusString(st) + ")");
}

// One handle per thread and device (a handle belongs to the device current when it was made).
Status Handle(cublasHandle_t* out) {
  struct Handles {
    cublasHandle_t by_device[64] = {};
    ~Handles() {
      for (cublasHandle_t h : by_device) {
        if (h != nullptr) cublasDestroy(h);
      }
    }
  };
  thread_local Handles handles;
  int device = 0;
  GNN_RETURN_IF_ERROR(CudaCall("linear", cudaGetDevice(&device)));
  if (device < 0 || device >= 64) return Status(StatusCode::kInternal, "linear: device index beyond 64");
  cublasHandle_t& h = handles.by_device[device];
  if (h == nullptr) {
    const cublasStatus_t st = cublasCreate(&h);
    if (st != CUBLAS_STATUS_SUCCESS) {
      h = nullptr;
      return CublasError(st);
    }
    cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);  // fp32 throughout: no TF32
  }
  *out = h;
  return Status::Ok();
}

Status LibraryLinear(const LinearArgs& a, cudaStream_t s) {
  cublasHandle_t h = nullptr;
  GNN_RETURN_IF_ERROR(Handle(&h));
  cublasStatus_t st = cublasSetStream(h, s);
  if (st != CUBLAS_STATUS_SUCCESS) return CublasError(st);
  // Column-major view: out^T [m, n] = weight [m, k] (stored as its transpose) · x^T [k, n].
  const float one = 1.0f;
  const float zero = 0.0f;
  const int m = static_cast<int>(a.m);
  const int n = static_cast<int>(a.n);
  const int k = static_cast<int>(a.k);
  st = cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, a.weight, k, a.x, k, &zero, a.out, m);
  if (st != CUBLAS_STATUS_SUCCESS) return CublasError(st);
  if (a.bias != nullptr || a.act != gnn::Activation::kNone) {
    EpilogueKernel<<<GridFor(a.n * a.m, kThreads), kThreads, 0, s>>>(a.out, a.bias, a.n, a.m, a.act, a.alpha);
    GNN_RETURN_IF_ERROR(LaunchStatus("linear"));
  }
  return Status::Ok();
}
#endif  // GNN_HAVE_CUBLAS

}  // namespace

Status Linear(const LinearArgs& a, const Workspace& /*ws*/, Stream stream) {
  if (a.n < 0 || a.k < 0 || a.m < 0) {
    return Status(StatusCode::kShapeMismatch, "linear: expected non-negative sizes, got n = " + Str(a.n) + ", k = " +
                                                  Str(a.k) + ", m = " + Str(a.m));
  }
  if (!IsValidActivation(static_cast<int>(a.act))) return Status(StatusCode::kInvalidArgValue, "activation: unknown kind");
  if (a.n == 0 || a.m == 0) return Status::Ok();
  if ((a.k > 0 && (a.x == nullptr || a.weight == nullptr)) || a.out == nullptr) {
    return Status(StatusCode::kShapeMismatch, "linear: x/weight/out: data is missing");
  }
  const cudaStream_t s = AsStream(stream);
#if defined(GNN_HAVE_CUBLAS)
  if (a.use_library && a.k > 0 && a.n <= INT_MAX && a.m <= INT_MAX && a.k <= INT_MAX) return LibraryLinear(a, s);
#endif
  GemmParams p;
  p.x = a.x;
  p.w = a.weight;
  p.bias = a.bias;
  p.out = a.out;
  p.n = a.n;
  p.m = a.m;
  p.k = a.k;
  p.act = a.act;
  p.alpha = a.alpha;
  const int64_t col_tiles = CeilDiv(a.m, kBN);
  const int64_t tiles = CeilDiv(a.n, kBM) * col_tiles;
  const auto a16 = [](const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; };
  const bool vec_in = a.k % 4 == 0 && a16(a.x) && a16(a.weight);
  const bool vec_out = a.m % 4 == 0 && a16(a.out);
  const unsigned blocks = GridFor(tiles, 1);
  if (vec_in) {
    SgemmKernel<true><<<blocks, kGemmThreads, 0, s>>>(p, col_tiles, tiles, vec_out);
  } else {
    SgemmKernel<false><<<blocks, kGemmThreads, 0, s>>>(p, col_tiles, tiles, vec_out);
  }
  return LaunchStatus("linear");
}

}  // namespace cuda
}  // namespace gnn
