// GATv2 attention logits: argument unpacking only.
//   gatv2Scores(graph, xl, xr, att, heads, headWidth, negativeSlope, out)
#include <napi.h>

#include <string>
#include <vector>

#include "../kernels/gatv2.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

Gatv2ScoresArgs UnpackGatv2Scores(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Gatv2ScoresArgs a;
  a.graph = ToCsrView(GetGraph(info[0], "graph"));
  ArrayView<float> xl = GetArray<float>(info[1], "xl");
  ArrayView<float> xr = GetArray<float>(info[2], "xr");
  ArrayView<float> att = GetArray<float>(info[3], "att");
  a.heads = GetInt(info[4], "heads", 1, int64_t{1} << 20);
  a.head_width = GetInt(info[5], "headWidth", 0, int64_t{1} << 32);
  a.negative_slope = static_cast<float>(GetNumber(info[6], "negativeSlope"));
  ArrayView<float> out = GetArray<float>(info[7], "out");
  const int64_t width = a.heads * a.head_width;
  ExpectLength(env, "xl", xl.length, a.graph.num_cols, width);
  ExpectLength(env, "xr", xr.length, a.graph.num_rows, width);
  ExpectLength(env, "att", att.length, 1, width);
  ExpectLength(env, "out", out.length, a.graph.nnz, a.heads);
  a.xl = xl.data;
  a.xr = xr.data;
  a.att = att.data;
  a.out = out.data;
  return a;
}

}  // namespace

Napi::Value Gatv2ScoresSync(const Napi::CallbackInfo& info) {
  const Gatv2ScoresArgs a = UnpackGatv2Scores(info);
  ThrowIfError(info.Env(), Gatv2Scores(a));
  return info[7];
}

Napi::Value Gatv2ScoresAsync(const Napi::CallbackInfo& info) {
  const Gatv2ScoresArgs a = UnpackGatv2Scores(info);
  std::vector<Napi::Value> keep = GraphRefs(info[0]);
  keep.insert(keep.end(), {info[1], info[2], info[3], info[7]});
  return KernelWorker::Start(info.Env(), [a] { return Gatv2Scores(a); }, info[7], keep);
}

}  // namespace binding
}  // namespace gnn
