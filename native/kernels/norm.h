// Normalisation row ops for inference: a per-column affine map (BatchNorm in eval mode once the
// layer has folded its running statistics into scale and shift), torch's layer_norm over the last
// dimension, and PyG's graph-mode LayerNorm (statistics over every node and feature of a graph).
//
// Cost model: all memory-bound. Bytes per call (float32), N rows of F:
//   columnAffine    8·N·F (+ 8·F for scale and shift, read from L1 for every row)
//   layerNorm       8·N·F: three passes over each row (pivot sum, centred sums, write), the
//                   second and third re-read the row from L1/L2, not from memory
//   graphLayerNorm 16·N·F: the statistics span rows, so x is read three times from memory (pivot
//                   sums, centred sums, the write pass); per-row partial sums go to a scratch array
//                   of 3·N doubles, combined per graph in row order on one thread (O(N))
// Every output element is computed by one task in an order that does not depend on the split, so
// results are bitwise the same for every thread count; nothing is allocated per row.
//
// Accuracy of the statistics. A float32 row sum carries an error of about chain·U·Σ|x| (U = 2^-24,
// chain = the additions in one lane's chain), which for rows of mean 1e4 and spread 1e-2 is as
// large as the spread itself. So the mean is found relative to a pivot p (the row's, or the graph's,
// first element): s = Σ (x − p) in float32 lanes, mean = p + s / n in double, kept as two floats
// hi + lo (hi = float(mean), lo = float(mean − hi)). The centred values are d = (x − hi) − lo, and
// the variance is Σ d'² / n − lo'² with d' = x − hi (lo' = Σ d' / n): lo' is within a few ulp of
// mean, far below the spread of any row whose values are not all equal up to rounding, so the
// subtraction loses nothing that matters. The result: |mean error| <= chain·U·mean|x − p| + U²|mean|,
// and each output is within U·(chain + 8)·(|y| + mean|x − mean|/σ) of the float64 value (σ the
// standard deviation with eps), independent of the row's mean.
//
// Sizes are 64-bit throughout.
#pragma once

#include <cstdint>

#include "status.h"

namespace gnn {

// out[r, c] = fma(x[r, c], scale[c], shift[c]) over a [rows, width] block: one rounding. A null
// scale is 1 (out = x + shift), a null shift is 0 (out = x·scale, one rounding); both null copies.
// out may be x.
Status ColumnAffine(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width);

// torch.nn.functional.layer_norm over the last dimension: per row, mean and biased variance, then
// y = (x − mean) / sqrt(var + eps) · weight + bias, computed as t = d · (1 / sqrt(var + eps)) and
// y = fma(t, weight, bias). weight and bias are [width] or null (1 and 0). A row with NaN or ±inf
// is NaN throughout (as torch). out may be x.
struct LayerNormArgs {
  const float* x = nullptr;
  const float* weight = nullptr;
  const float* bias = nullptr;
  float* out = nullptr;
  int64_t rows = 0;
  int64_t width = 0;
  float eps = 1e-5f;
};
Status LayerNorm(const LayerNormArgs& args);

// PyG nn.norm.LayerNorm(mode='graph'): mean and biased variance over all nodes and features of
// each graph, graph of row r = batch[r] (null batch: one graph of every row). PyG's formula differs
// between its two paths, and both are reproduced:
//   batch given:  y = (x − μ_g) / sqrt(var_g + eps)                   (eps on the variance)
//   no batch:     y = (x − μ)   / (sqrt(var) + eps)                   (eps on the standard deviation)
// then y·weight + bias as above. batch values must lie in [0, rows) (a graph id no larger than the
// node count; checked before anything is written). out may be x (the write pass reads each element
// before writing it, and the statistics are complete before it starts).
struct GraphLayerNormArgs {
  const float* x = nullptr;
  const int32_t* batch = nullptr;
  const float* weight = nullptr;
  const float* bias = nullptr;
  float* out = nullptr;
  int64_t rows = 0;
  int64_t width = 0;
  float eps = 1e-5f;
};
Status GraphLayerNorm(const GraphLayerNormArgs& args);

// A row's centring: d = (x − hi) − lo, and the factor on d.
struct RowStats {
  float hi;
  float lo;
  float rstd;
};

// The per-ISA kernels (norm_impl.h), each over a part of the work the scheduler (norm.cc) hands it.
struct NormKernels {
  void (*affine)(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width);
  void (*layer_norm)(const float* x, const float* weight, const float* bias, float* out, int64_t rows,
                     int64_t width, float eps);
  // Σ (x − pivot) over a row, in float32 lanes combined in a fixed order.
  float (*shifted_sum)(const float* x, int64_t n, float pivot);
  // Σ (x − hi) and Σ (x − hi)² over a row.
  void (*centred_sums)(const float* x, int64_t n, float hi, float* sum, float* sum_sq);
  // out = ((x − hi) − lo) · rstd, then · weight + bias.
  void (*normalize)(const float* x, int64_t n, RowStats stats, const float* weight, const float* bias, float* out);
};

namespace scalar { extern const NormKernels kNormKernels; }
namespace avx2 { extern const NormKernels kNormKernels; }
namespace avx512 { extern const NormKernels kNormKernels; }

}  // namespace gnn
