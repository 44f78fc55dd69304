// The CUDA build's device runtime (runtime.h): host code over the CUDA runtime API.
#include "runtime.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>

#ifndef GNN_CUDA_ARCHS
#define GNN_CUDA_ARCHS ""
#endif

namespace gnn {
namespace cuda {
namespace {

std::string Str(int64_t v) { return std::to_string(v); }

// The build's CMake architecture list (the define separates entries with commas).
std::string BuildArchitectures() {
  std::string archs = GNN_CUDA_ARCHS;
  for (char& c : archs) {
    if (c == ',') c = ';';
  }
  return archs;
}

// "13.0" from cudaRuntimeGetVersion's 13000.
std::string VersionText(int v) { return Str(v / 1000) + "." + Str((v % 1000) / 10); }

std::string ErrorText(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + Str(static_cast<int>(e)) + "): " + cudaGetErrorString(e);
}

// Errors after which the context cannot be used again (the runtime documents each as needing the
// process to be restarted).
bool IsSticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorECCUncorrectable:
    case cudaErrorNvlinkUncorrectable:
    case cudaErrorContained:
    case cudaErrorTensorMemoryLeak:
    case cudaErrorMpsClientTerminated:
    case cudaErrorExternalDevice:
      return true;
    default:
      return false;
  }
}

struct DeviceState {
  std::atomic<bool> poisoned{false};
  std::atomic<bool> pool_ready{false};
  bool has_pools = false;        // set by the probe
  cudaMemPool_t pool = nullptr;  // guarded by Context::mutex until pool_ready
  std::string poison_message;    // guarded by Context::mutex; written once
};

struct Context {
  std::mutex mutex;
  std::once_flag probe_once;
  ProbeResult probe;
  int count = 0;
  std::unique_ptr<DeviceState[]> devices;
};

// The only process-wide mutable state of the CUDA build. Never destroyed: at process exit the CUDA
// runtime may already be gone, and nothing here needs tearing down.
Context& Ctx() {
  static Context* context = new Context();
  return *context;
}

std::string ProbeFailure(cudaError_t e, int runtime_version, int driver_version) {
  if (e == cudaErrorNoDevice) return "the CUDA runtime found no device: " + ErrorText(e);
  if (e == cudaErrorInsufficientDriver) {
    if (driver_version == 0) return "the CUDA runtime found no NVIDIA driver: " + ErrorText(e);
    return "the NVIDIA driver supports CUDA " + VersionText(driver_version) + ", older than this build's runtime " +
           VersionText(runtime_version) + " (update the driver): " + ErrorText(e);
  }
  return "the CUDA runtime could not list the devices: " + ErrorText(e);
}

void RunProbe(Context* c) {
  ProbeResult& r = c->probe;
  cudaRuntimeGetVersion(&r.runtime_version);
  if (cudaDriverGetVersion(&r.driver_version) != cudaSuccess) r.driver_version = 0;
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count <= 0) {
    cudaGetLastError();
    r.reason = ProbeFailure(e == cudaSuccess ? cudaErrorNoDevice : e, r.runtime_version, r.driver_version);
    return;
  }
  c->count = count;
  c->devices.reset(new DeviceState[count]);
  std::string unsupported;
  for (int i = 0; i < count; ++i) {
    DeviceProps d;
    d.index = i;
    cudaDeviceProp p;
    const cudaError_t pe = cudaGetDeviceProperties(&p, i);
    if (pe != cudaSuccess) {
      cudaGetLastError();
      d.name = "(properties unavailable: " + ErrorText(pe) + ")";
    } else {
      d.name = p.name;
      d.total_memory = static_cast<int64_t>(p.totalGlobalMem);
      d.major = p.major;
      d.minor = p.minor;
      d.multiprocessors = p.multiProcessorCount;
      d.supported = ArchitecturesSupport(BuildArchitectures(), p.major, p.minor);
      int pools = 0;
      if (cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, i) != cudaSuccess) {
        cudaGetLastError();
        pools = 0;
      }
      c->devices[i].has_pools = pools != 0;
    }
    if (d.supported) {
      r.available = true;
    } else {
      unsupported += (unsupported.empty() ? "" : ", ") + ("device " + Str(i) + " (" + d.name + ", compute capability " +
                                                          Str(d.major) + "." + Str(d.minor) + ")");
    }
    r.devices.push_back(d);
  }
  if (!r.available) {
    r.reason = "this build has code for compute capabilities " + CompiledArchitectures() +
               " only, which none of the devices runs: " + unsupported +
               " (rebuild with CUDAARCHS naming theirs: `CUDAARCHS=<major><minor> GNN_CUDA=on npm run build:cuda`)";
  }
}

std::string PoisonMessage(int device) {
  Context& c = Ctx();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.devices[device].poison_message;
}

Status PoisonedStatus(int device) { return Status(StatusCode::kCuda, PoisonMessage(device)); }

void Poison(int device, cudaError_t e, const std::string& what) {
  Context& c = Ctx();
  if (device < 0 || device >= c.count) return;
  std::lock_guard<std::mutex> lock(c.mutex);
  DeviceState& s = c.devices[device];
  if (s.poisoned.load()) return;
  s.poison_message = "the CUDA context of device " + Str(device) + " was poisoned by " + ErrorText(e) + " (seen while " +
                     what + "); every later call on this device fails: restart the process";
  s.poisoned.store(true);
}

// After a kernel reported a CUDA error: the launch may have failed because an earlier kernel
// broke the context; the stream's state tells.
Status CheckContext(int device, Stream stream, Status status) {
  const cudaError_t e = cudaStreamQuery(static_cast<cudaStream_t>(stream));
  if (IsSticky(e)) {
    Poison(device, e, "launching a kernel");
    return PoisonedStatus(device);
  }
  if (e != cudaSuccess && e != cudaErrorNotReady) cudaGetLastError();
  return status;
}

// Scratch memory for one launch: pool allocations on the launch's stream, released (stream-ordered,
// so after the launch's work) when it goes out of scope.
class ScratchWorkspace {
 public:
  ScratchWorkspace(int device, Stream stream) : device_(device), stream_(stream) {
    workspace_.allocate = &ScratchWorkspace::AllocateFor;
    workspace_.self = this;
  }
  ~ScratchWorkspace() {
    for (void* p : blocks_) Release(device_, p, stream_);
  }
  ScratchWorkspace(const ScratchWorkspace&) = delete;
  ScratchWorkspace& operator=(const ScratchWorkspace&) = delete;

  const Workspace& workspace() const { return workspace_; }
  const Status& status() const { return status_; }

 private:
  static void* AllocateFor(void* self, size_t bytes) {
    auto* w = static_cast<ScratchWorkspace*>(self);
    void* p = nullptr;
    // A zero-byte request still gets a distinct non-null block: null means out of memory.
    const Status s = Allocate(w->device_, std::max<int64_t>(static_cast<int64_t>(bytes), 1), w->stream_, &p);
    if (!s.ok()) {
      if (w->status_.ok()) w->status_ = s;
      return nullptr;
    }
    w->blocks_.push_back(p);
    return p;
  }

  int device_;
  Stream stream_;
  Workspace workspace_;
  std::vector<void*> blocks_;
  Status status_;
};

Status RunOnce(int device, Stream stream, const LaunchFn& launch) {
  Status status;
  {
    ScratchWorkspace ws(device, stream);
    status = launch(ws.workspace(), stream);
    // A failed scratch allocation explains the kernel's failure better than its own status.
    if (!status.ok() && !ws.status().ok()) status = ws.status();
  }
  if (status.code() == StatusCode::kCuda) status = CheckContext(device, stream, status);
  return status;
}

}  // namespace

const ProbeResult& Probe() {
  Context& c = Ctx();
  std::call_once(c.probe_once, [&c] { RunProbe(&c); });
  return c.probe;
}

std::string CompiledArchitectures() {
  std::string out;
  std::stringstream in(BuildArchitectures());
  std::string item;
  while (std::getline(in, item, ';')) {
    const size_t dash = item.find('-');
    if (dash != std::string::npos) item = item.substr(0, dash);
    if (item.empty()) continue;
    const std::string with = ";" + out + ";";
    if (with.find(";" + item + ";") != std::string::npos) continue;
    out += (out.empty() ? "" : ";") + item;
  }
  return out;
}

bool ArchitecturesSupport(const std::string& archs, int major, int minor) {
  const int device = major * 10 + minor;
  std::stringstream in(archs);
  std::string item;
  while (std::getline(in, item, ';')) {
    if (item == "all" || item == "all-major" || item == "native") return true;
    bool sass = true;
    bool ptx = true;
    const size_t dash = item.find('-');
    if (dash != std::string::npos) {
      const std::string kind = item.substr(dash + 1);
      item = item.substr(0, dash);
      if (kind == "real") ptx = false;
      if (kind == "virtual") sass = false;
    }
    size_t digits = 0;
    while (digits < item.size() && item[digits] >= '0' && item[digits] <= '9') ++digits;
    if (digits < 2) continue;
    const int arch = std::atoi(item.substr(0, digits).c_str());
    // "90a" / "100f": architecture-specific code runs only on that exact capability.
    if (digits < item.size()) {
      if (arch == device) return true;
      continue;
    }
    if (sass && arch / 10 == major && arch % 10 <= minor) return true;
    if (ptx && arch <= device) return true;
  }
  return false;
}

bool HasCublas() {
#ifdef GNN_HAVE_CUBLAS
  return true;
#else
  return false;
#endif
}

bool HasCusparse() {
#ifdef GNN_HAVE_CUSPARSE
  return true;
#else
  return false;
#endif
}

Stream ThisThreadStream() { return static_cast<Stream>(cudaStreamPerThread); }

bool IsPoisoned(int device) {
  Context& c = Ctx();
  return device >= 0 && device < c.count && c.devices[device].poisoned.load();
}

Status FromCudaError(int device, int error, const std::string& what) {
  const cudaError_t e = static_cast<cudaError_t>(error);
  if (e == cudaSuccess) return Status::Ok();
  if (IsSticky(e)) {
    Poison(device, e, what);
    if (IsPoisoned(device)) return PoisonedStatus(device);
    return Status(StatusCode::kCuda, what + ": " + ErrorText(e) + " (the context is unusable: restart the process)");
  }
  // Clear the thread's last error, so a later launch check does not report this one again.
  cudaGetLastError();
  const std::string on = device >= 0 ? " on device " + Str(device) : "";
  if (e == cudaErrorMemoryAllocation) {
    return Status(StatusCode::kOutOfMemory, what + on + ": out of device memory (" + ErrorText(e) +
                                                "; free buffers with dispose() or trim the pool and retry)");
  }
  return Status(StatusCode::kCuda, what + on + " failed: " + ErrorText(e));
}

Status UseDevice(int device) {
  const ProbeResult& p = Probe();
  if (!p.available) return Status(StatusCode::kCuda, "CUDA is not available: " + p.reason);
  Context& c = Ctx();
  if (device < 0 || device >= c.count) {
    return Status(StatusCode::kOutOfRange,
                  "device: expected an index in [0, " + Str(c.count - 1) + "], got " + Str(device));
  }
  DeviceState& s = c.devices[device];
  if (s.poisoned.load()) return PoisonedStatus(device);
  const DeviceProps& d = p.devices[device];
  if (!d.supported) {
    return Status(StatusCode::kCuda, "device " + Str(device) + " (" + d.name + ", compute capability " +
                                         Str(d.major) + "." + Str(d.minor) + ") has no code in this build (compiled for " +
                                         CompiledArchitectures() + "): rebuild with CUDAARCHS including " +
                                         Str(d.major) + Str(d.minor));
  }
  GNN_RETURN_IF_ERROR(FromCudaError(device, cudaSetDevice(device), "selecting the device"));
  if (!s.pool_ready.load() && s.has_pools) {
    cudaError_t e = cudaSuccess;
    {
      std::lock_guard<std::mutex> lock(c.mutex);
      if (!s.pool_ready.load()) {
        cudaMemPool_t pool = nullptr;
        e = cudaDeviceGetDefaultMemPool(&pool, device);
        // Keep freed memory in the pool instead of returning it at every synchronisation:
        // trimPool() gives it back on request.
        uint64_t threshold = UINT64_MAX;
        if (e == cudaSuccess) e = cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold);
        if (e == cudaSuccess) {
          s.pool = pool;
          s.pool_ready.store(true);
        }
      }
    }
    GNN_RETURN_IF_ERROR(FromCudaError(device, e, "configuring the memory pool"));
  }
  return Status::Ok();
}

Status GetMemoryInfo(int device, MemoryInfo* out) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  size_t free_bytes = 0;
  size_t total_bytes = 0;
  GNN_RETURN_IF_ERROR(FromCudaError(device, cudaMemGetInfo(&free_bytes, &total_bytes), "reading the memory size"));
  *out = MemoryInfo();
  out->free = static_cast<int64_t>(free_bytes);
  out->total = static_cast<int64_t>(total_bytes);
  DeviceState& s = Ctx().devices[device];
  if (s.pool_ready.load()) {
    uint64_t reserved = 0;
    uint64_t used = 0;
    GNN_RETURN_IF_ERROR(FromCudaError(
        device, cudaMemPoolGetAttribute(s.pool, cudaMemPoolAttrReservedMemCurrent, &reserved), "reading the pool size"));
    GNN_RETURN_IF_ERROR(FromCudaError(
        device, cudaMemPoolGetAttribute(s.pool, cudaMemPoolAttrUsedMemCurrent, &used), "reading the pool size"));
    out->pool_reserved = static_cast<int64_t>(reserved);
    out->pool_used = static_cast<int64_t>(used);
  }
  return Status::Ok();
}

Status SynchronizeDevice(int device) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  return FromCudaError(device, cudaDeviceSynchronize(), "synchronizing the device");
}

Status TrimPool(int device, int64_t keep_bytes) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  DeviceState& s = Ctx().devices[device];
  if (!s.pool_ready.load()) return Status::Ok();
  // Frees queued on this thread's stream return their memory to the pool once they have run.
  GNN_RETURN_IF_ERROR(FromCudaError(device, cudaStreamSynchronize(cudaStreamPerThread), "synchronizing the stream"));
  return FromCudaError(device, cudaMemPoolTrimTo(s.pool, static_cast<size_t>(keep_bytes)), "trimming the pool");
}

Status Allocate(int device, int64_t bytes, Stream stream, void** out) {
  *out = nullptr;
  GNN_RETURN_IF_ERROR(UseDevice(device));
  if (bytes == 0) return Status::Ok();
  if (bytes < 0) return Status(StatusCode::kOutOfRange, "bytes: expected a non-negative size, got " + Str(bytes));
  const bool pooled = Ctx().devices[device].pool_ready.load();
  const cudaError_t e = pooled ? cudaMallocAsync(out, static_cast<size_t>(bytes), static_cast<cudaStream_t>(stream))
                               : cudaMalloc(out, static_cast<size_t>(bytes));
  if (e != cudaSuccess) *out = nullptr;
  return FromCudaError(device, e, "allocating " + Str(bytes) + " bytes");
}

Status Release(int device, void* ptr, Stream stream) {
  if (ptr == nullptr || IsPoisoned(device)) return Status::Ok();
  GNN_RETURN_IF_ERROR(UseDevice(device));
  const bool pooled = Ctx().devices[device].pool_ready.load();
  const cudaError_t e = pooled ? cudaFreeAsync(ptr, static_cast<cudaStream_t>(stream)) : cudaFree(ptr);
  return FromCudaError(device, e, "freeing device memory");
}

Status CopyToDevice(int device, void* dst, const void* src, int64_t bytes) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  if (bytes == 0) return Status::Ok();
  GNN_RETURN_IF_ERROR(FromCudaError(
      device, cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, cudaStreamPerThread),
      "copying to the device"));
  return FromCudaError(device, cudaStreamSynchronize(cudaStreamPerThread), "copying to the device");
}

Status CopyToHost(int device, void* dst, const void* src, int64_t bytes) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  if (bytes > 0) {
    GNN_RETURN_IF_ERROR(FromCudaError(
        device, cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, cudaStreamPerThread),
        "copying from the device"));
  }
  // Also surfaces errors of the kernels queued before the copy.
  return FromCudaError(device, cudaStreamSynchronize(cudaStreamPerThread), "copying from the device");
}

Status CopyOnDevice(int device, void* dst, const void* src, int64_t bytes) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  if (bytes == 0) return Status::Ok();
  return FromCudaError(
      device, cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, cudaStreamPerThread),
      "copying on the device");
}

Status Fill(int device, void* dst, int value, int64_t bytes) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  if (bytes == 0) return Status::Ok();
  return FromCudaError(device, cudaMemsetAsync(dst, value, static_cast<size_t>(bytes), cudaStreamPerThread),
                       "filling device memory");
}

Status RecordEvent(int device, void** event) {
  *event = nullptr;
  GNN_RETURN_IF_ERROR(UseDevice(device));
  cudaEvent_t e = nullptr;
  GNN_RETURN_IF_ERROR(
      FromCudaError(device, cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "creating an event"));
  const Status s = FromCudaError(device, cudaEventRecord(e, cudaStreamPerThread), "recording an event");
  if (!s.ok()) {
    if (!IsPoisoned(device)) cudaEventDestroy(e);
    return s;
  }
  *event = e;
  return Status::Ok();
}

void DestroyEvent(int device, void* event) {
  if (event == nullptr || IsPoisoned(device)) return;
  // Safe before the event completes: its resources go once it has.
  if (cudaEventDestroy(static_cast<cudaEvent_t>(event)) != cudaSuccess) cudaGetLastError();
}

Status Launch(int device, const LaunchFn& launch, void* wait_event, bool synchronize) {
  GNN_RETURN_IF_ERROR(UseDevice(device));
  const Stream stream = ThisThreadStream();
  if (wait_event != nullptr) {
    GNN_RETURN_IF_ERROR(FromCudaError(
        device, cudaStreamWaitEvent(cudaStreamPerThread, static_cast<cudaEvent_t>(wait_event), 0),
        "ordering after the caller's stream"));
  }
  GNN_RETURN_IF_ERROR(RunOnce(device, stream, launch));
  if (!synchronize) return Status::Ok();
  return FromCudaError(device, cudaStreamSynchronize(cudaStreamPerThread), "running the kernel");
}

namespace {

// Two timing events, destroyed on every exit path (unless the device got poisoned).
class EventPair {
 public:
  explicit EventPair(int device) : device_(device) {}
  ~EventPair() {
    if (IsPoisoned(device_)) return;
    if (start_ != nullptr) cudaEventDestroy(start_);
    if (stop_ != nullptr) cudaEventDestroy(stop_);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;

  Status Create() {
    GNN_RETURN_IF_ERROR(FromCudaError(device_, cudaEventCreate(&start_), "creating an event"));
    return FromCudaError(device_, cudaEventCreate(&stop_), "creating an event");
  }
  Status Start() { return FromCudaError(device_, cudaEventRecord(start_, cudaStreamPerThread), "recording an event"); }
  Status Stop() { return FromCudaError(device_, cudaEventRecord(stop_, cudaStreamPerThread), "recording an event"); }
  Status Ms(float* ms) {
    GNN_RETURN_IF_ERROR(FromCudaError(device_, cudaEventSynchronize(stop_), "timing"));
    return FromCudaError(device_, cudaEventElapsedTime(ms, start_, stop_), "timing");
  }

 private:
  int device_;
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

}  // namespace

Status MedianLaunchMs(int device, int warmup, int repeats, const LaunchFn& launch, double* ms) {
  *ms = 0;
  if (repeats < 1) return Status(StatusCode::kOutOfRange, "repeats: expected at least 1, got " + Str(repeats));
  GNN_RETURN_IF_ERROR(UseDevice(device));
  const Stream stream = ThisThreadStream();
  for (int i = 0; i < warmup; ++i) GNN_RETURN_IF_ERROR(RunOnce(device, stream, launch));
  std::vector<std::unique_ptr<EventPair>> events;
  for (int i = 0; i < repeats; ++i) {
    events.emplace_back(new EventPair(device));
    GNN_RETURN_IF_ERROR(events.back()->Create());
    GNN_RETURN_IF_ERROR(events.back()->Start());
    GNN_RETURN_IF_ERROR(RunOnce(device, stream, launch));
    GNN_RETURN_IF_ERROR(events.back()->Stop());
  }
  std::vector<double> times;
  for (auto& e : events) {
    float t = 0;
    GNN_RETURN_IF_ERROR(e->Ms(&t));
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  *ms = n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  return Status::Ok();
}

Status CopyBandwidth(int device, int64_t bytes, int repeats, double* gbps) {
  *gbps = 0;
  if (bytes < 1) return Status(StatusCode::kOutOfRange, "bytes: expected at least 1, got " + Str(bytes));
  if (repeats < 1) return Status(StatusCode::kOutOfRange, "repeats: expected at least 1, got " + Str(repeats));
  GNN_RETURN_IF_ERROR(UseDevice(device));
  const Stream stream = ThisThreadStream();
  void* src = nullptr;
  void* dst = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(device, bytes, stream, &src));
  Status status = Allocate(device, bytes, stream, &dst);
  double best = 0;
  if (status.ok()) status = Fill(device, src, 1, bytes);
  if (status.ok()) status = CopyOnDevice(device, dst, src, bytes);  // warm-up
  for (int i = 0; status.ok() && i < repeats; ++i) {
    EventPair events(device);
    float ms = 0;
    status = events.Create();
    if (status.ok()) status = events.Start();
    if (status.ok()) status = CopyOnDevice(device, dst, src, bytes);
    if (status.ok()) status = events.Stop();
    if (status.ok()) status = events.Ms(&ms);
    if (status.ok() && ms > 0) best = std::max(best, 2.0 * static_cast<double>(bytes) / (static_cast<double>(ms) * 1e6));
  }
  const Status freed_src = Release(device, src, stream);
  const Status freed_dst = Release(device, dst, stream);
  GNN_RETURN_IF_ERROR(status);
  GNN_RETURN_IF_ERROR(freed_src);
  GNN_RETURN_IF_ERROR(freed_dst);
  *gbps = best;
  return Status::Ok();
}

}  // namespace cuda
}  // namespace gnn
