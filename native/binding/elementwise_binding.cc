// Elementwise ops: argument unpacking only.
//   activation(x, out, kind, alpha): kind is gnn::Activation's value
#include <napi.h>

#include <string>

#include "../kernels/elementwise.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

struct ActivationArgs {
  const float* x;
  float* out;
  int64_t n;
  Activation act;
  float alpha;
};

ActivationArgs UnpackActivation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  ArrayView<float> out = GetArray<float>(info[1], "out");
  const int64_t kind = GetInt(info[2], "activation", 0, 6);
  const double alpha = GetNumber(info[3], "alpha");
  if (out.length != x.length) {
    Throw(env, Status(StatusCode::kShapeMismatch, "out: expected " + std::to_string(x.length) +
                                                      " elements like x, got " + std::to_string(out.length)));
  }
  return {x.data, out.data, x.length, static_cast<Activation>(kind), static_cast<float>(alpha)};
}

}  // namespace

Napi::Value ActivationSync(const Napi::CallbackInfo& info) {
  const ActivationArgs a = UnpackActivation(info);
  ThrowIfError(info.Env(), ActivationForward(a.x, a.out, a.n, a.act, a.alpha));
  return info[1];
}

Napi::Value ActivationAsync(const Napi::CallbackInfo& info) {
  const ActivationArgs a = UnpackActivation(info);
  return KernelWorker::Start(
      info.Env(), [a] { return ActivationForward(a.x, a.out, a.n, a.act, a.alpha); }, info[1], {info[0], info[1]});
}

}  // namespace binding
}  // namespace gnn
