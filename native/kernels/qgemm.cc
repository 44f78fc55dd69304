#include "qgemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "cpu_features.h"
#include "thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#define GNN_QGEMM_X86 1
#endif

namespace gnn {
namespace {

// AVX-VNNI (VEX-encoded vpdpbusd): CPUID.(EAX=7, ECX=1):EAX bit 4. The OS state for ymm was
// checked by DetectedSimdLevel() (>= avx2), which the path selection also requires.
bool DetectAvxVnni() {
#if GNN_QGEMM_X86
#if defined(_MSC_VER)
  int r[4];
  __cpuidex(r, 0, 0);
  if (r[0] < 7) return false;
  __cpuidex(r, 7, 0);
  if (r[0] < 1) return false;
  __cpuidex(r, 7, 1);
  return (r[0] >> 4) & 1;
#else
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  if (a < 1) return false;
  __cpuid_count(7, 1, a, b, c, d);
  return (a >> 4) & 1;
#endif
#else
  return false;
#endif
}

std::atomic<bool>& VnniEnabled() {
  static std::atomic<bool> enabled{[] {
    const char* env = std::getenv("GNN_KERNELS_INT8");
    return !(env != nullptr && std::strcmp(env, "novnni") == 0);
  }()};
  return enabled;
}

// Columns per column block: nc x kp bytes of packed weight within this budget (L2-resident while
// the rows of a task meet it; half the fp32 GEMM's budget in floats, as the codes are 4x smaller).
constexpr int64_t kBlockBytes = int64_t{384} << 10;
constexpr int64_t kParallelFromOps = int64_t{1} << 22;
constexpr int64_t kRowsPerTask = 96;
constexpr int64_t kTasksPerThread = 4;
constexpr int64_t kMaxElements = (int64_t{1} << 53) - 1;


int64_t RoundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

Status Mismatch(const std::string& m) { return Status(StatusCode::kShapeMismatch, m); }

}  // namespace

bool HasAvxVnni() {
  static const bool has = DetectAvxVnni();
  return has;
}

Int8Path ActiveInt8Path() {
  const bool vnni = VnniEnabled().load(std::memory_order_relaxed);
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return vnni && HasAvx512Vnni() ? Int8Path::kAvx512Vnni : Int8Path::kAvx512;
    case SimdLevel::kAvx2: return vnni && HasAvxVnni() ? Int8Path::kAvxVnni : Int8Path::kAvx2;
    case SimdLevel::kScalar: break;
  }
  return Int8Path::kScalar;
}

const char* Int8PathName(Int8Path path) {
  switch (path) {
    case Int8Path::kAvx512Vnni: return "avx512-vnni";
    case Int8Path::kAvx512: return "avx512bw";
    case Int8Path::kAvxVnni: return "avx-vnni";
    case Int8Path::kAvx2: return "avx2";
    case Int8Path::kScalar: break;
  }
  return "scalar";
}

Int8Path SetInt8Vnni(bool enabled) {
  VnniEnabled().store(enabled, std::memory_order_relaxed);
  return ActiveInt8Path();
}

const QKernels& Int8Kernels(Int8Path path) {
#if defined(GNN_X86_KERNELS)
  switch (path) {
    case Int8Path::kAvx512Vnni: return avx512vnni::QGemmKernels();
    case Int8Path::kAvx512: return avx512::QGemmKernels();
    case Int8Path::kAvxVnni: return avxvnni::QGemmKernels();
    case Int8Path::kAvx2: return avx2::QGemmKernels();
    case Int8Path::kScalar: break;
  }
#else
  (void)path;
#endif
  return scalar::QGemmKernels();
}

int64_t PackedQWeightBytes(int64_t m, int64_t k) {
  if (m < 0 || k < 0 || m > kMaxElements || k > kMaxElements) return -1;
  const int64_t mp = RoundUp(m, 16);
  const int64_t kp = RoundUp(k, 4);
  if (!MulFits(mp, kp + 4, kMaxElements)) return -1;
  return mp * kp + 4 * mp;
}

Status PackQWeight(const int8_t* w, int64_t m, int64_t k, int8_t* packed, int64_t packed_length) {
  const int64_t want = PackedQWeightBytes(m, k);
  if (want < 0 || !MulFits(m, k, kMaxElements)) {
    return Status(StatusCode::kOutOfRange, "weight: expected a shape [M, K] whose packed form has fewer than 2^53 bytes, got [" +
                                               Str(m) + ", " + Str(k) + "]");
  }
  if (packed_length != want) {
    return Mismatch("packed: expected " + Str(want) + " bytes for a [" + Str(m) + ", " + Str(k) + "] weight, got " + Str(packed_length));
  }
  if (want == 0) return Status::Ok();
  if (packed == nullptr || (w == nullptr && m * k > 0)) return Status(StatusCode::kInvalidArgValue, "weight: expected data, got none");
  if (Overlap(w, m * k, packed, want)) {
    return Status(StatusCode::kInvalidArgValue, "packed: expected memory separate from the weight, got an overlapping view");
  }
  const int64_t mp = RoundUp(m, 16);
  const int64_t kp = RoundUp(k, 4);
  std::memset(packed, 0, static_cast<size_t>(want));
  int32_t* colsum = reinterpret_cast<int32_t*>(packed + mp * kp);  // mp * kp is a multiple of 64
  for (int64_t j = 0; j < m; ++j) {
    int8_t* panel = packed + (j / 16) * kp * 16 + (j % 16) * 4;
    const int8_t* src = w + j * k;
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      panel[(kk / 4) * 64 + (kk % 4)] = src[kk];
      sum += src[kk];
    }
    std::memcpy(colsum + j, &sum, 4);
  }
  return Status::Ok();
}

Status CheckQLinearArgs(const QLinearArgs& a) {
  if (!IsValidActivation(static_cast<int>(a.act))) {
    return Status(StatusCode::kInvalidArgValue, "activation: expected a code in [0, 6], got " + Str(static_cast<int>(a.act)));
  }
  if (a.n < 0 || a.k < 0 || a.m < 0 || !MulFits(a.n, a.k, kMaxElements) || !MulFits(a.n, a.m, kMaxElements)) {
    return Status(StatusCode::kOutOfRange, "quantizedLinear: expected sizes with N K and N M below 2^53, got N = " + Str(a.n) +
                                               ", K = " + Str(a.k) + ", M = " + Str(a.m));
  }
  if (a.k > kMaxQGemmK) {
    return Status(StatusCode::kOutOfRange, "x: expected at most " + Str(kMaxQGemmK) +
                                               " features (K; the int32 accumulator is exact up to there), got " + Str(a.k));
  }
  const int64_t nk = a.n * a.k;
  if (!a.x_is_codes) {
    if (a.x_length != nk || (a.x == nullptr && nk > 0)) {
      return Mismatch("x: expected " + Str(a.n) + " x " + Str(a.k) + " = " + Str(nk) + " elements, got " + Str(a.x_length));
    }
  } else {
    if (a.xq_length != nk || (a.xq == nullptr && nk > 0)) {
      return Mismatch("x.data: expected " + Str(a.n) + " x " + Str(a.k) + " = " + Str(nk) + " codes, got " + Str(a.xq_length));
    }
    if (a.x_scale == nullptr || (a.x_scale_length != a.n && a.x_scale_length != 1)) {
      return Mismatch("x.scale: expected " + Str(a.n) + " (per row) or 1 (per tensor) entries, got " + Str(a.x_scale_length));
    }
    if (!a.xq_signed && (a.x_zero_point == nullptr || a.x_zero_point_length != a.x_scale_length)) {
      return Mismatch("x.zeroPoint: expected " + Str(a.x_scale_length) + " entries to match x.scale, got " +
                      Str(a.x_zero_point_length));
    }
    if (a.static_input) return Status(StatusCode::kInvalidArgValue, "input: expected no static params for an already quantized x");
  }
  if (a.static_input) {
    const double s = a.static_scale;
    const double inv = 1.0 / s;
    if (!(s > 0.0 && std::isfinite(s) && std::isfinite(static_cast<float>(inv)))) {
      return Status(StatusCode::kOutOfRange, "input.scale: expected a finite number > 0 with a finite reciprocal");
    }
    if (a.static_zero_point < 0 || a.static_zero_point > 255) {
      return Status(StatusCode::kOutOfRange, "input.zeroPoint: expected an integer in [0, 255], got " + Str(a.static_zero_point));
    }
  }
  const int64_t packed_want = PackedQWeightBytes(a.m, a.k);
  if (packed_want < 0 || a.packed_length != packed_want || (a.packed == nullptr && packed_want > 0)) {
    return Mismatch("packed: expected " + Str(packed_want) + " bytes for a [" + Str(a.m) + ", " + Str(a.k) + "] weight, got " +
                    Str(a.packed_length));
  }
  if (a.w_scale_length != a.m || (a.w_scale == nullptr && a.m > 0)) {
    return Mismatch("weight.scale: expected " + Str(a.m) + " entries, got " + Str(a.w_scale_length));
  }
  if (a.bias != nullptr && a.bias_length != a.m) {
    return Mismatch("bias: expected " + Str(a.m) + " elements, got " + Str(a.bias_length));
  }
  const int64_t nm = a.n * a.m;
  if ((a.out == nullptr) == (a.out_q == nullptr)) {
    return Status(StatusCode::kInvalidArgValue, "out: expected either a float32 output or int8 codes with scales");
  }
  if (a.out != nullptr && a.out_length != nm) {
    return Mismatch("out: expected " + Str(a.n) + " x " + Str(a.m) + " = " + Str(nm) + " elements, got " + Str(a.out_length));
  }
  if (a.out_q != nullptr) {
    if (a.out_q_length != nm) {
      return Mismatch("out.data: expected " + Str(a.n) + " x " + Str(a.m) + " = " + Str(nm) + " codes, got " + Str(a.out_q_length));
    }
    if (a.out_scale == nullptr || a.out_scale_length != a.n) {
      return Mismatch("out.scale: expected " + Str(a.n) + " entries (one per row), got " + Str(a.out_scale_length));
    }
  }
  struct Span {
    const void* p;
    int64_t bytes;
  };
  const Span inputs[] = {{a.x, a.x_is_codes ? 0 : a.x_length * 4},
                         {a.xq, a.x_is_codes ? a.xq_length : 0},
                         {a.x_scale, a.x_scale != nullptr ? a.x_scale_length * 4 : 0},
                         {a.x_zero_point, a.x_zero_point != nullptr ? a.x_zero_point_length * 4 : 0},
                         {a.packed, a.packed_length},
                         {a.w_scale, a.w_scale_length * 4},
                         {a.bias, a.bias != nullptr ? a.bias_length * 4 : 0}};
  const Span outputs[] = {{a.out, a.out != nullptr ? a.out_length * 4 : 0},
                          {a.out_q, a.out_q != nullptr ? a.out_q_length : 0},
                          {a.out_scale, a.out_scale != nullptr ? a.out_scale_length * 4 : 0}};
  for (const Span& o : outputs) {
    for (const Span& i : inputs) {
      if (Overlap(o.p, o.bytes, i.p, i.bytes)) {
        return Status(StatusCode::kInvalidArgValue, "out: expected memory separate from the inputs, got a view that overlaps one");
      }
    }
  }
  if (Overlap(a.out_q, a.out_q_length, a.out_scale, a.out_scale_length * 4)) {
    return Status(StatusCode::kInvalidArgValue, "out.scale: expected memory separate from out.data, got an overlapping view");
  }
  return Status::Ok();
}

Status QLinear(const QLinearArgs& a) {
  GNN_RETURN_IF_ERROR(CheckQLinearArgs(a));
  if (a.n == 0 || a.m == 0) return Status::Ok();
  const QKernels& kernels = Int8Kernels(ActiveInt8Path());
  QGemmPlan plan;
  plan.kp = RoundUp(a.k, 4);
  plan.mp = RoundUp(a.m, 16);
  plan.panel_stride = plan.kp * 16;
  plan.nc = std::max<int64_t>(kernels.nr, kBlockBytes / std::max<int64_t>(plan.kp, 1) / kernels.nr * kernels.nr);
  plan.colsum = reinterpret_cast<const int32_t*>(a.packed + plan.mp * plan.kp);

  const int64_t mr = kernels.mr;
  const double ops = 2.0 * static_cast<double>(a.n) * static_cast<double>(a.m) * static_cast<double>(std::max<int64_t>(a.k, 1));
  int threads = NumThreads();
  if (ops < static_cast<double>(kParallelFromOps)) threads = 1;
  int64_t per_task = std::min(kRowsPerTask, (a.n + threads * kTasksPerThread - 1) / (threads * kTasksPerThread));
  per_task = std::max<int64_t>(mr, (per_task + mr - 1) / mr * mr);
  const int64_t tasks = (a.n + per_task - 1) / per_task;
  threads = static_cast<int>(std::min<int64_t>(threads, tasks));

  // One scratch slot per thread that can run at once, claimed by each task: codes of the task's
  // rows (64-byte aligned rows of kp bytes), their scales and zero points, and the fp32 tile that
  // int8 output is requantised from. Allocated once per call, never in the loops.
  const int64_t act_bytes = RoundUp(per_task * plan.kp, 64);
  const int64_t sa_bytes = RoundUp(per_task * 4, 64);
  const int64_t tile_bytes = a.out_q != nullptr ? RoundUp(mr * plan.mp * 4, 64) : 0;
  const int64_t slot_bytes = act_bytes + 2 * sa_bytes + tile_bytes;
  std::unique_ptr<uint8_t[]> memory(new (std::nothrow) uint8_t[static_cast<size_t>(slot_bytes * threads + 64)]);
  if (!memory) return Status(StatusCode::kOutOfMemory, "quantizedLinear: could not allocate " + Str(slot_bytes * threads) + " bytes of scratch");
  uint8_t* base = memory.get() + (64 - reinterpret_cast<uintptr_t>(memory.get()) % 64) % 64;
  std::vector<QScratch> slots(static_cast<size_t>(threads));
  std::unique_ptr<std::atomic<bool>[]> busy(new std::atomic<bool>[static_cast<size_t>(threads)]);
  for (int t = 0; t < threads; ++t) {
    uint8_t* p = base + t * slot_bytes;
    slots[t].act = p;
    slots[t].sa = reinterpret_cast<float*>(p + act_bytes);
    slots[t].za = reinterpret_cast<int32_t*>(p + act_bytes + sa_bytes);
    slots[t].tile = tile_bytes > 0 ? reinterpret_cast<float*>(p + act_bytes + 2 * sa_bytes) : nullptr;
    busy[t].store(false);
  }
  std::atomic<int> failure{0};
  ParallelFor(tasks, threads, [&](int64_t t) {
    int slot = 0;
    for (;; slot = (slot + 1) % threads) {
      bool expected = false;
      if (busy[slot].compare_exchange_strong(expected, true, std::memory_order_acquire)) break;
    }
    const int64_t begin = t * per_task;
    const int r = kernels.rows(a, plan, begin, std::min(a.n, begin + per_task), slots[slot]);
    busy[slot].store(false, std::memory_order_release);
    if (r != 0) {
      int none = 0;
      failure.compare_exchange_strong(none, r);
    }
  });
  if (failure.load() == 1) {
    return Status(StatusCode::kInvalidArgValue, "x: expected finite values to quantize, got NaN or ±Infinity");
  }
  if (failure.load() == 2) {
    return Status(StatusCode::kInvalidArgValue,
                  "out: expected finite results to requantise to int8, got NaN or ±Infinity (check the scales and bias)");
  }
  return Status::Ok();
}

}  // namespace gnn
