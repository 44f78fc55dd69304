// Activation on the device (cuda/kernels.h): out[i] = act(x[i]) with the CPU's float32 math
// (device_math.cuh ports simd_math.h step for step, so results equal the CPU's bit for bit).
// Memory-bound: 8 bytes per element, float4 accesses when both pointers are 16-byte aligned (the
// last n mod 4 elements one by one). out may equal x.
#include "common.cuh"
#include "device_math.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <gnn::Activation kAct>
__global__ void __launch_bounds__(kThreads)
    ActivationKernel(const float* x, float* out, int64_t n, bool vec, float alpha) {
  const int64_t units = vec ? n / 4 : 0;        // float4 units first
  const int64_t total = units + (n - units * 4);  // then single floats
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    if (i < units) {
      float v[4];
      LoadFloats<4>(x + i * 4, v);
#pragma unroll
      for (int k = 0; k < 4; ++k) v[k] = dmath::Activate<kAct>(v[k], alpha);
      StoreFloats<4>(out + i * 4, v);
    } else {
      const int64_t at = units * 4 + (i - units);
      out[at] = dmath::Activate<kAct>(x[at], alpha);
    }
  }
}

template <gnn::Activation kAct>
void Launch(const float* x, float* out, int64_t n, bool vec, float alpha, cudaStream_t s) {
  const int64_t items = vec ? n / 4 + n % 4 : n;
  ActivationKernel<kAct><<<GridFor(items, kThreads), kThreads, 0, s>>>(x, out, n, vec, alpha);
}

}  // namespace

Status Activation(const float* x, float* out, int64_t n, gnn::Activation act, float alpha, Stream stream) {
  if (!IsValidActivation(static_cast<int>(act))) return Status(StatusCode::kInvalidArgValue, "activation: unknown kind");
  if (n <= 0) return Status::Ok();
  if (x == nullptr || out == nullptr) return Status(StatusCode::kShapeMismatch, "activation: x/out: data is missing");
  const bool vec = reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(out) % 16 == 0;
  const cudaStream_t s = AsStream(stream);
  switch (act) {
    case gnn::Activation::kNone:
      if (x != out) {
        return CudaCall("activation", cudaMemcpyAsync(out, x, static_cast<size_t>(n) * sizeof(float),
                                                      cudaMemcpyDeviceToDevice, s));
      }
      return Status::Ok();
    case gnn::Activation::kRelu: Launch<gnn::Activation::kRelu>(x, out, n, vec, alpha, s); break;
    case gnn::Activation::kLeakyRelu: Launch<gnn::Activation::kLeakyRelu>(x, out, n, vec, alpha, s); break;
    case gnn::Activation::kElu: Launch<gnn::Activation::kElu>(x, out, n, vec, alpha, s); break;
    case gnn::Activation::kGelu: Launch<gnn::Activation::kGelu>(x, out, n, vec, alpha, s); break;
    case gnn::Activation::kSigmoid: Launch<gnn::Activation::kSigmoid>(x, out, n, vec, alpha, s); break;
    case gnn::Activation::kTanh: Launch<gnn::Activation::kTanh>(x, out, n, vec, alpha, s); break;
  }
  return LaunchStatus("activation");
}

}  // namespace cuda
}  // namespace gnn
