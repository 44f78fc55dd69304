// What the CUDA op bindings share: size and device checks of handles, and running an op on the
// calling thread (Sync) or on a libuv worker (Async).
//
// Sync: enqueued on the calling thread's stream; returns once queued (stream order keeps later ops
// and copies correct). Async: an event is recorded on the calling thread's stream now, the worker
// makes its own stream wait on it (so inputs written by earlier Sync ops are ready), launches and
// synchronizes, so the result is complete when the promise resolves. The job holds every handle it
// uses (a free() meanwhile is deferred until it settles) and every JavaScript value it reads.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../../cuda/runtime.h"
#include "cuda_handles.h"

namespace gnn {
namespace binding {

// Checks that `handle` holds exactly `elements` elements of `elem_bytes` bytes each
// (ERR_GNN_SHAPE_MISMATCH naming the argument, expected and actual); `what` describes the shape
// ("100 x 16 = 1600"), empty for a plain count.
void ExpectBytes(Napi::Env env, const char* name, const DeviceHandle* handle, int64_t elements, int elem_bytes,
                 const char* type, const std::string& what = "");
// rows x cols elements (product overflow-checked).
void ExpectBytes(Napi::Env env, const char* name, const DeviceHandle* handle, int64_t rows, int64_t cols,
                 int elem_bytes, const char* type);

// The handles of one op: every one must be on one device (ERR_GNN_DEVICE names the odd one out).
class DeviceSet {
 public:
  explicit DeviceSet(Napi::Env env) : env_(env) {}
  // Adds the handle behind `value` (null is skipped); the first added sets the device.
  void Add(DeviceHandle* handle, const Napi::Value& value, const char* name);
  int device() const { return device_; }
  const std::vector<DeviceHandle*>& handles() const { return handles_; }
  const std::vector<Napi::Value>& values() const { return values_; }

 private:
  Napi::Env env_;
  int device_ = -1;
  std::string first_;
  std::vector<DeviceHandle*> handles_;
  std::vector<Napi::Value> values_;
};

// Argument i as a buffer of exactly rows x cols elements of elem_bytes (`type` names them in the
// message), added to `devices`. OptionalSized: null / undefined give null.
DeviceHandle* Sized(const Napi::CallbackInfo& info, int i, const char* name, int64_t rows, int64_t cols, int elem_bytes,
                    const char* type, DeviceSet* devices);
DeviceHandle* OptionalSized(const Napi::CallbackInfo& info, int i, const char* name, int64_t rows, int64_t cols,
                            int elem_bytes, const char* type, DeviceSet* devices);

// The buffer's size in elements of elem_bytes (ERR_GNN_SHAPE_MISMATCH when it is not whole).
int64_t ElementsOf(Napi::Env env, const char* name, const DeviceHandle* handle, int elem_bytes);

// The handle's memory as T* (null for an empty buffer).
template <typename T>
T* Ptr(const DeviceHandle* handle) {
  return handle != nullptr ? static_cast<T*>(handle->memory) : nullptr;
}

bool GetBool(const Napi::Value& value, const char* name);
// `float` arguments given as JavaScript numbers.
float GetFloat(const Napi::Value& value, const char* name);

// weightsMode 0 / 1 / 2 of the aggregations: sets *weights / *weight_ids and checks the buffer.
void ResolveEdgeWeights(Napi::Env env, const Napi::Value& mode_value, const Napi::Value& weights_value,
                        const DeviceHandle* graph, int64_t heads, DeviceSet* devices, const float** weights,
                        const int32_t** weight_ids);

// Runs `launch` on the calling thread's stream; throws the mapped error.
void RunSync(Napi::Env env, int device, const gnn::cuda::LaunchFn& launch);
// Runs `launch` on a libuv worker; the promise resolves with undefined. The job holds every handle
// of `devices`; `keep`: JavaScript values it reads besides them (typed arrays).
Napi::Promise RunAsync(Napi::Env env, const DeviceSet& devices, gnn::cuda::LaunchFn launch,
                       const std::vector<Napi::Value>& keep = {});

// An op's argument unpacking: checks everything, adds every handle to `devices`, and returns the
// launch (capturing plain values and device pointers only).
using UnpackFn = gnn::cuda::LaunchFn (*)(const Napi::CallbackInfo& info, DeviceSet* devices);
Napi::Value SyncOp(const Napi::CallbackInfo& info, UnpackFn unpack);
Napi::Value AsyncOp(const Napi::CallbackInfo& info, UnpackFn unpack);

// spmm's unpacking (cuda_aggregate_binding.cc), shared with the spmmMs benchmark.
gnn::cuda::LaunchFn UnpackCudaSpmm(const Napi::CallbackInfo& info, DeviceSet* devices);

// Defines NameSync and NameAsync over one unpack function.
#define GNN_CUDA_OP_PAIR(Name, Unpack)                                                              \
  Napi::Value Name##Sync(const Napi::CallbackInfo& info) { return SyncOp(info, Unpack); }           \
  Napi::Value Name##Async(const Napi::CallbackInfo& info) { return AsyncOp(info, Unpack); }

}  // namespace binding
}  // namespace gnn
