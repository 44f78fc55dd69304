// Quantization of fp32 matrices to 8-bit codes and back (the arithmetic lib/quantized.ts documents).
//
//   int8 (symmetric):   scale = absmax / 127, q = RNE(clamp(x * inv, -127, 127)), inv = 1 / scale
//   uint8 (asymmetric): lo = min(0, min x), hi = max(0, max x), scale = (hi - lo) / 255,
//                       zp = clamp(RNE(-lo / scale), 0, 255), q = RNE(clamp(x * inv, -zp, 255 - zp)) + zp
// per row (dynamic), per tensor (dynamic), or per tensor with a given scale (and zero point).
// scale and inv are computed in double and rounded once to float; x * inv is a float32 product;
// RNE is round-to-nearest-even; int8 codes never take -128.
//
// Degenerate ranges: a row (or tensor) whose absmax (uint8: hi - lo) is below kMinQuantRange =
// 2^-110 (all-zero rows included) gets scale 1, zero point 0 and all-zero codes, so 1 / scale
// never overflows and dequantization gives exact zeros.
// NaN and ±Infinity have no code: quantizing them (dynamic or static, and the GEMM's fused
// quantization of fp32 x) fails with ERR_INVALID_ARG_VALUE instead of producing arbitrary codes.
//
// Cost: two reads of x (range, codes; one for static params) and one write of N K bytes.
#pragma once

#include <cmath>
#include <cstdint>

#include "status.h"

namespace gnn {

constexpr double kMinQuantRange = 7.703719777548943e-34;  // 2^-110

struct QuantParams {
  float scale = 1.0f;
  float inv = 1.0f;
  int32_t zero_point = 0;
};

struct QuantizeArgs {
  const float* x = nullptr;  // [n, k]
  int64_t n = 0;
  int64_t k = 0;
  int64_t x_length = 0;
  bool is_signed = true;  // int8 symmetric; false: uint8 asymmetric
  bool per_row = true;    // false: one scale (and zero point) for the tensor
  bool is_static = false; // per tensor with static_scale / static_zero_point
  double static_scale = 1.0;
  int64_t static_zero_point = 0;
  uint8_t* codes = nullptr;  // [n, k] (int8 codes as their bytes)
  int64_t codes_length = 0;
  float* scale = nullptr;  // n or 1
  int64_t scale_length = 0;
  int32_t* zero_point = nullptr;  // uint8 only: as many as scale
  int64_t zero_point_length = 0;
};

Status CheckQuantizeArgs(const QuantizeArgs& args);
Status Quantize(const QuantizeArgs& args);

struct DequantizeArgs {
  const uint8_t* codes = nullptr;
  bool is_signed = true;
  int64_t n = 0;
  int64_t k = 0;
  int64_t codes_length = 0;
  const float* scale = nullptr;
  int64_t scale_length = 0;  // n or 1
  const int32_t* zero_point = nullptr;  // null for int8
  int64_t zero_point_length = 0;
  float* out = nullptr;  // [n, k]: out = float(q - zp) * scale
  int64_t out_length = 0;
};

Status CheckDequantizeArgs(const DequantizeArgs& args);
Status Dequantize(const DequantizeArgs& args);

// Checks a static scale / zero point: scale finite, > 0, with a finite float reciprocal of at
// least 2^-118 / ... (inv representable); zero point in [0, 255] (0 for int8).
Status CheckStaticParams(double scale, int64_t zero_point, bool is_signed, const char* name);
QuantParams StaticParams(double scale, int64_t zero_point);

}  // namespace gnn
