// The sparse-weight linear of sparse_linear.h, written once over a SIMD vector type V and a
// transpose policy P; each ISA translation unit instantiates it for its own V (and its own P, whose
// in-register transposes need that ISA's shuffles). Nothing here is shared between ISAs.
//
// Per block of B = NV W rows of x:
//   P::PackX      x[n0 .. n0 + B, :] -> xT [K, B] (rows past the end of x are zero)
//   for each group of W output channels m0 ..
//     for each channel m: C accumulator sets of NV vectors; nonzero j of the row goes to set j % C
//       (C NV independent FMA chains, so the FMA latency is covered), then the sets are summed in
//       a fixed tree; the NV vectors (B rows of channel m) go to tile[m - m0][B]
//     P::StoreTile  tile [W, B] -> out[n0 .., m0 .. m0 + W] transposed, + bias, activation
// A row's result depends only on the row's own lane of each vector, so it is the same in any block
// or task: results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "activation.h"
#include "simd_math.h"
#include "sparse_linear.h"

namespace gnn {
namespace sparse_linear_impl {

// a * b + c: fused where the ISA has FMA; the portable path multiplies and adds (std::fma without
// hardware FMA is a library call).
template <class V>
inline typename V::Reg MulAdd(typename V::Reg a, typename V::Reg b, typename V::Reg c) {
  if constexpr (V::kWidth == 1) {
    return a * b + c;
  } else {
    return V::Fma(a, b, c);
  }
}

// The portable transposes: element by element. Fast enough for the scalar level; the AVX2 and
// AVX-512 units replace them with in-register transposes of W x W tiles.
template <class V, int B>
struct GenericTranspose {
  // xt[kk * B + i] = x[i * ldx + kk] for i < rows, 0 for rows <= i < B.
  static void PackX(const float* x, int64_t ldx, int64_t rows, int64_t k, float* xt) {
    for (int64_t i = 0; i < B; ++i) {
      float* dst = xt + i;
      if (i < rows) {
        const float* src = x + i * ldx;
        for (int64_t kk = 0; kk < k; ++kk) dst[kk * B] = src[kk];
      } else {
        for (int64_t kk = 0; kk < k; ++kk) dst[kk * B] = 0.0f;
      }
    }
  }

  // out[i * ldo + c] = act(tile[c * B + i] + bias[c]) for i < rows, c < channels (<= W).
  template <Activation kAct>
  static void StoreTile(const float* tile, int64_t channels, int64_t rows, const float* bias, float alpha, float* out,
                        int64_t ldo) {
    using Reg = typename V::Reg;
    constexpr int W = V::kWidth;
    alignas(64) float row[W];
    const typename V::Mask mask = V::FirstN(channels);
    const Reg bv = bias != nullptr ? V::LoadMasked(bias, mask) : V::Zero();
    const Reg av = V::Set1(alpha);
    for (int64_t i = 0; i < rows; ++i) {
      for (int c = 0; c < W; ++c) row[c] = c < channels ? tile[c * B + i] : 0.0f;
      Reg v = V::Load(row);
      if (bias != nullptr) v = V::Add(v, bv);
      v = simd_math::Activate<V, kAct>(v, av);
      V::StoreMasked(out + i * ldo, v, mask);
    }
  }
};

template <class V, int NV, int C, class P, Activation kAct>
void RowsWithAct(const SparseLinearArgs& a, int64_t row_begin, int64_t row_end, float* scratch) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int64_t B = NV * W;
  static_assert(C == 1 || C == 2 || C == 4, "accumulator sets are summed as a tree of 1, 2 or 4");
  const int64_t k = a.k;
  const int64_t m = a.m;
  float* const xt = scratch;
  float* const tile = scratch + (k * B + 15) / 16 * 16;
  const int32_t* const indptr = a.indptr;
  const int32_t* const indices = a.indices;
  const float* const values = a.values;
  for (int64_t n0 = row_begin; n0 < row_end; n0 += B) {
    const int64_t rows = row_end - n0 < B ? row_end - n0 : B;
    P::PackX(a.x + n0 * k, k, rows, k, xt);
    float* const out_block = a.out + n0 * m;
    for (int64_t m0 = 0; m0 < m; m0 += W) {
      const int64_t channels = m - m0 < W ? m - m0 : W;
      for (int64_t c = 0; c < channels; ++c) {
        Reg acc[C][NV];
#pragma GCC unroll 4
        for (int s = 0; s < C; ++s) {
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[s][v] = V::Zero();
        }
        int64_t p = indptr[m0 + c];
        const int64_t end = indptr[m0 + c + 1];
        for (; p + C <= end; p += C) {
#pragma GCC unroll 4
          for (int s = 0; s < C; ++s) {
            const float* const xr = xt + static_cast<int64_t>(indices[p + s]) * B;
            const Reg w = V::Set1(values[p + s]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[s][v] = MulAdd<V>(w, V::Load(xr + v * W), acc[s][v]);
          }
        }
        for (int s = 0; p < end; ++p, ++s) {  // the remainder: sets 0 .. end - p - 1
          const float* const xr = xt + static_cast<int64_t>(indices[p]) * B;
          const Reg w = V::Set1(values[p]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[s][v] = MulAdd<V>(w, V::Load(xr + v * W), acc[s][v]);
        }
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          Reg sum = acc[0][v];
          if constexpr (C == 2) sum = V::Add(acc[0][v], acc[1][v]);
          if constexpr (C == 4) sum = V::Add(V::Add(acc[0][v], acc[1][v]), V::Add(acc[2][v], acc[3][v]));
          V::Store(tile + c * B + v * W, sum);
        }
      }
      P::template StoreTile<kAct>(tile, channels, rows, a.bias != nullptr ? a.bias + m0 : nullptr, a.alpha,
                                  out_block + m0, m);
    }
  }
}

template <class V, int NV, int C, class P>
void Rows(const SparseLinearArgs& a, int64_t row_begin, int64_t row_end, float* scratch) {
  switch (a.act) {
    case Activation::kNone: RowsWithAct<V, NV, C, P, Activation::kNone>(a, row_begin, row_end, scratch); break;
    case Activation::kRelu: RowsWithAct<V, NV, C, P, Activation::kRelu>(a, row_begin, row_end, scratch); break;
    case Activation::kLeakyRelu: RowsWithAct<V, NV, C, P, Activation::kLeakyRelu>(a, row_begin, row_end, scratch); break;
    case Activation::kElu: RowsWithAct<V, NV, C, P, Activation::kElu>(a, row_begin, row_end, scratch); break;
    case Activation::kGelu: RowsWithAct<V, NV, C, P, Activation::kGelu>(a, row_begin, row_end, scratch); break;
    case Activation::kSigmoid: RowsWithAct<V, NV, C, P, Activation::kSigmoid>(a, row_begin, row_end, scratch); break;
    case Activation::kTanh: RowsWithAct<V, NV, C, P, Activation::kTanh>(a, row_begin, row_end, scratch); break;
  }
}

}  // namespace sparse_linear_impl
}  // namespace gnn
