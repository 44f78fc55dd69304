// The CUDA kernels: the same argument structs as the CPU kernels (native/kernels/*.h), with every
// pointer a *device* pointer, launched on `stream`. Each function checks the O(1) invariants with
// the CPU kernel's own Check*Args where one exists (those never dereference pointers), launches,
// and returns a Status: kCuda with the runtime's error name and string when a launch fails. The
// functions do not synchronize; errors that surface later are reported by the runtime layer
// (cuda/runtime.h) at the next synchronization.
//
// Deterministic: no floating-point atomics in any of these paths; each output element is reduced
// by one thread (or by a fixed tree of partial results, for hub rows) in a fixed order, so results
// do not depend on the launch shape chosen for a device.
//
// Scratch memory a kernel needs (hub-row partials, error flags, the GEMM's nothing) comes from
// `Workspace` below, which the caller backs with the stream-ordered pool; kernels never call
// cudaMalloc themselves.
//
// This header is plain C++ (no CUDA headers), so bindings compiled by the host compiler include it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../native/kernels/activation.h"
#include "../native/kernels/attention.h"
#include "../native/kernels/gatv2.h"
#include "../native/kernels/norm.h"
#include "../native/kernels/qspmm.h"
#include "../native/kernels/quantize.h"
#include "../native/kernels/rowops.h"
#include "../native/kernels/spmm.h"
#include "../native/kernels/status.h"

namespace gnn {
namespace cuda {

// cudaStream_t without the CUDA headers.
using Stream = void*;

// Scratch memory for one call: `allocate(bytes)` returns device memory that stays valid until the
// work queued on the stream by this call has finished (the runtime frees it stream-ordered
// afterwards), or null when the pool is out of memory (the kernel then returns kOutOfMemory).
struct Workspace {
  void* (*allocate)(void* self, size_t bytes) = nullptr;
  void* self = nullptr;
  void* Allocate(size_t bytes) const { return allocate(self, bytes); }
};

// A graph on the device: the CsrView fields are device pointers; `hub_rows` lists the rows the
// launch plan (cuda/launch_plan.h) splits across several warps, made once at upload.
struct DeviceGraph {
  CsrView csr;                        // device indptr / indices / edge_ids
  const float* weights = nullptr;     // the graph's own edge weights in CSR order (device), or null
  const int32_t* hub_rows = nullptr;  // device [num_hub_rows], ascending
  int64_t num_hub_rows = 0;
  int64_t max_row_nnz = 0;            // the largest in-degree
  int device = 0;
};

// Each function reads its graph from `graph.csr` (args.graph is ignored and may be left empty).
Status Spmm(const DeviceGraph& graph, const SpmmArgs& args, const Workspace& ws, Stream stream);
Status QSpmm(const DeviceGraph& graph, const QSpmmArgs& args, const Workspace& ws, Stream stream);
Status Sddmm(const DeviceGraph& graph, const SddmmArgs& args, const Workspace& ws, Stream stream);
Status EdgeSoftmax(const DeviceGraph& graph, const EdgeSoftmaxArgs& args, const Workspace& ws, Stream stream);
Status GatAggregate(const DeviceGraph& graph, const GatArgs& args, const Workspace& ws, Stream stream);
Status Gatv2Scores(const DeviceGraph& graph, const Gatv2ScoresArgs& args, const Workspace& ws, Stream stream);

// Elementwise and row ops (rowops.h, norm.h, elementwise.h semantics, bit for bit where the CPU
// comment states the rounding, e.g. Add's fma and ColumnAffine's single fma).
Status Activation(const float* x, float* out, int64_t n, gnn::Activation act, float alpha, Stream stream);
Status Add(const AddArgs& args, Stream stream);
Status Scale(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t width, Stream stream);
Status Softmax(const float* x, float* out, int64_t rows, int64_t width, SoftmaxKind kind, Stream stream);
Status Concat(const ConcatPart* parts, int64_t num_parts, int64_t rows, float* out, const Workspace& ws, Stream stream);
// Index values are checked on the device: an index outside [0, x_rows) makes the call return
// kOutOfRange (read back through a workspace flag, so these two synchronize the stream).
Status IndexSelect(const float* x, int64_t x_rows, int64_t width, const int32_t* index, int64_t n, float* out,
                   const Workspace& ws, Stream stream);
// target[index[i], :] = src[i, :] (add == false: later i wins, as the CPU kernel) or += (add == true,
// summed in i order per target row: deterministic).
Status IndexScatter(float* target, int64_t target_rows, int64_t width, const int32_t* index, int64_t n,
                    const float* src, bool add, const Workspace& ws, Stream stream);
Status ColumnAffine(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width,
                    Stream stream);
Status LayerNorm(const LayerNormArgs& args, Stream stream);
Status GraphLayerNorm(const GraphLayerNormArgs& args, const Workspace& ws, Stream stream);

// Dense layer out[n, m] = act(x[n, k] · weight[m, k]^T + bias[m]) with a plain (unpacked) weight.
// cuBLAS / cuBLASLt when the build has them (GNN_HAVE_CUBLAS), else our own tiled kernel; the
// epilogue (bias, activation) is ours in both cases.
struct LinearArgs {
  const float* x = nullptr;
  int64_t n = 0;
  int64_t k = 0;
  const float* weight = nullptr;
  int64_t m = 0;
  const float* bias = nullptr;
  float* out = nullptr;
  gnn::Activation act = gnn::Activation::kNone;
  float alpha = 0.0f;
  bool use_library = true;  // false: our own kernel even when cuBLAS is linked (tests, benchmarks)
};
Status Linear(const LinearArgs& args, const Workspace& ws, Stream stream);

// int8: Quantize / Dequantize with the CPU arithmetic (quantize.h), NaN / Inf rejected through a
// workspace flag (kInvalidArgValue; Quantize synchronizes the stream to read it).
Status Quantize(const QuantizeArgs& args, const Workspace& ws, Stream stream);
Status Dequantize(const DequantizeArgs& args, Stream stream);

// out[n, m] = act(x_scale[r] · w_scale[c] · Σ_k (xq[r, k] − x_zp[r]) · wq[c, k] + bias[c]) with u8 x
// codes per row (zero point per row) and s8 weight codes per output channel, accumulated in int32
// (dp4a), the epilogue in fp32: the CPU quantizedLinear's arithmetic for fp32 output.
struct QLinearArgs {
  const uint8_t* x = nullptr;   // [n, k]
  const float* x_scale = nullptr;   // [n]
  const int32_t* x_zero_point = nullptr;  // [n]
  int64_t n = 0;
  int64_t k = 0;
  const int8_t* weight = nullptr;   // [m, k]
  const float* weight_scale = nullptr;  // [m]
  int64_t m = 0;
  const float* bias = nullptr;  // [m] or null
  float* out = nullptr;         // [n, m]
  gnn::Activation act = gnn::Activation::kNone;
  float alpha = 0.0f;
};
Status QuantizedLinear(const QLinearArgs& args, const Workspace& ws, Stream stream);

}  // namespace cuda
}  // namespace gnn
