// The normalisation kernels written once over a vector type V; each ISA translation unit
// instantiates them for its own V (norm_{scalar,avx2,avx512}.cc). Everything here is a template on
// V, so no code compiled with one ISA's flags is shared with another's (see spmm_simd_impl.h).
//
// Loops handle four vectors per step and finish a row with one masked vector. Sums keep four
// partial vectors combined in a fixed order, so a row's result depends only on the row.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "norm.h"

namespace gnn {
namespace norm_impl {

// ---- column affine -----------------------------------------------------------------------------

// The three cases are three loops, so a missing scale or shift costs neither a load nor a flop.
enum class Affine : int { kScaleShift, kScale, kShift };

template <class V, Affine kKind>
inline typename V::Reg AffineOf(typename V::Reg x, typename V::Reg s, typename V::Reg t) {
  if constexpr (kKind == Affine::kScaleShift) return V::Fma(x, s, t);
  if constexpr (kKind == Affine::kScale) return V::Mul(x, s);
  return V::Add(x, t);
}

template <class V, Affine kKind>
void AffineRowsOf(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg zero = V::Zero();
  // Loads of the operand a kind does not use read scale or shift only when present.
  const auto s_at = [&](int64_t j) { return kKind == Affine::kShift ? zero : V::Load(scale + j); };
  const auto t_at = [&](int64_t j) { return kKind == Affine::kScale ? zero : V::Load(shift + j); };
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    float* o = out + r * width;
    int64_t j = 0;
    for (; j + 4 * W <= width; j += 4 * W) {
      const Reg r0 = AffineOf<V, kKind>(V::Load(xr + j), s_at(j), t_at(j));
      const Reg r1 = AffineOf<V, kKind>(V::Load(xr + j + W), s_at(j + W), t_at(j + W));
      const Reg r2 = AffineOf<V, kKind>(V::Load(xr + j + 2 * W), s_at(j + 2 * W), t_at(j + 2 * W));
      const Reg r3 = AffineOf<V, kKind>(V::Load(xr + j + 3 * W), s_at(j + 3 * W), t_at(j + 3 * W));
      V::Store(o + j, r0);
      V::Store(o + j + W, r1);
      V::Store(o + j + 2 * W, r2);
      V::Store(o + j + 3 * W, r3);
    }
    for (; j < width; j += W) {
      const typename V::Mask m = V::FirstN(width - j);
      const Reg s = kKind == Affine::kShift ? zero : V::LoadMasked(scale + j, m);
      const Reg t = kKind == Affine::kScale ? zero : V::LoadMasked(shift + j, m);
      V::StoreMasked(o + j, AffineOf<V, kKind>(V::LoadMasked(xr + j, m), s, t), m);
    }
  }
}

template <class V>
inline void CopyRows(const float* x, float* out, int64_t n) {
  constexpr int W = V::kWidth;
  if (x == out) return;
  int64_t j = 0;
  for (; j + W <= n; j += W) V::Store(out + j, V::Load(x + j));
  if (j < n) {
    const typename V::Mask m = V::FirstN(n - j);
    V::StoreMasked(out + j, V::LoadMasked(x + j, m), m);
  }
}

template <class V>
void AffineRows(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width) {
  if (scale != nullptr && shift != nullptr) {
    AffineRowsOf<V, Affine::kScaleShift>(x, scale, shift, out, rows, width);
  } else if (scale != nullptr) {
    AffineRowsOf<V, Affine::kScale>(x, scale, shift, out, rows, width);
  } else if (shift != nullptr) {
    AffineRowsOf<V, Affine::kShift>(x, scale, shift, out, rows, width);
  } else {
    CopyRows<V>(x, out, rows * width);
  }
}

// ---- row statistics ----------------------------------------------------------------------------

// Σ (x − pivot): four partial vectors, then a fixed pairwise order and the horizontal sum.
template <class V>
float ShiftedSum(const float* x, int64_t n, float pivot) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg p = V::Set1(pivot);
  Reg s0 = V::Zero(), s1 = V::Zero(), s2 = V::Zero(), s3 = V::Zero();
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    s0 = V::Add(s0, V::Sub(V::Load(x + j), p));
    s1 = V::Add(s1, V::Sub(V::Load(x + j + W), p));
    s2 = V::Add(s2, V::Sub(V::Load(x + j + 2 * W), p));
    s3 = V::Add(s3, V::Sub(V::Load(x + j + 3 * W), p));
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    s0 = V::Add(s0, V::Select(m, V::Sub(V::LoadMasked(x + j, m), p), V::Zero()));
  }
  return V::ReduceAdd(V::Add(V::Add(s0, s1), V::Add(s2, s3)));
}

// Σ (x − hi) and Σ (x − hi)², each as ShiftedSum.
template <class V>
void CentredSums(const float* x, int64_t n, float hi, float* sum, float* sum_sq) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg h = V::Set1(hi);
  Reg s0 = V::Zero(), s1 = V::Zero(), q0 = V::Zero(), q1 = V::Zero();
  int64_t j = 0;
  for (; j + 2 * W <= n; j += 2 * W) {
    const Reg d0 = V::Sub(V::Load(x + j), h);
    const Reg d1 = V::Sub(V::Load(x + j + W), h);
    s0 = V::Add(s0, d0);
    s1 = V::Add(s1, d1);
    q0 = V::Fma(d0, d0, q0);
    q1 = V::Fma(d1, d1, q1);
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    const Reg d = V::Select(m, V::Sub(V::LoadMasked(x + j, m), h), V::Zero());
    s0 = V::Add(s0, d);
    q0 = V::Fma(d, d, q0);
  }
  *sum = V::ReduceAdd(V::Add(s0, s1));
  *sum_sq = V::ReduceAdd(V::Add(q0, q1));
}

// The write pass: t = ((x − hi) − lo) · rstd, y = fma(t, weight, bias) (or t·weight, t + bias, t).
template <class V, bool kWeight, bool kBias>
void NormalizeOf(const float* x, int64_t n, RowStats st, const float* weight, const float* bias, float* out) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg hi = V::Set1(st.hi);
  const Reg lo = V::Set1(st.lo);
  const Reg rstd = V::Set1(st.rstd);
  const auto one = [&](Reg xv, Reg w, Reg b) {
    const Reg t = V::Mul(V::Sub(V::Sub(xv, hi), lo), rstd);
    if constexpr (kWeight && kBias) return V::Fma(t, w, b);
    if constexpr (kWeight) return V::Mul(t, w);
    if constexpr (kBias) return V::Add(t, b);
    return t;
  };
  const Reg zero = V::Zero();
  int64_t j = 0;
  for (; j + 2 * W <= n; j += 2 * W) {
    const Reg r0 = one(V::Load(x + j), kWeight ? V::Load(weight + j) : zero, kBias ? V::Load(bias + j) : zero);
    const Reg r1 = one(V::Load(x + j + W), kWeight ? V::Load(weight + j + W) : zero,
                       kBias ? V::Load(bias + j + W) : zero);
    V::Store(out + j, r0);
    V::Store(out + j + W, r1);
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    const Reg w = kWeight ? V::LoadMasked(weight + j, m) : zero;
    const Reg b = kBias ? V::LoadMasked(bias + j, m) : zero;
    V::StoreMasked(out + j, one(V::LoadMasked(x + j, m), w, b), m);
  }
}

template <class V>
void Normalize(const float* x, int64_t n, RowStats st, const float* weight, const float* bias, float* out) {
  if (weight != nullptr && bias != nullptr) {
    NormalizeOf<V, true, true>(x, n, st, weight, bias, out);
  } else if (weight != nullptr) {
    NormalizeOf<V, true, false>(x, n, st, weight, bias, out);
  } else if (bias != nullptr) {
    NormalizeOf<V, false, true>(x, n, st, weight, bias, out);
  } else {
    NormalizeOf<V, false, false>(x, n, st, weight, bias, out);
  }
}

// mean = pivot + Σ(x − pivot)/n in double; hi = float(mean); then the centred sums give
// lo = Σ(x − hi)/n and var = Σ(x − hi)²/n − lo², both in double from float32 partial sums.
template <class V>
RowStats RowStatsOf(const float* x, int64_t n, float eps) {
  const float pivot = x[0];
  const double mean = static_cast<double>(pivot) + static_cast<double>(ShiftedSum<V>(x, n, pivot)) / n;
  const float hi = static_cast<float>(mean);
  float sum = 0.0f;
  float sum_sq = 0.0f;
  CentredSums<V>(x, n, hi, &sum, &sum_sq);
  const double lo = static_cast<double>(sum) / n;
  const double var = std::max(0.0, static_cast<double>(sum_sq) / n - lo * lo);
  return RowStats{hi, static_cast<float>(lo), static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)))};
}

template <class V>
void LayerNormRows(const float* x, const float* weight, const float* bias, float* out, int64_t rows, int64_t width,
                   float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    Normalize<V>(xr, width, RowStatsOf<V>(xr, width, eps), weight, bias, out + r * width);
  }
}

template <class V>
constexpr NormKernels MakeNormKernels() {
  return NormKernels{&AffineRows<V>, &LayerNormRows<V>, &ShiftedSum<V>, &CentredSums<V>, &Normalize<V>};
}

}  // namespace norm_impl
}  // namespace gnn
