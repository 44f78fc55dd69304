#include "sparse_linear.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "arg_checks.h"
#include "cpu_features.h"
#include "thread_pool.h"

namespace gnn {
namespace {

using RowsFn = void (*)(const SparseLinearArgs&, int64_t, int64_t, float*);

RowsFn KernelFor(SimdLevel level) {
#if defined(GNN_X86_KERNELS)
  switch (level) {
    case SimdLevel::kAvx512: return &avx512::SparseLinearRows;
    case SimdLevel::kAvx2: return &avx2::SparseLinearRows;
    case SimdLevel::kScalar: break;
  }
#else
  (void)level;
#endif
  return &scalar::SparseLinearRows;
}

// What a JavaScript typed array can index; every size and product is checked against it.
constexpr int64_t kMaxElements = (int64_t{1} << 53) - 1;
// Below this much work (FMAs on rows plus floats moved) one thread is faster than waking others.
constexpr int64_t kParallelFromWork = int64_t{1} << 20;
// Blocks per task at most (a task's rows of out stay in L2), and tasks per thread at least, so
// uneven progress of the threads (a shared host) evens out.
constexpr int64_t kMaxBlocksPerTask = 8;
constexpr int64_t kTasksPerThread = 4;


// Floats of per-thread scratch: xT [K, B] (rounded to a 64-byte line) and the tile [W, B], for the
// largest block and width of any level.
int64_t ScratchFloats(int64_t k) { return (k * 32 + 15) / 16 * 16 + 16 * 32; }

// Per-thread scratch, grown (never in the hot loop: once per task at most) and kept for the next
// call; freed when the thread exits.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* Get(int64_t floats) {
    if (floats > capacity_) {
      const int64_t want = std::max<int64_t>(floats, capacity_ * 2);
      void* p = std::aligned_alloc(64, static_cast<size_t>((want * 4 + 63) / 64 * 64));
      if (p == nullptr) return nullptr;
      std::free(data_);
      data_ = static_cast<float*>(p);
      capacity_ = want;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t capacity_ = 0;
};

thread_local Scratch tls_scratch;

}  // namespace

Status ValidateSparseWeight(const int32_t* indptr, int64_t indptr_length, const int32_t* indices,
                            int64_t indices_length, int64_t values_length, int64_t m, int64_t k) {
  if (m < 0 || k < 0 || m > kMaxElements - 1 || k > 2147483647) {
    return Status(StatusCode::kOutOfRange, "weight: expected a shape [M, K] with K < 2^31, got [" + Str(m) + ", " + Str(k) + "]");
  }
  if (indptr_length != m + 1 || indptr == nullptr) {
    return Status(StatusCode::kShapeMismatch, "indptr: expected " + Str(m + 1) + " entries (M + 1), got " + Str(indptr_length));
  }
  if (values_length != indices_length) {
    return Status(StatusCode::kShapeMismatch, "values: expected " + Str(indices_length) + " entries (one per index), got " +
                                                  Str(values_length));
  }
  if (indptr[0] != 0 || indptr[m] != indices_length) {
    return Status(StatusCode::kInvalidArgValue, "indptr: expected to start at 0 and end at nnz = " + Str(indices_length) +
                                                    ", got " + Str(indptr[0]) + " .. " + Str(indptr[m]));
  }
  for (int64_t r = 0; r < m; ++r) {
    if (indptr[r + 1] < indptr[r]) {
      return Status(StatusCode::kInvalidArgValue, "indptr: expected non-decreasing entries, got indptr[" + Str(r + 1) +
                                                      "] = " + Str(indptr[r + 1]) + " < indptr[" + Str(r) + "] = " + Str(indptr[r]));
    }
  }
  for (int64_t j = 0; j < indices_length; ++j) {
    if (indices[j] < 0 || indices[j] >= k) {
      return Status(StatusCode::kOutOfRange, "indices: expected input-channel ids in [0, " + Str(k) + "), got indices[" +
                                                 Str(j) + "] = " + Str(indices[j]));
    }
  }
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = int64_t{indptr[r]} + 1; j < indptr[r + 1]; ++j) {
      if (indices[j] <= indices[j - 1]) {
        return Status(StatusCode::kInvalidArgValue, "indices: expected increasing ids within each row, got " +
                                                        Str(indices[j - 1]) + " then " + Str(indices[j]) + " in row " + Str(r));
      }
    }
  }
  return Status::Ok();
}

Status CheckSparseLinearArgs(const SparseLinearArgs& a) {
  if (!IsValidActivation(static_cast<int>(a.act))) {
    return Status(StatusCode::kInvalidArgValue, "activation: expected a code in [0, 6], got " + Str(static_cast<int>(a.act)));
  }
  if (a.n < 0 || a.k < 0 || a.m < 0 || a.k > 2147483647 || !MulFits(a.n, a.k, kMaxElements) ||
      !MulFits(a.n, a.m, kMaxElements) || !MulFits(ScratchFloats(a.k), 4, kMaxElements)) {
    return Status(StatusCode::kOutOfRange, "sparseWeightLinear: expected sizes with K < 2^31, N K and N M below 2^53, got N = " +
                                               Str(a.n) + ", K = " + Str(a.k) + ", M = " + Str(a.m));
  }
  if (a.x_length != a.n * a.k || (a.x == nullptr && a.x_length > 0)) {
    return Status(StatusCode::kShapeMismatch, "x: expected " + Str(a.n) + " x " + Str(a.k) + " = " + Str(a.n * a.k) +
                                                  " elements, got " + Str(a.x_length));
  }
  if (a.indptr_length != a.m + 1 || a.indptr == nullptr) {
    return Status(StatusCode::kShapeMismatch, "indptr: expected " + Str(a.m + 1) + " entries (M + 1), got " + Str(a.indptr_length));
  }
  if (a.values_length != a.indices_length || (a.indices_length > 0 && (a.indices == nullptr || a.values == nullptr))) {
    return Status(StatusCode::kShapeMismatch, "values: expected " + Str(a.indices_length) + " entries (one per index), got " +
                                                  Str(a.values_length));
  }
  // O(M): cheap next to the O(N nnz) work, and it keeps every row's range inside indices / values
  // even if the caller's arrays changed after validation.
  if (a.indptr[0] != 0 || a.indptr[a.m] != a.indices_length) {
    return Status(StatusCode::kInvalidArgValue, "indptr: expected to start at 0 and end at nnz = " + Str(a.indices_length) +
                                                    ", got " + Str(a.indptr[0]) + " .. " + Str(a.indptr[a.m]));
  }
  for (int64_t r = 0; r < a.m; ++r) {
    if (a.indptr[r + 1] < a.indptr[r]) {
      return Status(StatusCode::kInvalidArgValue, "indptr: expected non-decreasing entries, got indptr[" + Str(r + 1) + "] = " +
                                                      Str(a.indptr[r + 1]) + " < indptr[" + Str(r) + "] = " + Str(a.indptr[r]));
    }
  }
  if (a.bias != nullptr && a.bias_length != a.m) {
    return Status(StatusCode::kShapeMismatch, "bias: expected " + Str(a.m) + " elements, got " + Str(a.bias_length));
  }
  if (a.out_length != a.n * a.m || (a.out == nullptr && a.out_length > 0)) {
    return Status(StatusCode::kShapeMismatch, "out: expected " + Str(a.n) + " x " + Str(a.m) + " = " + Str(a.n * a.m) +
                                                  " elements, got " + Str(a.out_length));
  }
  const int64_t out_bytes = a.out_length * 4;
  if (Overlap(a.out, out_bytes, a.x, a.x_length * 4) || Overlap(a.out, out_bytes, a.indptr, a.indptr_length * 4) ||
      Overlap(a.out, out_bytes, a.indices, a.indices_length * 4) || Overlap(a.out, out_bytes, a.values, a.values_length * 4) ||
      Overlap(a.out, out_bytes, a.bias, a.bias != nullptr ? a.bias_length * 4 : 0)) {
    return Status(StatusCode::kInvalidArgValue, "out: expected memory separate from the inputs, got a view that overlaps one");
  }
  return Status::Ok();
}

Status SparseLinearWithSchedule(const SparseLinearArgs& a, const SparseLinearSchedule& s) {
  GNN_RETURN_IF_ERROR(CheckSparseLinearArgs(a));
  if (a.n == 0 || a.m == 0) return Status::Ok();
  const SimdLevel level = ActiveSimdLevel();
  const RowsFn rows = KernelFor(level);
  const int64_t block = kSparseLinearBlockRows[static_cast<int>(level)];
  const int64_t blocks = (a.n + block - 1) / block;
  const double work = static_cast<double>(a.n) * (2.0 * static_cast<double>(a.indices_length) + static_cast<double>(a.k + a.m));
  int threads = s.max_threads > 0 ? s.max_threads : NumThreads();
  if (s.max_threads <= 0 && work < static_cast<double>(kParallelFromWork)) threads = 1;
  // Whole blocks per task: a row's result does not depend on which task holds it.
  const int64_t per_task =
      std::max<int64_t>(1, std::min(kMaxBlocksPerTask, blocks / (static_cast<int64_t>(threads) * kTasksPerThread)));
  const int64_t tasks = (blocks + per_task - 1) / per_task;
  const int64_t scratch_floats = ScratchFloats(a.k);
  std::atomic<bool> failed{false};
  ParallelFor(tasks, threads, [&](int64_t t) {
    float* scratch = tls_scratch.Get(scratch_floats);
    if (scratch == nullptr) {
      failed.store(true, std::memory_order_relaxed);
      return;
    }
    const int64_t begin = t * per_task * block;
    rows(a, begin, std::min(a.n, begin + per_task * block), scratch);
  });
  if (failed.load()) {
    return Status(StatusCode::kOutOfMemory, "sparseWeightLinear: could not allocate " + Str(scratch_floats * 4) +
                                                " bytes of per-thread scratch");
  }
  return Status::Ok();
}

Status SparseLinear(const SparseLinearArgs& args) { return SparseLinearWithSchedule(args, SparseLinearSchedule()); }

}  // namespace gnn
