// GATv2's attention logits (Brody et al.; PyG GATv2Conv, DGL GATv2Conv): per edge u -> v and head h,
//   s[e, h] = Σ_f att[h, f] · leaky_relu(xl[u, h, f] + xr[v, h, f], slope)
// over a destination-major CSR graph, written [E, H] in the caller's edge order (CsrView::edge_ids)
// for edge softmax and aggregation to consume. Unlike GAT's, the nonlinearity sits inside the dot
// product, so the score cannot be split into per-node terms and every edge costs H·F work.
//
// Cost per edge: the source row of xl (H·F floats, gathered) is read once, the destination row of
// xr is read once per row and stays in L1 across the row's edges, and att (H·F) stays in L1; 4·H
// bytes are written. About 4 flops per feature (add, compare/select or multiply, fma).
// Each row is handled by one task and each edge's sum is taken in a fixed order (lanes of one
// accumulator per head, then the horizontal sum), so results do not depend on the thread count.
// Rows without in-edges write nothing (there is no per-edge output for them).
#pragma once

#include <cstdint>

#include "csr.h"
#include "status.h"

namespace gnn {

struct Gatv2ScoresArgs {
  CsrView graph;
  const float* xl = nullptr;   // [graph.num_cols, heads * head_width]
  const float* xr = nullptr;   // [graph.num_rows, heads * head_width]
  const float* att = nullptr;  // [heads * head_width]
  int64_t heads = 1;
  int64_t head_width = 0;
  float negative_slope = 0.2f;
  float* out = nullptr;        // [nnz, heads], caller's edge order
};
Status Gatv2Scores(const Gatv2ScoresArgs& args);

// The per-ISA kernel (gatv2_impl.h) over rows [row_begin, row_end).
struct Gatv2Kernels {
  void (*scores)(const Gatv2ScoresArgs& args, int64_t row_begin, int64_t row_end);
};

namespace scalar { extern const Gatv2Kernels kGatv2Kernels; }
namespace avx2 { extern const Gatv2Kernels kGatv2Kernels; }
namespace avx512 { extern const Gatv2Kernels kGatv2Kernels; }

}  // namespace gnn
