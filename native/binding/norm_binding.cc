// Normalisation row ops: argument unpacking only. Each has a Sync form (runs here, returns the
// output array) and an Async form (a KernelWorker; resolves with the output array).
//   columnAffine(x, scale | null, shift | null, out, width)     scale, shift: [width]
//   layerNorm(x, weight | null, bias | null, eps, out, width)   weight, bias: [width]
//   graphLayerNorm(x, batch | null, weight | null, bias | null, eps, out, width)   batch: [rows]
#include <napi.h>

#include <string>
#include <vector>

#include "../kernels/norm.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

// An optional per-column vector of `width` elements (null stays null).
const float* Column(Napi::Env env, const Napi::Value& value, const char* name, int64_t width) {
  ArrayView<float> v = GetOptionalArray<float>(value, name);
  if (v.data != nullptr) ExpectLength(env, name, v.length, width);
  return v.data;
}

float Eps(const Napi::Value& value) { return static_cast<float>(GetNumber(value, "eps")); }

// ---- columnAffine ----

struct AffineArgs {
  const float* x;
  const float* scale;
  const float* shift;
  float* out;
  int64_t rows;
  int64_t width;
};

AffineArgs UnpackAffine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  const int64_t width = GetInt(info[4], "width", 0, kMaxElements);
  const float* scale = Column(env, info[1], "scale", width);
  const float* shift = Column(env, info[2], "shift", width);
  ArrayView<float> out = GetArray<float>(info[3], "out");
  const int64_t rows = RowsOf(env, "x", x.length, width);
  ExpectLength(env, "out", out.length, x.length);
  return {x.data, scale, shift, out.data, rows, width};
}

// ---- layerNorm ----

LayerNormArgs UnpackLayerNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  const int64_t width = GetInt(info[5], "width", 0, kMaxElements);
  LayerNormArgs a;
  a.weight = Column(env, info[1], "weight", width);
  a.bias = Column(env, info[2], "bias", width);
  a.eps = Eps(info[3]);
  ArrayView<float> out = GetArray<float>(info[4], "out");
  a.rows = RowsOf(env, "x", x.length, width);
  a.width = width;
  ExpectLength(env, "out", out.length, x.length);
  a.x = x.data;
  a.out = out.data;
  return a;
}

// ---- graphLayerNorm ----

GraphLayerNormArgs UnpackGraphLayerNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  const int64_t width = GetInt(info[6], "width", 0, kMaxElements);
  ArrayView<int32_t> batch = GetOptionalArray<int32_t>(info[1], "batch");
  GraphLayerNormArgs a;
  a.weight = Column(env, info[2], "weight", width);
  a.bias = Column(env, info[3], "bias", width);
  a.eps = Eps(info[4]);
  ArrayView<float> out = GetArray<float>(info[5], "out");
  a.rows = RowsOf(env, "x", x.length, width);
  a.width = width;
  ExpectLength(env, "out", out.length, x.length);
  if (batch.data != nullptr) ExpectLength(env, "batch", batch.length, a.rows);
  a.x = x.data;
  a.batch = batch.data;
  a.out = out.data;
  return a;
}

}  // namespace

Napi::Value ColumnAffineSync(const Napi::CallbackInfo& info) {
  const AffineArgs a = UnpackAffine(info);
  ThrowIfError(info.Env(), ColumnAffine(a.x, a.scale, a.shift, a.out, a.rows, a.width));
  return info[3];
}

Napi::Value ColumnAffineAsync(const Napi::CallbackInfo& info) {
  const AffineArgs a = UnpackAffine(info);
  return KernelWorker::Start(
      info.Env(), [a] { return ColumnAffine(a.x, a.scale, a.shift, a.out, a.rows, a.width); }, info[3],
      {info[0], info[1], info[2], info[3]});
}

Napi::Value LayerNormSync(const Napi::CallbackInfo& info) {
  const LayerNormArgs a = UnpackLayerNorm(info);
  ThrowIfError(info.Env(), LayerNorm(a));
  return info[4];
}

Napi::Value LayerNormAsync(const Napi::CallbackInfo& info) {
  const LayerNormArgs a = UnpackLayerNorm(info);
  return KernelWorker::Start(info.Env(), [a] { return LayerNorm(a); }, info[4], {info[0], info[1], info[2], info[4]});
}

Napi::Value GraphLayerNormSync(const Napi::CallbackInfo& info) {
  const GraphLayerNormArgs a = UnpackGraphLayerNorm(info);
  ThrowIfError(info.Env(), GraphLayerNorm(a));
  return info[5];
}

Napi::Value GraphLayerNormAsync(const Napi::CallbackInfo& info) {
  const GraphLayerNormArgs a = UnpackGraphLayerNorm(info);
  return KernelWorker::Start(info.Env(), [a] { return GraphLayerNorm(a); }, info[5],
                             {info[0], info[1], info[2], info[3], info[5]});
}

}  // namespace binding
}  // namespace gnn
