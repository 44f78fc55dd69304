// SpMM over int8 features: the fp32 SpMM (spmm.h) with x given as symmetric int8 codes and an fp32
// scale per source row (or one for the whole tensor), x[u, c] = scale[u] * q[u, c]:
//   out[v, c] = reduce over in-edges (u -> v, CSR position j) of  c_j * float(q[u, c]),
//   c_j = w[j, head(c)] * scale[u]  (w absent: c_j = scale[u]),
// computed once per edge in fp32 and accumulated in fp32. Same reducers, weight forms and
// conventions as Spmm: rows with no in-edges give 0; mean divides by the in-degree; NaN / Inf in
// weights or scales propagate (max / min included); results are bitwise independent of the thread
// count.
//
// Cost model per edge with a tile of T columns: T bytes of codes gathered (a quarter of the fp32
// kernel's 4 T), 4 bytes of index, 4 of scale (random, but N * 4 bytes usually stay in L2), [4 of
// weight]; T widening conversions and T fused multiply-adds. Output: 4 T bytes per row, once.
#pragma once

#include <cstdint>

#include "spmm.h"
#include "spmm_task.h"
#include "status.h"

namespace gnn {

struct QSpmmArgs {
  CsrView graph;
  const int8_t* q = nullptr;   // [graph.num_cols, width] codes, row stride ldq
  int64_t width = 0;
  int64_t ldq = 0;
  const float* scale = nullptr;  // scale of source row u is scale[u * scale_stride]
  int64_t scale_stride = 1;      // 1: per row; 0: one scale for the tensor
  const float* weights = nullptr;       // optional per-edge weights, `heads` per edge
  const int32_t* weight_ids = nullptr;  // optional: weight row of CSR position j is weight_ids[j]
  int64_t heads = 1;
  float* out = nullptr;  // [graph.num_rows, width], row stride ldo
  int64_t ldo = 0;
  Reduce reduce = Reduce::kSum;
};

Status CheckQSpmmArgs(const QSpmmArgs& args);
Status QSpmm(const QSpmmArgs& args);
// SpmmSchedule's knobs; finite_inputs is unused (max / min always watch the per-edge coefficient).
Status QSpmmWithSchedule(const QSpmmArgs& args, const SpmmSchedule& schedule);

// Row kernels per ISA (internal: called by the schedule in qspmm.cc).
using QSpmmTaskFn = void (*)(const QSpmmArgs& args, const SpmmTask& task, int prefetch_distance);
namespace scalar {
void QSpmmTaskKernel(const QSpmmArgs& args, const SpmmTask& task, int prefetch_distance);
}  // namespace scalar
namespace avx2 {
void QSpmmTaskKernel(const QSpmmArgs& args, const SpmmTask& task, int prefetch_distance);
}  // namespace avx2
namespace avx512 {
void QSpmmTaskKernel(const QSpmmArgs& args, const SpmmTask& task, int prefetch_distance);
}  // namespace avx512

}  // namespace gnn
