// The row-op kernels written once over a vector type V; each ISA translation unit instantiates
// them for its own V (rowops_{scalar,avx2,avx512}.cc). Everything here is a template on V, so no
// code compiled with one ISA's flags is shared with another's (see spmm_simd_impl.h).
//
// Loops handle four vectors per step (independent loads and stores keep the load/store units
// busy) and finish a row with one masked vector, so no width needs a scalar tail.
#pragma once

#include <cmath>
#include <cstdint>

#include "rowops.h"
#include "simd_math.h"

namespace gnn {
namespace rowops_impl {

template <class V>
inline void CopyRow(const float* src, float* dst, int64_t n) {
  constexpr int W = V::kWidth;
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    const typename V::Reg r0 = V::Load(src + j);
    const typename V::Reg r1 = V::Load(src + j + W);
    const typename V::Reg r2 = V::Load(src + j + 2 * W);
    const typename V::Reg r3 = V::Load(src + j + 3 * W);
    V::Store(dst + j, r0);
    V::Store(dst + j + W, r1);
    V::Store(dst + j + 2 * W, r2);
    V::Store(dst + j + 3 * W, r3);
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    V::StoreMasked(dst + j, V::LoadMasked(src + j, m), m);
  }
}

// dst = fma(alpha, src, dst): index_add_'s update, one rounding per element.
template <class V>
inline void AxpyRow(typename V::Reg alpha, const float* src, float* dst, int64_t n) {
  constexpr int W = V::kWidth;
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    const typename V::Reg r0 = V::Fma(alpha, V::Load(src + j), V::Load(dst + j));
    const typename V::Reg r1 = V::Fma(alpha, V::Load(src + j + W), V::Load(dst + j + W));
    const typename V::Reg r2 = V::Fma(alpha, V::Load(src + j + 2 * W), V::Load(dst + j + 2 * W));
    const typename V::Reg r3 = V::Fma(alpha, V::Load(src + j + 3 * W), V::Load(dst + j + 3 * W));
    V::Store(dst + j, r0);
    V::Store(dst + j + W, r1);
    V::Store(dst + j + 2 * W, r2);
    V::Store(dst + j + 3 * W, r3);
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    V::StoreMasked(dst + j, V::Fma(alpha, V::LoadMasked(src + j, m), V::LoadMasked(dst + j, m)), m);
  }
}

// ---- add / scale -------------------------------------------------------------------------------

// out = fma(alpha, b, beta·a). beta·a is exact for beta == 1, so that case rounds once.
template <class V>
void AddRows(const float* a, const float* b, float* out, int64_t rows, int64_t width, int64_t b_row_stride,
             float alpha, float beta) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg va = V::Set1(alpha);
  const Reg vb = V::Set1(beta);
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * width;
    const float* br = b + r * b_row_stride;
    float* o = out + r * width;
    int64_t j = 0;
    for (; j + 4 * W <= width; j += 4 * W) {
      const Reg r0 = V::Fma(va, V::Load(br + j), V::Mul(vb, V::Load(ar + j)));
      const Reg r1 = V::Fma(va, V::Load(br + j + W), V::Mul(vb, V::Load(ar + j + W)));
      const Reg r2 = V::Fma(va, V::Load(br + j + 2 * W), V::Mul(vb, V::Load(ar + j + 2 * W)));
      const Reg r3 = V::Fma(va, V::Load(br + j + 3 * W), V::Mul(vb, V::Load(ar + j + 3 * W)));
      V::Store(o + j, r0);
      V::Store(o + j + W, r1);
      V::Store(o + j + 2 * W, r2);
      V::Store(o + j + 3 * W, r3);
    }
    for (; j < width; j += W) {
      const typename V::Mask m = V::FirstN(width - j);
      V::StoreMasked(o + j, V::Fma(va, V::LoadMasked(br + j, m), V::Mul(vb, V::LoadMasked(ar + j, m))), m);
    }
  }
}

template <class V>
void ScaleRows(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t width) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  for (int64_t r = 0; r < rows; ++r) {
    const Reg s = V::Set1(row_scale != nullptr ? row_scale[r] : scale);
    const float* xr = x + r * width;
    float* o = out + r * width;
    int64_t j = 0;
    for (; j + 4 * W <= width; j += 4 * W) {
      const Reg r0 = V::Mul(s, V::Load(xr + j));
      const Reg r1 = V::Mul(s, V::Load(xr + j + W));
      const Reg r2 = V::Mul(s, V::Load(xr + j + 2 * W));
      const Reg r3 = V::Mul(s, V::Load(xr + j + 3 * W));
      V::Store(o + j, r0);
      V::Store(o + j + W, r1);
      V::Store(o + j + 2 * W, r2);
      V::Store(o + j + 3 * W, r3);
    }
    for (; j < width; j += W) {
      const typename V::Mask m = V::FirstN(width - j);
      V::StoreMasked(o + j, V::Mul(s, V::LoadMasked(xr + j, m)), m);
    }
  }
}

// ---- softmax -----------------------------------------------------------------------------------

// max over a row. NaN need not propagate here (plain vmaxps may drop it): a NaN element makes its
// exp(x − m) NaN, so the sum and with it the whole row are NaN whatever m is, as in torch.
template <class V>
inline float RowMax(const float* x, int64_t n) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg neg_inf = V::Set1(-INFINITY);
  Reg m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    m0 = V::MaxFast(m0, V::Load(x + j));
    m1 = V::MaxFast(m1, V::Load(x + j + W));
    m2 = V::MaxFast(m2, V::Load(x + j + 2 * W));
    m3 = V::MaxFast(m3, V::Load(x + j + 3 * W));
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    m0 = V::MaxFast(m0, V::Select(m, V::LoadMasked(x + j, m), neg_inf));  // masked lanes must not win
  }
  return V::ReduceMaxNan(V::MaxFast(V::MaxFast(m0, m1), V::MaxFast(m2, m3)));
}

// Σ exp(x − mx) over a row; kStore also writes each exp(x − mx) to out (softmax's numerators).
// Four partial sums per lane, combined in a fixed order.
template <class V, bool kStore>
inline float RowSumExp(const float* x, float* out, int64_t n, float mx) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg vm = V::Set1(mx);
  Reg s0 = V::Zero(), s1 = V::Zero(), s2 = V::Zero(), s3 = V::Zero();
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    const Reg e0 = simd_math::ExpNonPositive<V>(V::Sub(V::Load(x + j), vm));
    const Reg e1 = simd_math::ExpNonPositive<V>(V::Sub(V::Load(x + j + W), vm));
    const Reg e2 = simd_math::ExpNonPositive<V>(V::Sub(V::Load(x + j + 2 * W), vm));
    const Reg e3 = simd_math::ExpNonPositive<V>(V::Sub(V::Load(x + j + 3 * W), vm));
    if constexpr (kStore) {
      V::Store(out + j, e0);
      V::Store(out + j + W, e1);
      V::Store(out + j + 2 * W, e2);
      V::Store(out + j + 3 * W, e3);
    }
    s0 = V::Add(s0, e0);
    s1 = V::Add(s1, e1);
    s2 = V::Add(s2, e2);
    s3 = V::Add(s3, e3);
  }
  for (; j < n; j += W) {
    const typename V::Mask m = V::FirstN(n - j);
    // Masked lanes load 0, and exp(0 − mx) may be anything up to inf: keep them out of the sum.
    const Reg e = V::Select(m, simd_math::ExpNonPositive<V>(V::Sub(V::LoadMasked(x + j, m), vm)), V::Zero());
    if constexpr (kStore) V::StoreMasked(out + j, e, m);
    s0 = V::Add(s0, e);
  }
  return V::ReduceAdd(V::Add(V::Add(s0, s1), V::Add(s2, s3)));
}

// log of a row's sum of exponentials, in [1, n] unless NaN. std::log(float) is libm's logf
// (inlined to the call), so nothing compiled with this TU's flags is shared.
template <class V>
inline float LogOfSum(float sum) {
  return std::log(sum);
}

template <class V, SoftmaxKind kKind>
void SoftmaxRowsOf(const float* x, float* out, int64_t rows, int64_t width) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    float* o = out + r * width;
    const float mx = RowMax<V>(xr, width);
    if constexpr (kKind == SoftmaxKind::kSoftmax) {
      // exp(x − mx) goes to out, then out *= 1/Σ (torch's order: one reciprocal per row). The
      // second pass re-reads the row from L1/L2, not from memory.
      const Reg inv = V::Set1(1.0f / RowSumExp<V, true>(xr, o, width, mx));
      int64_t j = 0;
      for (; j + 4 * W <= width; j += 4 * W) {
        V::Store(o + j, V::Mul(V::Load(o + j), inv));
        V::Store(o + j + W, V::Mul(V::Load(o + j + W), inv));
        V::Store(o + j + 2 * W, V::Mul(V::Load(o + j + 2 * W), inv));
        V::Store(o + j + 3 * W, V::Mul(V::Load(o + j + 3 * W), inv));
      }
      for (; j < width; j += W) {
        const typename V::Mask m = V::FirstN(width - j);
        V::StoreMasked(o + j, V::Mul(V::LoadMasked(o + j, m), inv), m);
      }
    } else {
      // (x − mx) − log Σ in this order: x − mx is exact near the max, where log-probabilities
      // are small and adding mx + log Σ first would round them away (torch does the same).
      const Reg vm = V::Set1(mx);
      const Reg lse = V::Set1(LogOfSum<V>(RowSumExp<V, false>(xr, nullptr, width, mx)));
      int64_t j = 0;
      for (; j + 4 * W <= width; j += 4 * W) {
        const Reg r0 = V::Sub(V::Sub(V::Load(xr + j), vm), lse);
        const Reg r1 = V::Sub(V::Sub(V::Load(xr + j + W), vm), lse);
        const Reg r2 = V::Sub(V::Sub(V::Load(xr + j + 2 * W), vm), lse);
        const Reg r3 = V::Sub(V::Sub(V::Load(xr + j + 3 * W), vm), lse);
        V::Store(o + j, r0);
        V::Store(o + j + W, r1);
        V::Store(o + j + 2 * W, r2);
        V::Store(o + j + 3 * W, r3);
      }
      for (; j < width; j += W) {
        const typename V::Mask m = V::FirstN(width - j);
        V::StoreMasked(o + j, V::Sub(V::Sub(V::LoadMasked(xr + j, m), vm), lse), m);
      }
    }
  }
}

template <class V>
void SoftmaxRows(const float* x, float* out, int64_t rows, int64_t width, SoftmaxKind kind) {
  switch (kind) {
    case SoftmaxKind::kSoftmax: SoftmaxRowsOf<V, SoftmaxKind::kSoftmax>(x, out, rows, width); break;
    case SoftmaxKind::kLogSoftmax: SoftmaxRowsOf<V, SoftmaxKind::kLogSoftmax>(x, out, rows, width); break;
  }
}

// ---- concat, gather, scatter -------------------------------------------------------------------

template <class V>
void ConcatRows(const ConcatPart* parts, int64_t num_parts, int64_t row_begin, int64_t row_end, float* out,
                int64_t out_width) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    float* o = out + r * out_width;
    for (int64_t k = 0; k < num_parts; ++k) {
      const int64_t w = parts[k].width;
      CopyRow<V>(parts[k].data + r * w, o, w);
      o += w;
    }
  }
}

// Rows ahead whose lines are prefetched: the gathered rows are random, so the hardware
// prefetcher cannot guess them; the first 16 lines of a row are enough for it to stream the rest.
constexpr int64_t kGatherAhead = 8;
constexpr int64_t kPrefetchLines = 16;

template <class V>
inline void PrefetchRow(const float* row, int64_t width) {
  const int64_t bytes = width * 4;
  const char* p = reinterpret_cast<const char*>(row);
  for (int64_t off = 0; off < bytes && off < kPrefetchLines * 64; off += 64) V::Prefetch(p + off);
  if (bytes <= kPrefetchLines * 64) V::Prefetch(p + bytes - 1);  // the last line of a misaligned row
}

template <class V>
void GatherRows(const float* x, int64_t width, const int32_t* index, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    if (i + kGatherAhead < n) PrefetchRow<V>(x + static_cast<int64_t>(index[i + kGatherAhead]) * width, width);
    CopyRow<V>(x + static_cast<int64_t>(index[i]) * width, out + i * width, width);
  }
}

template <class V, ScatterOp kOp>
void ScatterRowsOf(float* target, int64_t width, const int32_t* index, int64_t n, const float* src,
                   int64_t row_begin, int64_t row_end, float alpha) {
  const typename V::Reg va = V::Set1(alpha);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = index[i];
    if (d < row_begin || d >= row_end) continue;  // another task's rows
    if constexpr (kOp == ScatterOp::kCopy) {
      CopyRow<V>(src + i * width, target + d * width, width);
    } else {
      AxpyRow<V>(va, src + i * width, target + d * width, width);
    }
  }
}

template <class V>
void ScatterRows(float* target, int64_t width, const int32_t* index, int64_t n, const float* src, int64_t row_begin,
                 int64_t row_end, ScatterOp op, float alpha) {
  switch (op) {
    case ScatterOp::kCopy: ScatterRowsOf<V, ScatterOp::kCopy>(target, width, index, n, src, row_begin, row_end, alpha); break;
    case ScatterOp::kAdd: ScatterRowsOf<V, ScatterOp::kAdd>(target, width, index, n, src, row_begin, row_end, alpha); break;
  }
}

template <class V>
constexpr RowKernels MakeRowKernels() {
  return RowKernels{&AddRows<V>, &ScaleRows<V>, &SoftmaxRows<V>, &ConcatRows<V>, &GatherRows<V>, &ScatterRows<V>};
}

}  // namespace rowops_impl
}  // namespace gnn
