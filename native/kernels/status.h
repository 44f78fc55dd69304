// Status: how every kernel reports failure. Kernels never throw across the N-API line and never
// abort; the binding turns a Status into a JavaScript error with a stable code.
#pragma once

#include <string>
#include <utility>

namespace gnn {

enum class StatusCode {
  kOk = 0,
  kInvalidArgType,   // TypeError, ERR_INVALID_ARG_TYPE
  kInvalidArgValue,  // TypeError, ERR_INVALID_ARG_VALUE
  kOutOfRange,       // RangeError, ERR_OUT_OF_RANGE
  kInvalidGraph,     // GnnError, ERR_GNN_INVALID_GRAPH
  kShapeMismatch,    // GnnError, ERR_GNN_SHAPE_MISMATCH
  kOutOfMemory,      // GnnError, ERR_GNN_OUT_OF_MEMORY
  kAborted,          // GnnError, ERR_GNN_ABORTED
  kInternal,         // GnnError, ERR_GNN_INTERNAL
  kCuda,             // GnnError, ERR_GNN_CUDA (a CUDA runtime error; the message names it)
  kDevice,           // GnnError, ERR_GNN_DEVICE (inputs on different devices, or not on the expected one)
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Returns from the enclosing function when `expr` yields a failed Status.
#define GNN_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::gnn::Status gnn_status_ = (expr);    \
    if (!gnn_status_.ok()) return gnn_status_; \
  } while (0)

}  // namespace gnn
