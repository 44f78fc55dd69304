// The int8-feature SpMM schedule: the fp32 SpMM's plan (spmm_schedule.h: tiles, balanced row
// chunks, threads) run with the int8 row kernel of the active SIMD level.
#include "qspmm.h"

#include <string>

#include "arg_checks.h"
#include "cpu_features.h"
#include "spmm_schedule.h"

namespace gnn {
namespace {

struct KernelChoice {
  QSpmmTaskFn fn;
  int64_t vector_width;
  int64_t max_tile;
};

KernelChoice ChooseKernel() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return {&avx512::QSpmmTaskKernel, 16, avx512::kMaxTileColumns};
    case SimdLevel::kAvx2: return {&avx2::QSpmmTaskKernel, 8, avx2::kMaxTileColumns};
    case SimdLevel::kScalar: break;
  }
#endif
  return {&scalar::QSpmmTaskKernel, 1, scalar::kMaxTileColumns};
}

}  // namespace

Status CheckQSpmmArgs(const QSpmmArgs& a) {
  if (a.scale_stride != 0 && a.scale_stride != 1) {
    return Status(StatusCode::kInternal, "scale: stride must be 0 (per tensor) or 1 (per row)");
  }
  return CheckAggregationArgs(a.graph, a.width, a.heads, a.ldq, a.ldo, a.q != nullptr && a.scale != nullptr, "x/scale",
                              a.out != nullptr, a.weights != nullptr, a.weight_ids != nullptr, a.reduce);
}

Status QSpmmWithSchedule(const QSpmmArgs& a, const SpmmSchedule& s) {
  GNN_RETURN_IF_ERROR(CheckQSpmmArgs(a));
  const CsrView& g = a.graph;
  if (g.num_rows == 0 || a.width == 0) return Status::Ok();

  const KernelChoice k = ChooseKernel();
  const SpmmPlan plan = PlanSpmm(g, a.width, a.heads, a.weights != nullptr, a.reduce, k.vector_width, k.max_tile, s);
  int pf = s.prefetch_distance;
  if (pf < 0) pf = DefaultPrefetchDistance(plan.tile_width);  // one byte per code
  // Max / min need no scan of the inputs: codes are finite, so a message is NaN only when its edge
  // coefficient is NaN or infinite, which the row kernel watches per edge (qspmm_simd_impl.h).
  RunSpmmPlan(plan, false, [&](const SpmmTask& task) { k.fn(a, task, pf); });
  return Status::Ok();
}

Status QSpmm(const QSpmmArgs& args) { return QSpmmWithSchedule(args, SpmmSchedule()); }

}  // namespace gnn
