// Normalisation ops of the `cuda` object: argument unpacking only (lib/native-cuda-types.ts).
//   columnAffine(x, scale | null, shift | null, out, rows, width)        scale, shift: [width]
//   layerNorm(x, weight | null, bias | null, out, rows, width, eps)      weight, bias: [width]
//   graphLayerNorm(x, batch | null, weight | null, bias | null, out, rows, width, eps)   batch: int32 [rows]
#include <napi.h>

#include "../../cuda/kernels.h"
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

// An optional per-column vector of `width` floats.
const float* Column(const Napi::CallbackInfo& info, int i, const char* name, int64_t width, DeviceSet* devices) {
  return Ptr<const float>(OptionalSized(info, i, name, width, 1, 4, "float32", devices));
}

LaunchFn UnpackColumnAffine(const Napi::CallbackInfo& info, DeviceSet* devices) {
  const int64_t rows = Count(info[4], "rows");
  const int64_t width = Count(info[5], "width");
  const float* x = Ptr<const float>(Sized(info, 0, "x", rows, width, 4, "float32", devices));
  const float* scale = Column(info, 1, "scale", width, devices);
  const float* shift = Column(info, 2, "shift", width, devices);
  float* out = Ptr<float>(Sized(info, 3, "out", rows, width, 4, "float32", devices));
  return [x, scale, shift, out, rows, width](const Workspace&, Stream s) {
    return gnn::cuda::ColumnAffine(x, scale, shift, out, rows, width, s);
  };
}

LaunchFn UnpackLayerNorm(const Napi::CallbackInfo& info, DeviceSet* devices) {
  LayerNormArgs a;
  a.rows = Count(info[4], "rows");
  a.width = Count(info[5], "width");
  a.eps = GetFloat(info[6], "eps");
  a.x = Ptr<const float>(Sized(info, 0, "x", a.rows, a.width, 4, "float32", devices));
  a.weight = Column(info, 1, "weight", a.width, devices);
  a.bias = Column(info, 2, "bias", a.width, devices);
  a.out = Ptr<float>(Sized(info, 3, "out", a.rows, a.width, 4, "float32", devices));
  return [a](const Workspace&, Stream s) { return gnn::cuda::LayerNorm(a, s); };
}

LaunchFn UnpackGraphLayerNorm(const Napi::CallbackInfo& info, DeviceSet* devices) {
  GraphLayerNormArgs a;
  a.rows = Count(info[5], "rows");
  a.width = Count(info[6], "width");
  a.eps = GetFloat(info[7], "eps");
  a.x = Ptr<const float>(Sized(info, 0, "x", a.rows, a.width, 4, "float32", devices));
  a.batch = Ptr<const int32_t>(OptionalSized(info, 1, "batch", a.rows, 1, 4, "int32", devices));
  a.weight = Column(info, 2, "weight", a.width, devices);
  a.bias = Column(info, 3, "bias", a.width, devices);
  a.out = Ptr<float>(Sized(info, 4, "out", a.rows, a.width, 4, "float32", devices));
  return [a](const Workspace& ws, Stream s) { return gnn::cuda::GraphLayerNorm(a, ws, s); };
}

}  // namespace

GNN_CUDA_OP_PAIR(CudaColumnAffine, UnpackColumnAffine)
GNN_CUDA_OP_PAIR(CudaLayerNorm, UnpackLayerNorm)
GNN_CUDA_OP_PAIR(CudaGraphLayerNorm, UnpackGraphLayerNorm)

}  // namespace binding
}  // namespace gnn
