#include "bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>

#include "thread_pool.h"

namespace gnn {
namespace {

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Status MeasureBandwidth(int64_t bytes_per_array, int threads, int repeats, BandwidthResult* out) {
  if (bytes_per_array < (int64_t{1} << 20) || threads < 1 || repeats < 1) {
    return Status(StatusCode::kOutOfRange, "bandwidth probe: expected >= 1 MiB per array, >= 1 thread, >= 1 repeat");
  }
  const int64_t n = bytes_per_array / 4 / 1024 * 1024;
  const size_t bytes = static_cast<size_t>(n) * 4;
  std::unique_ptr<float, FreeDeleter> a(static_cast<float*>(std::aligned_alloc(64, bytes)));
  std::unique_ptr<float, FreeDeleter> b(static_cast<float*>(std::aligned_alloc(64, bytes)));
  std::unique_ptr<float, FreeDeleter> c(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (!a || !b || !c) return Status(StatusCode::kOutOfMemory, "bandwidth probe: allocation failed");
  float* pa = a.get();
  float* pb = b.get();
  float* pc = c.get();
  const int64_t per = (n + threads - 1) / threads;
  auto range = [&](int64_t t, int64_t* lo, int64_t* hi) {
    *lo = std::min(n, t * per);
    *hi = std::min(n, *lo + per);
  };
  // First touch by the thread that later streams each part.
  ParallelFor(threads, threads, [&](int64_t t) {
    int64_t lo, hi;
    range(t, &lo, &hi);
    for (int64_t i = lo; i < hi; ++i) { pa[i] = 1.0f; pb[i] = 2.0f; pc[i] = 0.0f; }
  });
  double best_copy = 1e30, best_triad = 1e30;
  for (int r = 0; r < repeats + 1; ++r) {  // the first round warms up
    double t0 = Seconds();
    ParallelFor(threads, threads, [&](int64_t t) {
      int64_t lo, hi;
      range(t, &lo, &hi);
      const float* __restrict src = pa;
      float* __restrict dst = pc;
      for (int64_t i = lo; i < hi; ++i) dst[i] = src[i];
    });
    double t1 = Seconds();
    ParallelFor(threads, threads, [&](int64_t t) {
      int64_t lo, hi;
      range(t, &lo, &hi);
      const float* __restrict x = pb;
      const float* __restrict y = pc;
      float* __restrict dst = pa;
      for (int64_t i = lo; i < hi; ++i) dst[i] = x[i] + 3.0f * y[i];
    });
    double t2 = Seconds();
    if (r > 0) {
      best_copy = std::min(best_copy, t1 - t0);
      best_triad = std::min(best_triad, t2 - t1);
    }
  }
  out->copy_gbps = 2.0 * static_cast<double>(bytes) / best_copy / 1e9;
  out->triad_gbps = 3.0 * static_cast<double>(bytes) / best_triad / 1e9;
  out->threads = threads;
  out->bytes_per_array = static_cast<int64_t>(bytes);
  return Status::Ok();
}

}  // namespace gnn
