// The device runtime of the CUDA build: the probe, per-device state, memory from the stream-ordered
// pool, copies, events and the launch wrapper every op binding goes through. Plain C++ (no CUDA
// headers), so the bindings compile with the host compiler alone; runtime.cc holds the CUDA calls.
//
// Process-wide state lives behind one function-local static (mutex-guarded): nothing touches CUDA
// at load time, the first Probe() (or the first call naming a device) initialises the runtime.
//
// Errors. Every CUDA error becomes a Status: cudaErrorMemoryAllocation is kOutOfMemory
// (recoverable: the error is cleared and the pool keeps working); a sticky error (illegal address,
// launch failure, device assert, ...) *poisons* the device: the context is unusable, so every later
// call naming that device fails fast with kCuda naming the original error and asking for a restart;
// anything else is kCuda naming the runtime's error.
//
// Streams. Everything is enqueued on cudaStreamPerThread of the calling thread: the JavaScript
// thread has one, each libuv worker has its own, so concurrent async ops do not serialise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../native/kernels/status.h"
#include "kernels.h"

namespace gnn {
namespace cuda {

struct DeviceProps {
  int index = 0;
  std::string name;
  int64_t total_memory = 0;
  int major = 0;
  int minor = 0;
  int multiprocessors = 0;
  bool supported = false;  // this build has code the device can run (SASS or PTX)
};

struct ProbeResult {
  bool available = false;  // at least one supported device answered
  std::string reason;      // why not ('' when available), naming the runtime's error
  int runtime_version = 0;
  int driver_version = 0;  // 0: no driver
  std::vector<DeviceProps> devices;
};

// Probes once (the first call), then returns the cached result. Never fails.
const ProbeResult& Probe();

// The architectures this build was compiled for, as plain numbers ("75;80;90").
std::string CompiledArchitectures();
// Whether `archs` (CMake's syntax: "75-real;80-real;90", "86", "90-virtual") has code a device of
// compute capability major.minor runs: SASS of the same major and a minor no higher, or PTX of a
// capability no higher (JIT-compiled by the driver).
bool ArchitecturesSupport(const std::string& archs, int major, int minor);
bool HasCublas();
bool HasCusparse();

// Checks that `device` names a probed, supported, unpoisoned device and makes it current on the
// calling thread. Every function below that takes a device starts with it.
Status UseDevice(int device);
// The calling thread's stream (cudaStreamPerThread as an explicit handle).
Stream ThisThreadStream();
// The Status for a CUDA runtime error code (0 is Ok), `what` saying what was being done. Sticky
// errors poison `device`; cudaErrorMemoryAllocation is cleared and becomes kOutOfMemory.
Status FromCudaError(int device, int error, const std::string& what);
// Whether `device` is poisoned (no CUDA call should be made on it).
bool IsPoisoned(int device);

struct MemoryInfo {
  int64_t free = 0;
  int64_t total = 0;
  int64_t pool_reserved = 0;
  int64_t pool_used = 0;
};
Status GetMemoryInfo(int device, MemoryInfo* out);
// Waits for all work on the device, every stream.
Status SynchronizeDevice(int device);
// Waits for the calling thread's stream, then gives pool memory beyond keep_bytes back.
Status TrimPool(int device, int64_t keep_bytes);

// bytes of device memory from the device's pool, stream-ordered on `stream` (0 bytes: null).
Status Allocate(int device, int64_t bytes, Stream stream, void** out);
// Stream-ordered release; a poisoned device is skipped (its memory dies with the context).
Status Release(int device, void* ptr, Stream stream);
// Host -> device on the calling thread's stream; returns when the copy is done.
Status CopyToDevice(int device, void* dst, const void* src, int64_t bytes);
// Device -> host on the calling thread's stream, after the work queued on it; returns when done.
Status CopyToHost(int device, void* dst, const void* src, int64_t bytes);
// Device -> device and memset, stream-ordered on the calling thread's stream.
Status CopyOnDevice(int device, void* dst, const void* src, int64_t bytes);
Status Fill(int device, void* dst, int value, int64_t bytes);

// An event recorded on the calling thread's stream, for another thread's stream to wait on.
Status RecordEvent(int device, void** event);
void DestroyEvent(int device, void* event);

// What a binding launches: enqueue on `stream`, scratch from `ws`.
using LaunchFn = std::function<Status(const Workspace& ws, Stream stream)>;

// Runs `launch` on the calling thread's stream with a pool-backed workspace (freed stream-ordered
// afterwards). wait_event (or null): the stream first waits for it. synchronize: waits for the
// stream before returning (async jobs, so the result is complete when the promise settles).
Status Launch(int device, const LaunchFn& launch, void* wait_event, bool synchronize);

// Benchmarks, on the calling thread's stream: runs `launch` `warmup` times, then `repeats` times
// each between two events; the median in milliseconds.
Status MedianLaunchMs(int device, int warmup, int repeats, const LaunchFn& launch, double* ms);
// Device-to-device copy bandwidth of `bytes`, GB/s counting bytes read and written, best of repeats.
Status CopyBandwidth(int device, int64_t bytes, int repeats, double* gbps);

}  // namespace cuda
}  // namespace gnn
