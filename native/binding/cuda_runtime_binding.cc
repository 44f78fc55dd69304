// The runtime half of the `cuda` object: probe, memory, handles of raw device memory and copies.
//   probe() -> CudaProbe;  memoryInfo(device);  synchronize(device);  trimPool(device, keepBytes)
//   alloc(device, bytes) -> DeviceBuffer;  free(buffer);  bufferInfo(buffer)
//   upload(buffer, byteOffset, src);  download(buffer, byteOffset, dst);  downloadAsync(...)
//   copy(dst, dstOffset, src, srcOffset, bytes);  fill(buffer, byteOffset, bytes, value)
#include <napi.h>

#include <memory>
#include <string>

#include "../../cuda/runtime.h"
#include "args.h"
#include "cuda_args.h"
#include "cuda_bindings.h"
#include "cuda_handles.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

constexpr int64_t kMaxDevice = 1 << 20;

int GetDevice(const Napi::Value& value) { return static_cast<int>(GetInt(value, "device", 0, kMaxDevice)); }

struct HostBytes {
  void* data = nullptr;
  int64_t length = 0;
};

// A TypedArray or DataView, not detached.
HostBytes GetHostBytes(const Napi::Value& value, const char* name) {
  Napi::Env env = value.Env();
  Napi::ArrayBuffer buffer;
  size_t offset = 0;
  size_t length = 0;
  if (value.IsTypedArray()) {
    Napi::TypedArray ta = value.As<Napi::TypedArray>();
    buffer = ta.ArrayBuffer();
    offset = ta.ByteOffset();
    length = ta.ByteLength();
  } else if (value.IsDataView()) {
    Napi::DataView dv = value.As<Napi::DataView>();
    buffer = dv.ArrayBuffer();
    offset = dv.ByteOffset();
    length = dv.ByteLength();
  } else {
    ThrowType(env, std::string(name) + ": expected a TypedArray or a DataView, got " + DescribeValue(value));
  }
  if (buffer.IsDetached()) ThrowValue(env, std::string(name) + ": expected a usable buffer, got a detached ArrayBuffer");
  HostBytes out;
  out.data = static_cast<uint8_t*>(buffer.Data()) + offset;
  out.length = static_cast<int64_t>(length);
  return out;
}

// byte_offset + length within the buffer (RangeError otherwise).
void ExpectRange(Napi::Env env, const char* name, const DeviceHandle* h, int64_t byte_offset, int64_t length) {
  if (byte_offset > h->bytes || length > h->bytes - byte_offset) {
    ThrowRange(env, std::string(name) + ": expected a range inside the DeviceBuffer of " + Str(h->bytes) +
                        " bytes, got " + Str(length) + " bytes at byte offset " + Str(byte_offset));
  }
}

uint8_t* At(const DeviceHandle* h, int64_t byte_offset) { return static_cast<uint8_t*>(h->memory) + byte_offset; }

Napi::Object DeviceObject(Napi::Env env, const gnn::cuda::DeviceProps& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", d.index);
  o.Set("name", d.name);
  o.Set("totalMemory", static_cast<double>(d.total_memory));
  o.Set("computeCapability", Str(d.major) + "." + Str(d.minor));
  o.Set("multiprocessors", d.multiprocessors);
  o.Set("supported", d.supported);
  return o;
}

}  // namespace

Napi::Value CudaProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const gnn::cuda::ProbeResult& p = gnn::cuda::Probe();
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", p.available);
  o.Set("reason", p.reason);
  o.Set("runtimeVersion", p.runtime_version);
  o.Set("driverVersion", p.driver_version);
  Napi::Array devices = Napi::Array::New(env, p.devices.size());
  for (size_t i = 0; i < p.devices.size(); ++i) devices.Set(static_cast<uint32_t>(i), DeviceObject(env, p.devices[i]));
  o.Set("devices", devices);
  o.Set("architectures", gnn::cuda::CompiledArchitectures());
  o.Set("cublas", gnn::cuda::HasCublas());
  o.Set("cusparse", gnn::cuda::HasCusparse());
  return o;
}

Napi::Value CudaMemoryInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  gnn::cuda::MemoryInfo m;
  ThrowIfError(env, gnn::cuda::GetMemoryInfo(GetDevice(info[0]), &m));
  Napi::Object o = Napi::Object::New(env);
  o.Set("free", static_cast<double>(m.free));
  o.Set("total", static_cast<double>(m.total));
  o.Set("poolReserved", static_cast<double>(m.pool_reserved));
  o.Set("poolUsed", static_cast<double>(m.pool_used));
  return o;
}

Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  ThrowIfError(info.Env(), gnn::cuda::SynchronizeDevice(GetDevice(info[0])));
  return info.Env().Undefined();
}

Napi::Value CudaTrimPool(const Napi::CallbackInfo& info) {
  const int device = GetDevice(info[0]);
  const int64_t keep = GetInt(info[1], "keepBytes", 0, kMaxElements);
  ThrowIfError(info.Env(), gnn::cuda::TrimPool(device, keep));
  return info.Env().Undefined();
}

Napi::Value CudaAlloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* state = static_cast<std::shared_ptr<CudaEnvState>*>(info.Data());
  const int device = GetDevice(info[0]);
  const int64_t bytes = GetInt(info[1], "bytes", 0, kMaxElements);
  auto h = std::make_unique<DeviceHandle>();
  h->device = device;
  h->bytes = bytes;
  h->env = *state;
  ThrowIfError(env, gnn::cuda::Allocate(device, bytes, gnn::cuda::ThisThreadStream(), &h->memory));
  // Freed by DisposeHandle or the finalizer from here on.
  return WrapHandle(env, std::move(h));
}

Napi::Value CudaFree(const Napi::CallbackInfo& info) {
  ThrowIfError(info.Env(), DisposeHandle(GetBuffer(info[0], "buffer", /*allow_disposed=*/true)));
  return info.Env().Undefined();
}

Napi::Value CudaBufferInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DeviceHandle* h = GetBuffer(info[0], "buffer", /*allow_disposed=*/true);
  Napi::Object o = Napi::Object::New(env);
  o.Set("device", h->device);
  o.Set("bytes", static_cast<double>(h->bytes));
  o.Set("disposed", h->disposed);
  return o;
}

Napi::Value CudaUpload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceHandle* h = GetBuffer(info[0], "buffer");
  const int64_t offset = GetInt(info[1], "byteOffset", 0, kMaxElements);
  const HostBytes src = GetHostBytes(info[2], "src");
  ExpectRange(env, "src", h, offset, src.length);
  ThrowIfError(env, gnn::cuda::CopyToDevice(h->device, At(h, offset), src.data, src.length));
  return env.Undefined();
}

Napi::Value CudaDownload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceHandle* h = GetBuffer(info[0], "buffer");
  const int64_t offset = GetInt(info[1], "byteOffset", 0, kMaxElements);
  const HostBytes dst = GetHostBytes(info[2], "dst");
  ExpectRange(env, "dst", h, offset, dst.length);
  ThrowIfError(env, gnn::cuda::CopyToHost(h->device, dst.data, At(h, offset), dst.length));
  return env.Undefined();
}

Napi::Value CudaDownloadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceHandle* h = GetBuffer(info[0], "buffer");
  const int64_t offset = GetInt(info[1], "byteOffset", 0, kMaxElements);
  const HostBytes dst = GetHostBytes(info[2], "dst");
  ExpectRange(env, "dst", h, offset, dst.length);
  DeviceSet devices(env);
  devices.Add(h, info[0], "buffer");
  const int device = h->device;
  const void* src = At(h, offset);
  return RunAsync(
      env, devices,
      [device, dst, src](const gnn::cuda::Workspace&, gnn::cuda::Stream) {
        return gnn::cuda::CopyToHost(device, dst.data, src, dst.length);
      },
      {info[2]});
}

Napi::Value CudaCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceHandle* dst = GetBuffer(info[0], "dst");
  const int64_t dst_offset = GetInt(info[1], "dstOffset", 0, kMaxElements);
  DeviceHandle* src = GetBuffer(info[2], "src");
  const int64_t src_offset = GetInt(info[3], "srcOffset", 0, kMaxElements);
  const int64_t bytes = GetInt(info[4], "bytes", 0, kMaxElements);
  DeviceSet devices(env);
  devices.Add(dst, info[0], "dst");
  devices.Add(src, info[2], "src");
  ExpectRange(env, "dst", dst, dst_offset, bytes);
  ExpectRange(env, "src", src, src_offset, bytes);
  if (dst == src && bytes > 0 && dst_offset < src_offset + bytes && src_offset < dst_offset + bytes) {
    ThrowValue(env, "copy: expected separate source and destination ranges, got overlapping ranges of one DeviceBuffer");
  }
  ThrowIfError(env, gnn::cuda::CopyOnDevice(dst->device, At(dst, dst_offset), At(src, src_offset), bytes));
  return env.Undefined();
}

Napi::Value CudaFill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceHandle* h = GetBuffer(info[0], "buffer");
  const int64_t offset = GetInt(info[1], "byteOffset", 0, kMaxElements);
  const int64_t bytes = GetInt(info[2], "bytes", 0, kMaxElements);
  const int value = static_cast<int>(GetInt(info[3], "value", 0, 255));
  ExpectRange(env, "bytes", h, offset, bytes);
  ThrowIfError(env, gnn::cuda::Fill(h->device, At(h, offset), value, bytes));
  return env.Undefined();
}

}  // namespace binding
}  // namespace gnn
