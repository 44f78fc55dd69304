// Plain views of CSR graphs for the graph-construction and transform kernels.
#pragma once

#include <cstdint>

namespace gnn {

// indptr is int32 while the edge count fits, int64 beyond.
struct IndptrView {
  void* data = nullptr;
  bool wide = false;

  int64_t Get(int64_t i) const {
    return wide ? static_cast<const int64_t*>(data)[i] : static_cast<const int32_t*>(data)[i];
  }
  void Set(int64_t i, int64_t v) const {
    if (wide) static_cast<int64_t*>(data)[i] = v; else static_cast<int32_t*>(data)[i] = static_cast<int32_t>(v);
  }
};

// A destination-major CSR graph: row v lists the sources of v's in-edges. edge_ids[j] is the
// position of CSR entry j in the caller's edge order (null: identity); weights are in CSR order
// (null: unweighted).
struct CsrGraphView {
  IndptrView indptr;
  const int32_t* indices = nullptr;
  const int32_t* edge_ids = nullptr;
  const float* weights = nullptr;
  int64_t num_rows = 0;
  int64_t num_cols = 0;
  int64_t nnz = 0;

  int64_t EdgeId(int64_t j) const { return edge_ids != nullptr ? edge_ids[j] : j; }
};

// Where a kernel writes a CSR graph whose sizes were planned beforehand.
struct CsrGraphOut {
  IndptrView indptr;
  int32_t* indices = nullptr;
  int32_t* edge_ids = nullptr;  // may be null when the kernel's plan said identity
  float* weights = nullptr;     // may be null for unweighted results
};

// A validated CSR graph as the kernels see it: indptr[num_rows + 1] (int32 or int64),
// indices[nnz] in [0, num_cols); edge_ids[j] (null: identity) is CSR entry j's position in the
// caller's edge order, for per-edge inputs and outputs given in that order.
struct CsrView {
  const void* indptr = nullptr;
  bool indptr64 = false;
  const int32_t* indices = nullptr;
  const int32_t* edge_ids = nullptr;
  int64_t num_rows = 0;  // destination nodes
  int64_t num_cols = 0;  // source nodes
  int64_t nnz = 0;

  int64_t RowBegin(int64_t r) const {
    return indptr64 ? static_cast<const int64_t*>(indptr)[r]
                    : static_cast<const int32_t*>(indptr)[r];
  }
};

// Largest edge count an int32 indptr holds.
constexpr int64_t kMaxInt32Nnz = 2147483647;

}  // namespace gnn
