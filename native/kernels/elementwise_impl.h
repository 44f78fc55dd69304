// Elementwise kernels written once over a vector type V; each ISA translation unit instantiates
// them for its own V (see spmm_simd_impl.h for why everything here depends on V).
#pragma once

#include <cstdint>

#include "activation.h"
#include "simd_math.h"

namespace gnn {
namespace elementwise_impl {

template <class V, Activation kAct>
void ActivationLoop(const float* x, float* out, int64_t n, float alpha) {
  using Reg = typename V::Reg;
  constexpr int W = V::kWidth;
  const Reg a = V::Set1(alpha);
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {  // four independent vectors per step hide the latency
    const Reg r0 = simd_math::Activate<V, kAct>(V::Load(x + i), a);
    const Reg r1 = simd_math::Activate<V, kAct>(V::Load(x + i + W), a);
    const Reg r2 = simd_math::Activate<V, kAct>(V::Load(x + i + 2 * W), a);
    const Reg r3 = simd_math::Activate<V, kAct>(V::Load(x + i + 3 * W), a);
    V::Store(out + i, r0);
    V::Store(out + i + W, r1);
    V::Store(out + i + 2 * W, r2);
    V::Store(out + i + 3 * W, r3);
  }
  for (; i < n; i += W) {
    const typename V::Mask m = V::FirstN(n - i);
    V::StoreMasked(out + i, simd_math::Activate<V, kAct>(V::LoadMasked(x + i, m), a), m);
  }
}

template <class V>
void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha) {
  switch (act) {
    case Activation::kNone: ActivationLoop<V, Activation::kNone>(x, out, n, alpha); break;
    case Activation::kRelu: ActivationLoop<V, Activation::kRelu>(x, out, n, alpha); break;
    case Activation::kLeakyRelu: ActivationLoop<V, Activation::kLeakyRelu>(x, out, n, alpha); break;
    case Activation::kElu: ActivationLoop<V, Activation::kElu>(x, out, n, alpha); break;
    case Activation::kGelu: ActivationLoop<V, Activation::kGelu>(x, out, n, alpha); break;
    case Activation::kSigmoid: ActivationLoop<V, Activation::kSigmoid>(x, out, n, alpha); break;
    case Activation::kTanh: ActivationLoop<V, Activation::kTanh>(x, out, n, alpha); break;
  }
}

}  // namespace elementwise_impl
}  // namespace gnn
