// Row ops: argument unpacking only. Each has a Sync form (runs here, returns the output array) and
// an Async form (a KernelWorker; resolves with the output array).
//   add(a, b, out, width, alpha, beta)               b: a's length, or one row of `width`
//   scale(x, rowScale | null, scale, out, rows)      rowScale: one factor per row
//   softmax(x, out, width, kind)                     kind: 0 softmax, 1 log_softmax
//   concat(parts: Float32Array[], rows, out)
//   indexSelect(x, rows, width, index, out)          x: [rows, width]
//   indexScatter(target, rows, width, index, src, op, alpha)   op: 0 copy, 1 add
// The index ops take both sizes: with no rows the width is still the output's, and with width 0
// the row count still bounds the index.
#include <napi.h>

#include <string>
#include <vector>

#include "../kernels/rowops.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

// ---- add ----

AddArgs UnpackAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> a = GetArray<float>(info[0], "a");
  ArrayView<float> b = GetArray<float>(info[1], "b");
  ArrayView<float> out = GetArray<float>(info[2], "out");
  const int64_t width = GetInt(info[3], "width", 0, kMaxElements);
  AddArgs p;
  p.alpha = static_cast<float>(GetNumber(info[4], "alpha"));
  p.beta = static_cast<float>(GetNumber(info[5], "beta"));
  p.rows = RowsOf(env, "a", a.length, width);
  p.width = width;
  ExpectLength(env, "out", out.length, a.length);
  if (b.length == a.length) {
    p.b_row_stride = width;  // also covers a single row, where both readings agree
  } else if (b.length == width) {
    p.b_row_stride = 0;
  } else {
    Mismatch(env, "b: expected " + Str(a.length) + " elements like a, or one row of " + Str(width) + ", got " +
                      Str(b.length));
  }
  p.a = a.data;
  p.b = b.data;
  p.out = out.data;
  return p;
}

// ---- scale ----

struct ScaleArgs {
  const float* x;
  const float* row_scale;
  float scale;
  float* out;
  int64_t rows;
  int64_t width;
};

ScaleArgs UnpackScale(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  ArrayView<float> rs = GetOptionalArray<float>(info[1], "rowScale");
  const double s = GetNumber(info[2], "scale");
  ArrayView<float> out = GetArray<float>(info[3], "out");
  const int64_t rows = GetInt(info[4], "rows", 0, kMaxElements);
  const int64_t width = WidthOf(env, "x", x.length, rows);
  ExpectLength(env, "out", out.length, x.length);
  if (rs.data != nullptr) ExpectLength(env, "rowScale", rs.length, rows);
  return {x.data, rs.data, static_cast<float>(s), out.data, rows, width};
}

// ---- softmax ----

struct SoftmaxArgs {
  const float* x;
  float* out;
  int64_t rows;
  int64_t width;
  SoftmaxKind kind;
};

SoftmaxArgs UnpackSoftmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  ArrayView<float> out = GetArray<float>(info[1], "out");
  const int64_t width = GetInt(info[2], "width", 0, kMaxElements);
  const int64_t kind = GetInt(info[3], "kind", 0, 1);
  const int64_t rows = RowsOf(env, "x", x.length, width);
  ExpectLength(env, "out", out.length, x.length);
  return {x.data, out.data, rows, width, static_cast<SoftmaxKind>(kind)};
}

// ---- concat ----

struct ConcatArgs {
  std::vector<ConcatPart> parts;
  int64_t rows;
  float* out;
};

ConcatArgs UnpackConcat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) ThrowType(env, "parts: expected an Array of Float32Array, got " + Describe(info[0]));
  Napi::Array list = info[0].As<Napi::Array>();
  const int64_t rows = GetInt(info[1], "rows", 0, kMaxElements);
  ArrayView<float> out = GetArray<float>(info[2], "out");
  ConcatArgs c;
  c.rows = rows;
  c.out = out.data;
  const uint32_t count = list.Length();
  c.parts.reserve(count);
  int64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const std::string name = "parts[" + Str(i) + "]";
    ArrayView<float> part = GetArray<float>(list.Get(i), name.c_str());
    c.parts.push_back({part.data, WidthOf(env, name.c_str(), part.length, rows)});
    total += part.length;
  }
  ExpectLength(env, "out", out.length, total);
  return c;
}

// ---- indexSelect / indexScatter ----

struct IndexSelectArgs {
  const float* x;
  int64_t rows;
  int64_t width;
  const int32_t* index;
  int64_t n;
  float* out;
};

IndexSelectArgs UnpackIndexSelect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> x = GetArray<float>(info[0], "x");
  const int64_t rows = GetInt(info[1], "rows", 0, kMaxElements);
  const int64_t width = GetInt(info[2], "width", 0, kMaxElements);
  ArrayView<int32_t> index = GetArray<int32_t>(info[3], "index");
  ArrayView<float> out = GetArray<float>(info[4], "out");
  ExpectLength(env, "x", x.length, Elements(env, "x", rows, width));
  ExpectLength(env, "out", out.length, Elements(env, "out", index.length, width));
  return {x.data, rows, width, index.data, index.length, out.data};
}

struct IndexScatterArgs {
  float* target;
  int64_t rows;
  int64_t width;
  const int32_t* index;
  int64_t n;
  const float* src;
  ScatterOp op;
  float alpha;
};

IndexScatterArgs UnpackIndexScatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<float> target = GetArray<float>(info[0], "target");
  const int64_t rows = GetInt(info[1], "rows", 0, kMaxElements);
  const int64_t width = GetInt(info[2], "width", 0, kMaxElements);
  ArrayView<int32_t> index = GetArray<int32_t>(info[3], "index");
  ArrayView<float> src = GetArray<float>(info[4], "src");
  const int64_t op = GetInt(info[5], "op", 0, 1);
  const double alpha = GetNumber(info[6], "alpha");
  ExpectLength(env, "target", target.length, Elements(env, "target", rows, width));
  ExpectLength(env, "src", src.length, Elements(env, "src", index.length, width));
  return {target.data, rows, width, index.data, index.length, src.data, static_cast<ScatterOp>(op),
          static_cast<float>(alpha)};
}

}  // namespace

Napi::Value AddSync(const Napi::CallbackInfo& info) {
  const AddArgs p = UnpackAdd(info);
  ThrowIfError(info.Env(), Add(p));
  return info[2];
}

Napi::Value AddAsync(const Napi::CallbackInfo& info) {
  const AddArgs p = UnpackAdd(info);
  return KernelWorker::Start(info.Env(), [p] { return Add(p); }, info[2], {info[0], info[1], info[2]});
}

Napi::Value ScaleSync(const Napi::CallbackInfo& info) {
  const ScaleArgs a = UnpackScale(info);
  ThrowIfError(info.Env(), Scale(a.x, a.row_scale, a.scale, a.out, a.rows, a.width));
  return info[3];
}

Napi::Value ScaleAsync(const Napi::CallbackInfo& info) {
  const ScaleArgs a = UnpackScale(info);
  return KernelWorker::Start(
      info.Env(), [a] { return Scale(a.x, a.row_scale, a.scale, a.out, a.rows, a.width); }, info[3],
      {info[0], info[1], info[3]});
}

Napi::Value SoftmaxSync(const Napi::CallbackInfo& info) {
  const SoftmaxArgs a = UnpackSoftmax(info);
  ThrowIfError(info.Env(), Softmax(a.x, a.out, a.rows, a.width, a.kind));
  return info[1];
}

Napi::Value SoftmaxAsync(const Napi::CallbackInfo& info) {
  const SoftmaxArgs a = UnpackSoftmax(info);
  return KernelWorker::Start(
      info.Env(), [a] { return Softmax(a.x, a.out, a.rows, a.width, a.kind); }, info[1], {info[0], info[1]});
}

Napi::Value ConcatSync(const Napi::CallbackInfo& info) {
  const ConcatArgs c = UnpackConcat(info);
  ThrowIfError(info.Env(), Concat(c.parts.data(), static_cast<int64_t>(c.parts.size()), c.rows, c.out));
  return info[2];
}

Napi::Value ConcatAsync(const Napi::CallbackInfo& info) {
  ConcatArgs c = UnpackConcat(info);
  // Keep every part alive, not just the list: the caller may empty the list while the job runs.
  std::vector<Napi::Value> keep = {info[0], info[2]};
  Napi::Array list = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) keep.push_back(list.Get(i));
  return KernelWorker::Start(
      info.Env(),
      [c = std::move(c)] { return Concat(c.parts.data(), static_cast<int64_t>(c.parts.size()), c.rows, c.out); },
      info[2], keep);
}

Napi::Value IndexSelectSync(const Napi::CallbackInfo& info) {
  const IndexSelectArgs a = UnpackIndexSelect(info);
  ThrowIfError(info.Env(), IndexSelect(a.x, a.rows, a.width, a.index, a.n, a.out));
  return info[4];
}

Napi::Value IndexSelectAsync(const Napi::CallbackInfo& info) {
  const IndexSelectArgs a = UnpackIndexSelect(info);
  return KernelWorker::Start(
      info.Env(), [a] { return IndexSelect(a.x, a.rows, a.width, a.index, a.n, a.out); }, info[4],
      {info[0], info[3], info[4]});
}

Napi::Value IndexScatterSync(const Napi::CallbackInfo& info) {
  const IndexScatterArgs a = UnpackIndexScatter(info);
  ThrowIfError(info.Env(), IndexScatter(a.target, a.rows, a.width, a.index, a.n, a.src, a.op, a.alpha));
  return info[0];
}

Napi::Value IndexScatterAsync(const Napi::CallbackInfo& info) {
  const IndexScatterArgs a = UnpackIndexScatter(info);
  return KernelWorker::Start(
      info.Env(), [a] { return IndexScatter(a.target, a.rows, a.width, a.index, a.n, a.src, a.op, a.alpha); },
      info[0], {info[0], info[3], info[4]});
}

}  // namespace binding
}  // namespace gnn
