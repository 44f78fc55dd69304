// Elementwise and row ops of the `cuda` object: argument unpacking only (lib/native-cuda-types.ts).
//   activation(x, out, n, act, alpha)
//   add(a, b, out, rows, width, bRowStride, alpha, beta)        bRowStride: width, or 0 (b is one row)
//   scale(x, rowScale | null, scale, out, rows, width)
//   softmax(x, out, rows, width, kind)                           kind: 0 softmax, 1 log-softmax
//   concat(parts: [buffer, width][], rows, out)
//   indexSelect(x, xRows, width, index, n, out)
//   indexScatter(target, targetRows, width, index, n, src, op, alpha)   op: 0 copy, 1 add
#include <napi.h>

#include <string>
#include <vector>

#include "../../cuda/kernels.h"
#include "../../cuda/kernels_ext.h"  // IndexScatterScaled: indexScatter with alpha
#include "args.h"
#include "cuda_args.h"
#include "cuda_bindings.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

using gnn::cuda::LaunchFn;
using gnn::cuda::Stream;
using gnn::cuda::Workspace;

int64_t Count(const Napi::Value& value, const char* name) { return GetInt(value, name, 0, kMaxElements); }

LaunchFn UnpackActivation(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const int64_t n = Count(info[2], "n");
  const auto act = static_cast<Activation>(GetInt(info[3], "act", 0, static_cast<int>(Activation::kTanh)));
  const float alpha = GetFloat(info[4], "alpha");
  const float* x = Ptr<const float>(Sized(info, 0, "x", n, 1, 4, "float32", devices));
  float* out = Ptr<float>(Sized(info, 1, "out", n, 1, 4, "float32", devices));
  return [x, out, n, act, alpha](const Workspace&, Stream s) { return gnn::cuda::Activation(x, out, n, act, alpha, s); };
}

LaunchFn UnpackAdd(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  AddArgs a;
  a.rows = Count(info[3], "rows");
  a.width = Count(info[4], "width");
  a.b_row_stride = Count(info[5], "bRowStride");
  a.alpha = GetFloat(info[6], "alpha");
  a.beta = GetFloat(info[7], "beta");
  if (a.b_row_stride != a.width && a.b_row_stride != 0) {
    ThrowValue(env, "bRowStride: expected the width " + Str(a.width) + " (b like a) or 0 (one row of b for every row), got " +
                        Str(a.b_row_stride));
  }
  a.a = Ptr<const float>(Sized(info, 0, "a", a.rows, a.width, 4, "float32", devices));
  a.b = Ptr<const float>(Sized(info, 1, "b", a.b_row_stride == 0 ? 1 : a.rows, a.width, 4, "float32", devices));
  a.out = Ptr<float>(Sized(info, 2, "out", a.rows, a.width, 4, "float32", devices));
  return [a](const Workspace&, Stream s) { return gnn::cuda::Add(a, s); };
}

LaunchFn UnpackScale(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const int64_t rows = Count(info[4], "rows");
  const int64_t width = Count(info[5], "width");
  const float scale = GetFloat(info[2], "scale");
  const float* x = Ptr<const float>(Sized(info, 0, "x", rows, width, 4, "float32", devices));
  const float* row_scale = Ptr<const float>(OptionalSized(info, 1, "rowScale", rows, 1, 4, "float32", devices));
  float* out = Ptr<float>(Sized(info, 3, "out", rows, width, 4, "float32", devices));
  return [x, row_scale, scale, out, rows, width](const Workspace&, Stream s) {
    return gnn::cuda::Scale(x, row_scale, scale, out, rows, width, s);
  };
}

LaunchFn UnpackSoftmax(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const int64_t rows = Count(info[2], "rows");
  const int64_t width = Count(info[3], "width");
  const auto kind = static_cast<SoftmaxKind>(GetInt(info[4], "kind", 0, 1));
  const float* x = Ptr<const float>(Sized(info, 0, "x", rows, width, 4, "float32", devices));
  float* out = Ptr<float>(Sized(info, 1, "out", rows, width, 4, "float32", devices));
  return [x, out, rows, width, kind](const Workspace&, Stream s) { return gnn::cuda::Softmax(x, out, rows, width, kind, s); };
}

LaunchFn UnpackConcat(const Napi::CallbackInfo& info, DeviceSet* devices) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) ThrowType(env, "parts: expected an Array of [DeviceBuffer, width] pairs, got " + Describe(info[0]));
  const Napi::Array list = info[0].As<Napi::Array>();
  const int64_t rows = Count(info[1], "rows");
  std::vector<ConcatPart> parts;
  int64_t total = 0;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string name = "parts[" + Str(i) + "]";
    const Napi::Value pair = list.Get(i);
    if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) {
      ThrowType(env, name + ": expected a [DeviceBuffer, width] pair, got " + DescribeValue(pair));
    }
    const Napi::Array p = pair.As<Napi::Array>();
    const Napi::Value buffer = p.Get(uint32_t{0});
    const int64_t width = GetInt(p.Get(uint32_t{1}), (name + "[1]").c_str(), 0, kMaxElements);
    DeviceHandle* h = GetBuffer(buffer, name.c_str());
    ExpectBytes(env, name.c_str(), h, rows, width, 4, "float32");
    devices->Add(h, buffer, name.c_str());
    total += width;
    if (total > kMaxElements) Mismatch(env, "parts: expected widths adding up to less than 2^53, got more");
    parts.push_back({Ptr<const float>(h), width});
  }
  float* out = Ptr<float>(Sized(info, 2, "out", rows, total, 4, "float32", devices));
  return [parts, rows, out](const Workspace& ws, Stream s) {
    return gnn::cuda::Concat(parts.data(), static_cast<int64_t>(parts.size()), rows, out, ws, s);
  };
}

LaunchFn UnpackIndexSelect(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const int64_t x_rows = Count(info[1], "xRows");
  const int64_t width = Count(info[2], "width");
  const int64_t n = Count(info[4], "n");
  const float* x = Ptr<const float>(Sized(info, 0, "x", x_rows, width, 4, "float32", devices));
  const int32_t* index = Ptr<const int32_t>(Sized(info, 3, "index", n, 1, 4, "int32", devices));
  float* out = Ptr<float>(Sized(info, 5, "out", n, width, 4, "float32", devices));
  return [x, x_rows, width, index, n, out](const Workspace& ws, Stream s) {
    return gnn::cuda::IndexSelect(x, x_rows, width, index, n, out, ws, s);
  };
}

LaunchFn UnpackIndexScatter(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const int64_t target_rows = Count(info[1], "targetRows");
  const int64_t width = Count(info[2], "width");
  const int64_t n = Count(info[4], "n");
  const bool add = GetInt(info[6], "op", 0, 1) == 1;
  const float alpha = GetFloat(info[7], "alpha");
  float* target = Ptr<float>(Sized(info, 0, "target", target_rows, width, 4, "float32", devices));
  const int32_t* index = Ptr<const int32_t>(Sized(info, 3, "index", n, 1, 4, "int32", devices));
  const float* src = Ptr<const float>(Sized(info, 5, "src", n, width, 4, "float32", devices));
  // index_add_'s alpha goes to the kernel (fma(alpha, src, target), one rounding, as the CPU's).
  return [target, target_rows, width, index, n, src, add, alpha](const Workspace& ws, Stream s) {
    return gnn::cuda::IndexScatterScaled(target, target_rows, width, index, n, src, add, alpha, ws, s);
  };
}

}  // namespace

GNN_CUDA_OP_PAIR(CudaActivation, UnpackActivation)
GNN_CUDA_OP_PAIR(CudaAdd, UnpackAdd)
GNN_CUDA_OP_PAIR(CudaScale, UnpackScale)
GNN_CUDA_OP_PAIR(CudaSoftmax, UnpackSoftmax)
GNN_CUDA_OP_PAIR(CudaConcat, UnpackConcat)
GNN_CUDA_OP_PAIR(CudaIndexSelect, UnpackIndexSelect)
GNN_CUDA_OP_PAIR(CudaIndexScatter, UnpackIndexScatter)

}  // namespace binding
}  // namespace gnn
