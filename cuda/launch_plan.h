// Host-side scheduling of the CUDA kernels: plain C++ (no CUDA headers), compiled into the CPU
// build too, so the choices are unit-tested on machines without a GPU (test/cuda-plan.test.ts).
#pragma once

#include <cstdint>
#include <vector>

#include "../native/kernels/csr.h"

namespace gnn {
namespace cuda {

// Rows whose in-degree exceeds the threshold are "hub rows": a warp per row would serialise on
// them, so the kernels split each hub row into fixed chunks of edges reduced by separate warps into
// partial results, combined afterwards in chunk order (deterministic, no atomics).
struct HubPlan {
  std::vector<int32_t> rows;  // ascending row ids with nnz > threshold
  int64_t max_row_nnz = 0;    // the largest in-degree of the graph
  int64_t threshold = 0;      // the threshold used
};

// The default threshold: rows longer than this many edges are split.
int64_t DefaultHubThreshold();

// Scans a host CSR graph (indptr only) once. threshold <= 0 means DefaultHubThreshold().
HubPlan PlanHubRows(const CsrView& host_graph, int64_t threshold);

}  // namespace cuda
}  // namespace gnn

// ---- Additions (kernel schedule; plain C++, unit-tested on the CPU) --------------------------------
namespace gnn {
namespace cuda {

// Edges per hub-row chunk. Fixed, so a hub row's partial results (and their rounding) depend only
// on the graph, never on the device or the launch shape. Chunk k of a hub row that starts at CSR
// position b and ends at e covers [b + k C, min(b + (k + 1) C, e)).
constexpr int64_t kHubChunkEdges = 256;

// PlanHubRows raises a smaller positive threshold to this: a row of at most one chunk gains nothing
// from the split, and the row kernels look a row up in the hub list only when it is longer than
// this, so short rows (nearly all of them) never pay for the lookup.
constexpr int64_t kMinHubThreshold = kHubChunkEdges;

// Chunks of hub row i: offsets[i] .. offsets[i + 1] (offsets has rows.size() + 1 entries,
// offsets[0] = 0), ceil(nnz_i / kHubChunkEdges) each. The kernels compute the same offsets on the
// device (cuda/hub_schedule.cuh); this host copy is what the tests check them against.
std::vector<int64_t> HubChunkOffsets(const CsrView& host_graph, const HubPlan& plan);

// An upper bound on the total number of chunks from sizes the host knows without reading the
// device: min(H * ceil(max_row_nnz / C), floor(nnz / C) + H) (each hub row has ceil(nnz_i / C) <=
// nnz_i / C + 1 chunks, and the hub rows hold at most nnz edges). Scratch for hub partials is
// allocated for this many chunks. max_row_nnz <= 0 (unknown) gives the edge bound alone; a
// max_row_nnz smaller than the true one would leave chunks out, so pass PlanHubRows' value.
int64_t HubChunkBound(int64_t num_hub_rows, int64_t max_row_nnz, int64_t nnz);

// The launch shape of the row-parallel aggregations (spmm, the int8-feature spmm, gatAggregate),
// in the style of GE-SpMM: a group of `lanes` lanes owns one (row, feature tile) task; lane l holds
// columns col0 + (s * lanes + l) * vector .. + vector - 1 for slot s < slots (a vector load each),
// so a row's gather of one source row is `lanes` consecutive vector loads. The group stages the
// row's neighbour indices (and weights) `lanes` edges at a time, one per lane, and broadcasts them
// with shuffles. Each output element is reduced by one lane in CSR order, so the shape changes
// which lane computes an element, never its value.
struct SpmmLaunch {
  int lanes = 1;                 // lanes per group: a power of two, 1 .. 32
  int vector = 1;                // columns per load: 1, 2 or 4 (float / float2 / float4, char..char4)
  int slots = 1;                 // vectors per lane per tile: 1, 2, 4 or 8, vector * slots <= 16
                                 // (compile-time in the kernel)
  int64_t tile_vectors = 0;      // vectors per tile (<= lanes * slots; the last tile may hold fewer)
  int64_t tile_columns = 0;      // tile_vectors * vector
  int64_t tiles = 0;             // tiles per row: ceil(width / tile_columns)
  int threads_per_block = 256;
  int groups_per_block = 0;      // threads_per_block / lanes: rows in flight per block
  int64_t tasks = 0;             // rows * tiles
  int64_t blocks = 0;            // 1-D grid (the kernels loop over tasks with a grid stride)
};

// The shape for a [num_rows, width] output whose heads are head_width columns wide (head_width =
// width without per-head weights). max_vector (1, 2 or 4) is the widest vector the pointers and row
// strides are aligned for (the caller checks the device pointers); the vector also divides
// head_width, so no vector straddles two heads. Tiles are balanced (they differ by at most one
// vector), and when rows * tiles would leave a large GPU short of groups (fewer than
// kTargetGroups), slots are halved and tiles doubled. Row lengths do not enter: rows longer than
// the hub threshold are split by the hub kernels instead. width 0 or num_rows 0: tasks == 0 (no
// launch).
// max_slots (1, 2, 4 or 8) caps the slots for kernels with more state per slot (gatAggregate's
// online softmax uses 4).
constexpr int64_t kTargetGroups = 8192;
constexpr int64_t kMaxGridBlocks = int64_t{1} << 20;
SpmmLaunch ChooseSpmmLaunch(int64_t width, int64_t head_width, int64_t num_rows, int max_vector, int max_slots = 8);

}  // namespace cuda
}  // namespace gnn
