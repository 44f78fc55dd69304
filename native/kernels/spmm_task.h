// Internal interface between the SpMM schedule (spmm.cc) and the per-ISA row kernels.
#pragma once

#include <cstdint>

#include "spmm.h"

namespace gnn {

// A rectangle of the output: rows [row_begin, row_end) x columns [col_begin, col_end). Either all
// columns lie inside head `head`, or (head_lanes) the tile holds whole heads head .. head + k - 1,
// at most one vector's width of them, each edge's head weights loaded as one vector and carried to
// their columns by a lane permutation. One task is computed by one thread.
struct SpmmTask {
  int64_t row_begin;
  int64_t row_end;
  int64_t col_begin;
  int64_t col_end;
  int64_t head;
  bool head_lanes;
  // max / min only: some input is NaN or infinite, so check every message for NaN.
  bool checked;
};

using SpmmTaskFn = void (*)(const SpmmArgs& args, const SpmmTask& task, int prefetch_distance);

// Widest tile (in columns) each kernel keeps in registers.
namespace scalar {
constexpr int64_t kMaxTileColumns = 64;
void SpmmTaskKernel(const SpmmArgs& args, const SpmmTask& task, int prefetch_distance);
}  // namespace scalar
namespace avx2 {
constexpr int64_t kMaxTileColumns = 96;  // 12 of the 16 ymm registers hold accumulators
void SpmmTaskKernel(const SpmmArgs& args, const SpmmTask& task, int prefetch_distance);
}  // namespace avx2
namespace avx512 {
constexpr int64_t kMaxTileColumns = 256;  // 16 of the 32 zmm registers hold accumulators
void SpmmTaskKernel(const SpmmArgs& args, const SpmmTask& task, int prefetch_distance);
}  // namespace avx512

}  // namespace gnn
