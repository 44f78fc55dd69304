// Every function the addon exports; addon.cc registers them by name.
#pragma once

#include <napi.h>

namespace gnn {
namespace binding {

// graph_binding.cc
Napi::Value CsrFromEdgeIndex(const Napi::CallbackInfo& info);
Napi::Value ValidateCsr(const Napi::CallbackInfo& info);
Napi::Value RemoveSelfLoops(const Napi::CallbackInfo& info);
Napi::Value AddSelfLoops(const Napi::CallbackInfo& info);
Napi::Value GcnNorm(const Napi::CallbackInfo& info);
Napi::Value ToUndirected(const Napi::CallbackInfo& info);
Napi::Value Degrees(const Napi::CallbackInfo& info);

// spmm_binding.cc
Napi::Value SpmmSync(const Napi::CallbackInfo& info);
Napi::Value SpmmAsync(const Napi::CallbackInfo& info);
Napi::Value BaselineSpmmSync(const Napi::CallbackInfo& info);

// qspmm_binding.cc
Napi::Value QSpmmSync(const Napi::CallbackInfo& info);
Napi::Value QSpmmAsync(const Napi::CallbackInfo& info);

// attention_binding.cc
Napi::Value SddmmSync(const Napi::CallbackInfo& info);
Napi::Value SddmmAsync(const Napi::CallbackInfo& info);
Napi::Value EdgeSoftmaxSync(const Napi::CallbackInfo& info);
Napi::Value EdgeSoftmaxAsync(const Napi::CallbackInfo& info);
Napi::Value GatAggregateSync(const Napi::CallbackInfo& info);
Napi::Value GatAggregateAsync(const Napi::CallbackInfo& info);

// elementwise_binding.cc
Napi::Value ActivationSync(const Napi::CallbackInfo& info);
Napi::Value ActivationAsync(const Napi::CallbackInfo& info);

// linear_binding.cc
Napi::Value GemmLayoutOf(const Napi::CallbackInfo& info);
Napi::Value PackedWeightLength(const Napi::CallbackInfo& info);
Napi::Value PackWeightSync(const Napi::CallbackInfo& info);
Napi::Value LinearSync(const Napi::CallbackInfo& info);
Napi::Value LinearAsync(const Napi::CallbackInfo& info);
Napi::Value MeasurePeakFlops(const Napi::CallbackInfo& info);
// sparse_linear_binding.cc
Napi::Value ValidateSparseWeight(const Napi::CallbackInfo& info);
Napi::Value SparseLinearSync(const Napi::CallbackInfo& info);
Napi::Value SparseLinearAsync(const Napi::CallbackInfo& info);

// rowops_binding.cc
Napi::Value AddSync(const Napi::CallbackInfo& info);
Napi::Value AddAsync(const Napi::CallbackInfo& info);
Napi::Value ScaleSync(const Napi::CallbackInfo& info);
Napi::Value ScaleAsync(const Napi::CallbackInfo& info);
Napi::Value SoftmaxSync(const Napi::CallbackInfo& info);
Napi::Value SoftmaxAsync(const Napi::CallbackInfo& info);
Napi::Value ConcatSync(const Napi::CallbackInfo& info);
Napi::Value ConcatAsync(const Napi::CallbackInfo& info);
Napi::Value IndexSelectSync(const Napi::CallbackInfo& info);
Napi::Value IndexSelectAsync(const Napi::CallbackInfo& info);
Napi::Value IndexScatterSync(const Napi::CallbackInfo& info);
Napi::Value IndexScatterAsync(const Napi::CallbackInfo& info);

// norm_binding.cc
Napi::Value ColumnAffineSync(const Napi::CallbackInfo& info);
Napi::Value ColumnAffineAsync(const Napi::CallbackInfo& info);
Napi::Value LayerNormSync(const Napi::CallbackInfo& info);
Napi::Value LayerNormAsync(const Napi::CallbackInfo& info);
Napi::Value GraphLayerNormSync(const Napi::CallbackInfo& info);
Napi::Value GraphLayerNormAsync(const Napi::CallbackInfo& info);

// gatv2_binding.cc
Napi::Value Gatv2ScoresSync(const Napi::CallbackInfo& info);
Napi::Value Gatv2ScoresAsync(const Napi::CallbackInfo& info);

// quant_binding.cc
Napi::Value Int8PathOf(const Napi::CallbackInfo& info);
Napi::Value SetInt8Vnni(const Napi::CallbackInfo& info);
Napi::Value QuantizeSync(const Napi::CallbackInfo& info);
Napi::Value QuantizeAsync(const Napi::CallbackInfo& info);
Napi::Value DequantizeSync(const Napi::CallbackInfo& info);
Napi::Value DequantizeAsync(const Napi::CallbackInfo& info);
Napi::Value PackedQWeightBytes(const Napi::CallbackInfo& info);
Napi::Value PackQWeightSync(const Napi::CallbackInfo& info);
Napi::Value QLinearSync(const Napi::CallbackInfo& info);
Napi::Value QLinearAsync(const Napi::CallbackInfo& info);

// backend_binding.cc
Napi::Value BackendInfo(const Napi::CallbackInfo& info);
Napi::Value SetNumThreads(const Napi::CallbackInfo& info);
Napi::Value GetNumThreads(const Napi::CallbackInfo& info);
Napi::Value SetSimdLevel(const Napi::CallbackInfo& info);
Napi::Value MeasureBandwidth(const Napi::CallbackInfo& info);
Napi::Value AlignmentOf(const Napi::CallbackInfo& info);

}  // namespace binding
}  // namespace gnn
