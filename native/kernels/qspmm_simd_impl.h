// The register-tiled row kernel of the int8-feature SpMM, written once over a float vector type V
// (avx2::Vec, avx512::Vec) and a code loader Q that widens V::kWidth int8 codes to floats
// (sign-extend to int32, convert: vpmovsxbd + vcvtdq2ps). Each ISA translation unit instantiates
// it with its own V and Q, so no code compiled for one ISA is shared with another.
//
// Per edge j (u -> row): c = w[j, head] * scale[u] once (a scalar, or a vector of head weights in
// the head-lanes form), then acc += c * float(q[u, tile]) (one FMA per vector). The output tile
// stays in registers across the row's edges; source code rows `prefetch_distance` edges ahead are
// prefetched, and so are weights given in the caller's edge order (weights[weight_ids[j]], a random
// gather whose miss would otherwise stall the FMA chain: 0.9-1.2x -> 1.7-2.2x vs fp32 on R-MAT 18).
// Reducers are spmm_simd_impl.h's. Max / min: codes are finite, so a message is NaN only if its c
// is NaN or infinite (inf * 0); a scalar probe (probe += c * 0) turns NaN exactly then, and only
// such rows are redone with the NaN-sticky step.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "qspmm.h"
#include "spmm_simd_impl.h"

namespace gnn {
namespace qspmm_impl {

using simd_impl::MaxOp;
using simd_impl::MinOp;
using simd_impl::SumOp;

// indptr[r] for int32 or int64 indptr. A template over V (unused otherwise) so that each ISA's
// translation unit gets its own symbol and the linker cannot pick one compiled with other flags.
template <class V>
struct RowAccess {
  const void* indptr;
  bool wide;
  int64_t operator()(int64_t r) const {
    return wide ? static_cast<const int64_t*>(indptr)[r] : static_cast<const int32_t*>(indptr)[r];
  }
};

template <class V, class Q, int NV, bool kTail, class Op, bool kWeighted, bool kMean>
void TileRows(const QSpmmArgs& a, const SpmmTask& t, int pf) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int kLinesPerRow = (NV * W + 63) / 64;
  constexpr bool kWatch = !std::is_same_v<Op, SumOp<V>>;
  const int64_t col0 = t.col_begin;
  const int64_t tail_n = t.col_end - col0 - (NV - 1) * W;
  const typename Q::Tail qtail = Q::MakeTail(tail_n);
  const typename V::Mask tail = V::FirstN(tail_n);
  const int8_t* const q = a.q + col0;
  const int32_t* const idx = a.graph.indices;
  const int64_t nnz = a.graph.nnz;
  const int64_t ldq = a.ldq;
  const float* const scale = a.scale;
  const int64_t ss = a.scale_stride;
  const int64_t wstride = a.heads;
  const float* const wbase = a.weights + t.head;
  const int32_t* const wids = a.weight_ids;
  const bool misaligned = (reinterpret_cast<uintptr_t>(q) | static_cast<uintptr_t>(ldq)) % 64 != 0;
  const RowAccess<V> row_begin{a.graph.indptr, a.graph.indptr64};
  const auto load = [&](const int8_t* src, int i) -> Reg {
    return (kTail && i == NV - 1) ? Q::LoadTail(src + i * W, qtail) : Q::Load(src + i * W);
  };
  const auto coef = [&](int64_t j, int64_t u) -> float {
    const float s = scale[u * ss];
    if constexpr (kWeighted) {
      return wbase[(wids != nullptr ? static_cast<int64_t>(wids[j]) : j) * wstride] * s;
    } else {
      return s;
    }
  };

  for (int64_t row = t.row_begin; row < t.row_end; ++row) {
    const int64_t b = row_begin(row);
    const int64_t e = row_begin(row + 1);
    float* const dst = a.out + row * a.ldo + col0;
    Reg acc[NV];
    if (b == e) {
#pragma GCC unroll 16
      for (int i = 0; i < NV; ++i) acc[i] = V::Zero();
    } else {
#pragma GCC unroll 16
      for (int i = 0; i < NV; ++i) acc[i] = Op::Init();
      float probe = 0.0f;
      int64_t j0 = b;
      if constexpr (!kWatch && NV <= 2) {
        // One or two vectors per edge: the FMA chain's latency (plus the scale load feeding it),
        // not throughput, bounds the loop; a second accumulator set over alternate edges halves
        // the chain (F = 16 in cache: 0.31 -> 0.23 ms on R-MAT 13). Still one fixed order per
        // row, so results stay independent of the thread count.
        Reg acc2[NV];
#pragma GCC unroll 16
        for (int i = 0; i < NV; ++i) acc2[i] = V::Zero();
        for (; j0 + 1 < e; j0 += 2) {
          if (pf > 0 && j0 + 1 + pf < nnz) {
            const int8_t* a0 = q + static_cast<int64_t>(idx[j0 + pf]) * ldq;
            const int8_t* a1 = q + static_cast<int64_t>(idx[j0 + 1 + pf]) * ldq;
#pragma GCC unroll 16
            for (int l = 0; l < kLinesPerRow; ++l) { V::Prefetch(a0 + l * 64); V::Prefetch(a1 + l * 64); }
            if (misaligned) { V::Prefetch(a0 + NV * W - 1); V::Prefetch(a1 + NV * W - 1); }
            if (kWeighted && wids != nullptr) {
              V::Prefetch(wbase + static_cast<int64_t>(wids[j0 + pf]) * wstride);
              V::Prefetch(wbase + static_cast<int64_t>(wids[j0 + 1 + pf]) * wstride);
            }
          }
          const int64_t u0 = idx[j0];
          const int64_t u1 = idx[j0 + 1];
          const Reg c0 = V::Set1(coef(j0, u0));
          const Reg c1 = V::Set1(coef(j0 + 1, u1));
          const int8_t* s0 = q + u0 * ldq;
          const int8_t* s1 = q + u1 * ldq;
#pragma GCC unroll 16
          for (int i = 0; i < NV; ++i) {
            acc[i] = Op::StepWeighted(acc[i], c0, load(s0, i));
            acc2[i] = Op::StepWeighted(acc2[i], c1, load(s1, i));
          }
        }
#pragma GCC unroll 16
        for (int i = 0; i < NV; ++i) acc[i] = V::Add(acc[i], acc2[i]);
      }
      for (int64_t j = j0; j < e; ++j) {
        if (pf > 0 && j + pf < nnz) {
          const int8_t* ahead = q + static_cast<int64_t>(idx[j + pf]) * ldq;
#pragma GCC unroll 16
          for (int l = 0; l < kLinesPerRow; ++l) V::Prefetch(ahead + l * 64);
          if (misaligned) V::Prefetch(ahead + NV * W - 1);  // the row straddles one more line
          // Weights in the caller's edge order are a random gather too, on the FMA chain's path.
          if (kWeighted && wids != nullptr) V::Prefetch(wbase + static_cast<int64_t>(wids[j + pf]) * wstride);
        }
        const int64_t u = idx[j];
        const float c = coef(j, u);
        if constexpr (kWatch) probe += c * 0.0f;
        const Reg cv = V::Set1(c);
        const int8_t* src = q + u * ldq;
#pragma GCC unroll 16
        for (int i = 0; i < NV; ++i) acc[i] = Op::StepWeighted(acc[i], cv, load(src, i));
      }
      if constexpr (kWatch) {
        if (std::isnan(probe)) {  // some coefficient was NaN or infinite: redo with the sticky step
#pragma GCC unroll 16
          for (int i = 0; i < NV; ++i) acc[i] = Op::Init();
          for (int64_t j = b; j < e; ++j) {
            const int64_t u = idx[j];
            const Reg cv = V::Set1(coef(j, u));
            const int8_t* src = q + u * ldq;
#pragma GCC unroll 16
            for (int i = 0; i < NV; ++i) acc[i] = Op::Exact(acc[i], V::Mul(cv, load(src, i)));
          }
        }
      }
      if constexpr (kMean) {
        const Reg deg = V::Set1(static_cast<float>(e - b));
#pragma GCC unroll 16
        for (int i = 0; i < NV; ++i) acc[i] = V::Div(acc[i], deg);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) {
      if (kTail && i == NV - 1) {
        V::StoreMasked(dst + i * W, acc[i], tail);
      } else {
        V::Store(dst + i * W, acc[i]);
      }
    }
  }
}

// Sum / mean with per-head weights over a tile of whole heads (SpmmTask::head_lanes): the edge's
// head weights load as one vector, times scale[u] gives a vector of coefficients (lane h = the
// scalar form's c for head h, bit for bit), carried to each column by a lane permutation.
template <class V, class Q, int NV, bool kTail, bool kMean>
void TileRowsHeadLanes(const QSpmmArgs& a, const SpmmTask& t, int pf) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int kLinesPerRow = (NV * W + 63) / 64;
  const int64_t col0 = t.col_begin;
  const int64_t f = a.width / a.heads;
  const int64_t h0 = t.head;
  const typename V::Mask hmask = V::FirstN((t.col_end - col0) / f);
  const int64_t tail_n = t.col_end - col0 - (NV - 1) * W;
  const typename Q::Tail qtail = Q::MakeTail(tail_n);
  const typename V::Mask tail = V::FirstN(tail_n);
  alignas(64) int32_t head_of[NV * W];
  for (int64_t k = 0; k < NV * W; ++k) {
    const int64_t c = col0 + k < t.col_end ? col0 + k : t.col_end - 1;
    head_of[k] = static_cast<int32_t>(c / f - h0);
  }
  const int8_t* const q = a.q + col0;
  const int32_t* const idx = a.graph.indices;
  const int64_t nnz = a.graph.nnz;
  const int64_t ldq = a.ldq;
  const float* const scale = a.scale;
  const int64_t ss = a.scale_stride;
  const int64_t heads = a.heads;
  const float* const wbase = a.weights + h0;
  const int32_t* const wids = a.weight_ids;
  const bool misaligned = (reinterpret_cast<uintptr_t>(q) | static_cast<uintptr_t>(ldq)) % 64 != 0;
  const RowAccess<V> row_begin{a.graph.indptr, a.graph.indptr64};
  for (int64_t row = t.row_begin; row < t.row_end; ++row) {
    const int64_t b = row_begin(row);
    const int64_t e = row_begin(row + 1);
    float* const dst = a.out + row * a.ldo + col0;
    Reg acc[NV];
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) acc[i] = V::Zero();
    for (int64_t j = b; j < e; ++j) {
      if (pf > 0 && j + pf < nnz) {
        const int8_t* ahead = q + static_cast<int64_t>(idx[j + pf]) * ldq;
#pragma GCC unroll 16
        for (int l = 0; l < kLinesPerRow; ++l) V::Prefetch(ahead + l * 64);
        if (misaligned) V::Prefetch(ahead + NV * W - 1);
        if (wids != nullptr) V::Prefetch(wbase + static_cast<int64_t>(wids[j + pf]) * heads);
      }
      const int64_t u = idx[j];
      const int8_t* src = q + u * ldq;
      const Reg w = V::LoadMasked(wbase + (wids != nullptr ? static_cast<int64_t>(wids[j]) : j) * heads, hmask);
      const Reg cv = V::Mul(w, V::Set1(scale[u * ss]));
#pragma GCC unroll 16
      for (int i = 0; i < NV; ++i) {
        const Reg v = (kTail && i == NV - 1) ? Q::LoadTail(src + i * W, qtail) : Q::Load(src + i * W);
        acc[i] = V::Fma(V::Permute(cv, V::LoadIndex(head_of + i * W)), v, acc[i]);
      }
    }
    if (kMean && e > b) {
      const Reg deg = V::Set1(static_cast<float>(e - b));
#pragma GCC unroll 16
      for (int i = 0; i < NV; ++i) acc[i] = V::Div(acc[i], deg);
    }
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) {
      if (kTail && i == NV - 1) V::StoreMasked(dst + i * W, acc[i], tail); else V::Store(dst + i * W, acc[i]);
    }
  }
}

using TileFn = void (*)(const QSpmmArgs&, const SpmmTask&, int);

template <class V, class Q, int NV, bool kTail, bool kWeighted>
constexpr TileFn PickReduce(Reduce reduce) {
  switch (reduce) {
    case Reduce::kSum: return &TileRows<V, Q, NV, kTail, SumOp<V>, kWeighted, false>;
    case Reduce::kMean: return &TileRows<V, Q, NV, kTail, SumOp<V>, kWeighted, true>;
    case Reduce::kMax: return &TileRows<V, Q, NV, kTail, MaxOp<V, false>, kWeighted, false>;
    case Reduce::kMin: break;
  }
  return &TileRows<V, Q, NV, kTail, MinOp<V, false>, kWeighted, false>;
}

template <class V, class Q, int NV>
TileFn PickVariant(bool tail, bool weighted, Reduce reduce, bool head_lanes) {
  if (head_lanes) {  // sum or mean with per-head weights (the schedule guarantees it)
    const bool mean = reduce == Reduce::kMean;
    if (tail) return mean ? &TileRowsHeadLanes<V, Q, NV, true, true> : &TileRowsHeadLanes<V, Q, NV, true, false>;
    return mean ? &TileRowsHeadLanes<V, Q, NV, false, true> : &TileRowsHeadLanes<V, Q, NV, false, false>;
  }
  if (tail) return weighted ? PickReduce<V, Q, NV, true, true>(reduce) : PickReduce<V, Q, NV, true, false>(reduce);
  return weighted ? PickReduce<V, Q, NV, false, true>(reduce) : PickReduce<V, Q, NV, false, false>(reduce);
}

template <class V, class Q, int... NVs>
TileFn PickTile(int nv, bool tail, bool weighted, Reduce reduce, bool head_lanes,
                std::integer_sequence<int, NVs...> /*unused*/) {
  TileFn fn = nullptr;
  ((nv == NVs + 1 ? (fn = PickVariant<V, Q, NVs + 1>(tail, weighted, reduce, head_lanes), 0) : 0), ...);
  return fn;
}

template <class V, class Q, int kMaxVectors>
void RunTask(const QSpmmArgs& a, const SpmmTask& t, int pf) {
  const int64_t cols = t.col_end - t.col_begin;
  const int nv = static_cast<int>((cols + V::kWidth - 1) / V::kWidth);
  const bool tail = cols % V::kWidth != 0;
  TileFn fn = PickTile<V, Q>(nv, tail, a.weights != nullptr, a.reduce, t.head_lanes,
                             std::make_integer_sequence<int, kMaxVectors>());
  fn(a, t, pf);
}

}  // namespace qspmm_impl
}  // namespace gnn
