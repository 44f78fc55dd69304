#include "cuda_args.h"

#include <utility>

#include "args.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

// An async CUDA job: Execute() runs on a libuv thread and touches only the launch closure, the
// event and plain device pointers; everything N-API happens on the JavaScript thread.
class CudaWorker : public Napi::AsyncWorker {
 public:
  CudaWorker(Napi::Env env, int device, gnn::cuda::LaunchFn launch, void* event, const DeviceSet& devices,
             const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, "gnn-kernels-cuda"),
        deferred_(Napi::Promise::Deferred::New(env)),
        device_(device),
        launch_(std::move(launch)),
        event_(event),
        handles_(devices.handles()) {
    for (DeviceHandle* h : handles_) HoldHandle(h);
    for (const Napi::Value& v : devices.values()) refs_.push_back(Napi::Persistent(v));
    for (const Napi::Value& v : keep) {
      if (!v.IsNull() && !v.IsUndefined()) refs_.push_back(Napi::Persistent(v));
    }
  }

  ~CudaWorker() override {
    gnn::cuda::DestroyEvent(device_, event_);
    // On the JavaScript thread: a handle freed while the job ran is released now.
    for (DeviceHandle* h : handles_) DropHandle(h);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    status_ = gnn::cuda::Launch(device_, launch_, event_, /*synchronize=*/true);
    gnn::cuda::DestroyEvent(device_, event_);
    event_ = nullptr;
  }

  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (status_.ok()) {
      deferred_.Resolve(Env().Undefined());
    } else {
      deferred_.Reject(MakeError(Env(), status_).Value());
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int device_;
  gnn::cuda::LaunchFn launch_;
  void* event_;
  std::vector<DeviceHandle*> handles_;
  std::vector<Napi::Reference<Napi::Value>> refs_;
  Status status_;
};

}  // namespace

void ExpectBytes(Napi::Env env, const char* name, const DeviceHandle* handle, int64_t elements, int elem_bytes,
                 const char* type, const std::string& what) {
  // elements <= 2^53 (Elements() checks products), so elements * 8 cannot overflow int64.
  const int64_t want = elements * elem_bytes;
  if (handle->bytes == want) return;
  Mismatch(env, std::string(name) + ": expected " + (what.empty() ? Str(elements) : what) + " " + type +
                    " elements (" + Str(want) + " bytes), got a DeviceBuffer of " + Str(handle->bytes) + " bytes");
}

void ExpectBytes(Napi::Env env, const char* name, const DeviceHandle* handle, int64_t rows, int64_t cols,
                 int elem_bytes, const char* type) {
  const int64_t elements = Elements(env, name, rows, cols);
  ExpectBytes(env, name, handle, elements, elem_bytes, type,
              cols == 1 ? std::string() : Str(rows) + " x " + Str(cols) + " = " + Str(elements));
}

void DeviceSet::Add(DeviceHandle* handle, const Napi::Value& value, const char* name) {
  if (handle == nullptr) return;
  if (device_ < 0) {
    device_ = handle->device;
    first_ = name;
  } else if (handle->device != device_) {
    Throw(env_, Status(StatusCode::kDevice, std::string(name) + ": expected memory on device " + Str(device_) +
                                                 " (where " + first_ + " is), got device " + Str(handle->device)));
  }
  handles_.push_back(handle);
  values_.push_back(value);
}

DeviceHandle* Sized(const Napi::CallbackInfo& info, int i, const char* name, int64_t rows, int64_t cols, int elem_bytes,
                    const char* type, DeviceSet* devices) {
  DeviceHandle* h = GetBuffer(info[i], name);
  ExpectBytes(info.Env(), name, h, rows, cols, elem_bytes, type);
  devices->Add(h, info[i], name);
  return h;
}

DeviceHandle* OptionalSized(const Napi::CallbackInfo& info, int i, const char* name, int64_t rows, int64_t cols,
                            int elem_bytes, const char* type, DeviceSet* devices) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return Sized(info, i, name, rows, cols, elem_bytes, type, devices);
}

int64_t ElementsOf(Napi::Env env, const char* name, const DeviceHandle* handle, int elem_bytes) {
  if (handle->bytes % elem_bytes != 0) {
    Mismatch(env, std::string(name) + ": expected whole elements of " + Str(elem_bytes) + " bytes, got a DeviceBuffer of " +
                      Str(handle->bytes) + " bytes");
  }
  return handle->bytes / elem_bytes;
}

bool GetBool(const Napi::Value& value, const char* name) {
  if (!value.IsBoolean()) ThrowType(value.Env(), std::string(name) + ": expected a boolean, got " + Describe(value));
  return value.As<Napi::Boolean>().Value();
}

float GetFloat(const Napi::Value& value, const char* name) { return static_cast<float>(GetNumber(value, name)); }

void ResolveEdgeWeights(Napi::Env env, const Napi::Value& mode_value, const Napi::Value& weights_value,
                        const DeviceHandle* graph, int64_t heads, DeviceSet* devices, const float** weights,
                        const int32_t** weight_ids) {
  const int64_t mode = GetInt(mode_value, "weightsMode", 0, 2);
  *weights = nullptr;
  *weight_ids = nullptr;
  const bool given = !weights_value.IsNull() && !weights_value.IsUndefined();
  if (mode != 2 && given) {
    ThrowValue(env, "weights: expected null with weightsMode " + Str(mode) + ", got " + DescribeValue(weights_value));
  }
  if (mode == 1) {
    if (graph->graph.weights == nullptr) {
      ThrowValue(env, "weightsMode: 1 uses the graph's own edge weights, but the DeviceGraph was uploaded without any");
    }
    if (heads != 1) {
      Mismatch(env, "heads: the graph's own weights are one per edge, expected 1 head, got " + Str(heads));
    }
    *weights = graph->graph.weights;
  } else if (mode == 2) {
    DeviceHandle* w = GetBuffer(weights_value, "weights");
    ExpectBytes(env, "weights", w, graph->graph.csr.nnz, heads, 4, "float32");
    devices->Add(w, weights_value, "weights");
    *weights = static_cast<const float*>(w->memory);
    // Caller edge order: CSR position j reads weight row edge_ids[j] (null: the identity).
    *weight_ids = graph->graph.csr.edge_ids;
  }
}

void RunSync(Napi::Env env, int device, const gnn::cuda::LaunchFn& launch) {
  ThrowIfError(env, gnn::cuda::Launch(device, launch, nullptr, /*synchronize=*/false));
}

Napi::Promise RunAsync(Napi::Env env, const DeviceSet& devices, gnn::cuda::LaunchFn launch,
                       const std::vector<Napi::Value>& keep) {
  const int device = devices.device();
  void* event = nullptr;
  ThrowIfError(env, gnn::cuda::RecordEvent(device, &event));
  auto* worker = new CudaWorker(env, device, std::move(launch), event, devices, keep);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value SyncOp(const Napi::CallbackInfo& info, UnpackFn unpack) {
  DeviceSet devices(info.Env());
  const gnn::cuda::LaunchFn launch = unpack(info, &devices);
  RunSync(info.Env(), devices.device(), launch);
  return info.Env().Undefined();
}

Napi::Value AsyncOp(const Napi::CallbackInfo& info, UnpackFn unpack) {
  DeviceSet devices(info.Env());
  gnn::cuda::LaunchFn launch = unpack(info, &devices);
  return RunAsync(info.Env(), devices, std::move(launch));
}

}  // namespace binding
}  // namespace gnn
