// qspmmSync / qspmmAsync: argument unpacking for the int8-feature SpMM kernel (kernels/qspmm.h).
//   (graph, q: Int8Array [numCols * width], width, scale: Float32Array [numCols] or [1],
//    weights|null, weightIds|null, heads, out: Float32Array [numRows * width], reduce) -> out
//   reduce: 0 sum 1 mean 2 max 3 min
#include <napi.h>

#include <string>

#include "../kernels/qspmm.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

constexpr int kArgs = 9;

QSpmmArgs UnpackQSpmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < kArgs) ThrowType(env, "qspmm: expected 9 arguments, got " + Str(info.Length()));
  QSpmmArgs a;
  const CsrGraphView g = GetGraph(info[0], "graph");
  a.graph = ToCsrView(g);
  ArrayView<int8_t> q = GetArray<int8_t>(info[1], "x");
  a.width = GetInt(info[2], "width", 0, int64_t{1} << 40);
  ArrayView<float> scale = GetArray<float>(info[3], "scale");
  ArrayView<float> w = GetOptionalArray<float>(info[4], "weights");
  ArrayView<int32_t> wids = GetOptionalArray<int32_t>(info[5], "weightIds");
  a.heads = GetInt(info[6], "heads", 1, int64_t{1} << 20);
  ArrayView<float> out = GetArray<float>(info[7], "out");
  a.reduce = static_cast<Reduce>(GetInt(info[8], "reduce", 0, 3));

  // Products in 64 bits, overflow-checked: num_cols * width and nnz * heads can pass 2^31.
  ExpectLength(env, "x", q.length, a.graph.num_cols, a.width);
  ExpectLength(env, "out", out.length, a.graph.num_rows, a.width);
  if (scale.length != a.graph.num_cols && scale.length != 1) {
    Mismatch(env, "scale: expected " + Str(a.graph.num_cols) + " entries (one per row of x) or 1 (per tensor), got " +
                      Str(scale.length));
  }
  if (a.width % a.heads != 0) {
    Mismatch(env, "x: expected a width divisible by the " + Str(a.heads) + " heads, got " + Str(a.width));
  }
  if (w.data != nullptr) ExpectLength(env, "weights", w.length, a.graph.nnz, a.heads);
  if (wids.data != nullptr && (w.data == nullptr || wids.length != a.graph.nnz)) {
    Mismatch(env, "weightIds: expected " + Str(a.graph.nnz) + " entries alongside weights, got " + Str(wids.length));
  }
  if (wids.data != nullptr && wids.data != g.edge_ids) {
    // Only the graph's own edge ids are trusted (a validated permutation); anything else is refused.
    ThrowValue(env, "weightIds: expected the graph's own edge ids");
  }
  a.q = q.data;
  a.ldq = a.width;
  // One scale for a one-row tensor is per row too; stride 0 only when rows share it.
  a.scale = scale.data;
  a.scale_stride = scale.length == a.graph.num_cols ? 1 : 0;
  a.weights = w.data;
  a.weight_ids = wids.data;
  a.out = out.data;
  a.ldo = a.width;
  ThrowIfError(env, CheckQSpmmArgs(a));
  return a;
}

}  // namespace

Napi::Value QSpmmSync(const Napi::CallbackInfo& info) {
  QSpmmArgs a = UnpackQSpmm(info);
  ThrowIfError(info.Env(), QSpmm(a));
  return info[7];
}

Napi::Value QSpmmAsync(const Napi::CallbackInfo& info) {
  QSpmmArgs a = UnpackQSpmm(info);
  std::vector<Napi::Value> keep = GraphRefs(info[0]);
  for (int i : {1, 3, 4, 5, 7}) keep.push_back(info[i]);
  return KernelWorker::Start(info.Env(), [a] { return QSpmm(a); }, info[7], keep);
}

}  // namespace binding
}  // namespace gnn
