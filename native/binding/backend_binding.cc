// Backend introspection and process-wide settings: thread count, SIMD level, bandwidth probe.
#include <napi.h>

#include <string>

#include "../kernels/bandwidth.h"
#include "../kernels/cpu_features.h"
#include "../kernels/thread_pool.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

#ifndef GNN_VERSION
#define GNN_VERSION "0.0.0-unknown"
#endif
#ifndef GNN_BUILD_FLAGS
#define GNN_BUILD_FLAGS "unknown"
#endif

namespace gnn {
namespace binding {

Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", GNN_VERSION);
  o.Set("simd", SimdLevelName(ActiveSimdLevel()));
  o.Set("simdDetected", SimdLevelName(DetectedSimdLevel()));
  o.Set("vnni", HasAvx512Vnni());
  o.Set("threads", NumThreads());
  o.Set("physicalCores", PhysicalCores());
  o.Set("buildFlags", GNN_BUILD_FLAGS);
#if defined(__clang__)
  o.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  o.Set("compiler", "gcc " __VERSION__);
#elif defined(_MSC_VER)
  o.Set("compiler", "msvc " + std::to_string(_MSC_VER));
#endif
#ifdef GNN_CUDA
  o.Set("cuda", true);  // the CUDA build (whether a device answers: cuda.probe())
#else
  o.Set("cuda", false);
#endif
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  gnn::SetNumThreads(static_cast<int>(GetInt(info[0], "n", 1, 4096)));
  return Napi::Number::New(info.Env(), NumThreads());
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), NumThreads());
}

// ("scalar" | "avx2" | "avx512") -> the level now in effect (never above what the CPU has)
Napi::Value SetSimdLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) ThrowType(env, "level: expected a string, got " + Describe(info[0]));
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  SimdLevel level;
  if (!ParseSimdLevel(name.c_str(), &level)) {
    ThrowValue(env, "level: expected 'scalar', 'avx2' or 'avx512', got '" + name + "'");
  }
  return Napi::String::New(env, SimdLevelName(SetSimdLevel(level)));
}

// (ArrayBuffer) -> address of its data modulo 64, so the TypeScript layer can place tensors on
// cache-line boundaries (split loads of misaligned rows cost ~10-40% in the gather kernels).
Napi::Value AlignmentOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) ThrowType(env, "buffer: expected an ArrayBuffer, got " + Describe(info[0]));
  const auto address = reinterpret_cast<uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
  return Napi::Number::New(env, static_cast<double>(address % 64));
}

// (bytesPerArray, threads, repeats) -> { copy, triad, threads, bytesPerArray } in GB/s
Napi::Value MeasureBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t bytes = GetInt(info[0], "bytesPerArray", int64_t{1} << 20, int64_t{1} << 36);
  const int threads = static_cast<int>(GetInt(info[1], "threads", 1, 4096));
  const int repeats = static_cast<int>(GetInt(info[2], "repeats", 1, 1000));
  BandwidthResult r;
  ThrowIfError(env, gnn::MeasureBandwidth(bytes, threads, repeats, &r));
  Napi::Object o = Napi::Object::New(env);
  o.Set("copy", r.copy_gbps);
  o.Set("triad", r.triad_gbps);
  o.Set("threads", r.threads);
  o.Set("bytesPerArray", static_cast<double>(r.bytes_per_array));
  return o;
}

}  // namespace binding
}  // namespace gnn
