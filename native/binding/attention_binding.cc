// SDDMM, edge softmax and GAT aggregation: argument unpacking only.
//   sddmm(graph, u, uWidth, v, vWidth, heads, op, out, outWidth)
//   edgeSoftmax(graph, scores, heads, out)
//   gatAggregate(graph, x, heads, headWidth, aSrc, aDst, edgeTerm | null, slope, out, attention | null)
#include <napi.h>

#include <string>

#include "../kernels/attention.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

SddmmArgs UnpackSddmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SddmmArgs a;
  a.graph = ToCsrView(GetGraph(info[0], "graph"));
  ArrayView<float> u = GetArray<float>(info[1], "u");
  a.u_width = GetInt(info[2], "uWidth", 1, int64_t{1} << 40);
  ArrayView<float> v = GetArray<float>(info[3], "v");
  a.v_width = GetInt(info[4], "vWidth", 1, int64_t{1} << 40);
  a.heads = GetInt(info[5], "heads", 1, int64_t{1} << 20);
  a.op = static_cast<SddmmOp>(GetInt(info[6], "op", 0, 3));
  ArrayView<float> out = GetArray<float>(info[7], "out");
  a.out_width = GetInt(info[8], "outWidth", 1, int64_t{1} << 40);
  ExpectLength(env, "u", u.length, a.graph.num_cols, a.u_width);
  ExpectLength(env, "v", v.length, a.graph.num_rows, a.v_width);
  ExpectLength(env, "out", out.length, a.graph.nnz, a.out_width);
  a.u = u.data;
  a.v = v.data;
  a.out = out.data;
  return a;
}

EdgeSoftmaxArgs UnpackEdgeSoftmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EdgeSoftmaxArgs a;
  a.graph = ToCsrView(GetGraph(info[0], "graph"));
  ArrayView<float> scores = GetArray<float>(info[1], "scores");
  a.heads = GetInt(info[2], "heads", 1, int64_t{1} << 20);
  ArrayView<float> out = GetArray<float>(info[3], "out");
  ExpectLength(env, "scores", scores.length, a.graph.nnz, a.heads);
  ExpectLength(env, "out", out.length, a.graph.nnz, a.heads);
  a.scores = scores.data;
  a.out = out.data;
  return a;
}

GatArgs UnpackGat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GatArgs a;
  a.graph = ToCsrView(GetGraph(info[0], "graph"));
  ArrayView<float> x = GetArray<float>(info[1], "x");
  a.heads = GetInt(info[2], "heads", 1, int64_t{1} << 20);
  a.head_width = GetInt(info[3], "headWidth", 0, int64_t{1} << 40);
  ArrayView<float> a_src = GetArray<float>(info[4], "aSrc");
  ArrayView<float> a_dst = GetArray<float>(info[5], "aDst");
  ArrayView<float> edge_term = GetOptionalArray<float>(info[6], "edgeTerm");
  a.negative_slope = static_cast<float>(GetNumber(info[7], "negativeSlope"));
  ArrayView<float> out = GetArray<float>(info[8], "out");
  ArrayView<float> attention = GetOptionalArray<float>(info[9], "attention");
  const int64_t width = a.heads * a.head_width;
  ExpectLength(env, "x", x.length, a.graph.num_cols, width);
  ExpectLength(env, "aSrc", a_src.length, a.graph.num_cols, a.heads);
  ExpectLength(env, "aDst", a_dst.length, a.graph.num_rows, a.heads);
  if (edge_term.data != nullptr) ExpectLength(env, "edgeTerm", edge_term.length, a.graph.nnz, a.heads);
  ExpectLength(env, "out", out.length, a.graph.num_rows, width);
  if (attention.data != nullptr) ExpectLength(env, "attention", attention.length, a.graph.nnz, a.heads);
  a.x = x.data;
  a.a_src = a_src.data;
  a.a_dst = a_dst.data;
  a.edge_term = edge_term.data;
  a.out = out.data;
  a.attention = attention.data;
  return a;
}

}  // namespace

Napi::Value SddmmSync(const Napi::CallbackInfo& info) {
  const SddmmArgs a = UnpackSddmm(info);
  ThrowIfError(info.Env(), Sddmm(a));
  return info[7];
}

Napi::Value SddmmAsync(const Napi::CallbackInfo& info) {
  const SddmmArgs a = UnpackSddmm(info);
  std::vector<Napi::Value> keep = GraphRefs(info[0]);
  keep.insert(keep.end(), {info[1], info[3], info[7]});
  return KernelWorker::Start(info.Env(), [a] { return Sddmm(a); }, info[7], keep);
}

Napi::Value EdgeSoftmaxSync(const Napi::CallbackInfo& info) {
  const EdgeSoftmaxArgs a = UnpackEdgeSoftmax(info);
  ThrowIfError(info.Env(), EdgeSoftmax(a));
  return info[3];
}

Napi::Value EdgeSoftmaxAsync(const Napi::CallbackInfo& info) {
  const EdgeSoftmaxArgs a = UnpackEdgeSoftmax(info);
  std::vector<Napi::Value> keep = GraphRefs(info[0]);
  keep.insert(keep.end(), {info[1], info[3]});
  return KernelWorker::Start(info.Env(), [a] { return EdgeSoftmax(a); }, info[3], keep);
}

Napi::Value GatAggregateSync(const Napi::CallbackInfo& info) {
  const GatArgs a = UnpackGat(info);
  ThrowIfError(info.Env(), GatAggregate(a));
  return info[8];
}

Napi::Value GatAggregateAsync(const Napi::CallbackInfo& info) {
  const GatArgs a = UnpackGat(info);
  std::vector<Napi::Value> keep = GraphRefs(info[0]);
  keep.insert(keep.end(), {info[1], info[4], info[5], info[6], info[8], info[9]});
  return KernelWorker::Start(info.Env(), [a] { return GatAggregate(a); }, info[8], keep);
}

}  // namespace binding
}  // namespace gnn
