// The blocked GEMM of gemm.h, written once over a SIMD vector type V (scalar::Vec, avx2::Vec,
// avx512::Vec). Each ISA translation unit includes this header and instantiates it for its own V,
// so every symbol here depends on V and no code compiled for one ISA is shared with another.
//
// Loop nest for the rows [row_begin, row_end) of one task (BLIS's, with x in the role of A):
//   for each K-block b (kc rows of the packed weight)
//     for each column block (nc columns; kc x nc floats of the weight sized to stay in L2)
//       for each MR rows of x (an MR x kc slice, which stays in L1 while it meets every panel)
//         for each NR-column panel p of the block (kc x NR floats, streamed from L2)
//         micro-kernel: the MR x NR tile of out lives in registers for all kc steps;
//         each step loads NR/W weight vectors and broadcasts MR x values: MR * NR/W FMAs.
// A tile is loaded from out only for K-blocks after the first, and the bias and activation are
// applied as the tile of the last K-block is stored (fused epilogue), so out is written once per
// K-block and x read once per K-block. Per step the tile needs (NR/W + MR) loads for MR * NR/W
// FMAs, and (NR * 4) bytes of weight from L2 for MR * NR / W FMAs.
//
// x comes from memory once, in the first panel's micro-kernel; with few panels (M <= NR: one)
// nothing else hides that latency, so that micro-kernel also prefetches the next MR rows of x, one
// line per row every 16 steps (N = 100000, K = 256, M = 64: 61% -> 90% of peak, docs-drafts/gemm.md).
//
// Each output element is accumulated by one thread in increasing k (the same K-blocks whatever
// the thread count), so results do not depend on the thread count.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "activation.h"
#include "gemm.h"
#include "simd_math.h"

namespace gnn {
namespace gemm_impl {

// a * b + c. Fused where the ISA has FMA; the portable path multiplies and adds (std::fma without
// hardware FMA is a library call, ~20x slower). Both are within the error bound the tests check.
template <class V>
inline typename V::Reg MulAdd(typename V::Reg a, typename V::Reg b, typename V::Reg c) {
  if constexpr (V::kWidth == 1) {
    return a * b + c;
  } else {
    return V::Fma(a, b, c);
  }
}

// Packs w [m, k] into K-blocks of panels: block b (rows k0 .. k0 + kc_b) holds panel after panel,
// panel p (columns p NR ..) as kc_b rows of nr_p floats, where nr_p is NR for full panels and the
// remaining columns rounded up to the vector width (zero-filled) for the last. So the micro-kernel
// reads each panel front to back, one row of NR/W vectors per k.
template <class V, int NR>
void Pack(const float* w, int64_t m, int64_t k, const GemmBlocking& blocks, float* packed) {
  constexpr int W = V::kWidth;
  float* dst = packed;
  for (int64_t b = 0; b < blocks.count; ++b) {
    const int64_t k0 = b * blocks.kc;
    const int64_t kc = k0 + blocks.kc <= k ? blocks.kc : k - k0;
    for (int64_t j0 = 0; j0 < m; j0 += NR) {
      const int64_t cols = m - j0 < NR ? m - j0 : NR;
      const int64_t nr = (cols + W - 1) / W * W;
      // Column by column: reads each weight row contiguously, writes with stride nr (the panel is
      // at most kc * NR * 4 bytes, in L1 / L2).
      for (int64_t j = 0; j < nr; ++j) {
        float* col = dst + j;
        if (j < cols) {
          const float* src = w + (j0 + j) * k + k0;
          for (int64_t kk = 0; kk < kc; ++kk) col[kk * nr] = src[kk];
        } else {
          for (int64_t kk = 0; kk < kc; ++kk) col[kk * nr] = 0.0f;
        }
      }
      dst += kc * nr;
    }
  }
}

// One MR x (NV W) tile of out over kc steps. x: MR rows with stride ldx; w: the panel, NV W floats
// per k; c: the tile in out (stride ldc), of which `cols` columns are real. accumulate: add to what
// c holds (K-blocks after the first); finish: apply bias (bias + column, or null) and activation.
template <class V, int MR, int NV, Activation kAct>
void MicroKernel(const float* x, int64_t ldx, const float* w, int64_t kc, float* c, int64_t ldc, int64_t cols,
                 bool accumulate, bool finish, const float* bias, float alpha, const float* prefetch_x) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int64_t kStepsPerLine = 16;  // floats of x per 64-byte line
  const typename V::Mask tail = V::FirstN(cols - (NV - 1) * W);
  Reg acc[MR][NV];
  if (accumulate) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
      for (int j = 0; j < NV - 1; ++j) acc[r][j] = V::Load(c + r * ldc + j * W);
      acc[r][NV - 1] = V::LoadMasked(c + r * ldc + (NV - 1) * W, tail);
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[r][j] = V::Zero();
    }
  }
  const float* xr[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) xr[r] = x + r * ldx;
  for (int64_t k0 = 0; k0 < kc; k0 += kStepsPerLine) {
    if (prefetch_x != nullptr) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) V::Prefetch(prefetch_x + r * ldx + k0);
    }
    const int64_t k1 = k0 + kStepsPerLine < kc ? k0 + kStepsPerLine : kc;
    for (int64_t kk = k0; kk < k1; ++kk) {
      Reg b[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) b[j] = V::Load(w + j * W);
      w += NV * W;
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const Reg a = V::Set1(xr[r][kk]);
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[r][j] = MulAdd<V>(a, b[j], acc[r][j]);
      }
    }
  }
  if (finish) {
    if (bias != nullptr) {
      Reg bv[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV - 1; ++j) bv[j] = V::Load(bias + j * W);
      bv[NV - 1] = V::LoadMasked(bias + (NV - 1) * W, tail);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[r][j] = V::Add(acc[r][j], bv[j]);
      }
    }
    if constexpr (kAct != Activation::kNone) {
      const Reg a = V::Set1(alpha);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[r][j] = simd_math::Activate<V, kAct>(acc[r][j], a);
      }
    } else {
      (void)alpha;
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
    for (int j = 0; j < NV - 1; ++j) V::Store(c + r * ldc + j * W, acc[r][j]);
    V::StoreMasked(c + r * ldc + (NV - 1) * W, acc[r][NV - 1], tail);
  }
}

using MicroKernelFn = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, bool, bool,
                               const float*, float, const float*);

// kTable[rows - 1][vectors - 1]: the micro-kernels for partial tiles (fewer rows at the end of the
// row range, fewer columns in the last panel), all for one activation.
template <class V, int MR, int NV, Activation kAct>
struct KernelTable {
  template <int R, int... J>
  static constexpr std::array<MicroKernelFn, NV> RowOf(std::integer_sequence<int, J...>) {
    return {&MicroKernel<V, R, J + 1, kAct>...};
  }
  template <int... R>
  static constexpr std::array<std::array<MicroKernelFn, NV>, MR> Make(std::integer_sequence<int, R...>) {
    return {RowOf<R + 1>(std::make_integer_sequence<int, NV>())...};
  }
  static constexpr std::array<std::array<MicroKernelFn, NV>, MR> kTable = Make(std::make_integer_sequence<int, MR>());
};

template <class V, int MR, int NR, Activation kAct>
void RowsWithAct(const LinearArgs& a, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end) {
  constexpr int W = V::kWidth;
  constexpr int NV = NR / W;
  static_assert(NR % W == 0, "a panel is a whole number of vectors");
  const auto& table = KernelTable<V, MR, NV, kAct>::kTable;
  const int64_t m = a.m;
  const int64_t k = a.k;
  for (int64_t b = 0; b < blocks.count; ++b) {
    const int64_t k0 = b * blocks.kc;
    const int64_t kc = k0 + blocks.kc <= k ? blocks.kc : k - k0;
    const float* const wblock = a.packed + k0 * blocks.padded_m;
    const bool accumulate = b > 0;
    const bool finish = b == blocks.count - 1;
    for (int64_t jc = 0; jc < m; jc += blocks.nc) {
      const int64_t jc_end = m - jc < blocks.nc ? m : jc + blocks.nc;
      for (int64_t i = row_begin; i < row_end; i += MR) {
        const int64_t rows = row_end - i < MR ? row_end - i : MR;
        const float* const xi = a.x + i * k + k0;
        float* const ci = a.out + i * m;
        for (int64_t j0 = jc; j0 < jc_end; j0 += NR) {
          const int64_t cols = jc_end - j0 < NR ? jc_end - j0 : NR;
          const int64_t vectors = (cols + W - 1) / W;
          table[rows - 1][vectors - 1](xi, k, wblock + kc * j0, kc, ci + j0, m, cols, accumulate, finish,
                                       a.bias != nullptr ? a.bias + j0 : nullptr, a.alpha,
                                       j0 == jc && i + MR < row_end ? xi + MR * k : nullptr);
        }
      }
    }
  }
}

template <class V, int MR, int NR>
void Rows(const LinearArgs& a, const GemmBlocking& blocks, int64_t row_begin, int64_t row_end) {
  switch (a.act) {
    case Activation::kNone: RowsWithAct<V, MR, NR, Activation::kNone>(a, blocks, row_begin, row_end); break;
    case Activation::kRelu: RowsWithAct<V, MR, NR, Activation::kRelu>(a, blocks, row_begin, row_end); break;
    case Activation::kLeakyRelu: RowsWithAct<V, MR, NR, Activation::kLeakyRelu>(a, blocks, row_begin, row_end); break;
    case Activation::kElu: RowsWithAct<V, MR, NR, Activation::kElu>(a, blocks, row_begin, row_end); break;
    case Activation::kGelu: RowsWithAct<V, MR, NR, Activation::kGelu>(a, blocks, row_begin, row_end); break;
    case Activation::kSigmoid: RowsWithAct<V, MR, NR, Activation::kSigmoid>(a, blocks, row_begin, row_end); break;
    case Activation::kTanh: RowsWithAct<V, MR, NR, Activation::kTanh>(a, blocks, row_begin, row_end); break;
  }
}

// kAcc independent chains acc = acc * a + b: enough in flight to cover the FMA latency on every
// FMA pipe (e.g. 4 cycles x 2 pipes = 8 needed; 16 leaves slack for a third pipe or longer latency).
// a < 1 keeps the chains bounded (they converge to b / (1 - a)).
template <class V, int kAcc>
float FmaProbeLoop(int64_t iterations, float seed) {
  using Reg = typename V::Reg;
  Reg acc[kAcc];
#pragma GCC unroll 32
  for (int i = 0; i < kAcc; ++i) acc[i] = V::Set1(seed + static_cast<float>(i));
  const Reg a = V::Set1(0.999999f);
  const Reg b = V::Set1(1e-6f * seed);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 32
    for (int i = 0; i < kAcc; ++i) acc[i] = MulAdd<V>(acc[i], a, b);
  }
  Reg sum = acc[0];
#pragma GCC unroll 32
  for (int i = 1; i < kAcc; ++i) sum = V::Add(sum, acc[i]);
  float lanes[V::kWidth];
  V::Store(lanes, sum);
  float total = 0.0f;
  for (int i = 0; i < V::kWidth; ++i) total += lanes[i];
  return total;
}

}  // namespace gemm_impl
}  // namespace gnn
