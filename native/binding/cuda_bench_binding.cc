// Benchmark helpers of the `cuda` object (numbers only; bench/ turns them into tables).
//   spmmMs(graph, x, width, weightsMode, weights | null, heads, out, reduce, repeats) -> median ms
//   cusparseSpmmMs(graph, x, width, useGraphWeights, out, repeats) -> median ms (cuSPARSE builds only)
//   copyBandwidth(device, bytes, repeats) -> GB/s (bytes read + written), best of repeats
// Each times with events on the calling thread's stream after warm-up runs, and blocks until done.
#include <napi.h>

#include <string>

#include "../../cuda/cusparse_spmm.h"
#include "../../cuda/runtime.h"
#include "args.h"
#include "cuda_args.h"
#include "cuda_bindings.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

constexpr int kWarmup = 3;

int GetRepeats(const Napi::Value& value) { return static_cast<int>(GetInt(value, "repeats", 1, 100000)); }

}  // namespace

Napi::Value CudaSpmmMs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceSet devices(env);
  const gnn::cuda::LaunchFn launch = UnpackCudaSpmm(info, &devices);
  const int repeats = GetRepeats(info[8]);
  double ms = 0;
  ThrowIfError(env, gnn::cuda::MedianLaunchMs(devices.device(), kWarmup, repeats, launch, &ms));
  return Napi::Number::New(env, ms);
}

Napi::Value CudaCusparseSpmmMs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef GNN_HAVE_CUSPARSE
  DeviceSet devices(env);
  const DeviceHandle* g = GetDeviceGraph(info[0], "graph");
  devices.Add(const_cast<DeviceHandle*>(g), info[0], "graph");
  const CsrView& csr = g->graph.csr;
  const int64_t width = GetInt(info[2], "width", 0, int64_t{1} << 40);
  const bool use_weights = GetBool(info[3], "useGraphWeights");
  const float* x = Ptr<const float>(Sized(info, 1, "x", csr.num_cols, width, 4, "float32", &devices));
  float* out = Ptr<float>(Sized(info, 4, "out", csr.num_rows, width, 4, "float32", &devices));
  const int repeats = GetRepeats(info[5]);
  double ms = 0;
  ThrowIfError(env, gnn::cuda::CusparseSpmmMs(g->graph, x, width, use_weights, out, repeats, &ms));
  return Napi::Number::New(env, ms);
#else
  Napi::Error error = Napi::Error::New(
      env, "cusparseSpmmMs: this CUDA build has no cuSPARSE (CMake did not find it in the toolkit it was built with)");
  error.Set("code", Napi::String::New(env, "ERR_GNN_BACKEND_UNAVAILABLE"));
  throw error;
#endif
}

Napi::Value CudaCopyBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int device = static_cast<int>(GetInt(info[0], "device", 0, 1 << 20));
  const int64_t bytes = GetInt(info[1], "bytes", 1, int64_t{1} << 40);
  const int repeats = GetRepeats(info[2]);
  double gbps = 0;
  ThrowIfError(env, gnn::cuda::CopyBandwidth(device, bytes, repeats, &gbps));
  return Napi::Number::New(env, gbps);
}

}  // namespace binding
}  // namespace gnn
