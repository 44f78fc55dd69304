// The SpMM schedule, shared by the fp32 kernel (spmm.cc) and the int8-feature kernel (qspmm.cc):
// feature tiles, row chunks balanced by nonzeros, thread count and prefetch distance. Both
// kernels run the same tasks; only the row kernel (what one task computes) differs.
#pragma once

#include <cstdint>
#include <vector>

#include "spmm.h"
#include "spmm_task.h"
#include "thread_pool.h"

namespace gnn {

struct SpmmTile {
  int64_t col_begin, col_end, head;
  bool head_lanes;
};

struct SpmmPlan {
  std::vector<SpmmTile> tiles;
  std::vector<int64_t> bounds;  // row chunk c is [bounds[c], bounds[c + 1])
  int64_t threads = 1;
  int64_t tile_width = 0;       // columns of the first (widest) tile
};

// vector_width / max_tile: the row kernel's SIMD width and register budget in columns.
SpmmPlan PlanSpmm(const CsrView& g, int64_t width, int64_t heads, bool weighted, Reduce reduce,
                  int64_t vector_width, int64_t max_tile, const SpmmSchedule& s);

// Edges ahead to prefetch source rows of `row_bytes` bytes (a tile's slice of one row), measured
// on R-MAT and uniform graphs at scale 18 (BENCHMARKS.md): 64 edges for rows of one cache line,
// 32 up to 256 bytes, 16 beyond (4-16 KiB of rows in flight).
inline int DefaultPrefetchDistance(int64_t row_bytes) { return row_bytes <= 64 ? 64 : row_bytes <= 256 ? 32 : 16; }

// Runs every task of `plan`, tile-major (all threads gather from the same column slice at a time);
// fn(const SpmmTask&) computes one.
template <class Fn>
void RunSpmmPlan(const SpmmPlan& plan, bool checked, const Fn& fn) {
  const int64_t chunks = static_cast<int64_t>(plan.bounds.size()) - 1;
  const int64_t num_tasks = static_cast<int64_t>(plan.tiles.size()) * chunks;
  ParallelFor(num_tasks, static_cast<int>(plan.threads), [&](int64_t t) {
    const SpmmTile& tile = plan.tiles[t / chunks];
    const int64_t chunk = t % chunks;
    if (plan.bounds[chunk] == plan.bounds[chunk + 1]) return;
    SpmmTask task;
    task.row_begin = plan.bounds[chunk];
    task.row_end = plan.bounds[chunk + 1];
    task.col_begin = tile.col_begin;
    task.col_end = tile.col_end;
    task.head = tile.head;
    task.head_lanes = tile.head_lanes;
    task.checked = checked;
    fn(task);
  });
}

}  // namespace gnn
