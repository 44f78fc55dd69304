// int8 GEMM for quantized linear layers:
//   out[n, m] = act((sum_k (qa[n, k] - za[n]) * qw[m, k]) * sa[n] * sw[m] + bias[m])
// with activations qa as uint8 codes (zero point za per row or per tensor; int8 codes are shifted to
// uint8 by xor 0x80, za = 128) and weights qw as symmetric int8 per output channel (quantize.h).
//
// The weight is packed once (PackQWeight) into one layout that every int8 path reads: panels of
// 16 output columns; within a panel, for each group of 4 consecutive k, 16 x 4 bytes (column c's
// 4 codes in bytes 4c..4c+3) - the operand of one vpdpbusd on zmm (two on ymm). K is padded to a
// multiple of 4 and M to a multiple of 16 with zero codes; after the panels come the column sums
// sum_k qw[m, k] (int32, one per padded column), so the zero-point compensation
//   sum_k (qa - za) qw = sum_k qa qw - za * colsum[m]
// costs one multiply-subtract per output element in the epilogue, not a pass over x.
//
// Cost model: 2 N M K integer ops. x (fp32) is read twice per row block (range, then codes) and
// never written back as codes: each task quantizes its rows into per-thread scratch (K bytes per
// row) that stays in L2 while every panel meets it. out is written once, as fp32 (scale, bias and
// activation applied as each register tile is stored) or, with int8 output, each row's fp32 values
// go to a per-thread MR x M scratch tile and are requantised from there (absmax, codes) - the fp32
// result never reaches memory the caller sees.
//
// Exactness: accumulation is int32 over the whole K in registers. |qa - za| <= 255 and |qw| <= 127,
// so |sum| <= 255 * 127 * K < 2^31 for K <= kMaxQGemmK = 65536; larger K is refused with
// ERR_OUT_OF_RANGE. The paths without VNNI emulate u8 x s8 dot products exactly (see the
// per-ISA files). The epilogue is float32: y = float(acc) * (sa * sw[m]) (+ bias[m]), then act (the
// compiler may fuse that multiply and add on the FMA paths: results agree to an ulp across paths).
//
// Results are bitwise independent of the thread count: each row is quantized and each output
// element computed the same way whatever task holds it.
#pragma once

#include <cstdint>

#include "activation.h"
#include "status.h"

namespace gnn {

// The int8 code paths, chosen at run time from the SIMD level and VNNI support.
enum class Int8Path : int { kScalar = 0, kAvx2 = 1, kAvxVnni = 2, kAvx512 = 3, kAvx512Vnni = 4 };

constexpr int64_t kMaxQGemmK = 65536;

// The path the next int8 kernel runs: the SIMD level caps it (ActiveSimdLevel()); VNNI is used when
// the CPU has it (AVX512-VNNI at level avx512, AVX-VNNI at level avx2) unless disabled by
// SetInt8Vnni(false) or the environment variable GNN_KERNELS_INT8=novnni.
Int8Path ActiveInt8Path();
const char* Int8PathName(Int8Path path);
// Enables or disables the VNNI paths (tests force each path); returns the path now in effect.
Int8Path SetInt8Vnni(bool enabled);
bool HasAvxVnni();

// Bytes of the packed form of an [m, k] int8 weight; -1 when the sizes are invalid or too large.
int64_t PackedQWeightBytes(int64_t m, int64_t k);
// Packs codes w [m, k] (row-major) into packed[PackedQWeightBytes(m, k)].
Status PackQWeight(const int8_t* w, int64_t m, int64_t k, int8_t* packed, int64_t packed_length);

struct QLinearArgs {
  int64_t n = 0;
  int64_t k = 0;
  int64_t m = 0;
  // x: either fp32 (quantized here to uint8, dynamic per row or static per tensor) ...
  bool x_is_codes = false;
  const float* x = nullptr;
  int64_t x_length = 0;
  bool static_input = false;  // fp32 x with the per-tensor uint8 params below
  float static_scale = 1.0f;
  int32_t static_zero_point = 0;
  // ... or codes [n, k] with scale (n or 1 entries) and, for uint8, zero points (as many).
  const uint8_t* xq = nullptr;  // int8 codes are passed as their bytes with xq_signed
  int64_t xq_length = 0;
  bool xq_signed = false;
  const float* x_scale = nullptr;
  int64_t x_scale_length = 0;
  const int32_t* x_zero_point = nullptr;
  int64_t x_zero_point_length = 0;
  // PackQWeight's output and the weight's scales [m].
  const int8_t* packed = nullptr;
  int64_t packed_length = 0;
  const float* w_scale = nullptr;
  int64_t w_scale_length = 0;
  const float* bias = nullptr;  // [m] or null
  int64_t bias_length = 0;
  Activation act = Activation::kNone;
  float alpha = 0.0f;
  // Output: fp32 [n, m], or int8 codes [n, m] with one scale per row.
  float* out = nullptr;
  int64_t out_length = 0;
  int8_t* out_q = nullptr;
  int64_t out_q_length = 0;
  float* out_scale = nullptr;
  int64_t out_scale_length = 0;
};

// The O(1) checks: sizes against lengths, K limit, static params, exactly one x and one output, no
// overlap between the output and any input.
Status CheckQLinearArgs(const QLinearArgs& args);
// Runs on the thread pool. Fails with ERR_INVALID_ARG_VALUE when fp32 x holds NaN or ±Infinity
// (nothing to quantize them to), or when an int8 output row is not finite.
Status QLinear(const QLinearArgs& args);

// Per-ISA pieces (qgemm_impl.h), called only after the run-time checks.
struct QGemmPlan {
  int64_t kp = 0;            // K rounded up to 4
  int64_t mp = 0;            // M rounded up to 16
  int64_t panel_stride = 0;  // bytes per 16-column panel: kp * 16
  int64_t nc = 0;            // columns per column block
  const int32_t* colsum = nullptr;
};
// Per-task scratch (one slot per running thread).
struct QScratch {
  uint8_t* act = nullptr;  // rows_per_task x kp
  float* sa = nullptr;     // rows_per_task
  int32_t* za = nullptr;   // rows_per_task
  float* tile = nullptr;   // mr x mp (int8 output only)
};
// Result of a task: 0 ok, 1 fp32 x not finite, 2 an int8 output row not finite.
using QRowsFn = int (*)(const QLinearArgs&, const QGemmPlan&, int64_t row_begin, int64_t row_end, const QScratch&);
// Row quantizers: range of a row (returns false when a value is NaN or infinite), codes of a row.
using QAbsMaxFn = bool (*)(const float* x, int64_t k, float* absmax);
using QMinMaxFn = bool (*)(const float* x, int64_t k, float* lo, float* hi);
using QCodesFn = bool (*)(const float* x, int64_t k, float inv, int32_t zero_point, uint8_t* q);
struct QKernels {
  int mr;
  int nr;
  QRowsFn rows;
  QAbsMaxFn absmax;
  QMinMaxFn minmax;
  QCodesFn codes_s8;  // clamp to [-127, 127], zero_point ignored
  QCodesFn codes_u8;  // clamp to [0, 255] around zero_point
};
const QKernels& Int8Kernels(Int8Path path);

namespace scalar { const QKernels& QGemmKernels(); }
namespace avx2 { const QKernels& QGemmKernels(); }
namespace avxvnni { const QKernels& QGemmKernels(); }
namespace avx512 { const QKernels& QGemmKernels(); }
namespace avx512vnni { const QKernels& QGemmKernels(); }

}  // namespace gnn
