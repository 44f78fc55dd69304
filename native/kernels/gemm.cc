#include "gemm.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "arg_checks.h"
#include "cpu_features.h"
#include "thread_pool.h"

namespace gnn {
namespace {

using PackFn = void (*)(const float*, int64_t, int64_t, const GemmBlocking&, float*);
using RowsFn = void (*)(const LinearArgs&, const GemmBlocking&, int64_t, int64_t);
using ProbeFn = float (*)(int64_t, float);

struct GemmKernels {
  PackFn pack;
  RowsFn rows;
  ProbeFn probe;
};

// The kernels that read `layout`; the caller has checked GemmLayoutSupported(layout).
GemmKernels KernelsFor(GemmLayout layout) {
#if defined(GNN_X86_KERNELS)
  switch (layout) {
    case GemmLayout::kAvx512: return {&avx512::GemmPack, &avx512::GemmRows, &avx512::FmaProbe};
    case GemmLayout::kAvx2: return {&avx2::GemmPack, &avx2::GemmRows, &avx2::FmaProbe};
    case GemmLayout::kScalar: break;
  }
#else
  (void)layout;
#endif
  return {&scalar::GemmPack, &scalar::GemmRows, &scalar::FmaProbe};
}

// Bytes of one K-block of the packed weight: kc x M floats that every MR rows of x stream
// through, so the block should stay in L2 next to the task's rows of x and out (measured on a
// 1 MiB-L2 core; 2 MiB-L2 cores lose nothing, 256 KiB-L2 cores fall back to L3 for large M).
constexpr int64_t kPackedBlockBytes = int64_t{384} << 10;
// K-blocks are at least this deep, so the tile's load / store of out is amortised over many FMAs.
constexpr int64_t kMinKc = 128;
// Below this many flops one thread is faster than waking others (~20 us of work).
constexpr int64_t kParallelFromFlops = int64_t{1} << 22;
// Rows of x per task: a task's rows of x and out stay in L2 across K-blocks.
constexpr int64_t kRowsPerTask = 96;
// Tasks per thread at least, so uneven progress of the threads (a shared host) evens out.
constexpr int64_t kTasksPerThread = 4;
// What a JavaScript typed array can index; every size and product is checked against it.
constexpr int64_t kMaxElements = (int64_t{1} << 53) - 1;


double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

GemmLayout ActiveGemmLayout() { return static_cast<GemmLayout>(static_cast<int>(ActiveSimdLevel())); }

bool GemmLayoutSupported(int layout) {
  return layout >= 0 && layout <= static_cast<int>(DetectedSimdLevel());
}

GemmBlocking PlanGemmBlockingFor(const GemmTile& tile, int64_t m, int64_t k, int64_t block_bytes) {
  GemmBlocking b;
  if (m < 0 || k < 0 || m > kMaxElements || k > kMaxElements || tile.nr <= 0 || tile.width <= 0) return b;
  b.padded_m = m / tile.nr * tile.nr + (m % tile.nr + tile.width - 1) / tile.width * tile.width;
  if (k == 0) {  // one empty block: the epilogue still writes act(bias)
    b.kc = 0;
    b.count = 1;
    b.nc = std::max<int64_t>(tile.nr, b.padded_m);
    return b;
  }
  const int64_t kc_max = std::max(kMinKc, block_bytes / (4 * std::max<int64_t>(b.padded_m, 1)));
  b.count = (k + kc_max - 1) / kc_max;
  b.kc = (k + b.count - 1) / b.count;  // balanced blocks
  b.count = (k + b.kc - 1) / b.kc;
  // Wide weights (kc x M over the budget even at the smallest kc): column blocks of whole panels.
  b.nc = std::max<int64_t>(tile.nr, block_bytes / (4 * b.kc) / tile.nr * tile.nr);
  return b;
}

GemmBlocking PlanGemmBlocking(GemmLayout layout, int64_t m, int64_t k) {
  const int l = static_cast<int>(layout);
  if (l < 0 || l > 2) return GemmBlocking();
  return PlanGemmBlockingFor(kGemmTiles[l], m, k, kPackedBlockBytes);
}

int64_t PackedWeightLength(int layout, int64_t m, int64_t k) {
  if (layout < 0 || layout > 2) return -1;
  const GemmBlocking b = PlanGemmBlocking(static_cast<GemmLayout>(layout), m, k);
  if (b.count == 0 || !MulFits(b.padded_m, k, kMaxElements)) return -1;
  return b.padded_m * k;
}

Status PackWeight(const float* w, int64_t m, int64_t k, int layout, float* packed, int64_t packed_length) {
  if (layout < 0 || layout > 2) {
    return Status(StatusCode::kInvalidArgValue, "layout: expected 0 (scalar), 1 (avx2) or 2 (avx512), got " + Str(layout));
  }
  if (!GemmLayoutSupported(layout)) {
    return Status(StatusCode::kInvalidArgValue, "layout: expected one this CPU supports, got " + Str(layout));
  }
  if (m < 0 || k < 0 || !MulFits(m, k, kMaxElements)) {
    return Status(StatusCode::kOutOfRange, "weight: expected a shape [M, K] with M K < 2^53, got [" + Str(m) + ", " + Str(k) + "]");
  }
  const int64_t want = PackedWeightLength(layout, m, k);
  if (want < 0 || packed_length != want) {
    return Status(StatusCode::kShapeMismatch, "packed: expected " + Str(want) + " floats for a [" + Str(m) + ", " + Str(k) +
                                                  "] weight, got " + Str(packed_length));
  }
  if (want == 0) return Status::Ok();
  if (w == nullptr || packed == nullptr) return Status(StatusCode::kInvalidArgValue, "weight: expected data, got none");
  if (Overlap(w, m * k * 4, packed, want * 4)) {
    return Status(StatusCode::kInvalidArgValue, "packed: expected memory separate from the weight, got an overlapping view");
  }
  const GemmLayout l = static_cast<GemmLayout>(layout);
  KernelsFor(l).pack(w, m, k, PlanGemmBlocking(l, m, k), packed);
  return Status::Ok();
}

Status CheckLinearArgs(const LinearArgs& a) {
  if (a.layout < 0 || a.layout > 2) {
    return Status(StatusCode::kInvalidArgValue, "layout: expected 0 (scalar), 1 (avx2) or 2 (avx512), got " + Str(a.layout));
  }
  if (!GemmLayoutSupported(a.layout)) {
    return Status(StatusCode::kInvalidArgValue, "layout: expected one this CPU supports, got " + Str(a.layout));
  }
  if (!IsValidActivation(static_cast<int>(a.act))) {
    return Status(StatusCode::kInvalidArgValue, "activation: expected a code in [0, 6], got " + Str(static_cast<int>(a.act)));
  }
  if (a.n < 0 || a.k < 0 || a.m < 0 || !MulFits(a.n, a.k, kMaxElements) || !MulFits(a.n, a.m, kMaxElements)) {
    return Status(StatusCode::kOutOfRange, "linear: expected sizes with N K and N M below 2^53, got N = " + Str(a.n) +
                                               ", K = " + Str(a.k) + ", M = " + Str(a.m));
  }
  if (a.x_length != a.n * a.k || (a.x == nullptr && a.x_length > 0)) {
    return Status(StatusCode::kShapeMismatch, "x: expected " + Str(a.n) + " x " + Str(a.k) + " = " + Str(a.n * a.k) +
                                                  " elements, got " + Str(a.x_length));
  }
  const int64_t packed_want = PackedWeightLength(a.layout, a.m, a.k);
  if (packed_want < 0 || a.packed_length != packed_want || (a.packed == nullptr && packed_want > 0)) {
    return Status(StatusCode::kShapeMismatch, "packed: expected " + Str(packed_want) + " floats for a [" + Str(a.m) +
                                                  ", " + Str(a.k) + "] weight, got " + Str(a.packed_length));
  }
  if (a.weight != nullptr && a.weight_length != a.m * a.k) {  // m k <= packed_length, checked above
    return Status(StatusCode::kShapeMismatch, "weight: expected " + Str(a.m) + " x " + Str(a.k) + " = " + Str(a.m * a.k) +
                                                  " elements, got " + Str(a.weight_length));
  }
  if (a.bias != nullptr && a.bias_length != a.m) {
    return Status(StatusCode::kShapeMismatch, "bias: expected " + Str(a.m) + " elements, got " + Str(a.bias_length));
  }
  if (a.out_length != a.n * a.m || (a.out == nullptr && a.out_length > 0)) {
    return Status(StatusCode::kShapeMismatch, "out: expected " + Str(a.n) + " x " + Str(a.m) + " = " + Str(a.n * a.m) +
                                                  " elements, got " + Str(a.out_length));
  }
  const int64_t out_bytes = a.out_length * 4;
  const int64_t bias_bytes = a.bias != nullptr ? a.bias_length * 4 : 0;
  const int64_t weight_bytes = a.weight != nullptr ? a.weight_length * 4 : 0;
  if (Overlap(a.out, out_bytes, a.x, a.x_length * 4) || Overlap(a.out, out_bytes, a.packed, a.packed_length * 4) ||
      Overlap(a.out, out_bytes, a.bias, bias_bytes) || Overlap(a.out, out_bytes, a.weight, weight_bytes)) {
    return Status(StatusCode::kInvalidArgValue, "out: expected memory separate from the inputs, got a view that overlaps one");
  }
  if (a.weight != nullptr) {
    const int64_t packed_bytes = a.packed_length * 4;
    if (Overlap(a.packed, packed_bytes, a.weight, weight_bytes) || Overlap(a.packed, packed_bytes, a.x, a.x_length * 4) ||
        Overlap(a.packed, packed_bytes, a.bias, bias_bytes)) {
      return Status(StatusCode::kInvalidArgValue, "packed: expected memory separate from the inputs, got a view that overlaps one");
    }
  }
  return Status::Ok();
}

Status LinearWithSchedule(const LinearArgs& a, const GemmSchedule& s) {
  GNN_RETURN_IF_ERROR(CheckLinearArgs(a));
  const GemmLayout layout = static_cast<GemmLayout>(a.layout);
  const GemmBlocking blocks = PlanGemmBlocking(layout, a.m, a.k);
  if (a.weight != nullptr && a.packed_length > 0) KernelsFor(layout).pack(a.weight, a.m, a.k, blocks, a.packed);
  if (a.n == 0 || a.m == 0) return Status::Ok();
  const RowsFn rows = KernelsFor(layout).rows;
  const int64_t mr = kGemmTiles[a.layout].mr;
  const double flops = 2.0 * static_cast<double>(a.n) * static_cast<double>(a.m) * static_cast<double>(std::max<int64_t>(a.k, 1));
  int threads = s.max_threads > 0 ? s.max_threads : NumThreads();
  if (s.max_threads <= 0 && flops < static_cast<double>(kParallelFromFlops)) threads = 1;
  // The split into tasks changes nothing in the results (every element is computed the same way
  // in any tile), only the balance: enough tasks per thread, each a whole number of tiles.
  int64_t per_task = s.rows_per_task > 0 ? s.rows_per_task
                                         : std::min(kRowsPerTask, (a.n + threads * kTasksPerThread - 1) / (threads * kTasksPerThread));
  per_task = std::max<int64_t>(mr, (per_task + mr - 1) / mr * mr);
  const int64_t tasks = (a.n + per_task - 1) / per_task;
  ParallelFor(tasks, threads, [&](int64_t t) {
    const int64_t begin = t * per_task;
    rows(a, blocks, begin, std::min(a.n, begin + per_task));
  });
  return Status::Ok();
}

Status Linear(const LinearArgs& args) { return LinearWithSchedule(args, GemmSchedule()); }

int64_t FmaProbeFlopsPerIteration(GemmLayout layout) {
  const int l = static_cast<int>(layout);
  return int64_t{2} * kFmaProbeAccumulators[l] * kGemmTiles[l].width;
}

Status MeasurePeakFlops(int threads, double ms, double* gflops) {
  if (threads < 1 || threads > 4096) return Status(StatusCode::kOutOfRange, "threads: expected an integer in [1, 4096], got " + Str(threads));
  if (!(ms >= 1.0 && ms <= 10000.0)) return Status(StatusCode::kOutOfRange, "ms: expected a number in [1, 10000]");
  const GemmLayout layout = ActiveGemmLayout();
  const ProbeFn probe = KernelsFor(layout).probe;
  const double flops_per_iteration = static_cast<double>(FmaProbeFlopsPerIteration(layout));
  // Calibrate on this thread: grow the iteration count until one run takes >= 2 ms.
  int64_t iterations = 1 << 12;
  float sink = 0.0f;
  double elapsed = 0.0;
  for (;;) {
    const double t0 = Seconds();
    sink += probe(iterations, 1.0f);
    elapsed = Seconds() - t0;
    if (elapsed >= 2e-3 || iterations >= (int64_t{1} << 40)) break;
    iterations *= 2;
  }
  const int64_t per_thread = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iterations) * (ms * 1e-3) / elapsed));
  // Three rounds, best kept: one task per thread, timed over the whole parallel run, so a thread
  // that starts late (or shares its core) lowers the rate instead of hiding.
  double best = 0.0;
  for (int round = 0; round < 3; ++round) {
    float sinks[64] = {};
    const double t0 = Seconds();
    ParallelFor(threads, threads, [&](int64_t t) {
      const float r = probe(per_thread, 1.0f + static_cast<float>(t % 7));
      if (t < 64) sinks[t] = r;
    });
    const double wall = Seconds() - t0;
    for (float v : sinks) sink += v;
    best = std::max(best, static_cast<double>(threads) * static_cast<double>(per_thread) * flops_per_iteration / wall / 1e9);
  }
  // The chains converge to a finite positive value; anything else means the loop was broken.
  if (!(sink > 0.0f)) return Status(StatusCode::kInternal, "peak-flops probe: unexpected result");
  *gflops = best;
  return Status::Ok();
}

}  // namespace gnn
