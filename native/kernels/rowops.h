// Row ops the GNN layers need between aggregations: add / axpby with a broadcast row, scaling
// (by a scalar or one factor per row), row-wise softmax and log-softmax, concatenation along
// features, row gather (index_select) and row scatter (index_copy_ / index_add_).
//
// Cost model: all of them are memory-bound. Bytes per call (float32):
//   add      12·N·F (a, b and out; 8·N·F + 4·F with a broadcast row)
//   scale     8·N·F (+ 4·N for per-row factors)
//   softmax   8·N·F (each row is re-read from L1/L2, not from memory)
//   concat    8·N·ΣF
//   gather    8·K·F + 4·K (rows of x read at random, whole rows at a time)
//   scatter  copy 8·K·F, add 12·K·F (+ 4·K per task for the index scan)
// so the target is the machine's copy bandwidth. Every kernel writes each output element exactly
// once (or, for the scatters, exactly the rows named by the index), reads its inputs before
// writing the same positions (so out may alias an input where the op says so), allocates
// nothing, and gives bitwise the same result for every thread count: each element is computed by
// one task in an order that does not depend on the partition.
//
// Sizes are 64-bit throughout; index values are int32 (a row count may still exceed 2^31).
#pragma once

#include <cstdint>

#include "status.h"

namespace gnn {

// out = beta·a + alpha·b over a [rows, width] block. b is either the same shape (b_row_stride ==
// width) or one row broadcast over all rows (b_row_stride == 0). Computed as fma(alpha, b, beta·a):
// with beta == 1 that is a single rounding, and with alpha == beta == 1 it is exactly round(a + b).
// out may be a or b (elementwise: each element is read before it is written).
struct AddArgs {
  const float* a = nullptr;
  const float* b = nullptr;
  float* out = nullptr;
  int64_t rows = 0;
  int64_t width = 0;
  int64_t b_row_stride = 0;
  float alpha = 1.0f;
  float beta = 1.0f;
};
Status Add(const AddArgs& args);

// out[r, :] = s_r · x[r, :] with s_r = row_scale[r], or scale for every row when row_scale is null.
// out may be x.
Status Scale(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t width);

// Row-wise over the last dimension, as torch computes it: m = max(row),
// softmax = exp(x − m) · (1 / Σ exp(x − m)), log_softmax = (x − m) − log Σ exp(x − m). A row of
// all −inf, or with +inf or NaN, is NaN throughout (x − m is NaN somewhere, so the sum is NaN),
// exactly as torch. out may be x.
enum class SoftmaxKind : int { kSoftmax = 0, kLogSoftmax = 1 };
Status Softmax(const float* x, float* out, int64_t rows, int64_t width, SoftmaxKind kind);

// out[r, :] = [parts[0][r, :], parts[1][r, :], …]; part k is [rows, width_k], out [rows, Σ width_k].
struct ConcatPart {
  const float* data = nullptr;
  int64_t width = 0;
};
Status Concat(const ConcatPart* parts, int64_t num_parts, int64_t rows, float* out);

// out[i, :] = x[index[i], :] for i < n; x is [x_rows, width]. Every index is checked (in one pass,
// before anything is written): a negative or out-of-range value gives kOutOfRange naming the first
// bad position, and out is left untouched.
Status IndexSelect(const float* x, int64_t x_rows, int64_t width, const int32_t* index, int64_t n, float* out);

// target[index[i], :] = src[i, :] (kCopy) or += alpha · src[i, :] (kAdd) for i < n; target is
// [target_rows, width]. Duplicate indices are applied in index order: copy keeps the last row,
// add accumulates them in order (deterministic, the same for every thread count, because threads
// split the *target* rows and each scans the whole index). Checked as IndexSelect; on a bad
// index nothing is written.
enum class ScatterOp : int { kCopy = 0, kAdd = 1 };
Status IndexScatter(float* target, int64_t target_rows, int64_t width, const int32_t* index, int64_t n,
                    const float* src, ScatterOp op, float alpha);

// The per-ISA kernels (rowops_impl.h), each over a part of the work the scheduler (rowops.cc)
// hands it. Pointers are already offset to the part's first row.
struct RowKernels {
  void (*add)(const float* a, const float* b, float* out, int64_t rows, int64_t width, int64_t b_row_stride,
              float alpha, float beta);
  void (*scale)(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t width);
  void (*softmax)(const float* x, float* out, int64_t rows, int64_t width, SoftmaxKind kind);
  void (*concat)(const ConcatPart* parts, int64_t num_parts, int64_t row_begin, int64_t row_end, float* out,
                 int64_t out_width);
  void (*gather)(const float* x, int64_t width, const int32_t* index, int64_t n, float* out);
  // Applies the entries of index[0, n) whose target row lies in [row_begin, row_end).
  void (*scatter)(float* target, int64_t width, const int32_t* index, int64_t n, const float* src,
                  int64_t row_begin, int64_t row_end, ScatterOp op, float alpha);
};

namespace scalar { extern const RowKernels kRowKernels; }
namespace avx2 { extern const RowKernels kRowKernels; }
namespace avx512 { extern const RowKernels kRowKernels; }

}  // namespace gnn
