// Schedules for SDDMM, edge softmax and GAT aggregation: argument checks, then row ranges balanced
// by nonzeros (row_partition.h) on the thread pool with the kernel of the active SIMD level.
#include "attention.h"

#include <algorithm>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "attention_task.h"
#include "cpu_features.h"
#include "row_partition.h"
#include "thread_pool.h"

namespace gnn {
namespace {

constexpr int64_t kPerEdgeUnits = 16;  // index, edge id and loop overhead, in floats (as spmm)

struct Kernels {
  void (*sddmm)(const SddmmArgs&, int64_t, int64_t);
  void (*softmax)(const EdgeSoftmaxArgs&, int64_t, int64_t, float*);
  void (*gat)(const GatArgs&, const GatTask&);
  int64_t width;
  int64_t gat_max_columns;
  int64_t gat_max_heads;
};

Kernels Choose() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512:
      return {&avx512::SddmmRows, &avx512::EdgeSoftmaxRows, &avx512::GatTaskKernel, 16,
              avx512::kGatMaxTileColumns, avx512::kGatMaxTileHeads};
    case SimdLevel::kAvx2:
      return {&avx2::SddmmRows, &avx2::EdgeSoftmaxRows, &avx2::GatTaskKernel, 8, avx2::kGatMaxTileColumns,
              avx2::kGatMaxTileHeads};
    case SimdLevel::kScalar: break;
  }
#endif
  return {&scalar::SddmmRows, &scalar::EdgeSoftmaxRows, &scalar::GatTaskKernel, 1, scalar::kGatMaxTileColumns,
          scalar::kGatMaxTileHeads};
}

Status CheckGraph(const CsrView& g) {
  if (g.indptr == nullptr || (g.nnz > 0 && g.indices == nullptr) || g.num_rows < 0 || g.num_cols < 0 || g.nnz < 0) {
    return Status(StatusCode::kInvalidGraph, "graph: CSR arrays are missing or sizes are negative");
  }
  return Status::Ok();
}

// Runs fn(row_begin, row_end) over nnz-balanced row ranges.
template <class Fn>
void ForRowRanges(const CsrView& g, int64_t units_per_edge, Fn&& fn) {
  const int64_t threads = ThreadsForWork((g.nnz + g.num_rows) * (units_per_edge + kPerEdgeUnits), NumThreads());
  const std::vector<int64_t> bounds = PartitionRows(g, threads, 1);
  ParallelFor(static_cast<int64_t>(bounds.size()) - 1, static_cast<int>(threads),
              [&](int64_t c) { fn(bounds[c], bounds[c + 1]); });
}

}  // namespace

Status Sddmm(const SddmmArgs& a) {
  GNN_RETURN_IF_ERROR(CheckGraph(a.graph));
  if (a.u_width < 1 || a.v_width < 1 || a.heads < 1) {
    return Status(StatusCode::kShapeMismatch, "sddmm: expected non-empty features and at least one head");
  }
  if (a.op == SddmmOp::kDot) {
    if (a.u_width != a.v_width || a.u_width % a.heads != 0 || a.out_width != a.heads) {
      return Status(StatusCode::kShapeMismatch, "sddmm dot: expected u and v of equal width divisible by heads (" +
                                                    Str(a.heads) + "), got " + Str(a.u_width) + " and " + Str(a.v_width));
    }
  } else {
    const int64_t d = std::max(a.u_width, a.v_width);
    if (a.out_width != d || d % a.u_width != 0 || d % a.v_width != 0) {
      return Status(StatusCode::kShapeMismatch, "sddmm: expected u and v widths where the wider is a multiple of the "
                                                "narrower, got " + Str(a.u_width) + " and " + Str(a.v_width));
    }
  }
  if (a.graph.nnz == 0) return Status::Ok();
  const Kernels k = Choose();
  ForRowRanges(a.graph, a.out_width + a.u_width, [&](int64_t b, int64_t e) { k.sddmm(a, b, e); });
  return Status::Ok();
}

Status EdgeSoftmax(const EdgeSoftmaxArgs& a) {
  GNN_RETURN_IF_ERROR(CheckGraph(a.graph));
  if (a.heads < 1) return Status(StatusCode::kShapeMismatch, "edgeSoftmax: expected at least one head");
  if (a.graph.nnz == 0) return Status::Ok();
  const Kernels k = Choose();
  // ~3 reads, one write and ~40 flops of exp per score. Each task stages one row's scores at a
  // time in a buffer as long as its largest in-degree (allocated per task, not per row).
  const CsrView& g = a.graph;
  ForRowRanges(g, 8 * a.heads, [&](int64_t b, int64_t e) {
    int64_t longest = 0;
    for (int64_t v = b; v < e; ++v) longest = std::max(longest, g.RowBegin(v + 1) - g.RowBegin(v));
    std::vector<float> buffer(static_cast<size_t>(longest) + 16);
    k.softmax(a, b, e, buffer.data());
  });
  return Status::Ok();
}

Status GatAggregate(const GatArgs& a) {
  GNN_RETURN_IF_ERROR(CheckGraph(a.graph));
  if (a.heads < 1 || a.head_width < 0) {
    return Status(StatusCode::kShapeMismatch, "gatAggregate: expected at least one head and a non-negative width");
  }
  const CsrView& g = a.graph;
  if (g.num_rows == 0 || a.head_width == 0) return Status::Ok();
  const Kernels k = Choose();
  // Column tiles: whole heads, at most gat_max_heads of them and gat_max_columns columns; a head
  // wider than that is split into balanced tiles of whole vectors.
  const int64_t f = a.head_width;
  std::vector<std::pair<int64_t, int64_t>> tiles;
  if (f <= k.gat_max_columns) {
    const int64_t per_tile = std::max<int64_t>(1, std::min(k.gat_max_heads, k.gat_max_columns / f));
    const int64_t count = (a.heads + per_tile - 1) / per_tile;
    for (int64_t t = 0; t < count; ++t) {
      const int64_t hb = a.heads * t / count;
      const int64_t he = a.heads * (t + 1) / count;
      tiles.emplace_back(hb * f, he * f);
    }
  } else {
    const int64_t parts = (f + k.gat_max_columns - 1) / k.gat_max_columns;
    const int64_t part = ((f + parts - 1) / parts + k.width - 1) / k.width * k.width;
    for (int64_t h = 0; h < a.heads; ++h) {
      for (int64_t c = 0; c < f; c += part) tiles.emplace_back(h * f + c, h * f + std::min(f, c + part));
    }
  }
  const int64_t num_tiles = static_cast<int64_t>(tiles.size());
  const int64_t work = (g.nnz + g.num_rows) * (a.heads * f + 40 * a.heads + kPerEdgeUnits);
  const int64_t threads = ThreadsForWork(work, NumThreads());
  const std::vector<int64_t> bounds = PartitionRows(g, threads, num_tiles);
  const int64_t chunks = static_cast<int64_t>(bounds.size()) - 1;
  ParallelFor(num_tiles * chunks, static_cast<int>(threads), [&](int64_t task) {
    const int64_t tile = task / chunks;
    const int64_t chunk = task % chunks;
    if (bounds[chunk] == bounds[chunk + 1]) return;
    k.gat(a, GatTask{bounds[chunk], bounds[chunk + 1], tiles[tile].first, tiles[tile].second});
  });
  return Status::Ok();
}

}  // namespace gnn
