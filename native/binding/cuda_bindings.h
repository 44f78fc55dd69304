// The functions of the CUDA build's `cuda` object (lib/native-cuda-types.ts), one per entry;
// CudaExports (cuda_exports.cc) puts them on the object, which addon.cc adds to the exports.
#pragma once

#include <napi.h>

namespace gnn {
namespace binding {

// cuda_exports.cc: the `cuda` object of one environment.
Napi::Object CudaExports(Napi::Env env);

// cuda_runtime_binding.cc
Napi::Value CudaProbe(const Napi::CallbackInfo& info);
Napi::Value CudaMemoryInfo(const Napi::CallbackInfo& info);
Napi::Value CudaSynchronize(const Napi::CallbackInfo& info);
Napi::Value CudaTrimPool(const Napi::CallbackInfo& info);
Napi::Value CudaAlloc(const Napi::CallbackInfo& info);  // info.Data(): the CudaEnvState
Napi::Value CudaFree(const Napi::CallbackInfo& info);
Napi::Value CudaBufferInfo(const Napi::CallbackInfo& info);
Napi::Value CudaUpload(const Napi::CallbackInfo& info);
Napi::Value CudaDownload(const Napi::CallbackInfo& info);
Napi::Value CudaDownloadAsync(const Napi::CallbackInfo& info);
Napi::Value CudaCopy(const Napi::CallbackInfo& info);
Napi::Value CudaFill(const Napi::CallbackInfo& info);

// cuda_graph_binding.cc
Napi::Value CudaGraphUpload(const Napi::CallbackInfo& info);  // info.Data(): the CudaEnvState
Napi::Value CudaGraphFree(const Napi::CallbackInfo& info);
Napi::Value CudaGraphInfo(const Napi::CallbackInfo& info);

// cuda_aggregate_binding.cc
Napi::Value CudaSpmmSync(const Napi::CallbackInfo& info);
Napi::Value CudaSpmmAsync(const Napi::CallbackInfo& info);
Napi::Value CudaSpmmInt8Sync(const Napi::CallbackInfo& info);
Napi::Value CudaSpmmInt8Async(const Napi::CallbackInfo& info);
Napi::Value CudaSddmmSync(const Napi::CallbackInfo& info);
Napi::Value CudaSddmmAsync(const Napi::CallbackInfo& info);
Napi::Value CudaEdgeSoftmaxSync(const Napi::CallbackInfo& info);
Napi::Value CudaEdgeSoftmaxAsync(const Napi::CallbackInfo& info);
Napi::Value CudaGatAggregateSync(const Napi::CallbackInfo& info);
Napi::Value CudaGatAggregateAsync(const Napi::CallbackInfo& info);
Napi::Value CudaGatv2ScoresSync(const Napi::CallbackInfo& info);
Napi::Value CudaGatv2ScoresAsync(const Napi::CallbackInfo& info);

// cuda_rowops_binding.cc
Napi::Value CudaActivationSync(const Napi::CallbackInfo& info);
Napi::Value CudaActivationAsync(const Napi::CallbackInfo& info);
Napi::Value CudaAddSync(const Napi::CallbackInfo& info);
Napi::Value CudaAddAsync(const Napi::CallbackInfo& info);
Napi::Value CudaScaleSync(const Napi::CallbackInfo& info);
Napi::Value CudaScaleAsync(const Napi::CallbackInfo& info);
Napi::Value CudaSoftmaxSync(const Napi::CallbackInfo& info);
Napi::Value CudaSoftmaxAsync(const Napi::CallbackInfo& info);
Napi::Value CudaConcatSync(const Napi::CallbackInfo& info);
Napi::Value CudaConcatAsync(const Napi::CallbackInfo& info);
Napi::Value CudaIndexSelectSync(const Napi::CallbackInfo& info);
Napi::Value CudaIndexSelectAsync(const Napi::CallbackInfo& info);
Napi::Value CudaIndexScatterSync(const Napi::CallbackInfo& info);
Napi::Value CudaIndexScatterAsync(const Napi::CallbackInfo& info);

// cuda_norm_binding.cc
Napi::Value CudaColumnAffineSync(const Napi::CallbackInfo& info);
Napi::Value CudaColumnAffineAsync(const Napi::CallbackInfo& info);
Napi::Value CudaLayerNormSync(const Napi::CallbackInfo& info);
Napi::Value CudaLayerNormAsync(const Napi::CallbackInfo& info);
Napi::Value CudaGraphLayerNormSync(const Napi::CallbackInfo& info);
Napi::Value CudaGraphLayerNormAsync(const Napi::CallbackInfo& info);

// cuda_dense_binding.cc
Napi::Value CudaLinearSync(const Napi::CallbackInfo& info);
Napi::Value CudaLinearAsync(const Napi::CallbackInfo& info);
Napi::Value CudaQuantizeSync(const Napi::CallbackInfo& info);
Napi::Value CudaQuantizeAsync(const Napi::CallbackInfo& info);
Napi::Value CudaDequantizeSync(const Napi::CallbackInfo& info);
Napi::Value CudaDequantizeAsync(const Napi::CallbackInfo& info);
Napi::Value CudaQuantizedLinearSync(const Napi::CallbackInfo& info);
Napi::Value CudaQuantizedLinearAsync(const Napi::CallbackInfo& info);

// cuda_bench_binding.cc
Napi::Value CudaCusparseSpmmMs(const Napi::CallbackInfo& info);
Napi::Value CudaSpmmMs(const Napi::CallbackInfo& info);
Napi::Value CudaCopyBandwidth(const Napi::CallbackInfo& info);

}  // namespace binding
}  // namespace gnn
