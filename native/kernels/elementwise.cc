#include "elementwise.h"

#include <algorithm>

#include "cpu_features.h"
#include "thread_pool.h"

namespace gnn {
namespace {

using ActivationFn = void (*)(const float*, float*, int64_t, Activation, float);

ActivationFn ChooseActivation() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return &avx512::ActivationRange;
    case SimdLevel::kAvx2: return &avx2::ActivationRange;
    case SimdLevel::kScalar: break;
  }
#endif
  return &scalar::ActivationRange;
}

// Elements per task: 64 KiB of floats, a multiple of every vector width.
constexpr int64_t kChunk = int64_t{1} << 14;
// Below this many elements one thread is faster than waking another.
constexpr int64_t kParallelFrom = int64_t{1} << 17;

}  // namespace

Status ActivationForward(const float* x, float* out, int64_t n, Activation act, float alpha) {
  if (!IsValidActivation(static_cast<int>(act))) {
    return Status(StatusCode::kInvalidArgValue, "activation: unknown kind");
  }
  if (n <= 0) return Status::Ok();
  const ActivationFn fn = ChooseActivation();
  const int64_t tasks = (n + kChunk - 1) / kChunk;
  const int threads = n < kParallelFrom ? 1 : NumThreads();
  ParallelFor(tasks, threads, [&](int64_t t) {
    const int64_t begin = t * kChunk;
    fn(x + begin, out + begin, std::min(kChunk, n - begin), act, alpha);
  });
  return Status::Ok();
}

}  // namespace gnn
