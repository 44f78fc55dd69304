// How graph kernels split their rows over the thread pool: contiguous row ranges of about equal
// cost (edges plus a little per row), so one hub cannot stall a thread, and enough of them for
// dynamic balancing. Each output row is produced by exactly one task, so results never depend on
// the partition or the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "csr.h"

namespace gnn {

// Threads worth waking for `work` units: one more per kMinWorkPerThread units (~50 us of kernel
// time; waking a sleeping worker costs ~10 us here), at most max_threads.
int64_t ThreadsForWork(int64_t work, int64_t max_threads);

// Row ranges for `threads` threads and `tiles` independent column tiles: bounds[c]..bounds[c+1]
// for c < bounds.size() - 1, balanced by indptr[r] + 2 r (an edge costs 1, a row 2).
std::vector<int64_t> PartitionRows(const CsrView& g, int64_t threads, int64_t tiles);

}  // namespace gnn
