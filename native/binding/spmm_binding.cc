// spmmSync / spmmAsync / baselineSpmm: argument unpacking for the SpMM kernel.
//   (graph, x, width, weights|null, weightIds|null, heads, out, reduce) ; reduce: 0 sum 1 mean 2 max 3 min
#include <napi.h>

#include <string>

#include "../kernels/baseline_spmm.h"
#include "../kernels/spmm.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

SpmmArgs UnpackSpmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8) ThrowType(env, "spmm: expected 8 arguments, got " + Str(info.Length()));
  SpmmArgs a;
  const CsrGraphView g = GetGraph(info[0], "graph");
  a.graph = ToCsrView(g);
  ArrayView<float> x = GetArray<float>(info[1], "x");
  a.width = GetInt(info[2], "width", 0, int64_t{1} << 40);
  ArrayView<float> w = GetOptionalArray<float>(info[3], "weights");
  ArrayView<int32_t> wids = GetOptionalArray<int32_t>(info[4], "weightIds");
  a.heads = GetInt(info[5], "heads", 1, int64_t{1} << 20);
  ArrayView<float> out = GetArray<float>(info[6], "out");
  a.reduce = static_cast<Reduce>(GetInt(info[7], "reduce", 0, 3));

  // Products in 64 bits: num_cols * width and nnz * heads can pass 2^31.
  if (x.length != a.graph.num_cols * a.width) {
    Throw(env, Status(StatusCode::kShapeMismatch, "x: expected " + Str(a.graph.num_cols) + " x " + Str(a.width) +
                                                      " = " + Str(a.graph.num_cols * a.width) + " elements, got " +
                                                      Str(x.length)));
  }
  if (out.length != a.graph.num_rows * a.width) {
    Throw(env, Status(StatusCode::kShapeMismatch, "out: expected " + Str(a.graph.num_rows) + " x " + Str(a.width) +
                                                      " = " + Str(a.graph.num_rows * a.width) + " elements, got " +
                                                      Str(out.length)));
  }
  if (a.width % a.heads != 0) {
    Throw(env, Status(StatusCode::kShapeMismatch, "x: expected a width divisible by the " + Str(a.heads) +
                                                      " heads, got " + Str(a.width)));
  }
  if (w.data != nullptr && w.length != a.graph.nnz * a.heads) {
    Throw(env, Status(StatusCode::kShapeMismatch, "weights: expected " + Str(a.graph.nnz) + " x " + Str(a.heads) +
                                                      " elements, got " + Str(w.length)));
  }
  if (wids.data != nullptr && (w.data == nullptr || wids.length != a.graph.nnz)) {
    Throw(env, Status(StatusCode::kShapeMismatch, "weightIds: expected " + Str(a.graph.nnz) +
                                                      " entries alongside weights, got " + Str(wids.length)));
  }
  if (wids.data != nullptr && wids.data != g.edge_ids) {
    // Only the graph's own edge ids are trusted (validated permutation); anything else is refused.
    ThrowValue(env, "weightIds: expected the graph's own edge ids");
  }
  a.x = x.data;
  a.ldx = a.width;
  a.weights = w.data;
  a.weight_ids = wids.data;
  a.out = out.data;
  a.ldo = a.width;
  ThrowIfError(env, CheckSpmmArgs(a));
  return a;
}

}  // namespace

Napi::Value SpmmSync(const Napi::CallbackInfo& info) {
  SpmmArgs a = UnpackSpmm(info);
  ThrowIfError(info.Env(), Spmm(a));
  return info[6];
}

Napi::Value SpmmAsync(const Napi::CallbackInfo& info) {
  SpmmArgs a = UnpackSpmm(info);
  const Napi::Object graph = info[0].As<Napi::Object>();
  return KernelWorker::Start(
      info.Env(), [a] { return Spmm(a); }, info[6],
      {graph.Get("indptr"), graph.Get("indices"), graph.Get("edgeIds"), info[1], info[3], info[4], info[6]});
}

// (graph, x, width, out, reduce) -> out ; the benchmark baseline, sum or max only.
Napi::Value BaselineSpmmSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CsrView g = ToCsrView(GetGraph(info[0], "graph"));
  ArrayView<float> x = GetArray<float>(info[1], "x");
  const int64_t width = GetInt(info[2], "width", 0, int64_t{1} << 40);
  ArrayView<float> out = GetArray<float>(info[3], "out");
  const Reduce reduce = static_cast<Reduce>(GetInt(info[4], "reduce", 0, 3));
  if (x.length != g.num_cols * width || out.length != g.num_rows * width) {
    Throw(env, Status(StatusCode::kShapeMismatch, "baselineSpmm: x or out does not match the graph"));
  }
  ThrowIfError(env, BaselineSpmm(g, x.data, width, out.data, reduce));
  return info[3];
}

}  // namespace binding
}  // namespace gnn
