#include "quantize.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "qgemm.h"
#include "qgemm_impl.h"
#include "thread_pool.h"

namespace gnn {
namespace {

struct QuantizeTag {};  // SymmetricParams / AsymmetricParams instantiated for this file

constexpr int64_t kMaxElements = (int64_t{1} << 53) - 1;
// Elements per task: enough work to amortise a wake-up, few enough tasks to balance.
constexpr int64_t kElementsPerTask = int64_t{1} << 16;
constexpr int64_t kParallelFromElements = int64_t{1} << 18;


Status NotFinite() { return Status(StatusCode::kInvalidArgValue, "x: expected finite values to quantize, got NaN or ±Infinity"); }

// Rows per task and threads for an [n, k] pass.
void Split(int64_t n, int64_t k, int64_t* rows_per_task, int* threads) {
  *rows_per_task = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(k, 1));
  *threads = n * std::max<int64_t>(k, 1) >= kParallelFromElements ? NumThreads() : 1;
}

}  // namespace

QuantParams StaticParams(double scale, int64_t zero_point) {
  QuantParams p;
  p.scale = static_cast<float>(scale);
  p.inv = static_cast<float>(1.0 / static_cast<double>(p.scale));
  p.zero_point = static_cast<int32_t>(zero_point);
  return p;
}

Status CheckStaticParams(double scale, int64_t zero_point, bool is_signed, const char* name) {
  const float s = static_cast<float>(scale);
  if (!(std::isfinite(scale) && s > 0.0f && std::isfinite(s) && std::isfinite(static_cast<float>(1.0 / static_cast<double>(s))))) {
    return Status(StatusCode::kOutOfRange, std::string(name) + ".scale: expected a finite number > 0 whose float32 reciprocal is finite");
  }
  if (is_signed ? zero_point != 0 : (zero_point < 0 || zero_point > 255)) {
    return Status(StatusCode::kOutOfRange, std::string(name) + ".zeroPoint: expected " +
                                               (is_signed ? "0 for int8 codes" : "an integer in [0, 255]") + ", got " + Str(zero_point));
  }
  return Status::Ok();
}

Status CheckQuantizeArgs(const QuantizeArgs& a) {
  if (a.n < 0 || a.k < 0 || a.n > kMaxElements || a.k > kMaxElements || (a.k > 0 && a.n > kMaxElements / a.k)) {
    return Status(StatusCode::kOutOfRange, "x: expected a shape [N, K] with N K < 2^53");
  }
  const int64_t nk = a.n * a.k;
  if (a.x_length != nk || (a.x == nullptr && nk > 0)) {
    return Status(StatusCode::kShapeMismatch, "x: expected " + Str(nk) + " elements, got " + Str(a.x_length));
  }
  if (a.codes_length != nk || (a.codes == nullptr && nk > 0)) {
    return Status(StatusCode::kShapeMismatch, "out.data: expected " + Str(nk) + " codes, got " + Str(a.codes_length));
  }
  const int64_t groups = a.per_row && !a.is_static ? a.n : 1;
  if (a.scale_length != groups || a.scale == nullptr) {
    return Status(StatusCode::kShapeMismatch, "out.scale: expected " + Str(groups) + " entries, got " + Str(a.scale_length));
  }
  if (a.is_signed ? a.zero_point != nullptr : (a.zero_point == nullptr || a.zero_point_length != groups)) {
    return Status(StatusCode::kShapeMismatch, "out.zeroPoint: expected " + (a.is_signed ? std::string("none for int8") : Str(groups) + " entries") +
                                                  ", got " + Str(a.zero_point != nullptr ? a.zero_point_length : 0));
  }
  if (a.is_static) GNN_RETURN_IF_ERROR(CheckStaticParams(a.static_scale, a.static_zero_point, a.is_signed, "options"));
  const int64_t xb = a.x_length * 4;
  if (Overlap(a.codes, a.codes_length, a.x, xb) || Overlap(a.scale, a.scale_length * 4, a.x, xb) ||
      Overlap(a.zero_point, a.zero_point_length * 4, a.x, xb) || Overlap(a.codes, a.codes_length, a.scale, a.scale_length * 4) ||
      Overlap(a.codes, a.codes_length, a.zero_point, a.zero_point_length * 4) ||
      Overlap(a.scale, a.scale_length * 4, a.zero_point, a.zero_point_length * 4)) {
    return Status(StatusCode::kInvalidArgValue, "out: expected memory separate from x and from each other, got overlapping views");
  }
  return Status::Ok();
}

Status Quantize(const QuantizeArgs& a) {
  GNN_RETURN_IF_ERROR(CheckQuantizeArgs(a));
  if (a.n == 0) return Status::Ok();
  const QKernels& q = Int8Kernels(ActiveInt8Path());
  const QCodesFn codes = a.is_signed ? q.codes_s8 : q.codes_u8;
  int64_t per_task = 1;
  int threads = 1;
  Split(a.n, a.k, &per_task, &threads);
  const int64_t tasks = (a.n + per_task - 1) / per_task;
  std::atomic<bool> finite{true};
  auto params_of = [&](float lo, float hi) {
    return a.is_signed ? qgemm_impl::SymmetricParams<QuantizeTag>(hi) : qgemm_impl::AsymmetricParams<QuantizeTag>(lo, hi);
  };
  // Range of rows [r0, r1): signed -> (0, absmax), unsigned -> (min(0, min), max(0, max)).
  auto range = [&](int64_t r, float* lo, float* hi) {
    *lo = 0.0f;
    *hi = 0.0f;
    return a.is_signed ? q.absmax(a.x + r * a.k, a.k, hi) : q.minmax(a.x + r * a.k, a.k, lo, hi);
  };
  if (a.per_row && !a.is_static) {
    ParallelFor(tasks, threads, [&](int64_t t) {
      bool ok = true;
      for (int64_t r = t * per_task; r < std::min(a.n, (t + 1) * per_task); ++r) {
        float lo, hi;
        ok &= range(r, &lo, &hi);
        const QuantParams p = params_of(lo, hi);
        ok &= codes(a.x + r * a.k, a.k, p.inv, p.zero_point, a.codes + r * a.k);
        a.scale[r] = p.scale;
        if (a.zero_point != nullptr) a.zero_point[r] = p.zero_point;
      }
      if (!ok) finite.store(false);
    });
    return finite.load() ? Status::Ok() : NotFinite();
  }
  QuantParams p;
  if (a.is_static) {
    p = StaticParams(a.static_scale, a.static_zero_point);
  } else {
    std::vector<float> los(static_cast<size_t>(tasks), 0.0f), his(static_cast<size_t>(tasks), 0.0f);
    ParallelFor(tasks, threads, [&](int64_t t) {
      bool ok = true;
      float tlo = 0.0f, thi = 0.0f;
      for (int64_t r = t * per_task; r < std::min(a.n, (t + 1) * per_task); ++r) {
        float lo, hi;
        ok &= range(r, &lo, &hi);
        tlo = std::min(tlo, lo);
        thi = std::max(thi, hi);
      }
      los[t] = tlo;
      his[t] = thi;
      if (!ok) finite.store(false);
    });
    if (!finite.load()) return NotFinite();
    p = params_of(*std::min_element(los.begin(), los.end()), *std::max_element(his.begin(), his.end()));
  }
  ParallelFor(tasks, threads, [&](int64_t t) {
    bool ok = true;
    for (int64_t r = t * per_task; r < std::min(a.n, (t + 1) * per_task); ++r) {
      ok &= codes(a.x + r * a.k, a.k, p.inv, p.zero_point, a.codes + r * a.k);
    }
    if (!ok) finite.store(false);
  });
  a.scale[0] = p.scale;
  if (a.zero_point != nullptr) a.zero_point[0] = p.zero_point;
  return finite.load() ? Status::Ok() : NotFinite();
}

Status CheckDequantizeArgs(const DequantizeArgs& a) {
  if (a.n < 0 || a.k < 0 || a.n > kMaxElements || a.k > kMaxElements || (a.k > 0 && a.n > kMaxElements / a.k)) {
    return Status(StatusCode::kOutOfRange, "q: expected a shape [N, K] with N K < 2^53");
  }
  const int64_t nk = a.n * a.k;
  if (a.codes_length != nk || (a.codes == nullptr && nk > 0)) {
    return Status(StatusCode::kShapeMismatch, "q.data: expected " + Str(nk) + " codes, got " + Str(a.codes_length));
  }
  if (a.scale == nullptr || (a.scale_length != a.n && a.scale_length != 1)) {
    return Status(StatusCode::kShapeMismatch, "q.scale: expected " + Str(a.n) + " or 1 entries, got " + Str(a.scale_length));
  }
  if (a.is_signed ? a.zero_point != nullptr : (a.zero_point == nullptr || a.zero_point_length != a.scale_length)) {
    return Status(StatusCode::kShapeMismatch, "q.zeroPoint: expected " + (a.is_signed ? std::string("none for int8") : Str(a.scale_length) + " entries"));
  }
  if (a.out_length != nk || (a.out == nullptr && nk > 0)) {
    return Status(StatusCode::kShapeMismatch, "out: expected " + Str(nk) + " elements, got " + Str(a.out_length));
  }
  const int64_t ob = a.out_length * 4;
  if (Overlap(a.out, ob, a.codes, a.codes_length) || Overlap(a.out, ob, a.scale, a.scale_length * 4) ||
      Overlap(a.out, ob, a.zero_point, a.zero_point_length * 4)) {
    return Status(StatusCode::kInvalidArgValue, "out: expected memory separate from the inputs, got a view that overlaps one");
  }
  return Status::Ok();
}

Status Dequantize(const DequantizeArgs& a) {
  GNN_RETURN_IF_ERROR(CheckDequantizeArgs(a));
  if (a.n == 0) return Status::Ok();
  int64_t per_task = 1;
  int threads = 1;
  Split(a.n, a.k, &per_task, &threads);
  const int64_t tasks = (a.n + per_task - 1) / per_task;
  const bool per_row = a.scale_length != 1 || a.n == 1;
  ParallelFor(tasks, threads, [&](int64_t t) {
    for (int64_t r = t * per_task; r < std::min(a.n, (t + 1) * per_task); ++r) {
      const int64_t g = per_row ? r : 0;
      const float s = a.scale[g];
      const uint8_t* src = a.codes + r * a.k;
      float* dst = a.out + r * a.k;
      if (a.is_signed) {
        for (int64_t i = 0; i < a.k; ++i) dst[i] = static_cast<float>(static_cast<int8_t>(src[i])) * s;
      } else {
        const int32_t zp = a.zero_point[g];
        for (int64_t i = 0; i < a.k; ++i) dst[i] = static_cast<float>(static_cast<int32_t>(src[i]) - zp) * s;
      }
    }
  });
  return Status::Ok();
}

}  // namespace gnn
