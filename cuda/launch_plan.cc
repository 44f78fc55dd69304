// Host-side scheduling of the CUDA kernels (launch_plan.h): the hub-row plan made once at graph
// upload, and the launch shape of the row-parallel aggregations. Plain C++, compiled into the CPU
// build as well, so test/cuda-plan.test.ts checks these choices on machines without a GPU.
#include "launch_plan.h"

#include <algorithm>

namespace gnn {
namespace cuda {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t NextPow2(int64_t v) {
  int64_t p = 1;
  while (p < v) p *= 2;
  return p;
}

}  // namespace

// A warp gathers a row of 1024 edges in about the time the whole GPU needs for a few thousand rows
// of average degree, so rows up to here stay whole; longer rows would be the tail of the launch.
int64_t DefaultHubThreshold() { return 1024; }

HubPlan PlanHubRows(const CsrView& g, int64_t threshold) {
  HubPlan plan;
  plan.threshold = threshold <= 0 ? DefaultHubThreshold() : std::max(threshold, kMinHubThreshold);
  if (g.indptr == nullptr || g.num_rows <= 0) return plan;
  int64_t begin = g.RowBegin(0);
  for (int64_t r = 0; r < g.num_rows; ++r) {
    const int64_t end = g.RowBegin(r + 1);
    const int64_t nnz = end - begin;
    plan.max_row_nnz = std::max(plan.max_row_nnz, nnz);
    if (nnz > plan.threshold) plan.rows.push_back(static_cast<int32_t>(r));
    begin = end;
  }
  return plan;
}

std::vector<int64_t> HubChunkOffsets(const CsrView& g, const HubPlan& plan) {
  std::vector<int64_t> offsets(plan.rows.size() + 1, 0);
  for (size_t i = 0; i < plan.rows.size(); ++i) {
    const int64_t r = plan.rows[i];
    offsets[i + 1] = offsets[i] + CeilDiv(g.RowBegin(r + 1) - g.RowBegin(r), kHubChunkEdges);
  }
  return offsets;
}

int64_t HubChunkBound(int64_t num_hub_rows, int64_t max_row_nnz, int64_t nnz) {
  if (num_hub_rows <= 0) return 0;
  const int64_t by_edges = nnz / kHubChunkEdges + num_hub_rows;
  if (max_row_nnz <= 0) return by_edges;  // unknown largest row: the edge count alone bounds it
  const int64_t per_row = CeilDiv(max_row_nnz, kHubChunkEdges);
  // num_hub_rows * per_row without overflow: compare through division first.
  if (per_row > by_edges / num_hub_rows) return by_edges;
  return std::min(num_hub_rows * per_row, by_edges);
}

SpmmLaunch ChooseSpmmLaunch(int64_t width, int64_t head_width, int64_t num_rows, int max_vector, int max_slots) {
  SpmmLaunch l;
  if (width <= 0 || num_rows <= 0) return l;
  const int64_t hw = head_width > 0 && width % head_width == 0 ? head_width : width;
  l.vector = max_vector >= 4 && hw % 4 == 0 ? 4 : max_vector >= 2 && hw % 2 == 0 ? 2 : 1;
  const int64_t vectors = width / l.vector;
  l.lanes = static_cast<int>(std::min<int64_t>(32, NextPow2(vectors)));
  // At most 16 accumulators per lane (V R <= 16): wider tiles would cost occupancy (registers)
  // for a saving of 4 bytes of index per edge and tile.
  const int64_t slot_cap = std::min({8, 16 / l.vector, max_slots >= 8 ? 8 : max_slots >= 4 ? 4 : max_slots >= 2 ? 2 : 1});
  l.slots = static_cast<int>(std::min<int64_t>(slot_cap, NextPow2(CeilDiv(vectors, l.lanes))));
  int64_t tiles = CeilDiv(vectors, int64_t{l.lanes} * l.slots);
  // Few rows: trade slots for tiles, so there are enough groups to fill the device (each tile
  // re-reads the row's indices, which costs 4 bytes per edge against 4 * tile columns gathered).
  while (l.slots > 1 && num_rows < kTargetGroups / tiles) {
    l.slots /= 2;
    tiles = CeilDiv(vectors, int64_t{l.lanes} * l.slots);
  }
  l.tile_vectors = CeilDiv(vectors, tiles);  // balanced: tiles differ by at most one vector
  l.tiles = CeilDiv(vectors, l.tile_vectors);
  l.tile_columns = l.tile_vectors * l.vector;
  l.groups_per_block = l.threads_per_block / l.lanes;
  l.tasks = num_rows * l.tiles;
  l.blocks = std::min(CeilDiv(l.tasks, l.groups_per_block), kMaxGridBlocks);
  return l;
}

}  // namespace cuda
}  // namespace gnn
