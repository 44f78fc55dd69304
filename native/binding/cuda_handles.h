// DeviceBuffer and DeviceGraph: the CUDA build's native handles, as type-tagged Napi::External
// values (so a handle of one kind is never taken for the other, nor for any other external).
//
// Lifetime. free() / graphFree() release the device memory (stream-ordered on the calling thread's
// stream) and mark the handle disposed; a disposed handle used again throws ERR_GNN_DEVICE. While an
// async job uses a handle its memory is kept: a free() during the job only marks it, and the job
// releases it when it settles. The garbage collector's finalizer is a backstop for handles never
// freed; it never throws and makes no CUDA call on a poisoned device or while the environment tears
// down. The environment's cleanup hook (worker exit, process exit) frees every handle still live
// and idle first, so a terminated worker does not leak device memory.
//
// All of this runs on the JavaScript thread of the handle's environment; async jobs see only the
// raw device pointers.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include "../../cuda/kernels.h"
#include "../kernels/status.h"

namespace gnn {
namespace binding {

struct CudaEnvState;

struct DeviceHandle {
  bool is_graph = false;
  int device = 0;
  void* memory = nullptr;  // the one device allocation the handle owns (null for 0 bytes)
  int64_t bytes = 0;
  gnn::cuda::DeviceGraph graph;  // graphs only: device views into `memory`
  bool disposed = false;   // freed by the caller (or by the environment's teardown)
  bool released = false;   // the memory went back to the pool
  int pending = 0;         // async jobs holding the handle
  std::shared_ptr<CudaEnvState> env;
};

// Per environment (main thread or worker): the handles still owned, for the cleanup hook.
struct CudaEnvState {
  bool tearing_down = false;
  std::unordered_set<DeviceHandle*> live;
};

// Makes the per-environment state and registers the cleanup hook.
std::shared_ptr<CudaEnvState> NewCudaEnvState(Napi::Env env);

// Wraps a new handle (registered with its environment) as a JavaScript value.
Napi::Value WrapHandle(Napi::Env env, std::unique_ptr<DeviceHandle> handle);

// The handle behind `value`: ERR_INVALID_ARG_TYPE if it is not one of the wanted kind,
// ERR_GNN_DEVICE if it was disposed (unless allow_disposed).
DeviceHandle* GetBuffer(const Napi::Value& value, const char* name, bool allow_disposed = false);
DeviceHandle* GetOptionalBuffer(const Napi::Value& value, const char* name);
DeviceHandle* GetDeviceGraph(const Napi::Value& value, const char* name, bool allow_disposed = false);

// Marks the handle disposed and, unless an async job holds it, releases its memory. Idempotent.
Status DisposeHandle(DeviceHandle* handle);
// An async job starts / stops holding the handle (JavaScript thread only).
void HoldHandle(DeviceHandle* handle);
void DropHandle(DeviceHandle* handle);

// "a DeviceBuffer", "a disposed DeviceGraph", "a Float32Array of length 3", ...
std::string DescribeValue(const Napi::Value& value);

}  // namespace binding
}  // namespace gnn
