// Dense fp32 GEMM for linear layers: out[n, m] = act(sum_k x[n, k] * w[m, k] + bias[m]), with x
// [N, K] row-major, w [M, K] row-major (PyTorch's [out, in] layout), bias [M] optional.
//
// The weight is packed once (PackWeight) into the panel layout of the micro-kernel of one SIMD
// level; the GEMM then reads only the packed form. Layouts are named after the SIMD level whose
// micro-kernel reads them (GemmLayout == SimdLevel); a packed weight keeps working after the
// active level changes, because the kernel runs the micro-kernel of the packed layout (the caller
// repacks to follow the active level, see lib/ops/linear.ts).
//
// Cost model: 2 N M K flops. Memory traffic: x is read once (N K 4 bytes), out written once
// (N M 4 bytes) - the bias and activation are applied as each register tile is stored, not in
// another pass - and each K-block of the packed weight (kc x M floats, sized to stay in L2) is
// streamed from L2 once per MR rows of x. With K and M >= 128 the micro-kernel, not memory, is
// the bound: see gemm_impl.h for the loop nest and the tile.
//
// Results are bitwise independent of the thread count: rows are split into fixed blocks, and each
// output element is accumulated by one thread in increasing k, in the same K-blocks.
#pragma once

#include <cstdint>

#include "activation.h"
#include "status.h"

namespace gnn {

enum class GemmLayout : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// The register tile of each layout's micro-kernel: MR rows of x times NR columns of out (NR / width
// vectors). Chosen by measurement (docs-drafts/gemm.md).
struct GemmTile {
  int mr;
  int nr;
  int width;  // SIMD lanes; packed panels of the last (partial) column block are padded to this
};
constexpr GemmTile kGemmTiles[3] = {
    {4, 8, 1},    // scalar: 32 accumulators the compiler keeps in (SSE) registers
    {6, 16, 8},   // AVX2: 12 ymm accumulators + 2 weight vectors + 1 broadcast (of 16)
    {6, 64, 16},  // AVX-512: 24 zmm accumulators + 4 weight vectors (of 32)
};

// Independent FMA chains in each layout's peak-FLOPs probe (gemm_impl.h FmaProbeLoop).
constexpr int kFmaProbeAccumulators[3] = {8, 12, 16};

// How the GEMM is blocked. kc (and so the packed layout) depends on the layout, M and K only; nc
// only orders the loops. Both keep a kc x nc block of the packed weight within an L2 budget.
struct GemmBlocking {
  int64_t kc = 0;          // rows of each K-block but possibly the last
  int64_t count = 0;       // number of K-blocks
  int64_t padded_m = 0;    // columns of a packed K-block: full panels plus the last panel padded to the width
  int64_t nc = 0;          // columns per column block (a multiple of the tile's NR)
};

// The layout the active SIMD level reads.
GemmLayout ActiveGemmLayout();
// True when this CPU can run the micro-kernel of `layout`.
bool GemmLayoutSupported(int layout);
// Blocking of a packed weight; count == 0 for an invalid layout or negative sizes.
GemmBlocking PlanGemmBlocking(GemmLayout layout, int64_t m, int64_t k);
// The same for a given tile and L2 budget in bytes (benchmarks try other budgets).
GemmBlocking PlanGemmBlockingFor(const GemmTile& tile, int64_t m, int64_t k, int64_t block_bytes);
// Floats in the packed form of an [m, k] weight for `layout`; -1 when layout or sizes are invalid
// or the size does not fit in 2^53 (what a JavaScript typed array can index).
int64_t PackedWeightLength(int layout, int64_t m, int64_t k);

// Packs w [m, k] (row stride k) into packed[PackedWeightLength(layout, m, k)].
Status PackWeight(const float* w, int64_t m, int64_t k, int layout, float* packed, int64_t packed_length);

struct LinearArgs {
  const float* x = nullptr;  // [n, k] row-major
  int64_t n = 0;
  int64_t k = 0;
  // PackWeight's output for [m, k] and `layout`; when `weight` is given, Linear fills it first
  // (so an async job packs off the event loop) and it must not overlap any other argument.
  float* packed = nullptr;
  int64_t packed_length = 0;
  const float* weight = nullptr;  // optional [m, k]: pack it into `packed`, then compute
  int64_t weight_length = 0;
  int layout = 0;
  int64_t m = 0;
  const float* bias = nullptr;  // [m] or null
  float* out = nullptr;         // [n, m] row-major; must not overlap x, packed, weight or bias
  int64_t out_length = 0;
  int64_t x_length = 0;
  int64_t bias_length = 0;
  Activation act = Activation::kNone;
  float alpha = 0.0f;  // leaky_relu's slope, elu's alpha
};

// The O(1) checks: sizes consistent with the lengths, layout known and supported, no overlap.
Status CheckLinearArgs(const LinearArgs& args);
// out = act(x w^T + bias) on the thread pool (one thread for small problems).
Status Linear(const LinearArgs& args);

// Schedule knobs for benchmarks and tests; 0 means automatic.
struct GemmSchedule {
  int max_threads = 0;
  int64_t rows_per_task = 0;  // rounded up to a multiple of the tile's MR
};
Status LinearWithSchedule(const LinearArgs& args, const GemmSchedule& schedule);

// FMA-bound probe: `threads` threads each run independent FMA chains at the widest SIMD width of
// the active level for about `ms` milliseconds; returns the aggregate rate in GFLOP/s (2 flops per
// lane per FMA) over the wall time of the whole run.
Status MeasurePeakFlops(int threads, double ms, double* gflops);

// Per-ISA pieces (gemm_impl.h); called only after the run-time SIMD check.
namespace scalar {
void GemmPack(const float* w, int64_t m, int64_t k, const GemmBlocking& blocks, float* packed);
void GemmRows(const LinearArgs& args, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end);
float FmaProbe(int64_t iterations, float seed);
}  // namespace scalar
namespace avx2 {
void GemmPack(const float* w, int64_t m, int64_t k, const GemmBlocking& blocks, float* packed);
void GemmRows(const LinearArgs& args, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end);
float FmaProbe(int64_t iterations, float seed);
}  // namespace avx2
namespace avx512 {
void GemmPack(const float* w, int64_t m, int64_t k, const GemmBlocking& blocks, float* packed);
void GemmRows(const LinearArgs& args, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end);
float FmaProbe(int64_t iterations, float seed);
}  // namespace avx512

// Flops one FmaProbe iteration performs at each layout's width (accumulators x lanes x 2).
int64_t FmaProbeFlopsPerIteration(GemmLayout layout);

}  // namespace gnn
