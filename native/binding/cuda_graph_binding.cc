// Device graphs: graphUpload(device, indptr, indices, edgeIds | null, weights | null, numRows, numCols)
// copies a CSR graph's arrays into one pool allocation and plans its hub rows (cuda/launch_plan.h);
// graphFree(graph) releases it; graphInfo(graph) describes it.
//
// The arrays are validated here (O(E) on the host, cheap next to the copy): a kernel reading a bad
// index would fault on the device and poison the context, so nothing unchecked goes up.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../../cuda/launch_plan.h"
#include "../../cuda/runtime.h"
#include "../kernels/graph_build.h"
#include "args.h"
#include "cuda_bindings.h"
#include "cuda_handles.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

constexpr int64_t kAlign = 256;

int64_t AlignUp(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

[[noreturn]] void BadGraph(Napi::Env env, const std::string& message) {
  Throw(env, Status(StatusCode::kInvalidGraph, message));
}

// One host array's place in the graph's allocation.
struct Segment {
  const void* host = nullptr;
  int64_t bytes = 0;
  int64_t offset = 0;
};

}  // namespace

Napi::Value CudaGraphUpload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* state = static_cast<std::shared_ptr<CudaEnvState>*>(info.Data());
  const int device = static_cast<int>(GetInt(info[0], "device", 0, 1 << 20));
  const int64_t num_rows = GetInt(info[5], "numRows", 0, 2147483647);
  const int64_t num_cols = GetInt(info[6], "numCols", 0, 2147483647);

  CsrView host;
  Segment indptr;
  IndptrView indptr_view;
  if (info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_bigint64_array) {
    ArrayView<int64_t> p = GetArray<int64_t>(info[1], "indptr");
    if (p.length != num_rows + 1) BadGraph(env, "indptr: expected " + Str(num_rows + 1) + " entries, got " + Str(p.length));
    indptr = {p.data, p.length * 8, 0};
    indptr_view = {p.data, true};
  } else {
    ArrayView<int32_t> p = GetArray<int32_t>(info[1], "indptr");
    if (p.length != num_rows + 1) BadGraph(env, "indptr: expected " + Str(num_rows + 1) + " entries, got " + Str(p.length));
    indptr = {p.data, p.length * 4, 0};
    indptr_view = {p.data, false};
  }
  ArrayView<int32_t> indices = GetArray<int32_t>(info[2], "indices");
  const int64_t nnz = indices.length;
  ThrowIfError(env, ValidateCsr(indptr_view, indices.data, num_rows, num_cols, nnz));

  ArrayView<int32_t> edge_ids = GetOptionalArray<int32_t>(info[3], "edgeIds");
  if (edge_ids.data != nullptr) {
    if (edge_ids.length != nnz) BadGraph(env, "edgeIds: expected " + Str(nnz) + " entries, got " + Str(edge_ids.length));
    // Kernels read per-edge inputs at edge_ids[j]: every id must lie in [0, nnz).
    for (int64_t j = 0; j < nnz; ++j) {
      if (edge_ids.data[j] < 0 || edge_ids.data[j] >= nnz) {
        BadGraph(env, "edgeIds[" + Str(j) + "]: expected an edge id in [0, " + Str(nnz) + "), got " + Str(edge_ids.data[j]));
      }
    }
  }
  ArrayView<float> weights = GetOptionalArray<float>(info[4], "weights");
  if (weights.data != nullptr && weights.length != nnz) {
    BadGraph(env, "weights: expected " + Str(nnz) + " entries, got " + Str(weights.length));
  }

  host.indptr = indptr_view.data;
  host.indptr64 = indptr_view.wide;
  host.indices = indices.data;
  host.edge_ids = edge_ids.data;
  host.num_rows = num_rows;
  host.num_cols = num_cols;
  host.nnz = nnz;
  const gnn::cuda::HubPlan plan = gnn::cuda::PlanHubRows(host, 0);

  Segment idx{indices.data, nnz * 4, 0};
  Segment ids{edge_ids.data, edge_ids.data != nullptr ? nnz * 4 : 0, 0};
  Segment wts{weights.data, weights.data != nullptr ? nnz * 4 : 0, 0};
  Segment hubs{plan.rows.data(), static_cast<int64_t>(plan.rows.size()) * 4, 0};
  int64_t total = 0;
  for (Segment* s : {&indptr, &idx, &ids, &wts, &hubs}) {
    s->offset = total;
    total += AlignUp(s->bytes);
  }

  auto h = std::make_unique<DeviceHandle>();
  h->is_graph = true;
  h->device = device;
  h->bytes = total;
  h->env = *state;
  ThrowIfError(env, gnn::cuda::Allocate(device, total, gnn::cuda::ThisThreadStream(), &h->memory));
  auto* base = static_cast<uint8_t*>(h->memory);
  for (const Segment* s : {&indptr, &idx, &ids, &wts, &hubs}) {
    if (s->bytes == 0) continue;
    const Status copied = gnn::cuda::CopyToDevice(device, base + s->offset, s->host, s->bytes);
    if (!copied.ok()) {
      gnn::cuda::Release(device, h->memory, gnn::cuda::ThisThreadStream());
      Throw(env, copied);
    }
  }

  gnn::cuda::DeviceGraph& g = h->graph;
  g.csr.indptr = base + indptr.offset;
  g.csr.indptr64 = indptr_view.wide;
  g.csr.indices = reinterpret_cast<const int32_t*>(base + idx.offset);
  g.csr.edge_ids = ids.bytes > 0 ? reinterpret_cast<const int32_t*>(base + ids.offset) : nullptr;
  g.csr.num_rows = num_rows;
  g.csr.num_cols = num_cols;
  g.csr.nnz = nnz;
  g.weights = wts.bytes > 0 ? reinterpret_cast<const float*>(base + wts.offset) : nullptr;
  g.hub_rows = hubs.bytes > 0 ? reinterpret_cast<const int32_t*>(base + hubs.offset) : nullptr;
  g.num_hub_rows = static_cast<int64_t>(plan.rows.size());
  g.max_row_nnz = plan.max_row_nnz;
  g.device = device;
  return WrapHandle(env, std::move(h));
}

Napi::Value CudaGraphFree(const Napi::CallbackInfo& info) {
  ThrowIfError(info.Env(), DisposeHandle(GetDeviceGraph(info[0], "graph", /*allow_disposed=*/true)));
  return info.Env().Undefined();
}

Napi::Value CudaGraphInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DeviceHandle* h = GetDeviceGraph(info[0], "graph", /*allow_disposed=*/true);
  Napi::Object o = Napi::Object::New(env);
  o.Set("device", h->device);
  o.Set("bytes", static_cast<double>(h->bytes));
  o.Set("hubRows", static_cast<double>(h->graph.num_hub_rows));
  o.Set("maxRowNnz", static_cast<double>(h->graph.max_row_nnz));
  o.Set("disposed", h->disposed);
  return o;
}

}  // namespace binding
}  // namespace gnn
