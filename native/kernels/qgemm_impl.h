// The int8 GEMM and the row quantizers of qgemm.h / quantize.h, written once over an int8 ISA type
// Q. Each int8 translation unit (qgemm_scalar.cc, qgemm_avx2.cc, qgemm_avxvnni.cc, qgemm_avx512.cc,
// qgemm_avx512vnni.cc) defines its own Q in its own namespace and instantiates these templates,
// so every symbol here depends on Q and no code compiled with one TU's -m flags (VNNI included)
// is shared with another. Q provides:
//   kLanes                    int32 lanes per vector (16 zmm, 8 ymm, 1 scalar)
//   V                         the float vector of the same width (a type of Q's own namespace)
//   I, A, W                   int32 accumulator, prepared broadcast of 4 activation bytes, weights
//   Zero, Bcast, LoadW, Dot   acc + sum over 4 bytes of (u8 activation x s8 weight), exact
//   Set1I, LoadI, Sub, MulLo, ToFloat   epilogue integer ops (wrapping)
//   StoreCodes(dst, y, zp, n) n bytes: int(y) + zp, y integral and in range
//   kFixedVectors             true: the micro-kernel always computes all NV vectors (scalar)
//
// Loop nest for the rows of one task (activations already as uint8 codes, kp bytes per row):
//   for each column block (nc columns: nc x kp bytes of packed weight, sized to stay in L2)
//     for each MR rows
//       for each NR-column tile: micro-kernel over all of K (int32 accumulators in registers),
//       per 4 k: NV weight loads, MR broadcasts, MR x NV dot-product instructions.
// With int8 output the column blocks are the whole width, and each MR rows' fp32 results go to a
// scratch tile that is requantised row by row.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "activation.h"
#include "qgemm.h"
#include "quantize.h"
#include "simd_math.h"

namespace gnn {
namespace qgemm_impl {

template <class Q>
QuantParams SymmetricParams(float absmax) {
  QuantParams p;
  if (!(static_cast<double>(absmax) >= kMinQuantRange)) return p;
  p.scale = static_cast<float>(static_cast<double>(absmax) / 127.0);
  p.inv = static_cast<float>(1.0 / static_cast<double>(p.scale));
  return p;
}

template <class Q>
QuantParams AsymmetricParams(float lo, float hi) {
  QuantParams p;
  const double l = lo < 0.0f ? static_cast<double>(lo) : 0.0;
  const double h = hi > 0.0f ? static_cast<double>(hi) : 0.0;
  const double range = h - l;
  if (!(range >= kMinQuantRange)) return p;
  p.scale = static_cast<float>(range / 255.0);
  p.inv = static_cast<float>(1.0 / static_cast<double>(p.scale));
  const double z = std::nearbyint(-l / static_cast<double>(p.scale));
  p.zero_point = !(z >= 0.0) ? 0 : z > 255.0 ? 255 : static_cast<int32_t>(z);  // NaN (inf rows) -> 0, never UB
  return p;
}

// max |x| of a row; false when a value is NaN or infinite (x - x is NaN exactly then).
template <class Q>
bool AbsMax(const float* x, int64_t k, float* absmax) {
  using V = typename Q::V;
  using Reg = typename V::Reg;
  constexpr int L = V::kWidth;
  Reg mx = V::Zero();
  Reg bad = V::Zero();
  int64_t i = 0;
  for (; i + L <= k; i += L) {
    const Reg v = V::Load(x + i);
    mx = V::MaxFast(mx, V::Abs(v));
    bad = V::Add(bad, V::Sub(v, v));
  }
  if (i < k) {
    const Reg v = V::LoadMasked(x + i, V::FirstN(k - i));
    mx = V::MaxFast(mx, V::Abs(v));
    bad = V::Add(bad, V::Sub(v, v));
  }
  *absmax = V::ReduceMaxNan(mx);
  return !V::AnyNan(bad);
}

// min(0, min x) and max(0, max x) of a row; false when a value is NaN or infinite.
template <class Q>
bool MinMax(const float* x, int64_t k, float* lo, float* hi) {
  using V = typename Q::V;
  using Reg = typename V::Reg;
  constexpr int L = V::kWidth;
  Reg mx = V::Zero();
  Reg mn = V::Zero();
  Reg bad = V::Zero();
  int64_t i = 0;
  for (; i + L <= k; i += L) {
    const Reg v = V::Load(x + i);
    mx = V::MaxFast(mx, v);
    mn = V::MinFast(mn, v);
    bad = V::Add(bad, V::Sub(v, v));
  }
  if (i < k) {
    const Reg v = V::LoadMasked(x + i, V::FirstN(k - i));
    mx = V::MaxFast(mx, v);
    mn = V::MinFast(mn, v);
    bad = V::Add(bad, V::Sub(v, v));
  }
  *hi = V::ReduceMaxNan(mx);
  *lo = -V::ReduceMaxNan(V::Sub(V::Zero(), mn));
  return !V::AnyNan(bad);
}

// Codes of a row: RNE(clamp(x * inv, lo, hi)) + zp, with [lo, hi] = [-127, 127] (signed, zp 0) or
// [-zp, 255 - zp]. Clamping before rounding keeps huge products (and inf) out of the integer
// conversion. Returns false when a value is NaN or infinite.
template <class Q, bool kSigned>
bool Codes(const float* x, int64_t k, float inv, int32_t zp, uint8_t* q) {
  using V = typename Q::V;
  using Reg = typename V::Reg;
  constexpr int L = V::kWidth;
  if (kSigned) zp = 0;
  const Reg vinv = V::Set1(inv);
  const Reg lo = V::Set1(kSigned ? -127.0f : static_cast<float>(-zp));
  const Reg hi = V::Set1(kSigned ? 127.0f : static_cast<float>(255 - zp));
  Reg bad = V::Zero();
  for (int64_t i = 0; i < k; i += L) {
    const int64_t n = k - i < L ? k - i : L;
    const Reg v = n == L ? V::Load(x + i) : V::LoadMasked(x + i, V::FirstN(n));
    bad = V::Add(bad, V::Sub(v, v));
    const Reg y = V::Round(V::MinFast(V::MaxFast(V::Mul(v, vinv), lo), hi));
    Q::StoreCodes(q + i, y, zp, n);
  }
  return !V::AnyNan(bad);
}

// One MR x (NV lanes) tile of out over all of K. a: MR rows of uint8 codes (stride lda, kp bytes
// each, 4 per group); w: the tile's first panel at group 0; c: the tile in out (stride ldc), of
// which `cols` columns are real. za / sa: the rows' zero points and scales; colsum / wscale /
// bias: from the tile's first column (colsum padded, wscale and bias read masked).
template <class Q, int MR, int NV, Activation kAct>
void MicroKernel(const uint8_t* a, int64_t lda, const int8_t* w, int64_t panel_stride, int64_t groups,
                 const int32_t* za, const float* sa, const int32_t* colsum, const float* wscale, const float* bias,
                 float alpha, float* c, int64_t ldc, int64_t cols) {
  using V = typename Q::V;
  using Reg = typename V::Reg;
  using I = typename Q::I;
  constexpr int L = Q::kLanes;
  int64_t off[NV];
#pragma GCC unroll 16
  for (int j = 0; j < NV; ++j) off[j] = (j * L / 16) * panel_stride + ((j * L) % 16) * 4;
  I acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) acc[r][j] = Q::Zero();
  }
  const uint8_t* ar[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) ar[r] = a + r * lda;
  for (int64_t g = 0; g < groups; ++g) {
    typename Q::W wv[NV];
#pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) wv[j] = Q::LoadW(w + off[j]);
    w += 64;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const typename Q::A b = Q::Bcast(ar[r] + 4 * g);
#pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) acc[r][j] = Q::Dot(acc[r][j], b, wv[j]);
    }
  }
  // Epilogue: exact integer compensation, then float32 scale, bias, activation.
  typename V::Mask mask[NV];
  Reg ws[NV];
  Reg bv[NV];
  I cs[NV];
#pragma GCC unroll 16
  for (int j = 0; j < NV; ++j) {
    mask[j] = V::FirstN(cols - j * L);
    ws[j] = V::LoadMasked(wscale + j * L, mask[j]);
    bv[j] = bias != nullptr ? V::LoadMasked(bias + j * L, mask[j]) : V::Zero();
    cs[j] = Q::LoadI(colsum + j * L);
  }
  const Reg al = V::Set1(alpha);
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const I z = Q::Set1I(za[r]);
    const Reg s = V::Set1(sa[r]);
#pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      const I t = Q::Sub(acc[r][j], Q::MulLo(z, cs[j]));
      Reg y = V::Mul(Q::ToFloat(t), V::Mul(s, ws[j]));
      if (bias != nullptr) y = V::Add(y, bv[j]);
      y = simd_math::Activate<V, kAct>(y, al);
      V::StoreMasked(c + r * ldc + j * L, y, mask[j]);
    }
  }
  (void)al;
}

using MicroKernelFn = void (*)(const uint8_t*, int64_t, const int8_t*, int64_t, int64_t, const int32_t*, const float*,
                               const int32_t*, const float*, const float*, float, float*, int64_t, int64_t);

// kTable[rows - 1][vectors - 1]: kernels for partial tiles (Q::kFixedVectors: always all NV).
template <class Q, int MR, int NV, Activation kAct>
struct KernelTable {
  template <int R, int... J>
  static constexpr std::array<MicroKernelFn, NV> RowOf(std::integer_sequence<int, J...>) {
    return {&MicroKernel<Q, R, Q::kFixedVectors ? NV : J + 1, kAct>...};
  }
  template <int... R>
  static constexpr std::array<std::array<MicroKernelFn, NV>, MR> Make(std::integer_sequence<int, R...>) {
    return {RowOf<R + 1>(std::make_integer_sequence<int, NV>())...};
  }
  static constexpr std::array<std::array<MicroKernelFn, NV>, MR> kTable = Make(std::make_integer_sequence<int, MR>());
};

template <class Q, int MR, int NV, Activation kAct>
int ComputeRows(const QLinearArgs& a, const QGemmPlan& p, const uint8_t* act, int64_t lda, int64_t rows, const int32_t* za,
                const float* sa, float* out, int8_t* out_q, float* out_scale, float* tile) {
  constexpr int L = Q::kLanes;
  constexpr int NR = NV * L;
  const auto& table = KernelTable<Q, MR, NV, kAct>::kTable;
  const int64_t m = a.m;
  const int64_t groups = p.kp / 4;
  if (out != nullptr) {
    for (int64_t jc = 0; jc < m; jc += p.nc) {
      const int64_t jc_end = m - jc < p.nc ? m : jc + p.nc;
      for (int64_t i = 0; i < rows; i += MR) {
        const int64_t mr = rows - i < MR ? rows - i : MR;
        for (int64_t j0 = jc; j0 < jc_end; j0 += NR) {
          const int64_t cols = jc_end - j0 < NR ? jc_end - j0 : NR;
          const int64_t vectors = (cols + L - 1) / L;
          table[mr - 1][vectors - 1](act + i * lda, lda, a.packed + (j0 / 16) * p.panel_stride, p.panel_stride, groups,
                                     za + i, sa + i, p.colsum + j0, a.w_scale + j0,
                                     a.bias != nullptr ? a.bias + j0 : nullptr, a.alpha, out + i * m + j0, m, cols);
        }
      }
    }
    return 0;
  }
  for (int64_t i = 0; i < rows; i += MR) {
    const int64_t mr = rows - i < MR ? rows - i : MR;
    for (int64_t j0 = 0; j0 < m; j0 += NR) {
      const int64_t cols = m - j0 < NR ? m - j0 : NR;
      const int64_t vectors = (cols + L - 1) / L;
      table[mr - 1][vectors - 1](act + i * lda, lda, a.packed + (j0 / 16) * p.panel_stride, p.panel_stride, groups, za + i,
                                 sa + i, p.colsum + j0, a.w_scale + j0, a.bias != nullptr ? a.bias + j0 : nullptr,
                                 a.alpha, tile + j0, p.mp, cols);
    }
    for (int64_t r = 0; r < mr; ++r) {
      const float* y = tile + r * p.mp;
      float absmax = 0.0f;
      if (!AbsMax<Q>(y, m, &absmax)) return 2;
      const QuantParams qp = SymmetricParams<Q>(absmax);
      Codes<Q, true>(y, m, qp.inv, 0, reinterpret_cast<uint8_t*>(out_q + (i + r) * m));
      out_scale[i + r] = qp.scale;
    }
  }
  return 0;
}

// One task: the rows [row_begin, row_end) - activations to uint8 codes in scratch (or read in
// place), then the GEMM.
template <class Q, int MR, int NV>
int Rows(const QLinearArgs& a, const QGemmPlan& p, int64_t row_begin, int64_t row_end, const QScratch& s) {
  const int64_t rows = row_end - row_begin;
  const int64_t k = a.k;
  const int64_t kp = p.kp;
  const uint8_t* act = s.act;
  int64_t lda = kp;
  if (!a.x_is_codes) {
    const QuantParams fixed{a.static_scale, a.static_input ? static_cast<float>(1.0 / static_cast<double>(a.static_scale)) : 1.0f,
                            a.static_zero_point};
    bool finite = true;
    for (int64_t i = 0; i < rows; ++i) {
      const float* xi = a.x + (row_begin + i) * k;
      uint8_t* qi = s.act + i * kp;
      QuantParams qp = fixed;
      if (!a.static_input) {
        float lo = 0.0f, hi = 0.0f;
        finite &= MinMax<Q>(xi, k, &lo, &hi);
        qp = AsymmetricParams<Q>(lo, hi);
      }
      finite &= Codes<Q, false>(xi, k, qp.inv, qp.zero_point, qi);
      std::memset(qi + k, 0, static_cast<size_t>(kp - k));
      s.sa[i] = qp.scale;
      s.za[i] = qp.zero_point;
    }
    if (!finite) return 1;
  } else {
    const bool row_scale = a.x_scale_length != 1 || a.n == 1;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t g = row_scale ? row_begin + i : 0;
      s.sa[i] = a.x_scale[g];
      s.za[i] = a.xq_signed ? 128 : a.x_zero_point[g];
    }
    if (a.xq_signed || k % 4 != 0) {
      for (int64_t i = 0; i < rows; ++i) {
        const uint8_t* src = a.xq + (row_begin + i) * k;
        uint8_t* dst = s.act + i * kp;
        if (a.xq_signed) {
          for (int64_t kk = 0; kk < k; ++kk) dst[kk] = static_cast<uint8_t>(src[kk] ^ 0x80u);
        } else {
          std::memcpy(dst, src, static_cast<size_t>(k));
        }
        std::memset(dst + k, 0, static_cast<size_t>(kp - k));
      }
    } else {
      act = a.xq + row_begin * k;
      lda = k;
    }
  }
  float* out = a.out != nullptr ? a.out + row_begin * a.m : nullptr;
  int8_t* out_q = a.out_q != nullptr ? a.out_q + row_begin * a.m : nullptr;
  float* out_scale = a.out_scale != nullptr ? a.out_scale + row_begin : nullptr;
  switch (a.act) {
#define GNN_QGEMM_ACT(kind) \
  case Activation::kind:    \
    return ComputeRows<Q, MR, NV, Activation::kind>(a, p, act, lda, rows, s.za, s.sa, out, out_q, out_scale, s.tile);
    GNN_QGEMM_ACT(kNone)
    GNN_QGEMM_ACT(kRelu)
    GNN_QGEMM_ACT(kLeakyRelu)
    GNN_QGEMM_ACT(kElu)
    GNN_QGEMM_ACT(kGelu)
    GNN_QGEMM_ACT(kSigmoid)
    GNN_QGEMM_ACT(kTanh)
#undef GNN_QGEMM_ACT
  }
  return 0;
}

template <class Q, int MR, int NV>
const QKernels& Table() {
  static const QKernels kernels{MR, NV * Q::kLanes, &Rows<Q, MR, NV>, &AbsMax<Q>, &MinMax<Q>, &Codes<Q, true>, &Codes<Q, false>};
  return kernels;
}

}  // namespace qgemm_impl
}  // namespace gnn
