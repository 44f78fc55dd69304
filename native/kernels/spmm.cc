// The SpMM schedule: splits the output into tasks (row ranges balanced by nonzeros, times feature
// tiles) and runs them on the thread pool with the kernel of the active SIMD level.
//
// Why this shape:
// - Rows are split by nonzeros, not by count: power-law graphs put most edges on few rows.
// - A task is one feature tile of a row range; each output element is reduced by exactly one task
//   in CSR order, so the result does not depend on the partition or the thread count.
// - Tiles are as wide as the kernel's register budget (up to 256 columns with AVX-512), so one pass
//   over a row's edges produces the whole tile; wider features are split into balanced tiles.
// - Tasks run tile-major, so all threads gather from the same column slice of x at a time.
#include "spmm.h"

#include <algorithm>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "cpu_features.h"
#include "finite_scan.h"
#include "row_partition.h"
#include "spmm_schedule.h"
#include "spmm_task.h"
#include "thread_pool.h"

namespace gnn {
namespace {

// Work is counted in floats gathered or written; each edge and row also costs kPerEdgeUnits for
// its index and loop (measured on Cora and PubMed: see row_partition.h for the threshold).
constexpr int64_t kPerEdgeUnits = 16;
// Average degree from which max / min scan their inputs to run the plain form (see below).
constexpr int64_t kMinDegreeForScan = 8;

struct KernelChoice {
  SpmmTaskFn fn;
  int64_t vector_width;
  int64_t max_tile;
};

KernelChoice ChooseKernel() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return {&avx512::SpmmTaskKernel, 16, avx512::kMaxTileColumns};
    case SimdLevel::kAvx2: return {&avx2::SpmmTaskKernel, 8, avx2::kMaxTileColumns};
    case SimdLevel::kScalar: break;
  }
#endif
  return {&scalar::SpmmTaskKernel, 1, scalar::kMaxTileColumns};
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Status CheckAggregationArgs(const CsrView& g, int64_t width, int64_t heads, int64_t ldx, int64_t ldo, bool has_x,
                            const char* x_names, bool has_out, bool has_weights, bool has_weight_ids, Reduce reduce) {
  if (g.indptr == nullptr || (g.nnz > 0 && g.indices == nullptr)) {
    return Status(StatusCode::kInvalidGraph, "graph: CSR arrays are missing");
  }
  if (g.num_rows < 0 || g.num_cols < 0 || g.nnz < 0) {
    return Status(StatusCode::kInvalidGraph, "graph: negative size");
  }
  if (width < 0 || heads < 1) {
    return Status(StatusCode::kShapeMismatch, "x: expected a non-negative width and at least one head");
  }
  if (width % heads != 0) {
    return Status(StatusCode::kShapeMismatch, "x: expected a width divisible by the number of heads (" +
                                                  Str(heads) + "), got " + Str(width));
  }
  if (ldx < width || ldo < width) {
    return Status(StatusCode::kShapeMismatch, "x/out: row stride smaller than the width");
  }
  if (width > 0 && ((g.num_cols > 0 && !has_x) || (g.num_rows > 0 && !has_out))) {
    return Status(StatusCode::kShapeMismatch, std::string(x_names) + "/out: data is missing");
  }
  if (has_weight_ids && !has_weights) {
    return Status(StatusCode::kInternal, "weight ids given without weights");
  }
  switch (reduce) {
    case Reduce::kSum: case Reduce::kMean: case Reduce::kMax: case Reduce::kMin: break;
    default: return Status(StatusCode::kInvalidArgValue, "reduce: unknown reducer");
  }
  return Status::Ok();
}

Status CheckSpmmArgs(const SpmmArgs& a) {
  return CheckAggregationArgs(a.graph, a.width, a.heads, a.ldx, a.ldo, a.x != nullptr, "x", a.out != nullptr, a.weights != nullptr,
                              a.weight_ids != nullptr, a.reduce);
}

SpmmPlan PlanSpmm(const CsrView& g, int64_t width, int64_t heads, bool weighted, Reduce reduce,
                  int64_t vector_width, int64_t max_tile_columns, const SpmmSchedule& s) {
  SpmmPlan plan;
  const int64_t head_width = width / heads;

  // Feature tiles: as wide as the register budget (or the requested width), balanced, and rounded
  // up to whole vectors so only the last vector of a head is partial. With per-head weights and
  // heads narrower than half a tile (GAT's 8 heads of 8), a tile takes several whole heads, up to
  // a vector's width of them, instead of one short tile per head (sum and mean; measured in
  // BENCHMARKS.md).
  int64_t max_tile = s.tile_columns > 0 ? std::min(s.tile_columns, max_tile_columns) : max_tile_columns;
  max_tile = std::max<int64_t>(vector_width, max_tile / vector_width * vector_width);
  std::vector<SpmmTile>& tiles = plan.tiles;
  const bool sums = reduce == Reduce::kSum || reduce == Reduce::kMean;
  if (heads > 1 && weighted && sums && vector_width > 1 && 2 * head_width <= max_tile) {
    const int64_t per_tile = std::min({heads, vector_width, max_tile / head_width});
    const int64_t count = CeilDiv(heads, per_tile);
    for (int64_t t = 0; t < count; ++t) {
      const int64_t hb = heads * t / count;
      const int64_t he = heads * (t + 1) / count;
      tiles.push_back({hb * head_width, he * head_width, hb, true});
    }
  } else {
    const int64_t tiles_per_head = CeilDiv(head_width, max_tile);
    const int64_t tile_width =
        std::min(max_tile, CeilDiv(CeilDiv(head_width, tiles_per_head), vector_width) * vector_width);
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t c = 0; c < head_width; c += tile_width) {
        tiles.push_back({h * head_width + c, h * head_width + std::min(head_width, c + tile_width), h, false});
      }
    }
  }
  const int64_t num_tiles = static_cast<int64_t>(tiles.size());
  plan.tile_width = tiles.empty() ? 0 : tiles[0].col_end - tiles[0].col_begin;

  // Threads and row chunks.
  const int64_t work = (g.nnz + g.num_rows) * (width + kPerEdgeUnits);
  plan.threads = ThreadsForWork(work, s.max_threads > 0 ? s.max_threads : NumThreads());
  plan.bounds = PartitionRows(g, plan.threads, num_tiles);
  return plan;
}

Status SpmmWithSchedule(const SpmmArgs& a, const SpmmSchedule& s) {
  GNN_RETURN_IF_ERROR(CheckSpmmArgs(a));
  const CsrView& g = a.graph;
  if (g.num_rows == 0 || a.width == 0) return Status::Ok();

  const KernelChoice k = ChooseKernel();
  const SpmmPlan plan = PlanSpmm(g, a.width, a.heads, a.weights != nullptr, a.reduce, k.vector_width, k.max_tile, s);

  int pf = s.prefetch_distance;
  if (pf < 0) pf = DefaultPrefetchDistance(plan.tile_width * 4);
  // Max / min run the plain vmaxps form unless some message can be NaN, which needs a NaN or an
  // infinity among the inputs (x, or the weights: 0 x inf); one scan of them decides, else every
  // message is checked (spmm_simd_impl.h). The scan reads x once, 1/degree of what the gathers
  // read, so it pays only from average degree kMinDegreeForScan (measured: ~10% faster on degree-16
  // graphs, slower on Cora's 3.9, which always checks).
  bool checked = (a.reduce == Reduce::kMax || a.reduce == Reduce::kMin) && s.finite_inputs <= 0;
  if (checked && s.finite_inputs == 0 && g.nnz >= kMinDegreeForScan * g.num_cols) {
    const int scan_threads = static_cast<int>(plan.threads);
    checked = !AllFinite(a.x, g.num_cols, a.width, a.ldx, scan_threads) ||
                 (a.weights != nullptr && !AllFinite(a.weights, 1, g.nnz * a.heads, g.nnz * a.heads, scan_threads));
  }
  RunSpmmPlan(plan, checked, [&](const SpmmTask& task) { k.fn(a, task, pf); });
  return Status::Ok();
}

Status Spmm(const SpmmArgs& args) { return SpmmWithSchedule(args, SpmmSchedule()); }

}  // namespace gnn
