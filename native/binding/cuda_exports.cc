// The CUDA build's `cuda` object (lib/native-cuda-types.ts NativeCuda): one per environment, its
// functions sharing that environment's handle registry (cuda_handles.h). Making it touches no
// CUDA: the runtime starts on the first call that needs it.
#include <napi.h>

#include <memory>

#include "cuda_bindings.h"
#include "cuda_handles.h"

namespace gnn {
namespace binding {

Napi::Object CudaExports(Napi::Env env) {
  // Owned by the object's functions' data for the environment's lifetime (freed by the cleanup
  // hook's shared_ptr and the handles', whichever goes last).
  auto* state = new std::shared_ptr<CudaEnvState>(NewCudaEnvState(env));
  env.AddCleanupHook([state] { delete state; });
  Napi::Object o = Napi::Object::New(env);
  auto fn = [&](const char* name, Napi::Function::Callback cb) {
    o.Set(name, Napi::Function::New(env, cb, name, state));
  };
  fn("probe", CudaProbe);
  fn("memoryInfo", CudaMemoryInfo);
  fn("synchronize", CudaSynchronize);
  fn("trimPool", CudaTrimPool);
  fn("alloc", CudaAlloc);
  fn("free", CudaFree);
  fn("bufferInfo", CudaBufferInfo);
  fn("upload", CudaUpload);
  fn("download", CudaDownload);
  fn("downloadAsync", CudaDownloadAsync);
  fn("copy", CudaCopy);
  fn("fill", CudaFill);
  fn("graphUpload", CudaGraphUpload);
  fn("graphFree", CudaGraphFree);
  fn("graphInfo", CudaGraphInfo);
  fn("spmmSync", CudaSpmmSync);
  fn("spmmAsync", CudaSpmmAsync);
  fn("spmmInt8Sync", CudaSpmmInt8Sync);
  fn("spmmInt8Async", CudaSpmmInt8Async);
  fn("sddmmSync", CudaSddmmSync);
  fn("sddmmAsync", CudaSddmmAsync);
  fn("edgeSoftmaxSync", CudaEdgeSoftmaxSync);
  fn("edgeSoftmaxAsync", CudaEdgeSoftmaxAsync);
  fn("gatAggregateSync", CudaGatAggregateSync);
  fn("gatAggregateAsync", CudaGatAggregateAsync);
  fn("gatv2ScoresSync", CudaGatv2ScoresSync);
  fn("gatv2ScoresAsync", CudaGatv2ScoresAsync);
  fn("activationSync", CudaActivationSync);
  fn("activationAsync", CudaActivationAsync);
  fn("addSync", CudaAddSync);
  fn("addAsync", CudaAddAsync);
  fn("scaleSync", CudaScaleSync);
  fn("scaleAsync", CudaScaleAsync);
  fn("softmaxSync", CudaSoftmaxSync);
  fn("softmaxAsync", CudaSoftmaxAsync);
  fn("concatSync", CudaConcatSync);
  fn("concatAsync", CudaConcatAsync);
  fn("indexSelectSync", CudaIndexSelectSync);
  fn("indexSelectAsync", CudaIndexSelectAsync);
  fn("indexScatterSync", CudaIndexScatterSync);
  fn("indexScatterAsync", CudaIndexScatterAsync);
  fn("columnAffineSync", CudaColumnAffineSync);
  fn("columnAffineAsync", CudaColumnAffineAsync);
  fn("layerNormSync", CudaLayerNormSync);
  fn("layerNormAsync", CudaLayerNormAsync);
  fn("graphLayerNormSync", CudaGraphLayerNormSync);
  fn("graphLayerNormAsync", CudaGraphLayerNormAsync);
  fn("linearSync", CudaLinearSync);
  fn("linearAsync", CudaLinearAsync);
  fn("quantizeSync", CudaQuantizeSync);
  fn("quantizeAsync", CudaQuantizeAsync);
  fn("dequantizeSync", CudaDequantizeSync);
  fn("dequantizeAsync", CudaDequantizeAsync);
  fn("quantizedLinearSync", CudaQuantizedLinearSync);
  fn("quantizedLinearAsync", CudaQuantizedLinearAsync);
  fn("cusparseSpmmMs", CudaCusparseSpmmMs);
  fn("spmmMs", CudaSpmmMs);
  fn("copyBandwidth", CudaCopyBandwidth);
  return o;
}

}  // namespace binding
}  // namespace gnn
