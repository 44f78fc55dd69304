// The float32 math the CUDA kernels share with the CPU kernels, as __host__ __device__ functions:
// the activations and exp of native/kernels/simd_math.h (the same polynomials and the same
// sequence of roundings, so a GPU activation equals the CPU's bit for bit), the NaN-sticky max /
// min of spmm, the online-softmax step and merge of gatAggregate, and the int8 quantization
// parameters and codes of quantize.h. Plain C++ when compiled by the host compiler: the plan
// binding runs these functions on the CPU and test/cuda-plan.test.ts compares them with the CPU
// kernels.
//
// Rounding is explicit: on the device every product and sum goes through __fmul_rn / __fadd_rn
// (which nvcc never contracts into an FMA) and every FMA through __fmaf_rn, so the result does not
// depend on -fmad; divisions and square roots are the IEEE-rounded intrinsics, whatever
// -prec-div / -use_fast_math say.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../native/kernels/activation.h"
#include "host_device.cuh"

namespace gnn {
namespace cuda {
namespace dmath {

// ---- correctly rounded building blocks -----------------------------------------------------------

GNN_HD float Mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
GNN_HD float Add(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
GNN_HD float Sub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
GNN_HD float Div(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
GNN_HD float Fma(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
GNN_HD double DMul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
GNN_HD double DAdd(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
GNN_HD double DDiv(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
GNN_HD double DSqrt(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
// Round to nearest, ties to even (the CPU's nearbyint in the default rounding mode).
GNN_HD float Rint(float a) {
#if defined(__CUDA_ARCH__)
  return rintf(a);
#else
  return std::nearbyint(a);
#endif
}
GNN_HD double DRint(double a) {
#if defined(__CUDA_ARCH__)
  return rint(a);
#else
  return std::nearbyint(a);
#endif
}
GNN_HD float Floor(float a) {
#if defined(__CUDA_ARCH__)
  return floorf(a);
#else
  return std::floor(a);
#endif
}
GNN_HD float Abs(float a) {
#if defined(__CUDA_ARCH__)
  return fabsf(a);
#else
  return std::fabs(a);
#endif
}
GNN_HD uint32_t Bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
GNN_HD float FromBits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}
GNN_HD bool IsNan(float a) { return a != a; }
GNN_HD float Xor(float a, float b) { return FromBits(Bits(a) ^ Bits(b)); }

constexpr float kInf = __builtin_huge_valf();

// vmaxps / vminps: the second operand when either is NaN (the CPU's MaxFast / MinFast).
GNN_HD float MaxFast(float acc, float v) { return acc > v ? acc : v; }
GNN_HD float MinFast(float acc, float v) { return acc < v ? acc : v; }
// NaN-sticky max / min (torch's amax / amin, the CPU spmm's MaxNan / MinNan): a NaN on either side
// gives NaN; otherwise the larger (smaller), keeping acc on ties.
GNN_HD float MaxNan(float acc, float v) { return (IsNan(acc) || IsNan(v)) ? acc + v : (v > acc ? v : acc); }
GNN_HD float MinNan(float acc, float v) { return (IsNan(acc) || IsNan(v)) ? acc + v : (v < acc ? v : acc); }

// 2^n for integral n in [-126, 127].
GNN_HD float Pow2(float n) { return FromBits(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23); }

// ---- exp, expm1, tanh, sigmoid, erf, gelu (simd_math.h, one lane) ----------------------------------

// e^r - 1 - r = r^2 P(r) on |r| <= ln2/2 (Cephes' expf coefficients, simd_math.h kExpP).
GNN_HD float ExpPoly(float r) {
  float p = 1.9875691500e-4f;
  p = Fma(p, r, 1.3981999507e-3f);
  p = Fma(p, r, 8.3334519073e-3f);
  p = Fma(p, r, 4.1665795894e-2f);
  p = Fma(p, r, 1.6666665459e-1f);
  return Fma(p, r, 5.0000001201e-1f);
}

GNN_HD float Exp(float x) {
  const float xc = MinFast(MaxFast(x, -104.0f), 89.0f);
  const float n = Rint(Mul(xc, 1.44269504088896341f));
  float r = Fma(n, -0.693359375f, xc);
  r = Fma(n, 2.12194440e-4f, r);
  const float p = ExpPoly(r);
  const float y = Add(Fma(p, Mul(r, r), r), 1.0f);
  const float n1 = Floor(Mul(n, 0.5f));
  const float n2 = Sub(n, n1);
  const float e = Mul(Mul(y, Pow2(n1)), Pow2(n2));
  return IsNan(x) ? x : e;
}

// e^x for x <= 0, -inf or NaN (softmax's exp(x - max)): Exp without the overflow clamp; 2^n in two
// halves as the CPU's Scalef. Bitwise equal to Exp on that domain.
GNN_HD float ExpNonPositive(float x) {
  const float xc = MaxFast(x, -104.0f);
  const float n = Rint(Mul(xc, 1.44269504088896341f));
  float r = Fma(n, -0.693359375f, xc);
  r = Fma(n, 2.12194440e-4f, r);
  const float p = ExpPoly(r);
  const float y = Add(Fma(p, Mul(r, r), r), 1.0f);
  const float n1 = Floor(Mul(n, 0.5f));
  const float e = Mul(Mul(y, Pow2(n1)), Pow2(Sub(n, n1)));
  return IsNan(x) ? x : e;
}

GNN_HD float Expm1(float x) {
  float h = 2.482124728e-05f;
  h = Fma(h, x, 1.990037563e-04f);
  h = Fma(h, x, 1.388892531e-03f);
  h = Fma(h, x, 8.333297446e-03f);
  h = Fma(h, x, 4.166666791e-02f);
  h = Fma(h, x, 1.666666716e-01f);
  h = Fma(h, x, 5.000000000e-01f);
  const float small = Fma(Mul(x, x), h, x);
  const float large = Sub(Exp(x), 1.0f);
  const float a = Abs(x);
  const float r = a <= 0.35f ? small : large;
  return a <= 0.0f ? x : r;  // expm1(-0) = -0
}

GNN_HD float Tanh(float x) {
  const float a = Abs(x);
  const float sign = Xor(x, a);
  const float a2 = Mul(a, a);
  float h = 2.292928984e-03f;
  h = Fma(h, a2, -8.344135247e-03f);
  h = Fma(h, a2, 2.176898904e-02f);
  h = Fma(h, a2, -5.395926908e-02f);
  h = Fma(h, a2, 1.333330423e-01f);
  h = Fma(h, a2, -3.333333433e-01f);
  const float small = Fma(Mul(a, a2), h, a);
  const float t = Expm1(Mul(2.0f, MinFast(a, 10.0f)));
  const float large = Div(t, Add(t, 2.0f));
  const float r = Xor(a <= 0.625f ? small : large, sign);
  return IsNan(x) ? x : r;
}

GNN_HD float Sigmoid(float x) {
  const float e = Exp(Sub(0.0f, Abs(x)));
  const float inv = Div(1.0f, Add(1.0f, e));
  return x < 0.0f ? Mul(e, inv) : inv;
}

// erfc(a) for a >= 1 from a^2 = p + e (simd_math.h ErfcLarge); 0 beyond a = 10.
GNN_HD float ErfcLarge(float a_in, float p, float e) {
  const float a = MinFast(a_in, 10.0f);
  const float u = Div(1.0f, a);
  const float t = Fma(2.0f, u, -1.0f);
  float q = -2.320297972e-05f;
  q = Fma(q, t, 9.886625048e-05f);
  q = Fma(q, t, -8.571166836e-05f);
  q = Fma(q, t, -1.795276767e-04f);
  q = Fma(q, t, 5.499660620e-04f);
  q = Fma(q, t, -8.171551744e-04f);
  q = Fma(q, t, 6.042598397e-04f);
  q = Fma(q, t, 1.330420491e-03f);
  q = Fma(q, t, -6.791357417e-03f);
  q = Fma(q, t, 1.486988366e-02f);
  q = Fma(q, t, -9.158732370e-03f);
  q = Fma(q, t, -8.360548317e-02f);
  q = Fma(q, t, 5.107913613e-01f);
  const float erfcx = Mul(u, q);
  const float ex = Exp(Sub(0.0f, MinFast(p, 100.0f)));
  const float r = Mul(Mul(ex, Sub(1.0f, e)), erfcx);
  return a_in > 10.0f ? 0.0f : r;
}

GNN_HD float ErfSmall(float x) {  // |x| <= 1
  const float x2 = Mul(x, x);
  float h = -9.641763427e-06f;
  h = Fma(h, x2, 1.125704075e-04f);
  h = Fma(h, x2, -8.482842823e-04f);
  h = Fma(h, x2, 5.220946390e-03f);
  h = Fma(h, x2, -2.686540037e-02f);
  h = Fma(h, x2, 1.128378212e-01f);
  h = Fma(h, x2, -3.761263788e-01f);
  h = Fma(h, x2, 1.128379226e+00f);
  return Mul(x, h);
}

// torch's exact GELU, x/2 (1 + erf(x / sqrt 2)), as simd_math.h Gelu.
GNN_HD float Gelu(float x) {
  const float half_x = Mul(x, 0.5f);
  const float y = Mul(x, 0.70710678118654752f);
  const float a = Abs(y);
  const float near = Mul(half_x, Add(1.0f, ErfSmall(a <= 1.0f ? y : 0.0f)));
  const float xx = Mul(x, x);
  const float p = Mul(xx, 0.5f);
  const float e = Mul(Fma(x, x, Sub(0.0f, xx)), 0.5f);
  const float erfc_a = ErfcLarge(MaxFast(a, 1.0f), p, e);
  const float far = x < 0.0f ? Mul(half_x, erfc_a) : Mul(half_x, Sub(2.0f, erfc_a));
  const float r = a <= 1.0f ? near : far;
  return IsNan(x) ? x : r;
}

GNN_HD float Relu(float x) { return (x > 0.0f || IsNan(x)) ? x : 0.0f; }
// leaky_relu(x) = x for x > 0, slope * x otherwise; NaN stays NaN (slope * NaN).
GNN_HD float LeakyRelu(float x, float slope) { return x > 0.0f ? x : Mul(slope, x); }

// act(x); alpha is leaky_relu's negative slope and elu's alpha (simd_math.h Activate).
template <gnn::Activation kAct>
GNN_HD float Activate(float x, float alpha) {
  if constexpr (kAct == gnn::Activation::kRelu) {
    return Relu(x);
  } else if constexpr (kAct == gnn::Activation::kLeakyRelu) {
    return LeakyRelu(x, alpha);
  } else if constexpr (kAct == gnn::Activation::kElu) {
    return x > 0.0f ? x : Mul(alpha, Expm1(x));
  } else if constexpr (kAct == gnn::Activation::kGelu) {
    return Gelu(x);
  } else if constexpr (kAct == gnn::Activation::kSigmoid) {
    return Sigmoid(x);
  } else if constexpr (kAct == gnn::Activation::kTanh) {
    return Tanh(x);
  } else {
    (void)alpha;
    return x;
  }
}

// The same with the activation chosen at run time (epilogues, where one branch per element is
// negligible next to the product).
GNN_HD float ActivateAny(gnn::Activation act, float x, float alpha) {
  switch (act) {
    case gnn::Activation::kRelu: return Activate<gnn::Activation::kRelu>(x, alpha);
    case gnn::Activation::kLeakyRelu: return Activate<gnn::Activation::kLeakyRelu>(x, alpha);
    case gnn::Activation::kElu: return Activate<gnn::Activation::kElu>(x, alpha);
    case gnn::Activation::kGelu: return Activate<gnn::Activation::kGelu>(x, alpha);
    case gnn::Activation::kSigmoid: return Activate<gnn::Activation::kSigmoid>(x, alpha);
    case gnn::Activation::kTanh: return Activate<gnn::Activation::kTanh>(x, alpha);
    case gnn::Activation::kNone: break;
  }
  return x;
}

// ---- online softmax (gatAggregate) ----------------------------------------------------------------

// Running state of one head over a row's edges: max m, sum of exp(s - m), and the caller keeps
// acc = Σ exp(s - m) x. Step(s) returns (scale, w): acc' = fma(w, x, acc * scale). The rules are the
// CPU kernel's (attention_scalar.cc): -inf scores weigh 0, a row of only -inf scores keeps sum 0
// (its output is 0), a NaN score makes the head NaN.
struct SoftmaxState {
  float max = -kInf;
  float sum = 0.0f;
};

struct SoftmaxStep {
  float scale;  // factor on what was accumulated so far
  float w;      // weight of the new edge
};

GNN_HD SoftmaxStep OnlineSoftmaxStep(SoftmaxState& st, float s) {
  const float mnew = MaxNan(st.max, s);
  SoftmaxStep r;
  // An unchanged max needs no rescale (exp(0) = 1 exactly; the SIMD CPU kernels skip it too).
  r.scale = mnew == st.max || mnew == -kInf ? 1.0f : Exp(Sub(st.max, mnew));
  r.w = s == -kInf ? 0.0f : Exp(Sub(s, mnew));
  st.sum = Fma(st.sum, r.scale, r.w);
  st.max = mnew;
  return r;
}

// Merging a chunk's state (max mc, sum sc, and its acc) into the running state, in chunk order:
// acc' = fma(acc, scale_old, acc_c * scale_c). A chunk of only -inf scores has sum 0 and acc 0 and
// contributes nothing; NaN propagates as in the step.
struct SoftmaxMerge {
  float scale_old;
  float scale_chunk;
};

GNN_HD SoftmaxMerge OnlineSoftmaxMerge(SoftmaxState& st, float mc, float sc) {
  const float mnew = MaxNan(st.max, mc);
  SoftmaxMerge r;
  r.scale_old = mnew == -kInf ? 1.0f : Exp(Sub(st.max, mnew));
  r.scale_chunk = mc == -kInf ? 0.0f : Exp(Sub(mc, mnew));
  st.sum = Fma(st.sum, r.scale_old, Mul(sc, r.scale_chunk));
  st.max = mnew;
  return r;
}

// alpha of one edge once the row is done: exp(s - max) / sum, 0 for a -inf score or an empty sum.
GNN_HD float SoftmaxWeight(const SoftmaxState& st, float s) {
  const float num = s == -kInf ? 0.0f : Exp(Sub(s, st.max));
  return st.sum == 0.0f ? 0.0f : Div(num, st.sum);
}

// ---- int8 quantization (quantize.h, qgemm_impl.h) --------------------------------------------------

constexpr double kMinQuantRangeD = 7.703719777548943e-34;  // 2^-110, quantize.h kMinQuantRange

struct QParams {
  float scale = 1.0f;
  float inv = 1.0f;
  int32_t zero_point = 0;
};

// int8 symmetric: scale = absmax / 127 in double, rounded once; degenerate ranges give scale 1.
GNN_HD QParams SymmetricParams(float absmax) {
  QParams p;
  if (!(static_cast<double>(absmax) >= kMinQuantRangeD)) return p;
  p.scale = static_cast<float>(DDiv(static_cast<double>(absmax), 127.0));
  p.inv = static_cast<float>(DDiv(1.0, static_cast<double>(p.scale)));
  return p;
}

// uint8 asymmetric over [min(0, lo), max(0, hi)]: scale = range / 255, zp = clamp(RNE(-l / scale)).
GNN_HD QParams AsymmetricParams(float lo, float hi) {
  QParams p;
  const double l = lo < 0.0f ? static_cast<double>(lo) : 0.0;
  const double h = hi > 0.0f ? static_cast<double>(hi) : 0.0;
  const double range = h - l;
  if (!(range >= kMinQuantRangeD)) return p;
  p.scale = static_cast<float>(DDiv(range, 255.0));
  p.inv = static_cast<float>(DDiv(1.0, static_cast<double>(p.scale)));
  const double z = DRint(DDiv(-l, static_cast<double>(p.scale)));
  // !(z >= 0) also catches NaN (a row holding both infinities: -inf / inf), whose conversion to
  // int would be undefined; such rows are rejected by the caller, but never by UB first.
  p.zero_point = !(z >= 0.0) ? 0 : z > 255.0 ? 255 : static_cast<int32_t>(z);
  return p;
}

// One code: RNE(clamp(x * inv, lo, hi)) + zp with [lo, hi] = [-127, 127] (signed, zp 0) or
// [-zp, 255 - zp]; the byte of the int8 or uint8 code. Clamping first keeps inf out of the
// conversion (NaN is the caller's to reject: it clamps to an arbitrary bound here).
GNN_HD uint8_t QuantCode(float x, float inv, int32_t zp, bool is_signed) {
  const float lo = is_signed ? -127.0f : static_cast<float>(-zp);
  const float hi = is_signed ? 127.0f : static_cast<float>(255 - zp);
  const float y = Rint(MinFast(MaxFast(Mul(x, inv), lo), hi));
  return static_cast<uint8_t>(static_cast<int32_t>(y) + (is_signed ? 0 : zp));
}

// x - x is NaN exactly when x is NaN or infinite: the quantizers' finiteness test.
GNN_HD bool IsFinite(float x) { return !IsNan(Sub(x, x)); }

}  // namespace dmath
}  // namespace cuda
}  // namespace gnn
