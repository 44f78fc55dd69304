// The register-tiled SpMM row kernel, written once over a SIMD vector type V (avx2::Vec,
// avx512::Vec). Each ISA translation unit includes this header and instantiates it for its own V,
// so every symbol here depends on V and no code compiled for one ISA is shared with another.
//
// Cost model per row of a task with a tile of T columns: deg * (4 T bytes gathered from x + 4 bytes
// of index [+ 4 bytes of weight]) read, 4 T bytes written; deg * T fused multiply-adds (or max /
// min). The whole
// tile of the output row lives in registers while the row's edges stream by, so each gathered
// source row segment is read once and contiguously, and the output is written once. Source rows
// `prefetch_distance` edges ahead are prefetched (software prefetch across row boundaries), which
// keeps enough cache misses in flight for random gathers.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "spmm_task.h"

namespace gnn {
namespace simd_impl {

// Reducers: Init, Step(acc, message), and for max / min an exact NaN-sticky step. torch's amax /
// amin propagate NaN; vmaxps does not. The schedule scans the inputs once (a product of finite
// floats is never NaN): when they are all finite, max / min run the plain vmaxps step (kChecked =
// false). Otherwise every message is also FMA-ed as m * 0 into side chains, which turn NaN iff a
// message was NaN or infinite, and only such rows are recomputed with the sticky step. (The sticky
// step on the accumulator chain everywhere was 1.6x slower at F = 256; see BENCHMARKS.md.)
template <class V>
struct SumOp {
  using Reg = typename V::Reg;
  static constexpr bool kChecked = false;
  static Reg Init() { return V::Zero(); }
  static Reg Step(Reg acc, Reg m) { return V::Add(acc, m); }
  static Reg StepWeighted(Reg acc, Reg w, Reg v) { return V::Fma(w, v, acc); }
  static Reg Exact(Reg acc, Reg m) { return V::Add(acc, m); }
};

template <class V, bool kCheck>
struct MaxOp {
  using Reg = typename V::Reg;
  static constexpr bool kChecked = kCheck;
  static Reg Init() { return V::Set1(-std::numeric_limits<float>::infinity()); }
  static Reg Step(Reg acc, Reg m) { return V::MaxFast(acc, m); }
  static Reg StepWeighted(Reg acc, Reg w, Reg v) { return V::MaxFast(acc, V::Mul(w, v)); }
  static Reg Exact(Reg acc, Reg m) { return V::MaxNan(acc, m); }
};

template <class V, bool kCheck>
struct MinOp {
  using Reg = typename V::Reg;
  static constexpr bool kChecked = kCheck;
  static Reg Init() { return V::Set1(std::numeric_limits<float>::infinity()); }
  static Reg Step(Reg acc, Reg m) { return V::MinFast(acc, m); }
  static Reg StepWeighted(Reg acc, Reg w, Reg v) { return V::MinFast(acc, V::Mul(w, v)); }
  static Reg Exact(Reg acc, Reg m) { return V::MinNan(acc, m); }
};

// NV vectors per row tile; the last one is partial when kTail. kMean divides sums by the degree.
template <class V, int NV, bool kTail, class Op, bool kWeighted, bool kMean>
void TileRows(const SpmmArgs& a, const SpmmTask& t, int pf) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int kLinesPerRow = (NV * W * 4 + 63) / 64;
  const int64_t col0 = t.col_begin;
  const typename V::Mask tail = V::FirstN(t.col_end - col0 - (NV - 1) * W);
  const float* const x = a.x + col0;
  const int32_t* const idx = a.graph.indices;
  const int64_t nnz = a.graph.nnz;
  const int64_t ldx = a.ldx;
  const int64_t wstride = a.heads;
  const float* const wbase = a.weights + t.head;
  const int32_t* const wids = a.weight_ids;
  const bool misaligned = (reinterpret_cast<uintptr_t>(x) | static_cast<uintptr_t>(ldx * 4)) % 64 != 0;
  // A lambda, not CsrView::RowBegin: its type belongs to this instantiation, so no inline function
  // compiled with this ISA's flags can be picked by the linker for another translation unit.
  const auto* const ptr32 = static_cast<const int32_t*>(a.graph.indptr);
  const auto* const ptr64 = static_cast<const int64_t*>(a.graph.indptr);
  const bool wide = a.graph.indptr64;
  const auto row_begin = [=](int64_t r) -> int64_t { return wide ? ptr64[r] : ptr32[r]; };
  const auto load = [&](const float* src, int i) -> Reg {
    return (kTail && i == NV - 1) ? V::LoadMasked(src + i * W, tail) : V::Load(src + i * W);
  };
  const auto weight = [&](int64_t j) -> Reg {
    return V::Set1(wbase[(wids != nullptr ? static_cast<int64_t>(wids[j]) : j) * wstride]);
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
      constexpr int kChecks = NV < 4 ? NV : 4;  // independent chains: never the critical path
      Reg check[kChecks];
#pragma GCC unroll 4
      for (int k = 0; k < kChecks; ++k) check[k] = V::Zero();
      const Reg zero = V::Zero();
      for (int64_t j = b; j < e; ++j) {
        if (pf > 0 && j + pf < nnz) {
          const float* ahead = x + static_cast<int64_t>(idx[j + pf]) * ldx;
#pragma GCC unroll 16
          for (int l = 0; l < kLinesPerRow; ++l) V::Prefetch(ahead + l * 16);
          if (misaligned) V::Prefetch(ahead + NV * W - 1);  // the row straddles one more line
        }
        const float* src = x + static_cast<int64_t>(idx[j]) * ldx;
        if constexpr (Op::kChecked) {
          const Reg w = kWeighted ? weight(j) : V::Zero();
#pragma GCC unroll 16
          for (int i = 0; i < NV; ++i) {
            const Reg m = kWeighted ? V::Mul(w, load(src, i)) : load(src, i);
            acc[i] = Op::Step(acc[i], m);
            check[i % kChecks] = V::Fma(m, zero, check[i % kChecks]);
          }
        } else if constexpr (kWeighted) {
          const Reg w = weight(j);
#pragma GCC unroll 16
          for (int i = 0; i < NV; ++i) acc[i] = Op::StepWeighted(acc[i], w, load(src, i));
        } else {
#pragma GCC unroll 16
          for (int i = 0; i < NV; ++i) acc[i] = Op::Step(acc[i], load(src, i));
        }
      }
      if constexpr (Op::kChecked) {
        bool suspicious = false;
#pragma GCC unroll 4
        for (int k = 0; k < kChecks; ++k) suspicious |= V::AnyNan(check[k]);
        if (suspicious) {  // a NaN or an infinity went by: redo the row with the sticky step
#pragma GCC unroll 16
          for (int i = 0; i < NV; ++i) acc[i] = Op::Init();
          for (int64_t j = b; j < e; ++j) {
            const float* src = x + static_cast<int64_t>(idx[j]) * ldx;
            const Reg w = kWeighted ? weight(j) : V::Zero();
#pragma GCC unroll 16
            for (int i = 0; i < NV; ++i) acc[i] = Op::Exact(acc[i], kWeighted ? V::Mul(w, load(src, i)) : load(src, i));
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

// Sum / mean with per-head weights over a tile of whole heads (SpmmTask::head_lanes): each edge's
// head weights load as one vector (a lane per head) and reach each column through a permutation.
template <class V, int NV, bool kTail, bool kMean>
void TileRowsHeadLanes(const SpmmArgs& a, const SpmmTask& t, int pf) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  constexpr int kLinesPerRow = (NV * W * 4 + 63) / 64;
  const int64_t col0 = t.col_begin;
  const int64_t f = a.width / a.heads;
  const int64_t h0 = t.head;
  const typename V::Mask hmask = V::FirstN((t.col_end - col0) / f);
  const typename V::Mask tail = V::FirstN(t.col_end - col0 - (NV - 1) * W);
  alignas(64) int32_t head_of[NV * W];
  for (int64_t k = 0; k < NV * W; ++k) {
    const int64_t c = col0 + k < t.col_end ? col0 + k : t.col_end - 1;
    head_of[k] = static_cast<int32_t>(c / f - h0);
  }
  const float* const x = a.x + col0;
  const int32_t* const idx = a.graph.indices;
  const int64_t nnz = a.graph.nnz;
  const int64_t ldx = a.ldx;
  const int64_t heads = a.heads;
  const float* const wbase = a.weights + h0;
  const int32_t* const wids = a.weight_ids;
  const bool misaligned = (reinterpret_cast<uintptr_t>(x) | static_cast<uintptr_t>(ldx * 4)) % 64 != 0;
  const auto* const ptr32 = static_cast<const int32_t*>(a.graph.indptr);
  const auto* const ptr64 = static_cast<const int64_t*>(a.graph.indptr);
  const bool wide = a.graph.indptr64;
  const auto row_begin = [=](int64_t r) -> int64_t { return wide ? ptr64[r] : ptr32[r]; };
  for (int64_t row = t.row_begin; row < t.row_end; ++row) {
    const int64_t b = row_begin(row);
    const int64_t e = row_begin(row + 1);
    float* const dst = a.out + row * a.ldo + col0;
    Reg acc[NV];
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) acc[i] = V::Zero();
    for (int64_t j = b; j < e; ++j) {
      if (pf > 0 && j + pf < nnz) {
        const float* ahead = x + static_cast<int64_t>(idx[j + pf]) * ldx;
#pragma GCC unroll 16
        for (int l = 0; l < kLinesPerRow; ++l) V::Prefetch(ahead + l * 16);
        if (misaligned) V::Prefetch(ahead + NV * W - 1);
      }
      const float* src = x + static_cast<int64_t>(idx[j]) * ldx;
      const Reg w = V::LoadMasked(wbase + (wids != nullptr ? static_cast<int64_t>(wids[j]) : j) * heads, hmask);
#pragma GCC unroll 16
      for (int i = 0; i < NV; ++i) {
        const Reg v = (kTail && i == NV - 1) ? V::LoadMasked(src + i * W, tail) : V::Load(src + i * W);
        acc[i] = V::Fma(V::Permute(w, V::LoadIndex(head_of + i * W)), v, acc[i]);
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

using TileFn = void (*)(const SpmmArgs&, const SpmmTask&, int);

// Table of every (vectors, tail, reduce, weighted) instantiation, indexed at run time.
template <class V, int NV, bool kTail, bool kWeighted>
constexpr TileFn PickReduce(Reduce reduce, bool checked) {
  switch (reduce) {
    case Reduce::kSum: return &TileRows<V, NV, kTail, SumOp<V>, kWeighted, false>;
    case Reduce::kMean: return &TileRows<V, NV, kTail, SumOp<V>, kWeighted, true>;
    case Reduce::kMax:
      return checked ? &TileRows<V, NV, kTail, MaxOp<V, true>, kWeighted, false>
                     : &TileRows<V, NV, kTail, MaxOp<V, false>, kWeighted, false>;
    case Reduce::kMin: break;
  }
  return checked ? &TileRows<V, NV, kTail, MinOp<V, true>, kWeighted, false>
                 : &TileRows<V, NV, kTail, MinOp<V, false>, kWeighted, false>;
}

template <class V, int NV>
TileFn PickVariant(bool tail, bool weighted, Reduce reduce, bool checked, bool head_lanes) {
  if (head_lanes) {  // sum or mean with per-head weights (the schedule guarantees it)
    const bool mean = reduce == Reduce::kMean;
    if (tail) return mean ? &TileRowsHeadLanes<V, NV, true, true> : &TileRowsHeadLanes<V, NV, true, false>;
    return mean ? &TileRowsHeadLanes<V, NV, false, true> : &TileRowsHeadLanes<V, NV, false, false>;
  }
  if (tail) {
    return weighted ? PickReduce<V, NV, true, true>(reduce, checked) : PickReduce<V, NV, true, false>(reduce, checked);
  }
  return weighted ? PickReduce<V, NV, false, true>(reduce, checked) : PickReduce<V, NV, false, false>(reduce, checked);
}

template <class V, int... NVs>
TileFn PickTile(int nv, bool tail, bool weighted, Reduce reduce, bool checked, bool head_lanes,
                std::integer_sequence<int, NVs...> /*unused*/) {
  TileFn fn = nullptr;
  // Expands to one comparison per vector count; the matching one selects its instantiation.
  ((nv == NVs + 1 ? (fn = PickVariant<V, NVs + 1>(tail, weighted, reduce, checked, head_lanes), 0) : 0), ...);
  return fn;
}

template <class V, int kMaxVectors>
void RunTask(const SpmmArgs& a, const SpmmTask& t, int pf) {
  const int64_t cols = t.col_end - t.col_begin;
  const int nv = static_cast<int>((cols + V::kWidth - 1) / V::kWidth);
  const bool tail = cols % V::kWidth != 0;
  TileFn fn = PickTile<V>(nv, tail, a.weights != nullptr, a.reduce, t.checked, t.head_lanes,
                          std::make_integer_sequence<int, kMaxVectors>());
  fn(a, t, pf);
}

}  // namespace simd_impl
}  // namespace gnn
