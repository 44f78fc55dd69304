// The graph ops of the `cuda` object: argument unpacking only (lib/native-cuda-types.ts).
//   spmm(graph, x, width, weightsMode, weights | null, heads, out, reduce)
//   spmmInt8(graph, q, width, scale, scaleStride, weightsMode, weights | null, heads, out, reduce)
//   sddmm(graph, u, uWidth, v, vWidth, heads, op, out, outWidth)
//   edgeSoftmax(graph, scores, out, heads)
//   gatAggregate(graph, x, heads, headWidth, aSrc, aDst, edgeTerm | null, negativeSlope, out, attention | null)
//   gatv2Scores(graph, xl, xr, att, heads, headWidth, negativeSlope, out)
// Every buffer's size is checked against the graph (a kernel never reads past a buffer: that would
// fault on the device and poison the context), and every handle must be on the graph's device.
#include <napi.h>

#include <algorithm>
#include <string>

#include "../../cuda/kernels.h"
#include "args.h"
#include "cuda_args.h"
#include "cuda_bindings.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

using gnn::cuda::DeviceGraph;
using gnn::cuda::LaunchFn;
using gnn::cuda::Stream;
using gnn::cuda::Workspace;

constexpr int64_t kMaxWidth = int64_t{1} << 40;
constexpr int64_t kMaxHeads = int64_t{1} << 20;

DeviceHandle* Graph(const Napi::CallbackInfo& info, DeviceSet* devices) {
  DeviceHandle* g = GetDeviceGraph(info[0], "graph");
  devices->Add(g, info[0], "graph");
  return g;
}

void ExpectDivisible(Napi::Env env, int64_t width, int64_t heads) {
  if (width % heads != 0) {
    Mismatch(env, "x: expected a width divisible by the " + Str(heads) + " heads, got " + Str(width));
  }
}

}  // namespace

LaunchFn UnpackCudaSpmm(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  const DeviceHandle* g = Graph(info, devices);
  const CsrView& csr = g->graph.csr;
  SpmmArgs a;
  a.graph = csr;
  a.width = GetInt(info[2], "width", 0, kMaxWidth);
  a.heads = GetInt(info[5], "heads", 1, kMaxHeads);
  a.reduce = static_cast<Reduce>(GetInt(info[7], "reduce", 0, 3));
  ExpectDivisible(env, a.width, a.heads);
  a.x = Ptr<const float>(Sized(info, 1, "x", csr.num_cols, a.width, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 6, "out", csr.num_rows, a.width, 4, "float32", devices));
  ResolveEdgeWeights(env, info[3], info[4], g, a.heads, devices, &a.weights, &a.weight_ids);
  a.ldx = a.width;
  a.ldo = a.width;
  ThrowIfError(env, CheckSpmmArgs(a));
  const DeviceGraph graph = g->graph;
  return [graph, a](const Workspace& ws, Stream s) { return gnn::cuda::Spmm(graph, a, ws, s); };
}

namespace {

LaunchFn UnpackSpmmInt8(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  const DeviceHandle* g = Graph(info, devices);
  const CsrView& csr = g->graph.csr;
  QSpmmArgs a;
  a.graph = csr;
  a.width = GetInt(info[2], "width", 0, kMaxWidth);
  a.scale_stride = GetInt(info[4], "scaleStride", 0, 1);
  a.heads = GetInt(info[7], "heads", 1, kMaxHeads);
  a.reduce = static_cast<Reduce>(GetInt(info[9], "reduce", 0, 3));
  ExpectDivisible(env, a.width, a.heads);
  a.q = Ptr<const int8_t>(Sized(info, 1, "q", csr.num_cols, a.width, 1, "int8", devices));
  a.scale = Ptr<const float>(Sized(info, 3, "scale", a.scale_stride == 1 ? csr.num_cols : 1, 1, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 8, "out", csr.num_rows, a.width, 4, "float32", devices));
  ResolveEdgeWeights(env, info[5], info[6], g, a.heads, devices, &a.weights, &a.weight_ids);
  a.ldq = a.width;
  a.ldo = a.width;
  ThrowIfError(env, CheckQSpmmArgs(a));
  const DeviceGraph graph = g->graph;
  return [graph, a](const Workspace& ws, Stream s) { return gnn::cuda::QSpmm(graph, a, ws, s); };
}

LaunchFn UnpackSddmm(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  const DeviceHandle* g = Graph(info, devices);
  const CsrView& csr = g->graph.csr;
  SddmmArgs a;
  a.graph = csr;
  a.u_width = GetInt(info[2], "uWidth", 1, kMaxWidth);
  a.v_width = GetInt(info[4], "vWidth", 1, kMaxWidth);
  a.heads = GetInt(info[5], "heads", 1, kMaxHeads);
  a.op = static_cast<SddmmOp>(GetInt(info[6], "op", 0, 3));
  a.out_width = GetInt(info[8], "outWidth", 1, kMaxWidth);
  // The CPU kernel's shape rules (attention.cc), checked before anything reaches the device.
  if (a.op == SddmmOp::kDot) {
    if (a.u_width != a.v_width || a.u_width % a.heads != 0 || a.out_width != a.heads) {
      Mismatch(env, "sddmm dot: expected u and v of equal width divisible by heads (" + Str(a.heads) + ") and outWidth " +
                        Str(a.heads) + ", got " + Str(a.u_width) + ", " + Str(a.v_width) + " and " + Str(a.out_width));
    }
  } else {
    const int64_t d = std::max(a.u_width, a.v_width);
    if (a.out_width != d || d % a.u_width != 0 || d % a.v_width != 0) {
      Mismatch(env, "sddmm: expected u and v widths where the wider is a multiple of the narrower and outWidth " +
                        Str(d) + ", got " + Str(a.u_width) + ", " + Str(a.v_width) + " and " + Str(a.out_width));
    }
  }
  a.u = Ptr<const float>(Sized(info, 1, "u", csr.num_cols, a.u_width, 4, "float32", devices));
  a.v = Ptr<const float>(Sized(info, 3, "v", csr.num_rows, a.v_width, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 7, "out", csr.nnz, a.out_width, 4, "float32", devices));
  const DeviceGraph graph = g->graph;
  return [graph, a](const Workspace& ws, Stream s) { return gnn::cuda::Sddmm(graph, a, ws, s); };
}

LaunchFn UnpackEdgeSoftmax(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const DeviceHandle* g = Graph(info, devices);
  const CsrView& csr = g->graph.csr;
  EdgeSoftmaxArgs a;
  a.graph = csr;
  a.heads = GetInt(info[3], "heads", 1, kMaxHeads);
  a.scores = Ptr<const float>(Sized(info, 1, "scores", csr.nnz, a.heads, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 2, "out", csr.nnz, a.heads, 4, "float32", devices));
  const DeviceGraph graph = g->graph;
  return [graph, a](const Workspace& ws, Stream s) { return gnn::cuda::EdgeSoftmax(graph, a, ws, s); };
}

LaunchFn UnpackGat(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  const DeviceHandle* g = Graph(info, devices);
  const CsrView& csr = g->graph.csr;
  GatArgs a;
  a.graph = csr;
  a.heads = GetInt(info[2], "heads", 1, kMaxHeads);
  a.head_width = GetInt(info[3], "headWidth", 0, kMaxWidth);
  a.negative_slope = GetFloat(info[7], "negativeSlope");
  const int64_t width = Elements(env, "x", a.heads, a.head_width);
  a.x = Ptr<const float>(Sized(info, 1, "x", csr.num_cols, width, 4, "float32", devices));
  a.a_src = Ptr<const float>(Sized(info, 4, "aSrc", csr.num_cols, a.heads, 4, "float32", devices));
  a.a_dst = Ptr<const float>(Sized(info, 5, "aDst", csr.num_rows, a.heads, 4, "float32", devices));
  a.edge_term = Ptr<const float>(OptionalSized(info, 6, "edgeTerm", csr.nnz, a.heads, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 8, "out", csr.num_rows, width, 4, "float32", devices));
  a.attention = Ptr<float>(OptionalSized(info, 9, "attention", csr.nnz, a.heads, 4, "float32", devices));
  const DeviceGraph graph = g->graph;
  return [graph, a](const Workspace& ws, Stream s) { return gnn::cuda::GatAggregate(graph, a, ws, s); };
}

LaunchFn UnpackGatv2(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  const DeviceHandle* g = Graph(info, devices);
  const CsrView& csr = g->graph.csr;
  Gatv2ScoresArgs a;
  a.graph = csr;
  a.heads = GetInt(info[4], "heads", 1, kMaxHeads);
  a.head_width = GetInt(info[5], "headWidth", 0, int64_t{1} << 32);
  a.negative_slope = GetFloat(info[6], "negativeSlope");
  const int64_t width = Elements(env, "xl", a.heads, a.head_width);
  a.xl = Ptr<const float>(Sized(info, 1, "xl", csr.num_cols, width, 4, "float32", devices));
  a.xr = Ptr<const float>(Sized(info, 2, "xr", csr.num_rows, width, 4, "float32", devices));
  a.att = Ptr<const float>(Sized(info, 3, "att", 1, width, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 7, "out", csr.nnz, a.heads, 4, "float32", devices));
  const DeviceGraph graph = g->graph;
  return [graph, a](const Workspace& ws, Stream s) { return gnn::cuda::Gatv2Scores(graph, a, ws, s); };
}

}  // namespace

GNN_CUDA_OP_PAIR(CudaSpmm, UnpackCudaSpmm)
GNN_CUDA_OP_PAIR(CudaSpmmInt8, UnpackSpmmInt8)
GNN_CUDA_OP_PAIR(CudaSddmm, UnpackSddmm)
GNN_CUDA_OP_PAIR(CudaEdgeSoftmax, UnpackEdgeSoftmax)
GNN_CUDA_OP_PAIR(CudaGatAggregate, UnpackGat)
GNN_CUDA_OP_PAIR(CudaGatv2Scores, UnpackGatv2)

}  // namespace binding
}  // namespace gnn
