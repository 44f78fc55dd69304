// Turning kernel Status values and argument problems into JavaScript errors with stable codes.
// TypeError / RangeError carry Node's codes; everything else is an Error whose code starts with
// ERR_GNN_ (the TypeScript layer re-throws those as GnnError).
#pragma once

#include <napi.h>

#include <string>

#include "../kernels/status.h"

namespace gnn {
namespace binding {

const char* StatusCodeName(StatusCode code);
Napi::Error MakeError(Napi::Env env, const Status& status);

// Throws (as a C++ exception that node-addon-api turns into a JS exception).
[[noreturn]] void Throw(Napi::Env env, const Status& status);
[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);   // ERR_INVALID_ARG_TYPE
[[noreturn]] void ThrowValue(Napi::Env env, const std::string& message);  // ERR_INVALID_ARG_VALUE
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message);  // ERR_OUT_OF_RANGE

inline void ThrowIfError(Napi::Env env, const Status& status) {
  if (!status.ok()) Throw(env, status);
}

}  // namespace binding
}  // namespace gnn
