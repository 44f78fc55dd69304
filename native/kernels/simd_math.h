// Vectorised float32 math for the kernels: exp, expm1, tanh, sigmoid, erf and the activation
// functions, written once over a vector type V (scalar::Vec, avx2::Vec, avx512::Vec). Every
// function is a template on V, so each ISA's translation unit gets its own copy.
//
// Accuracy, measured against float64 on 400k points in [-20, 20] plus ±2^-40 … 2^40 (all SIMD
// levels; test/activation.test.ts asserts these bounds): sigmoid 2.5 ulp, elu (expm1) 1.3 ulp,
// tanh 1.5 ulp, gelu 12 ulp near x = -1.4 (1 + erf cancels there; ~1 ulp elsewhere). Special values follow IEEE / torch:
// exp(-inf) = 0, exp(+inf) = inf, overflow gives inf, NaN propagates everywhere. Polynomial
// coefficients were fitted for this package (weighted least squares towards minimax in float64,
// then checked in float32); exp's are Cephes' (Moshier, public domain).
#pragma once

#include <cstdint>

#include "activation.h"

namespace gnn {
namespace simd_math {

template <class V>
inline typename V::Reg Horner(typename V::Reg x, const float* c, int n) {
  typename V::Reg r = V::Set1(c[n - 1]);
  for (int k = n - 2; k >= 0; --k) r = V::Fma(r, x, V::Set1(c[k]));
  return r;
}

// e^r - 1 - r = r^2 P(r) on |r| <= ln2/2 (Cephes' expf coefficients).
inline constexpr float kExpP[] = {5.0000001201e-1f, 1.6666665459e-1f, 4.1665795894e-2f,
                                  8.3334519073e-3f, 1.3981999507e-3f, 1.9875691500e-4f};

// e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial, 2^n applied in two halves
// so that results between 2^-150 and 2^128 (subnormals, overflow to inf) come out right.
template <class V>
inline typename V::Reg Exp(typename V::Reg x) {
  using Reg = typename V::Reg;
  constexpr const float* kP = kExpP;
  const Reg xc = V::MinFast(V::MaxFast(x, V::Set1(-104.0f)), V::Set1(89.0f));
  const Reg n = V::Round(V::Mul(xc, V::Set1(1.44269504088896341f)));
  Reg r = V::Fma(n, V::Set1(-0.693359375f), xc);
  r = V::Fma(n, V::Set1(2.12194440e-4f), r);
  const Reg p = Horner<V>(r, kP, 6);
  const Reg y = V::Add(V::Fma(p, V::Mul(r, r), r), V::Set1(1.0f));
  const Reg n1 = V::Floor(V::Mul(n, V::Set1(0.5f)));
  const Reg n2 = V::Sub(n, n1);
  const Reg e = V::Mul(V::Mul(y, V::Pow2(n1)), V::Pow2(n2));
  return V::Select(V::IsNan(x), x, e);
}

// e^x for x <= 0, -inf or NaN: softmax's exp(x - max). Exp's reduction and polynomial, without
// the overflow clamp, and 2^n applied by V::Scalef (one vscalefps on AVX-512, where it makes the
// softmax ~25% faster: the row kernels are compute-bound on exp). Bitwise equal to Exp here.
template <class V>
inline typename V::Reg ExpNonPositive(typename V::Reg x) {
  using Reg = typename V::Reg;
  const Reg xc = V::MaxFast(x, V::Set1(-104.0f));  // -inf -> -104 (e^-104 rounds to 0); NaN -> -104
  const Reg n = V::Round(V::Mul(xc, V::Set1(1.44269504088896341f)));
  Reg r = V::Fma(n, V::Set1(-0.693359375f), xc);
  r = V::Fma(n, V::Set1(2.12194440e-4f), r);
  const Reg p = Horner<V>(r, kExpP, 6);
  const Reg y = V::Add(V::Fma(p, V::Mul(r, r), r), V::Set1(1.0f));
  return V::Select(V::IsNan(x), x, V::Scalef(y, n));
}

// e^x - 1, accurate near 0: a polynomial for |x| <= 0.35, e^x - 1 beyond (at most ~3 ulp of
// cancellation there).
template <class V>
inline typename V::Reg Expm1(typename V::Reg x) {
  using Reg = typename V::Reg;
  static constexpr float kP[] = {5.000000000e-01f, 1.666666716e-01f, 4.166666791e-02f, 8.333297446e-03f,
                                 1.388892531e-03f, 1.990037563e-04f, 2.482124728e-05f};
  const Reg small = V::Fma(V::Mul(x, x), Horner<V>(x, kP, 7), x);
  const Reg large = V::Sub(Exp<V>(x), V::Set1(1.0f));
  const Reg a = V::Abs(x);
  const Reg r = V::Select(V::Le(a, V::Set1(0.35f)), small, large);
  return V::Select(V::Le(a, V::Zero()), x, r);  // expm1(-0) = -0 (x*x*P + x would give +0)
}

// tanh: x + x^3 P(x^2) for |x| <= 0.625; sign(x) * t / (t + 2) with t = expm1(2|x|) beyond.
template <class V>
inline typename V::Reg Tanh(typename V::Reg x) {
  using Reg = typename V::Reg;
  static constexpr float kP[] = {-3.333333433e-01f, 1.333330423e-01f, -5.395926908e-02f,
                                 2.176898904e-02f,  -8.344135247e-03f, 2.292928984e-03f};
  const Reg a = V::Abs(x);
  const Reg sign = V::Xor(x, a);  // the sign bit of x; computing on |x| keeps tanh exactly odd
  const Reg a2 = V::Mul(a, a);
  const Reg small = V::Fma(V::Mul(a, a2), Horner<V>(a2, kP, 6), a);
  const Reg t = Expm1<V>(V::Mul(V::Set1(2.0f), V::MinFast(a, V::Set1(10.0f))));
  const Reg large = V::Div(t, V::Add(t, V::Set1(2.0f)));
  const Reg r = V::Xor(V::Select(V::Le(a, V::Set1(0.625f)), small, large), sign);
  return V::Select(V::IsNan(x), x, r);
}

// 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, so tiny results (down to subnormals)
// keep their accuracy instead of flushing to 0 through e^-x = inf.
template <class V>
inline typename V::Reg Sigmoid(typename V::Reg x) {
  using Reg = typename V::Reg;
  const Reg one = V::Set1(1.0f);
  const Reg e = Exp<V>(V::Sub(V::Zero(), V::Abs(x)));
  const Reg inv = V::Div(one, V::Add(one, e));
  return V::Select(V::Lt(x, V::Zero()), V::Mul(e, inv), inv);
}

// erfc(a) for a >= 1: exp(-a^2) * erfcx(a), erfcx(a) = u Q(2u - 1) with u = 1/a. The caller
// passes a^2 as p + e exactly (from the unrounded argument), because exp(-a^2) amplifies any
// error in a^2 by a^2. Exactly 0 beyond a = 10, where erfc is below the smallest float.
template <class V>
inline typename V::Reg ErfcLarge(typename V::Reg a_in, typename V::Reg p, typename V::Reg e) {
  using Reg = typename V::Reg;
  const Reg a = V::MinFast(a_in, V::Set1(10.0f));
  static constexpr float kQ[] = {5.107913613e-01f, -8.360548317e-02f, -9.158732370e-03f, 1.486988366e-02f,
                                 -6.791357417e-03f, 1.330420491e-03f, 6.042598397e-04f, -8.171551744e-04f,
                                 5.499660620e-04f, -1.795276767e-04f, -8.571166836e-05f, 9.886625048e-05f,
                                 -2.320297972e-05f};
  const Reg u = V::Div(V::Set1(1.0f), a);
  const Reg erfcx = V::Mul(u, Horner<V>(V::Fma(V::Set1(2.0f), u, V::Set1(-1.0f)), kQ, 13));
  const Reg ex = Exp<V>(V::Sub(V::Zero(), V::MinFast(p, V::Set1(100.0f))));
  const Reg r = V::Mul(V::Mul(ex, V::Sub(V::Set1(1.0f), e)), erfcx);  // exp(-p - e) ~ exp(-p)(1 - e)
  return V::Select(V::Gt(a_in, V::Set1(10.0f)), V::Zero(), r);
}

template <class V>
inline typename V::Reg ErfSmall(typename V::Reg x) {  // |x| <= 1
  static constexpr float kP[] = {1.128379226e+00f, -3.761263788e-01f, 1.128378212e-01f, -2.686540037e-02f,
                                 5.220946390e-03f, -8.482842823e-04f, 1.125704075e-04f, -9.641763427e-06f};
  return V::Mul(x, Horner<V>(V::Mul(x, x), kP, 8));
}

template <class V>
inline typename V::Reg Erf(typename V::Reg x) {
  using Reg = typename V::Reg;
  const Reg a = V::Abs(x);
  const Reg sign = V::Xor(x, a);
  const Reg p = V::Mul(a, a);
  const Reg e = V::Fma(a, a, V::Sub(V::Zero(), p));  // a*a - p, exactly
  const Reg large = V::Xor(V::Sub(V::Set1(1.0f), ErfcLarge<V>(V::MaxFast(a, V::Set1(1.0f)), p, e)), sign);
  const Reg r = V::Select(V::Le(a, V::Set1(1.0f)), ErfSmall<V>(x), large);
  return V::Select(V::IsNan(x), x, r);
}

// GELU, torch's exact form: x/2 (1 + erf(x / sqrt 2)); for x < -sqrt 2, x/2 erfc(|x| / sqrt 2)
// directly, which keeps the tiny negative tail accurate. As in torch, gelu(-inf) = -inf * 0 = NaN.
template <class V>
inline typename V::Reg Gelu(typename V::Reg x) {
  using Reg = typename V::Reg;
  const Reg half_x = V::Mul(x, V::Set1(0.5f));
  const Reg y = V::Mul(x, V::Set1(0.70710678118654752f));
  const Reg a = V::Abs(y);
  const Reg near = V::Mul(half_x, V::Add(V::Set1(1.0f), ErfSmall<V>(V::Select(V::Le(a, V::Set1(1.0f)), y, V::Zero()))));
  // a^2 = x^2 / 2 from x itself: x/sqrt(2) is rounded, and exp(-a^2) would amplify that.
  const Reg xx = V::Mul(x, x);
  const Reg half = V::Set1(0.5f);
  const Reg p = V::Mul(xx, half);
  const Reg e = V::Mul(V::Fma(x, x, V::Sub(V::Zero(), xx)), half);
  const Reg erfc_a = ErfcLarge<V>(V::MaxFast(a, V::Set1(1.0f)), p, e);
  const Reg far = V::Select(V::Lt(x, V::Zero()), V::Mul(half_x, erfc_a),
                            V::Mul(half_x, V::Sub(V::Set1(2.0f), erfc_a)));
  const Reg r = V::Select(V::Le(a, V::Set1(1.0f)), near, far);
  return V::Select(V::IsNan(x), x, r);
}

// alpha: the negative slope of leaky_relu, the alpha of elu; unused otherwise.
template <class V, Activation kAct>
inline typename V::Reg Activate(typename V::Reg x, typename V::Reg alpha) {
  if constexpr (kAct == Activation::kRelu) {
    return V::Relu(x);
  } else if constexpr (kAct == Activation::kLeakyRelu) {
    return V::Select(V::Gt(x, V::Zero()), x, V::Mul(alpha, x));  // NaN: alpha * NaN = NaN
  } else if constexpr (kAct == Activation::kElu) {
    return V::Select(V::Gt(x, V::Zero()), x, V::Mul(alpha, Expm1<V>(x)));
  } else if constexpr (kAct == Activation::kGelu) {
    return Gelu<V>(x);
  } else if constexpr (kAct == Activation::kSigmoid) {
    return Sigmoid<V>(x);
  } else if constexpr (kAct == Activation::kTanh) {
    return Tanh<V>(x);
  } else {
    (void)alpha;
    return x;
  }
}

}  // namespace simd_math
}  // namespace gnn
