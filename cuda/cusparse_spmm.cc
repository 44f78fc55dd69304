// cuSPARSE SpMM as the benchmark's baseline (cusparse_spmm.h). Compiled to nothing without
// cuSPARSE (GNN_HAVE_CUSPARSE unset).
#include "cusparse_spmm.h"

#ifdef GNN_HAVE_CUSPARSE

#include <cuda_runtime.h>
#include <cusparse.h>

#include <string>
#include <vector>

#include "runtime.h"

namespace gnn {
namespace cuda {
namespace {

Status FromCusparse(cusparseStatus_t s, const char* what) {
  if (s == CUSPARSE_STATUS_SUCCESS) return Status::Ok();
  const std::string text = std::string("cuSPARSE ") + what + ": " + cusparseGetErrorName(s) + ": " + cusparseGetErrorString(s);
  if (s == CUSPARSE_STATUS_ALLOC_FAILED || s == CUSPARSE_STATUS_INSUFFICIENT_RESOURCES) {
    return Status(StatusCode::kOutOfMemory, text);
  }
  return Status(StatusCode::kCuda, text);
}

// Everything one measurement creates, destroyed on every exit path.
struct Session {
  int device = 0;
  cusparseHandle_t handle = nullptr;
  cusparseSpMatDescr_t a = nullptr;
  cusparseDnMatDescr_t x = nullptr;
  cusparseDnMatDescr_t y = nullptr;
  void* ones = nullptr;
  void* buffer = nullptr;

  ~Session() {
    if (IsPoisoned(device)) return;
    if (y != nullptr) cusparseDestroyDnMat(y);
    if (x != nullptr) cusparseDestroyDnMat(x);
    if (a != nullptr) cusparseDestroySpMat(a);
    if (handle != nullptr) cusparseDestroy(handle);
    Release(device, buffer, ThisThreadStream());
    Release(device, ones, ThisThreadStream());
  }
};

}  // namespace

Status CusparseSpmmMs(const DeviceGraph& graph, const float* x, int64_t width, bool use_graph_weights, float* out,
                      int repeats, double* ms) {
  *ms = 0;
  const CsrView& g = graph.csr;
  if (g.indptr64) {
    return Status(StatusCode::kInvalidArgValue,
                  "graph: the cuSPARSE baseline takes graphs with an int32 indptr (fewer than 2^31 edges)");
  }
  if (use_graph_weights && graph.weights == nullptr) {
    return Status(StatusCode::kInvalidArgValue, "useGraphWeights: the DeviceGraph was uploaded without weights");
  }
  GNN_RETURN_IF_ERROR(UseDevice(graph.device));
  // cuSPARSE refuses empty dimensions; there is nothing to time either.
  if (g.num_rows == 0 || g.num_cols == 0 || g.nnz == 0 || width == 0) return Status::Ok();

  Session s;
  s.device = graph.device;
  const void* values = graph.weights;
  if (!use_graph_weights) {
    GNN_RETURN_IF_ERROR(Allocate(s.device, g.nnz * 4, ThisThreadStream(), &s.ones));
    const std::vector<float> ones(static_cast<size_t>(g.nnz), 1.0f);
    GNN_RETURN_IF_ERROR(CopyToDevice(s.device, s.ones, ones.data(), g.nnz * 4));
    values = s.ones;
  }
  GNN_RETURN_IF_ERROR(FromCusparse(cusparseCreate(&s.handle), "create"));
  GNN_RETURN_IF_ERROR(FromCusparse(cusparseSetStream(s.handle, cudaStreamPerThread), "set stream"));
  GNN_RETURN_IF_ERROR(FromCusparse(
      cusparseCreateCsr(&s.a, g.num_rows, g.num_cols, g.nnz, const_cast<void*>(g.indptr),
                        const_cast<int32_t*>(g.indices), const_cast<void*>(values), CUSPARSE_INDEX_32I,
                        CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F),
      "create CSR"));
  GNN_RETURN_IF_ERROR(FromCusparse(cusparseCreateDnMat(&s.x, g.num_cols, width, width, const_cast<float*>(x),
                                                       CUDA_R_32F, CUSPARSE_ORDER_ROW),
                                   "create x"));
  GNN_RETURN_IF_ERROR(
      FromCusparse(cusparseCreateDnMat(&s.y, g.num_rows, width, width, out, CUDA_R_32F, CUSPARSE_ORDER_ROW), "create out"));

  const float alpha = 1.0f;
  const float beta = 0.0f;
  const cusparseOperation_t op = CUSPARSE_OPERATION_NON_TRANSPOSE;
  cusparseSpMMAlg_t alg = CUSPARSE_SPMM_CSR_ALG2;
  size_t bytes = 0;
  if (cusparseSpMM_bufferSize(s.handle, op, op, &alpha, s.a, s.x, &beta, s.y, CUDA_R_32F, alg, &bytes) !=
      CUSPARSE_STATUS_SUCCESS) {
    alg = CUSPARSE_SPMM_ALG_DEFAULT;
    GNN_RETURN_IF_ERROR(FromCusparse(
        cusparseSpMM_bufferSize(s.handle, op, op, &alpha, s.a, s.x, &beta, s.y, CUDA_R_32F, alg, &bytes), "buffer size"));
  }
  GNN_RETURN_IF_ERROR(Allocate(s.device, static_cast<int64_t>(bytes), ThisThreadStream(), &s.buffer));
  const LaunchFn launch = [&s, op, alpha, beta, alg](const Workspace&, Stream) {
    return FromCusparse(cusparseSpMM(s.handle, op, op, &alpha, s.a, s.x, &beta, s.y, CUDA_R_32F, alg, s.buffer), "SpMM");
  };
  return MedianLaunchMs(s.device, 3, repeats, launch, ms);
}

}  // namespace cuda
}  // namespace gnn

#endif  // GNN_HAVE_CUSPARSE
