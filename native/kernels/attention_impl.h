// SDDMM, edge softmax and fused GAT aggregation, written once over a vector type V (avx2::Vec,
// avx512::Vec) and instantiated by each ISA's translation unit; every symbol depends on V.
//
// Cost per edge: SDDMM reads the source row (D or H*F floats, gathered) and writes D floats at the
// edge's position in the caller's order; edge softmax reads its H scores three times (max, sum,
// normalise: after the first read they sit in L1) and writes H; GAT gathers the source row's
// H*F features and H attention terms once, with two exps per head per edge for the online softmax.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>

#include "attention_task.h"
#include "simd_math.h"

namespace gnn {
namespace attention_impl {

template <class V>
int64_t RowBegin(const CsrView& g, int64_t r) {
  return g.indptr64 ? static_cast<const int64_t*>(g.indptr)[r] : static_cast<const int32_t*>(g.indptr)[r];
}

template <class V>
int64_t EdgeId(const CsrView& g, int64_t j) {
  return g.edge_ids != nullptr ? static_cast<int64_t>(g.edge_ids[j]) : j;
}

// ---------------------------------------------------------------------------------------------
// SDDMM

template <class V, SddmmOp kOp>
typename V::Reg Combine(typename V::Reg a, typename V::Reg b) {
  if constexpr (kOp == SddmmOp::kAdd) return V::Add(a, b);
  if constexpr (kOp == SddmmOp::kSub) return V::Sub(a, b);
  return V::Mul(a, b);
}

template <class V, SddmmOp kOp>
float CombineScalar(float a, float b) {
  if constexpr (kOp == SddmmOp::kAdd) return a + b;
  if constexpr (kOp == SddmmOp::kSub) return a - b;
  return a * b;
}

template <class V, SddmmOp kOp>
void SddmmRowsOp(const SddmmArgs& a, int64_t row_begin, int64_t row_end) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const CsrView& g = a.graph;
  const int64_t d = a.out_width;
  for (int64_t v = row_begin; v < row_end; ++v) {
    const int64_t b = RowBegin<V>(g, v);
    const int64_t e = RowBegin<V>(g, v + 1);
    const float* vrow = a.v + v * a.v_width;
    for (int64_t j = b; j < e; ++j) {
      const float* urow = a.u + static_cast<int64_t>(g.indices[j]) * a.u_width;
      float* o = a.out + EdgeId<V>(g, j) * d;
      if constexpr (kOp == SddmmOp::kDot) {
        const int64_t f = a.u_width / a.heads;
        for (int64_t h = 0; h < a.heads; ++h) {
          Reg acc = V::Zero();
          for (int64_t c = 0; c < f; c += W) {
            const typename V::Mask m = V::FirstN(f - c);
            acc = V::Fma(V::LoadMasked(urow + h * f + c, m), V::LoadMasked(vrow + h * f + c, m), acc);
          }
          o[h] = V::ReduceAdd(acc);
        }
      } else if (a.u_width == d && a.v_width == d) {
        for (int64_t c = 0; c < d; c += W) {
          const typename V::Mask m = V::FirstN(d - c);
          V::StoreMasked(o + c, Combine<V, kOp>(V::LoadMasked(urow + c, m), V::LoadMasked(vrow + c, m)), m);
        }
      } else {  // head broadcasting: a narrower operand's column h serves the wider one's head h
        const int64_t ru = d / a.u_width;
        const int64_t rv = d / a.v_width;
        for (int64_t c = 0; c < d; ++c) o[c] = CombineScalar<V, kOp>(urow[c / ru], vrow[c / rv]);
      }
    }
  }
}

template <class V>
void SddmmRows(const SddmmArgs& a, int64_t row_begin, int64_t row_end) {
  switch (a.op) {
    case SddmmOp::kDot: SddmmRowsOp<V, SddmmOp::kDot>(a, row_begin, row_end); break;
    case SddmmOp::kAdd: SddmmRowsOp<V, SddmmOp::kAdd>(a, row_begin, row_end); break;
    case SddmmOp::kSub: SddmmRowsOp<V, SddmmOp::kSub>(a, row_begin, row_end); break;
    case SddmmOp::kMul: SddmmRowsOp<V, SddmmOp::kMul>(a, row_begin, row_end); break;
  }
}

// ---------------------------------------------------------------------------------------------
// Edge softmax: per row and head, max; then exp(s - max) and its sum; then each exp divided by the
// sum. -inf scores contribute 0; an all -inf row gives zeros. With H >= W/2 heads the heads are the
// vector lanes and the row's scores are read twice and written twice (cached after the first
// read). With fewer heads (H = 1, 2, 4) a lane per head would leave most of the vector idle on the
// exp, so one head's scores are copied into a contiguous buffer, processed W edges at a time, and
// copied back (measured: 4x faster at H = 1; slower at H = 8, where the strided copies dominate).
// One exp per score either way.

template <class V>
void EdgeSoftmaxHeadLanes(const EdgeSoftmaxArgs& a, int64_t b, int64_t e) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const CsrView& g = a.graph;
  const int64_t heads = a.heads;
  const Reg ninf = V::Set1(-std::numeric_limits<float>::infinity());
  const Reg zero = V::Zero();
  for (int64_t h0 = 0; h0 < heads; h0 += W) {
    const typename V::Mask m = V::FirstN(heads - h0);
    Reg mx = ninf;
    for (int64_t j = b; j < e; ++j) mx = V::MaxNan(mx, V::LoadMasked(a.scores + EdgeId<V>(g, j) * heads + h0, m));
    // exp(s - max) goes straight to the output (scores are not needed after this pass, so in
    // place works) and is divided by the sum there: one exp per score.
    Reg sum = zero;
    for (int64_t j = b; j < e; ++j) {
      const int64_t at = EdgeId<V>(g, j) * heads + h0;
      const Reg s = V::LoadMasked(a.scores + at, m);
      const Reg ex = V::Select(V::Eq(s, ninf), zero, simd_math::Exp<V>(V::Sub(s, mx)));
      V::StoreMasked(a.out + at, ex, m);
      sum = V::Add(sum, ex);
    }
    const typename V::Mask empty = V::Eq(sum, zero);  // every score -inf
    for (int64_t j = b; j < e; ++j) {
      const int64_t at = EdgeId<V>(g, j) * heads + h0;
      V::StoreMasked(a.out + at, V::Select(empty, zero, V::Div(V::LoadMasked(a.out + at, m), sum)), m);
    }
  }
}

template <class V>
void EdgeSoftmaxBuffered(const EdgeSoftmaxArgs& a, int64_t b, int64_t e, float* buf) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const CsrView& g = a.graph;
  const int64_t heads = a.heads;
  const int64_t deg = e - b;
  const float kNegInf = -std::numeric_limits<float>::infinity();
  const Reg ninf = V::Set1(kNegInf);
  const Reg zero = V::Zero();
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t k = 0; k < deg; ++k) buf[k] = a.scores[EdgeId<V>(g, b + k) * heads + h];
    Reg mxv = ninf;
    for (int64_t k = 0; k < deg; k += W) {
      const typename V::Mask m = V::FirstN(deg - k);
      mxv = V::MaxNan(mxv, V::Select(m, V::LoadMasked(buf + k, m), ninf));
    }
    // Horizontal max, NaN-sticky, through the lanes.
    alignas(64) float lanes[W];
    V::Store(lanes, mxv);
    float mx = kNegInf;
    for (int l = 0; l < W; ++l) mx = (mx != mx || lanes[l] != lanes[l]) ? lanes[l] + mx : (lanes[l] > mx ? lanes[l] : mx);
    const Reg mxb = V::Set1(mx);
    Reg sumv = zero;
    for (int64_t k = 0; k < deg; k += W) {
      const typename V::Mask m = V::FirstN(deg - k);
      const Reg s = V::LoadMasked(buf + k, m);
      const Reg ex = V::Select(V::Eq(s, ninf), zero, simd_math::Exp<V>(V::Sub(s, mxb)));
      V::StoreMasked(buf + k, ex, m);
      sumv = V::Add(sumv, V::Select(m, ex, zero));
    }
    V::Store(lanes, sumv);
    float sum = 0.0f;
    for (int l = 0; l < W; ++l) sum += lanes[l];
    const Reg sumb = V::Set1(sum);
    const bool empty = sum == 0.0f;  // every score -inf
    for (int64_t k = 0; k < deg; k += W) {
      const typename V::Mask m = V::FirstN(deg - k);
      V::StoreMasked(buf + k, empty ? zero : V::Div(V::LoadMasked(buf + k, m), sumb), m);
    }
    for (int64_t k = 0; k < deg; ++k) a.out[EdgeId<V>(g, b + k) * heads + h] = buf[k];
  }
}

template <class V>
void EdgeSoftmaxRows(const EdgeSoftmaxArgs& a, int64_t row_begin, int64_t row_end, float* buf) {
  const CsrView& g = a.graph;
  for (int64_t v = row_begin; v < row_end; ++v) {
    const int64_t b = RowBegin<V>(g, v);
    const int64_t e = RowBegin<V>(g, v + 1);
    if (b == e) continue;
    if (a.heads >= V::kWidth / 2) {
      EdgeSoftmaxHeadLanes<V>(a, b, e);
    } else {
      EdgeSoftmaxBuffered<V>(a, b, e, buf);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fused GAT aggregation. The task's output tile (NV vectors, the last partial when kTail) sits in
// registers; its columns span at most W heads, kept one per lane of the "head" vectors (scores,
// running max, running sum). Per edge: s = leaky(a_src[u] + a_dst[v] (+ e)); m' = max(m, s);
// the tile is rescaled by exp(m - m') and gains exp(s - m') x[u]; each head's factor reaches its
// columns through a lane permutation.

template <class V, int NV, bool kTail, bool kEdgeTerm>
void GatTile(const GatArgs& a, const GatTask& t) {
  using Reg = typename V::Reg;
  using Mask = typename V::Mask;
  constexpr int W = V::kWidth;
  constexpr int kLinesPerRow = (NV * W * 4 + 63) / 64;
  const CsrView& g = a.graph;
  const int64_t heads = a.heads;
  const int64_t f = a.head_width;
  const int64_t ldx = heads * f;
  const int64_t c0 = t.col_begin;
  const int64_t c1 = t.col_end;
  const int64_t h0 = c0 / f;
  const int64_t nh = (c1 - 1) / f - h0 + 1;
  const Mask hmask = V::FirstN(nh);
  const Mask tail = V::FirstN(c1 - c0 - (NV - 1) * W);
  // Lane -> head (relative to h0) for every column of the tile; lanes past c1 repeat the last.
  alignas(64) int32_t head_of[NV * W];
  for (int64_t k = 0; k < NV * W; ++k) {
    const int64_t c = c0 + k < c1 ? c0 + k : c1 - 1;
    head_of[k] = static_cast<int32_t>(c / f - h0);
  }
  // The attention of head h is written by the tile holding h's first column.
  const Mask attention_lanes = V::LaneRange((c0 + f - 1) / f - h0, (c1 - 1) / f - h0 + 1);
  const int pf = NV * W <= 16 ? 64 : NV * W <= 64 ? 32 : 16;
  const float* const xt = a.x + c0;
  const Reg ninf = V::Set1(-std::numeric_limits<float>::infinity());
  const Reg zero = V::Zero();
  const Reg one = V::Set1(1.0f);
  const Reg slope = V::Set1(a.negative_slope);
  const auto load = [&](const float* src, int i) -> Reg {
    return (kTail && i == NV - 1) ? V::LoadMasked(src + i * W, tail) : V::Load(src + i * W);
  };
  const auto score = [&](int64_t j, Reg adst) -> Reg {
    Reg s = V::Add(V::LoadMasked(a.a_src + static_cast<int64_t>(g.indices[j]) * heads + h0, hmask), adst);
    if constexpr (kEdgeTerm) s = V::Add(s, V::LoadMasked(a.edge_term + EdgeId<V>(g, j) * heads + h0, hmask));
    return V::Select(V::Gt(s, zero), s, V::Mul(slope, s));  // leaky relu; NaN stays NaN
  };

  for (int64_t v = t.row_begin; v < t.row_end; ++v) {
    const int64_t b = RowBegin<V>(g, v);
    const int64_t e = RowBegin<V>(g, v + 1);
    float* const dst = a.out + v * ldx + c0;
    Reg acc[NV];
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) acc[i] = zero;
    const Reg adst = V::LoadMasked(a.a_dst + v * heads + h0, hmask);
    Reg mx = ninf;
    Reg sum = zero;
    for (int64_t j = b; j < e; ++j) {
      if (j + pf < g.nnz) {
        const int64_t u = g.indices[j + pf];
        const float* ahead = xt + u * ldx;
#pragma GCC unroll 16
        for (int l = 0; l < kLinesPerRow; ++l) V::Prefetch(ahead + l * 16);
        V::Prefetch(a.a_src + u * heads + h0);  // the score's gather: one more random line per edge
      }
      const Reg s = score(j, adst);
      const Reg mnew = V::MaxNan(mx, s);
      const float* src = xt + static_cast<int64_t>(g.indices[j]) * ldx;
      if (V::Any(V::Ne(mnew, mx))) {  // some head's maximum moved (or turned NaN): rescale
        const Reg scale = V::Select(V::Eq(mnew, ninf), one, simd_math::Exp<V>(V::Sub(mx, mnew)));
        const Reg w = V::Select(V::Eq(s, ninf), zero, simd_math::Exp<V>(V::Sub(s, mnew)));
        sum = V::Fma(sum, scale, w);
        mx = mnew;
#pragma GCC unroll 16
        for (int i = 0; i < NV; ++i) {
          const typename V::Index lanes = V::LoadIndex(head_of + i * W);
          acc[i] = V::Fma(V::Permute(w, lanes), load(src, i), V::Mul(acc[i], V::Permute(scale, lanes)));
        }
      } else {  // the usual case once a few edges are in: no rescaling, one exp
        const Reg w = V::Select(V::Eq(s, ninf), zero, simd_math::Exp<V>(V::Sub(s, mx)));
        sum = V::Add(sum, w);
#pragma GCC unroll 16
        for (int i = 0; i < NV; ++i) {
          acc[i] = V::Fma(V::Permute(w, V::LoadIndex(head_of + i * W)), load(src, i), acc[i]);
        }
      }
    }
    const Mask empty = V::Eq(sum, zero);  // no in-edges, or every score -inf
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) {
      const typename V::Index lanes = V::LoadIndex(head_of + i * W);
      const Reg r = V::Div(acc[i], V::Permute(sum, lanes));
      const Reg out = V::Select(V::Eq(V::Permute(sum, lanes), zero), zero, r);
      if (kTail && i == NV - 1) V::StoreMasked(dst + i * W, out, tail); else V::Store(dst + i * W, out);
    }
    if (a.attention != nullptr) {
      for (int64_t j = b; j < e; ++j) {
        const Reg s = score(j, adst);
        const Reg num = V::Select(V::Eq(s, ninf), zero, simd_math::Exp<V>(V::Sub(s, mx)));
        V::StoreMasked(a.attention + EdgeId<V>(g, j) * heads + h0, V::Select(empty, zero, V::Div(num, sum)),
                       attention_lanes);
      }
    }
  }
}

using GatTileFn = void (*)(const GatArgs&, const GatTask&);

template <class V, int NV>
GatTileFn PickGatVariant(bool tail, bool edge_term) {
  if (tail) return edge_term ? &GatTile<V, NV, true, true> : &GatTile<V, NV, true, false>;
  return edge_term ? &GatTile<V, NV, false, true> : &GatTile<V, NV, false, false>;
}

template <class V, int... NVs>
GatTileFn PickGatTile(int nv, bool tail, bool edge_term, std::integer_sequence<int, NVs...> /*unused*/) {
  GatTileFn fn = nullptr;
  ((nv == NVs + 1 ? (fn = PickGatVariant<V, NVs + 1>(tail, edge_term), 0) : 0), ...);
  return fn;
}

template <class V, int kMaxVectors>
void GatTaskKernel(const GatArgs& a, const GatTask& t) {
  const int64_t cols = t.col_end - t.col_begin;
  const int nv = static_cast<int>((cols + V::kWidth - 1) / V::kWidth);
  PickGatTile<V>(nv, cols % V::kWidth != 0, a.edge_term != nullptr,
                 std::make_integer_sequence<int, kMaxVectors>())(a, t);
}

}  // namespace attention_impl
}  // namespace gnn
