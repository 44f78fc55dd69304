// One-lane "vector" with the interface of avx2::Vec / avx512::Vec, so the templated kernels
// (simd_math.h and the elementwise kernels) also build for the portable path. Include only from
// the scalar translation units.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace gnn {
namespace scalar {

struct Vec {
  static constexpr int kWidth = 1;
  using Reg = float;
  using Mask = bool;

  static Mask FirstN(int64_t n) { return n > 0; }
  static Reg Zero() { return 0.0f; }
  static Reg Set1(float v) { return v; }
  static Reg Load(const float* p) { return *p; }
  static Reg LoadMasked(const float* p, Mask m) { return m ? *p : 0.0f; }
  static void Store(float* p, Reg v) { *p = v; }
  static void StoreMasked(float* p, Reg v, Mask m) {
    if (m) *p = v;
  }
  static Reg Add(Reg a, Reg b) { return a + b; }
  static Reg Sub(Reg a, Reg b) { return a - b; }
  static Reg Mul(Reg a, Reg b) { return a * b; }
  static Reg Div(Reg a, Reg b) { return a / b; }
  static Reg Fma(Reg a, Reg b, Reg c) { return std::fma(a, b, c); }
  static Reg Abs(Reg a) { return std::fabs(a); }
  static Reg Xor(Reg a, Reg b) { return FromBits(Bits(a) ^ Bits(b)); }
  static Reg And(Reg a, Reg b) { return FromBits(Bits(a) & Bits(b)); }
  static Reg Round(Reg a) { return std::nearbyint(a); }
  static Reg Floor(Reg a) { return std::floor(a); }
  static Reg Pow2(Reg n) { return FromBits(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23); }
  // y·2^n for integral n in [-252, 254], rounded once (see avx2::Vec::Scalef).
  static Reg Scalef(Reg y, Reg n) {
    const Reg n1 = Floor(n * 0.5f);
    return (y * Pow2(n1)) * Pow2(n - n1);
  }
  static Mask Lt(Reg a, Reg b) { return a < b; }
  static Mask Gt(Reg a, Reg b) { return a > b; }
  static Mask Le(Reg a, Reg b) { return a <= b; }
  static Mask IsNan(Reg a) { return a != a; }
  static Reg Select(Mask m, Reg a, Reg b) { return m ? a : b; }
  static Reg Relu(Reg x) { return (x > 0.0f || x != x) ? x : 0.0f; }
  // As vmaxps / vminps: when either operand is NaN the second one is returned.
  static Reg MaxFast(Reg acc, Reg v) { return acc > v ? acc : v; }
  static Reg MinFast(Reg acc, Reg v) { return acc < v ? acc : v; }
  static Reg MaxNan(Reg acc, Reg v) { return (acc != acc || v != v) ? NAN : (v > acc ? v : acc); }
  static Reg MinNan(Reg acc, Reg v) { return (acc != acc || v != v) ? NAN : (v < acc ? v : acc); }
  static bool AnyNan(Reg v) { return v != v; }
  static float ReduceAdd(Reg v) { return v; }
  static float ReduceMaxNan(Reg v) { return v; }
  static void Prefetch(const void* /*p*/) {}

  static uint32_t Bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  }
  static float FromBits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

}  // namespace scalar
}  // namespace gnn
