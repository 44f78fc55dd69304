#include "row_partition.h"

#include <algorithm>

namespace gnn {
namespace {

constexpr int64_t kMinWorkPerThread = int64_t{1} << 20;
constexpr int64_t kTasksPerThread = 8;
constexpr int64_t kRowCost = 2;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// First row r in [lo, hi] with cost(r) >= target, cost(r) = indptr[r] + r * kRowCost.
int64_t FindRowByCost(const CsrView& g, int64_t target, int64_t lo, int64_t hi) {
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (g.RowBegin(mid) + mid * kRowCost < target) lo = mid + 1; else hi = mid;
  }
  return lo;
}

}  // namespace

int64_t ThreadsForWork(int64_t work, int64_t max_threads) {
  return std::max<int64_t>(1, std::min(max_threads, work / kMinWorkPerThread));
}

std::vector<int64_t> PartitionRows(const CsrView& g, int64_t threads, int64_t tiles) {
  int64_t chunks = 1;
  if (threads > 1) chunks = std::max<int64_t>(1, std::min(g.num_rows, CeilDiv(threads * kTasksPerThread, tiles)));
  std::vector<int64_t> bounds(static_cast<size_t>(chunks) + 1);
  const int64_t total = g.nnz + g.num_rows * kRowCost;
  bounds[0] = 0;
  for (int64_t c = 1; c < chunks; ++c) {
    bounds[c] = FindRowByCost(g, total / chunks * c + total % chunks * c / chunks, bounds[c - 1], g.num_rows);
  }
  bounds[chunks] = g.num_rows;
  return bounds;
}

}  // namespace gnn
