// The GATv2 score kernel written once over a vector type V; each ISA translation unit
// instantiates it for its own V (gatv2_{scalar,avx2,avx512}.cc).
#pragma once

#include <cstdint>

#include "gatv2.h"

namespace gnn {
namespace gatv2_impl {

// One head's Σ_f att_f · leaky_relu(l_f + r_f): one accumulator, whole vectors then one masked
// vector (masked lanes load 0 from att, so they add exactly 0).
template <class V>
inline float HeadScore(const float* l, const float* r, const float* att, int64_t f, typename V::Reg slope) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg zero = V::Zero();
  Reg acc = zero;
  int64_t c = 0;
  for (; c + W <= f; c += W) {
    const Reg z = V::Add(V::Load(l + c), V::Load(r + c));
    acc = V::Fma(V::Load(att + c), V::Select(V::Gt(z, zero), z, V::Mul(slope, z)), acc);
  }
  if (c < f) {
    const typename V::Mask m = V::FirstN(f - c);
    const Reg z = V::Add(V::LoadMasked(l + c, m), V::LoadMasked(r + c, m));
    acc = V::Fma(V::LoadMasked(att + c, m), V::Select(V::Gt(z, zero), z, V::Mul(slope, z)), acc);
  }
  return V::ReduceAdd(acc);
}

template <class V>
void ScoreRows(const Gatv2ScoresArgs& a, int64_t row_begin, int64_t row_end) {
  const CsrView& g = a.graph;
  const int64_t heads = a.heads;
  const int64_t f = a.head_width;
  const int64_t ld = heads * f;
  const typename V::Reg slope = V::Set1(a.negative_slope);
  for (int64_t v = row_begin; v < row_end; ++v) {
    const float* xr = a.xr + v * ld;
    const int64_t end = g.RowBegin(v + 1);
    for (int64_t j = g.RowBegin(v); j < end; ++j) {
      const float* xl = a.xl + static_cast<int64_t>(g.indices[j]) * ld;
      float* o = a.out + (g.edge_ids != nullptr ? static_cast<int64_t>(g.edge_ids[j]) : j) * heads;
      for (int64_t h = 0; h < heads; ++h) o[h] = HeadScore<V>(xl + h * f, xr + h * f, a.att + h * f, f, slope);
    }
  }
}

template <class V>
constexpr Gatv2Kernels MakeGatv2Kernels() {
  return Gatv2Kernels{&ScoreRows<V>};
}

}  // namespace gatv2_impl
}  // namespace gnn
