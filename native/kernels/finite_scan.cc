#include "finite_scan.h"

#include <atomic>
#include <cstring>

#include "thread_pool.h"

namespace gnn {
namespace {

// Exponent bits all set means infinity or NaN. Written on the bit pattern so the compiler
// vectorises it with the baseline instruction set (memory-bound either way).
bool BlockFinite(const float* p, int64_t n) {
  uint32_t bad = 0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint32_t chunk = 0;
    for (int k = 0; k < 64; ++k) {
      uint32_t u;
      std::memcpy(&u, p + i + k, 4);
      chunk |= static_cast<uint32_t>((u & 0x7F800000u) == 0x7F800000u);
    }
    bad |= chunk;
    if (bad != 0) return false;
  }
  for (; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, p + i, 4);
    bad |= static_cast<uint32_t>((u & 0x7F800000u) == 0x7F800000u);
  }
  return bad == 0;
}

}  // namespace

bool AllFinite(const float* p, int64_t rows, int64_t cols, int64_t ld, int max_threads) {
  if (rows <= 0 || cols <= 0) return true;
  if (ld == cols) {  // contiguous: scan as one block in chunks
    const int64_t n = rows * cols;
    constexpr int64_t kChunk = int64_t{1} << 18;  // 1 MiB of floats per task
    const int64_t tasks = (n + kChunk - 1) / kChunk;
    std::atomic<bool> finite{true};
    ParallelFor(tasks, max_threads, [&](int64_t t) {
      if (!finite.load(std::memory_order_relaxed)) return;
      const int64_t begin = t * kChunk;
      const int64_t len = n - begin < kChunk ? n - begin : kChunk;
      if (!BlockFinite(p + begin, len)) finite.store(false, std::memory_order_relaxed);
    });
    return finite.load();
  }
  for (int64_t r = 0; r < rows; ++r) {
    if (!BlockFinite(p + r * ld, cols)) return false;
  }
  return true;
}

}  // namespace gnn
