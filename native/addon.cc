// The addon's entry point: one Napi::Addon instance per environment (main thread or worker), so
// the addon is context-aware and loads in any number of worker_threads. Process-wide state (the
// thread pool, the SIMD level, the CUDA devices) lives behind function-local statics; the CUDA
// build's `cuda` object keeps its per-environment handle registry itself (cuda_handles.h).
#include <napi.h>

#include "binding/bindings.h"
#ifdef GNN_CUDA
#include "binding/cuda_bindings.h"
#endif

namespace gnn {
namespace binding {

class GnnAddon : public Napi::Addon<GnnAddon> {
 public:
  GnnAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        Fn(env, "csrFromEdgeIndex", CsrFromEdgeIndex),
        Fn(env, "validateCsr", ValidateCsr),
        Fn(env, "removeSelfLoops", RemoveSelfLoops),
        Fn(env, "addSelfLoops", AddSelfLoops),
        Fn(env, "gcnNorm", GcnNorm),
        Fn(env, "toUndirected", ToUndirected),
        Fn(env, "degrees", Degrees),
        Fn(env, "spmmSync", SpmmSync),
        Fn(env, "spmmAsync", SpmmAsync),
        Fn(env, "baselineSpmmSync", BaselineSpmmSync),
        Fn(env, "qspmmSync", QSpmmSync),
        Fn(env, "qspmmAsync", QSpmmAsync),
        Fn(env, "sddmmSync", SddmmSync),
        Fn(env, "sddmmAsync", SddmmAsync),
        Fn(env, "edgeSoftmaxSync", EdgeSoftmaxSync),
        Fn(env, "edgeSoftmaxAsync", EdgeSoftmaxAsync),
        Fn(env, "gatAggregateSync", GatAggregateSync),
        Fn(env, "gatAggregateAsync", GatAggregateAsync),
        Fn(env, "activationSync", ActivationSync),
        Fn(env, "activationAsync", ActivationAsync),
        Fn(env, "gemmLayout", GemmLayoutOf),
        Fn(env, "packedWeightLength", PackedWeightLength),
        Fn(env, "packWeightSync", PackWeightSync),
        Fn(env, "linearSync", LinearSync),
        Fn(env, "linearAsync", LinearAsync),
        Fn(env, "measurePeakFlops", MeasurePeakFlops),
        Fn(env, "validateSparseWeight", ValidateSparseWeight),
        Fn(env, "sparseLinearSync", SparseLinearSync),
        Fn(env, "sparseLinearAsync", SparseLinearAsync),
        Fn(env, "addSync", AddSync),
        Fn(env, "addAsync", AddAsync),
        Fn(env, "scaleSync", ScaleSync),
        Fn(env, "scaleAsync", ScaleAsync),
        Fn(env, "softmaxSync", SoftmaxSync),
        Fn(env, "softmaxAsync", SoftmaxAsync),
        Fn(env, "concatSync", ConcatSync),
        Fn(env, "concatAsync", ConcatAsync),
        Fn(env, "indexSelectSync", IndexSelectSync),
        Fn(env, "indexSelectAsync", IndexSelectAsync),
        Fn(env, "indexScatterSync", IndexScatterSync),
        Fn(env, "indexScatterAsync", IndexScatterAsync),
        Fn(env, "columnAffineSync", ColumnAffineSync),
        Fn(env, "columnAffineAsync", ColumnAffineAsync),
        Fn(env, "layerNormSync", LayerNormSync),
        Fn(env, "layerNormAsync", LayerNormAsync),
        Fn(env, "graphLayerNormSync", GraphLayerNormSync),
        Fn(env, "graphLayerNormAsync", GraphLayerNormAsync),
        Fn(env, "gatv2ScoresSync", Gatv2ScoresSync),
        Fn(env, "gatv2ScoresAsync", Gatv2ScoresAsync),
        Fn(env, "int8Path", Int8PathOf),
        Fn(env, "setInt8Vnni", SetInt8Vnni),
        Fn(env, "quantizeSync", QuantizeSync),
        Fn(env, "quantizeAsync", QuantizeAsync),
        Fn(env, "dequantizeSync", DequantizeSync),
        Fn(env, "dequantizeAsync", DequantizeAsync),
        Fn(env, "packedQWeightBytes", PackedQWeightBytes),
        Fn(env, "packQWeightSync", PackQWeightSync),
        Fn(env, "qlinearSync", QLinearSync),
        Fn(env, "qlinearAsync", QLinearAsync),
        Fn(env, "backendInfo", BackendInfo),
        Fn(env, "setNumThreads", SetNumThreads),
        Fn(env, "getNumThreads", GetNumThreads),
        Fn(env, "setSimdLevel", SetSimdLevel),
        Fn(env, "measureBandwidth", MeasureBandwidth),
        Fn(env, "alignmentOf", AlignmentOf),
        // cuda_plan_binding.cc: the CUDA kernels' host-side schedule and device math, on the CPU
        Fn(env, "cudaPlanHubRows", CudaPlanHubRows),
        Fn(env, "cudaPlanEdgeRows", CudaPlanEdgeRows),
        Fn(env, "cudaPlanSpmmLaunch", CudaPlanSpmmLaunch),
        Fn(env, "cudaPlanActivation", CudaPlanActivation),
        Fn(env, "cudaPlanQuantizeRows", CudaPlanQuantizeRows),
        Fn(env, "cudaPlanOnlineSoftmax", CudaPlanOnlineSoftmax),
    });
#ifdef GNN_CUDA
    // The CUDA build's device half (lib/native-cuda-types.ts); absent from the CPU build.
    exports.Set("cuda", CudaExports(env));
#endif
  }

 private:
  static PropertyDescriptor Fn(Napi::Env env, const char* name, Napi::Function::Callback cb) {
    return InstanceValue(name, Napi::Function::New(env, cb, name), napi_enumerable);
  }
};

}  // namespace binding
}  // namespace gnn

using gnn::binding::GnnAddon;
NODE_API_ADDON(GnnAddon)
