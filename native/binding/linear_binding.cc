// Linear (dense GEMM) ops: argument unpacking only.
//   gemmLayout() -> the packed-weight layout the active SIMD level reads (0 scalar, 1 avx2, 2 avx512)
//   packedWeightLength(layout, m, k) -> floats of a packed [m, k] weight
//   packWeightSync(weight, m, k, layout, packed) -> packed
//   linearSync / linearAsync(x, n, k, packed, layout, m, bias|null, out, activation, alpha, weight|null) -> out
//     with `weight` given, the kernel packs it into `packed` first (off the event loop for async)
//   measurePeakFlops(threads, ms) -> GFLOP/s
#include <napi.h>

#include <string>

#include "../kernels/gemm.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

LinearArgs UnpackLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 11) ThrowType(env, "linear: expected 11 arguments, got " + std::to_string(info.Length()));
  LinearArgs a;
  ArrayView<float> x = GetArray<float>(info[0], "x");
  a.n = GetInt(info[1], "n", 0, kMaxElements);
  a.k = GetInt(info[2], "k", 0, kMaxElements);
  ArrayView<float> packed = GetArray<float>(info[3], "packed");
  a.layout = static_cast<int>(GetInt(info[4], "layout", 0, 2));
  a.m = GetInt(info[5], "m", 0, kMaxElements);
  ArrayView<float> bias = GetOptionalArray<float>(info[6], "bias");
  ArrayView<float> out = GetArray<float>(info[7], "out");
  a.act = static_cast<Activation>(GetInt(info[8], "activation", 0, 6));
  a.alpha = static_cast<float>(GetNumber(info[9], "alpha"));
  ArrayView<float> weight = GetOptionalArray<float>(info[10], "weight");
  a.x = x.data;
  a.x_length = x.length;
  a.packed = packed.data;
  a.packed_length = packed.length;
  a.bias = bias.data;
  a.bias_length = bias.length;
  a.out = out.data;
  a.out_length = out.length;
  a.weight = weight.data;
  a.weight_length = weight.length;
  ThrowIfError(env, CheckLinearArgs(a));
  return a;
}

}  // namespace

Napi::Value GemmLayoutOf(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(ActiveGemmLayout()));
}

Napi::Value PackedWeightLength(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int layout = static_cast<int>(GetInt(info[0], "layout", 0, 2));
  const int64_t m = GetInt(info[1], "m", 0, kMaxElements);
  const int64_t k = GetInt(info[2], "k", 0, kMaxElements);
  const int64_t length = gnn::PackedWeightLength(layout, m, k);
  if (length < 0) {
    ThrowRange(env, "weight: expected a shape whose packed form has fewer than 2^53 elements, got [" + std::to_string(m) +
                        ", " + std::to_string(k) + "]");
  }
  return Napi::Number::New(env, static_cast<double>(length));
}

Napi::Value PackWeightSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> w = GetArray<float>(info[0], "weight");
  const int64_t m = GetInt(info[1], "m", 0, kMaxElements);
  const int64_t k = GetInt(info[2], "k", 0, kMaxElements);
  const int layout = static_cast<int>(GetInt(info[3], "layout", 0, 2));
  ArrayView<float> packed = GetArray<float>(info[4], "packed");
  if (m > 0 && k > kMaxElements / m) ThrowRange(env, "weight: expected M K < 2^53");
  if (w.length != m * k) {
    Throw(env, Status(StatusCode::kShapeMismatch, "weight: expected " + std::to_string(m) + " x " + std::to_string(k) +
                                                      " = " + std::to_string(m * k) + " elements, got " +
                                                      std::to_string(w.length)));
  }
  ThrowIfError(env, PackWeight(w.data, m, k, layout, packed.data, packed.length));
  return info[4];
}

Napi::Value LinearSync(const Napi::CallbackInfo& info) {
  const LinearArgs a = UnpackLinear(info);
  ThrowIfError(info.Env(), Linear(a));
  return info[7];
}

Napi::Value LinearAsync(const Napi::CallbackInfo& info) {
  const LinearArgs a = UnpackLinear(info);
  return KernelWorker::Start(
      info.Env(), [a] { return Linear(a); }, info[7], {info[0], info[3], info[6], info[7], info[10]});
}

Napi::Value MeasurePeakFlops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int threads = static_cast<int>(GetInt(info[0], "threads", 1, 4096));
  const double ms = GetNumber(info[1], "ms");
  if (!(ms >= 1 && ms <= 10000)) ThrowRange(env, "ms: expected a number in [1, 10000], got " + Describe(info[1]));
  double gflops = 0;
  ThrowIfError(env, gnn::MeasurePeakFlops(threads, ms, &gflops));
  return Napi::Number::New(env, gflops);
}

}  // namespace binding
}  // namespace gnn
