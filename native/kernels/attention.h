// The attention half of GNN layers, over a destination-major CSR graph: SDDMM (a value per edge
// from its two endpoints), edge softmax (normalising each destination's in-edges), and the fused
// GAT aggregation that does leaky-relu scores, softmax and the weighted sum in one pass per row.
// Per-edge inputs and outputs are [E, H] in the caller's edge order (CsrView::edge_ids).
// Every output element is written by exactly one task, so results are independent of threads.
#pragma once

#include <cstdint>

#include "csr.h"
#include "status.h"

namespace gnn {

enum class SddmmOp : int { kDot = 0, kAdd = 1, kSub = 2, kMul = 3 };

// dot: out[e, h] = <u[src, h*F:(h+1)*F], v[dst, h*F:(h+1)*F]>, u_width = v_width = heads * F,
//      out_width = heads.
// add / sub / mul: out[e, c] = u[src, c / (D / u_width)] op v[dst, c / (D / v_width)] with
//      D = out_width = max(u_width, v_width) a multiple of both (a narrower operand's column h
//      serves the wider one's head h: head broadcasting).
struct SddmmArgs {
  CsrView graph;
  const float* u = nullptr;  // [graph.num_cols, u_width]
  int64_t u_width = 0;
  const float* v = nullptr;  // [graph.num_rows, v_width]
  int64_t v_width = 0;
  int64_t heads = 1;         // dot only
  SddmmOp op = SddmmOp::kDot;
  float* out = nullptr;      // [nnz, out_width], caller's edge order
  int64_t out_width = 0;
};
Status Sddmm(const SddmmArgs& args);

// out[e, h] = exp(s[e, h] - m) / sum over the destination's in-edges of exp(s - m), m the row's
// maximum for head h. -inf scores get 0; a row whose scores are all -inf gets zeros (not NaN);
// NaN propagates to its whole row and head.
struct EdgeSoftmaxArgs {
  CsrView graph;
  const float* scores = nullptr;  // [nnz, heads], caller's edge order
  float* out = nullptr;           // same shape; may equal scores
  int64_t heads = 1;
};
Status EdgeSoftmax(const EdgeSoftmaxArgs& args);

// out[v, h*F:(h+1)*F] = sum over in-edges u -> v of alpha[e, h] * x[u, h*F:(h+1)*F], where
// alpha = edge softmax of leaky_relu(a_src[u, h] + a_dst[v, h] (+ edge_term[e, h]), slope),
// computed in one pass per row with an online (running-max) softmax: no E x H array is made.
// Rows without in-edges (or whose scores are all -inf) give 0. attention, when set, receives
// alpha in the caller's edge order.
struct GatArgs {
  CsrView graph;
  const float* x = nullptr;          // [graph.num_cols, heads * head_width]
  int64_t heads = 1;
  int64_t head_width = 0;
  const float* a_src = nullptr;      // [graph.num_cols, heads]
  const float* a_dst = nullptr;      // [graph.num_rows, heads]
  const float* edge_term = nullptr;  // optional [nnz, heads], caller's edge order
  float negative_slope = 0.2f;
  float* out = nullptr;              // [graph.num_rows, heads * head_width]
  float* attention = nullptr;        // optional [nnz, heads], caller's edge order
};
Status GatAggregate(const GatArgs& args);

}  // namespace gnn
