// Sparse-weight linear (magnitude-pruned weights): out[n, m] = act(sum over the nonzeros (m, k, w)
// of w * x[n, k] + bias[m]), with x [N, K] dense row-major and the weight [M, K] in CSR by output
// channel (indptr [M + 1], indices [nnz] in [0, K), values [nnz]).
//
// Schedule (the "sparse weight x dense activation" form of sparse inference engines): rows of x are
// taken B at a time (B = NV vectors of the SIMD width: 32 for AVX-512, 16 for AVX2, 4 scalar); the
// block is transposed into per-thread scratch xT [K, B], so that one nonzero (k, w) of output
// channel m is NV FMAs acc += w * xT[k] that advance B rows at once. An output channel's vectors
// go into a small tile [W, B] (W = the SIMD width); every W channels the tile is transposed back,
// the bias added and the activation applied as the [B, W] piece of out is stored (fused epilogue).
//
// Cost model per block of B rows: B K floats of x read and transposed (L2 -> L1), then nnz times
// (one index, one value, NV vector loads of xT from L1, NV FMAs), then B M floats of out written.
// The dense GEMM does B M K FMAs per block at ~90% of peak; this path does nnz NV FMAs at well under
// half of peak (a load of xT per FMA, accumulator chains per channel), plus the transposes. The
// crossover density is measured (bench/sparse-weight.ts, BENCHMARKS.md) rather than assumed.
//
// Assumptions: indptr is non-decreasing with indptr[0] = 0 and indptr[M] = nnz, indices are in
// [0, K) (sorted or not). ValidateSparseWeight checks both in O(M + nnz) when a weight is prepared;
// a call checks O(M) (indptr) and O(1) things only. Empty rows of W give out = act(bias).
//
// Results are bitwise independent of the thread count: a row of out is computed by one thread, in
// the same order of nonzeros and the same accumulator split whatever block or task holds it (the
// lanes of a block never mix).
#pragma once

#include <cstdint>

#include "activation.h"
#include "status.h"

namespace gnn {

struct SparseLinearArgs {
  const float* x = nullptr;  // [n, k] row-major
  int64_t x_length = 0;
  int64_t n = 0;
  int64_t k = 0;
  int64_t m = 0;
  const int32_t* indptr = nullptr;  // [m + 1]
  int64_t indptr_length = 0;
  const int32_t* indices = nullptr;  // [nnz], each in [0, k)
  int64_t indices_length = 0;
  const float* values = nullptr;  // [nnz]
  int64_t values_length = 0;
  const float* bias = nullptr;  // [m] or null
  int64_t bias_length = 0;
  float* out = nullptr;  // [n, m]; must not overlap any input
  int64_t out_length = 0;
  Activation act = Activation::kNone;
  float alpha = 0.0f;
};

// O(M + nnz): indptr [m + 1] starts at 0, never decreases and ends at nnz; every index in [0, k),
// increasing within its row (the kernel itself needs neither order nor uniqueness; toDense does).
Status ValidateSparseWeight(const int32_t* indptr, int64_t indptr_length, const int32_t* indices,
                            int64_t indices_length, int64_t values_length, int64_t m, int64_t k);

// The per-call checks: sizes consistent with the lengths, indptr's ends and monotonicity (O(M)),
// activation known, out separate from the inputs. Indices are trusted (validated once).
Status CheckSparseLinearArgs(const SparseLinearArgs& args);

// out = act(x W^T + bias) on the thread pool (one thread for small problems).
Status SparseLinear(const SparseLinearArgs& args);

// Schedule knobs for benchmarks and tests; 0 means automatic.
struct SparseLinearSchedule {
  int max_threads = 0;
};
Status SparseLinearWithSchedule(const SparseLinearArgs& args, const SparseLinearSchedule& schedule);

// Rows of x per block for each SIMD level (scalar, AVX2, AVX-512).
constexpr int kSparseLinearBlockRows[3] = {4, 16, 32};

// Per-ISA pieces (sparse_linear_impl.h): rows [row_begin, row_end) (row_begin a multiple of the
// block) with scratch of SparseLinearScratchFloats(k) floats, 64-byte aligned.
namespace scalar {
void SparseLinearRows(const SparseLinearArgs& args, int64_t row_begin, int64_t row_end, float* scratch);
}
namespace avx2 {
void SparseLinearRows(const SparseLinearArgs& args, int64_t row_begin, int64_t row_end, float* scratch);
}
namespace avx512 {
void SparseLinearRows(const SparseLinearArgs& args, int64_t row_begin, int64_t row_end, float* scratch);
}

}  // namespace gnn
