#include "errors.h"

namespace gnn {
namespace binding {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgType: return "ERR_INVALID_ARG_TYPE";
    case StatusCode::kInvalidArgValue: return "ERR_INVALID_ARG_VALUE";
    case StatusCode::kOutOfRange: return "ERR_OUT_OF_RANGE";
    case StatusCode::kInvalidGraph: return "ERR_GNN_INVALID_GRAPH";
    case StatusCode::kShapeMismatch: return "ERR_GNN_SHAPE_MISMATCH";
    case StatusCode::kOutOfMemory: return "ERR_GNN_OUT_OF_MEMORY";
    case StatusCode::kAborted: return "ERR_GNN_ABORTED";
    case StatusCode::kCuda: return "ERR_GNN_CUDA";
    case StatusCode::kDevice: return "ERR_GNN_DEVICE";
    case StatusCode::kInternal: break;
  }
  return "ERR_GNN_INTERNAL";
}

Napi::Error MakeError(Napi::Env env, const Status& status) {
  Napi::Error error;
  switch (status.code()) {
    case StatusCode::kInvalidArgType:
    case StatusCode::kInvalidArgValue:
      error = Napi::TypeError::New(env, status.message());
      break;
    case StatusCode::kOutOfRange:
      error = Napi::RangeError::New(env, status.message());
      break;
    default:
      error = Napi::Error::New(env, status.message());
      break;
  }
  error.Set("code", Napi::String::New(env, StatusCodeName(status.code())));
  return error;
}

void Throw(Napi::Env env, const Status& status) { throw MakeError(env, status); }
void ThrowType(Napi::Env env, const std::string& m) { Throw(env, Status(StatusCode::kInvalidArgType, m)); }
void ThrowValue(Napi::Env env, const std::string& m) { Throw(env, Status(StatusCode::kInvalidArgValue, m)); }
void ThrowRange(Napi::Env env, const std::string& m) { Throw(env, Status(StatusCode::kOutOfRange, m)); }

}  // namespace binding
}  // namespace gnn
