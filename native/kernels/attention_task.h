// Internal interface between the attention schedules (attention.cc) and the per-ISA kernels.
#pragma once

#include <cstdint>

#include "attention.h"

namespace gnn {

// A GAT task: rows [row_begin, row_end) x output columns [col_begin, col_end); the columns span
// heads [col_begin / F, (col_end - 1) / F], at most one vector's width of them.
struct GatTask {
  int64_t row_begin;
  int64_t row_end;
  int64_t col_begin;
  int64_t col_end;
};

#define GNN_ATTENTION_KERNELS(ns)                                                                    \
  namespace ns {                                                                                     \
  void SddmmRows(const SddmmArgs& a, int64_t row_begin, int64_t row_end);                            \
  /* buffer: room for the largest in-degree among the rows (the SIMD kernels stage scores there) */ \
  void EdgeSoftmaxRows(const EdgeSoftmaxArgs& a, int64_t row_begin, int64_t row_end, float* buffer); \
  void GatTaskKernel(const GatArgs& a, const GatTask& t);                                            \
  }

GNN_ATTENTION_KERNELS(scalar)
GNN_ATTENTION_KERNELS(avx2)
GNN_ATTENTION_KERNELS(avx512)
#undef GNN_ATTENTION_KERNELS

namespace avx2 {
constexpr int64_t kGatMaxTileColumns = 64;   // 8 of the 16 ymm registers hold accumulators
constexpr int64_t kGatMaxTileHeads = 8;      // one ymm of head lanes
}  // namespace avx2
namespace avx512 {
constexpr int64_t kGatMaxTileColumns = 256;  // 16 of the 32 zmm registers hold accumulators
constexpr int64_t kGatMaxTileHeads = 16;     // one zmm of head lanes
}  // namespace avx512
namespace scalar {
constexpr int64_t kGatMaxTileColumns = 1 << 30;  // the scalar kernel keeps its sums in memory
constexpr int64_t kGatMaxTileHeads = 1 << 30;
}  // namespace scalar

}  // namespace gnn
