// O(1) argument checks of the CUDA kernels whose CPU counterparts check inline (attention.cc,
// gatv2.cc, rowops.cc, norm.cc) rather than through a Check*Args function: the same conditions,
// codes and messages, so a GPU call fails exactly as the CPU call would. Host code only; nothing
// here dereferences a pointer.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "../native/kernels/arg_checks.h"
#include "../native/kernels/csr.h"
#include "../native/kernels/status.h"

namespace gnn {
namespace cuda {

// attention.cc / gatv2.cc CheckGraph.
inline Status CheckGraphArrays(const CsrView& g) {
  if (g.indptr == nullptr || (g.nnz > 0 && g.indices == nullptr) || g.num_rows < 0 || g.num_cols < 0 || g.nnz < 0) {
    return Status(StatusCode::kInvalidGraph, "graph: CSR arrays are missing or sizes are negative");
  }
  return Status::Ok();
}

// rowops.cc / norm.cc CheckBlock.
inline Status CheckBlock(const char* op, int64_t rows, int64_t width) {
  if (rows < 0 || width < 0) {
    return Status(StatusCode::kInvalidArgValue, std::string(op) + ": expected non-negative sizes, got " + Str(rows) +
                                                    " x " + Str(width));
  }
  return Status::Ok();
}

// norm.cc CheckEps.
inline Status CheckEps(const char* op, float eps) {
  if (!(eps >= 0.0f) || !std::isfinite(eps)) {
    return Status(StatusCode::kOutOfRange, std::string(op) + ": expected eps >= 0 and finite, got " + std::to_string(eps));
  }
  return Status::Ok();
}

// A device pointer the op needs for a non-empty result (the CPU bindings guarantee these; the
// device entry points are also reached from the CUDA bindings, so they say so instead of faulting).
inline Status Present(const void* p, bool needed, const char* op, const char* what) {
  if (needed && p == nullptr) return Status(StatusCode::kShapeMismatch, std::string(op) + ": " + what + ": data is missing");
  return Status::Ok();
}

}  // namespace cuda
}  // namespace gnn
