#include "cuda_handles.h"

#include <vector>

#include "../../cuda/runtime.h"
#include "args.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

// Type tags (napi_type_tag_object): arbitrary constants, one per kind of handle.
constexpr napi_type_tag kBufferTag = {0x6a1f3c8e52b94d07ULL, 0x9e2c47d1b0a6f385ULL};
constexpr napi_type_tag kGraphTag = {0x1c7b5e93a40d2f68ULL, 0x83f0d6a2c95e147bULL};

const char* KindName(bool is_graph) { return is_graph ? "DeviceGraph" : "DeviceBuffer"; }

// Gives the memory back (stream-ordered on this thread's stream). Never throws.
Status ReleaseMemory(DeviceHandle* h) {
  if (h->released) return Status::Ok();
  h->released = true;
  return gnn::cuda::Release(h->device, h->memory, gnn::cuda::ThisThreadStream());
}

void Finalize(Napi::Env /*env*/, DeviceHandle* h) {
  h->env->live.erase(h);
  // The backstop: memory nobody freed. Release() itself skips a poisoned device.
  if (!h->released && !h->env->tearing_down) ReleaseMemory(h);
  delete h;
}

void CleanupEnv(void* arg) {
  auto* holder = static_cast<std::shared_ptr<CudaEnvState>*>(arg);
  CudaEnvState& state = **holder;
  // Free what is still owned and idle while the runtime is certainly alive; the finalizers that
  // run after this make no CUDA call. A handle an unfinished job still holds is left alone.
  const std::vector<DeviceHandle*> live(state.live.begin(), state.live.end());
  for (DeviceHandle* h : live) {
    if (h->pending > 0) continue;
    h->disposed = true;
    ReleaseMemory(h);
  }
  state.tearing_down = true;
  delete holder;
}

DeviceHandle* Unwrap(const Napi::Value& value, bool is_graph) {
  if (!value.IsExternal()) return nullptr;
  Napi::External<DeviceHandle> ext = value.As<Napi::External<DeviceHandle>>();
  if (!ext.CheckTypeTag(is_graph ? &kGraphTag : &kBufferTag)) return nullptr;
  return ext.Data();
}

DeviceHandle* Get(const Napi::Value& value, const char* name, bool is_graph, bool allow_disposed) {
  Napi::Env env = value.Env();
  DeviceHandle* h = Unwrap(value, is_graph);
  if (h == nullptr) {
    ThrowType(env, std::string(name) + ": expected a " + KindName(is_graph) + ", got " + DescribeValue(value));
  }
  if (h->disposed && !allow_disposed) {
    Throw(env, Status(StatusCode::kDevice, std::string(name) + ": the " + KindName(is_graph) +
                                                " was disposed (its device memory is freed)"));
  }
  return h;
}

}  // namespace

std::shared_ptr<CudaEnvState> NewCudaEnvState(Napi::Env env) {
  auto state = std::make_shared<CudaEnvState>();
  auto* holder = new std::shared_ptr<CudaEnvState>(state);
  if (napi_add_env_cleanup_hook(env, CleanupEnv, holder) != napi_ok) {
    delete holder;
    Throw(env, Status(StatusCode::kInternal, "cuda: could not register the environment's cleanup hook"));
  }
  return state;
}

Napi::Value WrapHandle(Napi::Env env, std::unique_ptr<DeviceHandle> handle) {
  DeviceHandle* h = handle.get();
  const bool is_graph = h->is_graph;
  Napi::External<DeviceHandle> ext = Napi::External<DeviceHandle>::New(env, h, Finalize);
  // From here the finalizer owns it.
  handle.release();
  h->env->live.insert(h);
  ext.TypeTag(is_graph ? &kGraphTag : &kBufferTag);
  return ext;
}

DeviceHandle* GetBuffer(const Napi::Value& value, const char* name, bool allow_disposed) {
  return Get(value, name, false, allow_disposed);
}

DeviceHandle* GetOptionalBuffer(const Napi::Value& value, const char* name) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  return Get(value, name, false, false);
}

DeviceHandle* GetDeviceGraph(const Napi::Value& value, const char* name, bool allow_disposed) {
  return Get(value, name, true, allow_disposed);
}

Status DisposeHandle(DeviceHandle* h) {
  if (h->disposed) return Status::Ok();
  h->disposed = true;
  if (h->pending > 0) return Status::Ok();  // the last job to settle releases it
  return ReleaseMemory(h);
}

void HoldHandle(DeviceHandle* h) { ++h->pending; }

void DropHandle(DeviceHandle* h) {
  if (--h->pending == 0 && h->disposed) ReleaseMemory(h);
}

std::string DescribeValue(const Napi::Value& value) {
  for (bool is_graph : {false, true}) {
    if (DeviceHandle* h = Unwrap(value, is_graph)) {
      return std::string(h->disposed ? "a disposed " : "a ") + KindName(is_graph);
    }
  }
  if (value.IsExternal()) return "another native handle";
  return Describe(value);
}

}  // namespace binding
}  // namespace gnn
