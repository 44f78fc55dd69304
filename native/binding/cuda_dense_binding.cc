// Dense and int8 ops of the `cuda` object: argument unpacking only (lib/native-cuda-types.ts).
//   linear(x, n, k, weight, m, bias | null, out, act, alpha, useLibrary)    weight: plain [m, k]
//   quantize(x, n, k, isSigned, perRow, isStatic, staticScale, staticZeroPoint, codes, scale, zeroPoint | null)
//   dequantize(codes, isSigned, n, k, scale, scaleLength, zeroPoint | null, out)
//   quantizedLinear(x, xScale, xZeroPoint, n, k, weight, weightScale, m, bias | null, out, act, alpha)
// The int8 ops take the CPU kernels' own argument checks (quantize.h), fed with the buffers' sizes.
#include <napi.h>

#include "../../cuda/kernels.h"
#include "args.h"
#include "cuda_args.h"
#include "cuda_bindings.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

using gnn::cuda::LaunchFn;
using gnn::cuda::Stream;
using gnn::cuda::Workspace;

int64_t Count(const Napi::Value& value, const char* name) { return GetInt(value, name, 0, kMaxElements); }

Activation GetActivation(const Napi::Value& value) {
  return static_cast<Activation>(GetInt(value, "act", 0, static_cast<int>(Activation::kTanh)));
}

// A required buffer of any size, on the op's device.
DeviceHandle* Any(const Napi::CallbackInfo& info, int i, const char* name, DeviceSet* devices) {
  DeviceHandle* h = GetBuffer(info[i], name);
  devices->Add(h, info[i], name);
  return h;
}

LaunchFn UnpackLinear(const Napi::CallbackInfo& info, DeviceSet* devices) {
  gnn::cuda::LinearArgs a;
  a.n = Count(info[1], "n");
  a.k = Count(info[2], "k");
  a.m = Count(info[4], "m");
  a.act = GetActivation(info[7]);
  a.alpha = GetFloat(info[8], "alpha");
  a.use_library = GetBool(info[9], "useLibrary");
  a.x = Ptr<const float>(Sized(info, 0, "x", a.n, a.k, 4, "float32", devices));
  a.weight = Ptr<const float>(Sized(info, 3, "weight", a.m, a.k, 4, "float32", devices));
  a.bias = Ptr<const float>(OptionalSized(info, 5, "bias", a.m, 1, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 6, "out", a.n, a.m, 4, "float32", devices));
  return [a](const Workspace& ws, Stream s) { return gnn::cuda::Linear(a, ws, s); };
}

LaunchFn UnpackQuantize(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  QuantizeArgs a;
  a.n = Count(info[1], "n");
  a.k = Count(info[2], "k");
  a.is_signed = GetBool(info[3], "isSigned");
  a.per_row = GetBool(info[4], "perRow");
  a.is_static = GetBool(info[5], "isStatic");
  a.static_scale = GetNumber(info[6], "staticScale");
  a.static_zero_point = GetInt(info[7], "staticZeroPoint", -2147483647, 2147483647);
  const DeviceHandle* x = Any(info, 0, "x", devices);
  const DeviceHandle* codes = Any(info, 8, "codes", devices);
  const DeviceHandle* scale = Any(info, 9, "scale", devices);
  DeviceHandle* zp = GetOptionalBuffer(info[10], "zeroPoint");
  devices->Add(zp, info[10], "zeroPoint");
  a.x = Ptr<const float>(x);
  a.x_length = ElementsOf(env, "x", x, 4);
  a.codes = Ptr<uint8_t>(codes);
  a.codes_length = codes->bytes;
  a.scale = Ptr<float>(scale);
  a.scale_length = ElementsOf(env, "scale", scale, 4);
  a.zero_point = Ptr<int32_t>(zp);
  a.zero_point_length = zp != nullptr ? ElementsOf(env, "zeroPoint", zp, 4) : 0;
  ThrowIfError(env, CheckQuantizeArgs(a));
  return [a](const Workspace& ws, Stream s) { return gnn::cuda::Quantize(a, ws, s); };
}

LaunchFn UnpackDequantize(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  DequantizeArgs a;
  a.is_signed = GetBool(info[1], "isSigned");
  a.n = Count(info[2], "n");
  a.k = Count(info[3], "k");
  const int64_t scale_length = Count(info[5], "scaleLength");
  const DeviceHandle* codes = Any(info, 0, "codes", devices);
  const DeviceHandle* scale = Sized(info, 4, "scale", scale_length, 1, 4, "float32", devices);
  DeviceHandle* zp = GetOptionalBuffer(info[6], "zeroPoint");
  devices->Add(zp, info[6], "zeroPoint");
  const DeviceHandle* out = Any(info, 7, "out", devices);
  a.codes = Ptr<const uint8_t>(codes);
  a.codes_length = codes->bytes;
  a.scale = Ptr<const float>(scale);
  a.scale_length = scale_length;
  a.zero_point = Ptr<const int32_t>(zp);
  a.zero_point_length = zp != nullptr ? ElementsOf(env, "zeroPoint", zp, 4) : 0;
  a.out = Ptr<float>(out);
  a.out_length = ElementsOf(env, "out", out, 4);
  ThrowIfError(env, CheckDequantizeArgs(a));
  return [a](const Workspace&, Stream s) { return gnn::cuda::Dequantize(a, s); };
}

LaunchFn UnpackQuantizedLinear(const Napi::CallbackInfo& info, DeviceSet* devices) {
  gnn::cuda::QLinearArgs a;
  a.n = Count(info[3], "n");
  a.k = Count(info[4], "k");
  a.m = Count(info[7], "m");
  a.act = GetActivation(info[10]);
  a.alpha = GetFloat(info[11], "alpha");
  a.x = Ptr<const uint8_t>(Sized(info, 0, "x", a.n, a.k, 1, "uint8", devices));
  a.x_scale = Ptr<const float>(Sized(info, 1, "xScale", a.n, 1, 4, "float32", devices));
  a.x_zero_point = Ptr<const int32_t>(Sized(info, 2, "xZeroPoint", a.n, 1, 4, "int32", devices));
  a.weight = Ptr<const int8_t>(Sized(info, 5, "weight", a.m, a.k, 1, "int8", devices));
  a.weight_scale = Ptr<const float>(Sized(info, 6, "weightScale", a.m, 1, 4, "float32", devices));
  a.bias = Ptr<const float>(OptionalSized(info, 8, "bias", a.m, 1, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 9, "out", a.n, a.m, 4, "float32", devices));
  return [a](const Workspace& ws, Stream s) { return gnn::cuda::QuantizedLinear(a, ws, s); };
}

}  // namespace

GNN_CUDA_OP_PAIR(CudaLinear, UnpackLinear)
GNN_CUDA_OP_PAIR(CudaQuantize, UnpackQuantize)
GNN_CUDA_OP_PAIR(CudaDequantize, UnpackDequantize)
GNN_CUDA_OP_PAIR(CudaQuantizedLinear, UnpackQuantizedLinear)

}  // namespace binding
}  // namespace gnn
