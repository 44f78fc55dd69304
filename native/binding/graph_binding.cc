// Graph construction, validation and transforms. Each function returns a plain object
// { indptr, indices, edgeIds, weights } of freshly allocated, JS-owned typed arrays; edgeIds is
// null when it is the identity, weights null when the graph is unweighted.
#include <napi.h>

#include <string>

#include "../kernels/graph_build.h"
#include "../kernels/graph_transform.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

constexpr int64_t kMaxNodes = 2147483647;  // node ids are int32

// JS-owned output arrays for a graph of `rows` rows and `nnz` edges.
struct GraphArrays {
  Napi::Value indptr;
  Napi::Value indices;
  Napi::Value edge_ids;
  Napi::Value weights;
  CsrGraphOut out;

  GraphArrays(Napi::Env env, int64_t rows, int64_t nnz, bool with_ids, bool with_weights) {
    if (nnz > kMaxInt32Nnz) {
      auto p = Napi::BigInt64Array::New(env, static_cast<size_t>(rows + 1));
      out.indptr.data = p.Data();
      out.indptr.wide = true;
      indptr = p;
    } else {
      auto p = Napi::Int32Array::New(env, static_cast<size_t>(rows + 1));
      out.indptr.data = p.Data();
      indptr = p;
    }
    auto idx = Napi::Int32Array::New(env, static_cast<size_t>(nnz));
    out.indices = idx.Data();
    indices = idx;
    edge_ids = env.Null();
    weights = env.Null();
    if (with_ids) {
      auto ids = Napi::Int32Array::New(env, static_cast<size_t>(nnz));
      out.edge_ids = ids.Data();
      edge_ids = ids;
    }
    if (with_weights) {
      auto w = Napi::Float32Array::New(env, static_cast<size_t>(nnz));
      out.weights = w.Data();
      weights = w;
    }
  }

  Napi::Object ToObject(Napi::Env env) const {
    Napi::Object o = Napi::Object::New(env);
    o.Set("indptr", indptr);
    o.Set("indices", indices);
    o.Set("edgeIds", edge_ids);
    o.Set("weights", weights);
    return o;
  }
};

void RequireSquare(Napi::Env env, const CsrGraphView& g, const char* what) {
  if (g.num_rows != g.num_cols) {
    Throw(env, Status(StatusCode::kInvalidGraph, std::string(what) + ": expected a graph with as many source nodes as nodes, got " +
                                                     Str(g.num_cols) + " source nodes and " + Str(g.num_rows) + " nodes"));
  }
}

}  // namespace

// (src: Int32Array[E], dst: Int32Array[E], numNodes: number | -1 to infer, weights: Float32Array[E] | null)
Napi::Value CsrFromEdgeIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<int32_t> s = GetArray<int32_t>(info[0], "edgeIndex (sources)");
  ArrayView<int32_t> d = GetArray<int32_t>(info[1], "edgeIndex (targets)");
  if (s.length != d.length) {
    Throw(env, Status(StatusCode::kShapeMismatch, "edgeIndex: expected as many targets as sources (" + Str(s.length) +
                                                      "), got " + Str(d.length)));
  }
  const int64_t num_edges = s.length;
  const int32_t* src = s.data;
  const int32_t* dst = d.data;
  int64_t num_nodes = GetInt(info[2], "numNodes", -1, kMaxNodes);
  if (num_nodes < 0) num_nodes = MaxNodeId(src, dst, num_edges) + 1;
  ArrayView<float> w = GetOptionalArray<float>(info[3], "edgeWeight");
  if (w.data != nullptr && w.length != num_edges) {
    Throw(env, Status(StatusCode::kShapeMismatch, "edgeWeight: expected one weight per edge (" + Str(num_edges) +
                                                      "), got " + Str(w.length)));
  }
  ThrowIfError(env, CheckEdgeIndex(src, dst, num_edges, num_nodes));
  const bool sorted = IsSortedByDestination(dst, num_edges);
  if (!sorted && num_edges > kMaxInt32Nnz) {
    Throw(env, Status(StatusCode::kOutOfRange, "edgeIndex: more than 2^31 - 1 edges must come sorted by target "
                                               "(edge ids are int32), got " + Str(num_edges) + " unsorted edges"));
  }
  GraphArrays arrays(env, num_nodes, num_edges, !sorted, w.data != nullptr);
  CooToCsr(src, dst, w.data, num_edges, num_nodes, arrays.out);
  Napi::Object o = arrays.ToObject(env);
  o.Set("numNodes", Napi::Number::New(env, static_cast<double>(num_nodes)));
  return o;
}

// (indptr: Int32Array | BigInt64Array, indices: Int32Array, numCols, weights | null)
Napi::Value ValidateCsr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndptrView indptr;
  int64_t rows;
  if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_bigint64_array) {
    ArrayView<int64_t> p = GetArray<int64_t>(info[0], "indptr");
    indptr.data = p.data;
    indptr.wide = true;
    rows = p.length - 1;
  } else {
    ArrayView<int32_t> p = GetArray<int32_t>(info[0], "indptr");
    indptr.data = p.data;
    rows = p.length - 1;
  }
  if (rows < 0) Throw(env, Status(StatusCode::kInvalidGraph, "indptr: expected at least one entry (numNodes + 1), got none"));
  ArrayView<int32_t> indices = GetArray<int32_t>(info[1], "indices");
  const int64_t cols = GetInt(info[2], "numSrcNodes", 0, kMaxNodes);
  ArrayView<float> w = GetOptionalArray<float>(info[3], "edgeWeight");
  if (w.data != nullptr && w.length != indices.length) {
    Throw(env, Status(StatusCode::kShapeMismatch, "edgeWeight: expected one weight per edge (" + Str(indices.length) +
                                                      "), got " + Str(w.length)));
  }
  if (rows > kMaxNodes) Throw(env, Status(StatusCode::kOutOfRange, "indptr: more than 2^31 - 1 nodes"));
  ThrowIfError(env, gnn::ValidateCsr(indptr, indices.data, rows, cols, indices.length));
  return env.Undefined();
}

Napi::Value RemoveSelfLoops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CsrGraphView g = GetGraph(info[0], "graph");
  const int64_t loops = CountSelfLoops(g);
  GraphArrays arrays(env, g.num_rows, g.nnz - loops, g.edge_ids != nullptr, g.weights != nullptr);
  gnn::RemoveSelfLoops(g, arrays.out);
  return arrays.ToObject(env);
}

// (graph, fillValue, weighted): weighted asks for weights even when the graph has none.
Napi::Value AddSelfLoops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CsrGraphView g = GetGraph(info[0], "graph");
  const float fill = static_cast<float>(GetNumber(info[1], "fillValue"));
  const bool weighted = info[2].ToBoolean().Value() || g.weights != nullptr;
  RequireSquare(env, g, "addSelfLoops");
  const int64_t nnz = g.nnz - CountSelfLoops(g) + g.num_rows;
  if (nnz > kMaxInt32Nnz) Throw(env, Status(StatusCode::kOutOfRange, "addSelfLoops: the result has more than 2^31 - 1 edges"));
  GraphArrays arrays(env, g.num_rows, nnz, true, weighted);
  AddRemainingSelfLoops(g, fill, arrays.out);
  return arrays.ToObject(env);
}

// (graph) -> Float32Array of normalised weights in CSR order
Napi::Value GcnNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CsrGraphView g = GetGraph(info[0], "graph");
  RequireSquare(env, g, "gcnNorm");
  auto w = Napi::Float32Array::New(env, static_cast<size_t>(g.nnz));
  GcnNormWeights(g, w.Data());
  return w;
}

// (graph, reduce: 0 sum 1 mean 2 max 3 min)
Napi::Value ToUndirected(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CsrGraphView g = GetGraph(info[0], "graph");
  const Reduce reduce = static_cast<Reduce>(GetInt(info[1], "reduce", 0, 3));
  RequireSquare(env, g, "toUndirected");
  UndirectedPlan plan;
  ThrowIfError(env, PlanToUndirected(g, &plan));
  GraphArrays arrays(env, g.num_rows, plan.out_nnz, true, g.weights != nullptr);
  FillToUndirected(plan, reduce, arrays.out);
  return arrays.ToObject(env);
}

// (graph, which: 0 in, 1 out) -> Int32Array
Napi::Value Degrees(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CsrGraphView g = GetGraph(info[0], "graph");
  const int64_t which = GetInt(info[1], "which", 0, 1);
  auto out = Napi::Int32Array::New(env, static_cast<size_t>(which == 0 ? g.num_rows : g.num_cols));
  if (which == 0) InDegrees(g, out.Data()); else OutDegrees(g, out.Data());
  return out;
}

}  // namespace binding
}  // namespace gnn
