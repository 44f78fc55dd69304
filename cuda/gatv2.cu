// Gatv2Scores on the device (cuda/kernels.h): GATv2's logits of native/kernels/gatv2.h,
//   s[e, h] = Σ_f att[h, f] · leaky_relu(xl[u, h, f] + xr[v, h, f], slope),
// written [E, H] in the caller's edge order.
//
// Edge-parallel like sddmm's dot: a group of G lanes per CSR position (G from the head width), its
// destination row from a binary search of indptr; per head each lane folds every G-th vector of the
// head's columns into an fma chain and the group adds the lanes' sums by a fixed butterfly. Cost
// per edge: the source row of xl (H F floats, gathered), the destination row of xr (from L1/L2:
// a row's edges are neighbours in CSR order) and att (L1), 4 H bytes written; ~4 flops per feature.
// Rows without in-edges write nothing, as on the CPU; a head width of 0 gives zeros.
#include <cmath>

#include "checks.h"
#include "common.cuh"
#include "device_math.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

struct Gatv2Params {
  const void* indptr;
  bool indptr64;
  int64_t num_rows;
  const int32_t* indices;
  const int32_t* edge_ids;
  int64_t nnz;
  const float* xl;
  const float* xr;
  const float* att;
  int64_t heads;
  int64_t f;
  float slope;
  float* out;
  int lanes;
};

template <int V>
__global__ void __launch_bounds__(kThreads) Gatv2ScoresKernel(const Gatv2Params p) {
  const int G = p.lanes;
  const int lane = static_cast<int>(threadIdx.x) & (G - 1);
  const int64_t groups_per_block = blockDim.x / G;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  const unsigned mask = GroupMask(G);
  const int64_t ld = p.heads * p.f;
  for (int64_t j = blockIdx.x * groups_per_block + threadIdx.x / G; j < p.nnz; j += stride) {
    const int64_t dst = sched::RowOfEdge(p.indptr, p.indptr64, p.num_rows, j);
    const int64_t src = p.indices[j];
    const int64_t e = p.edge_ids != nullptr ? static_cast<int64_t>(p.edge_ids[j]) : j;
    const float* l = p.xl + src * ld;
    const float* r = p.xr + dst * ld;
    for (int64_t h = 0; h < p.heads; ++h) {
      float acc = 0.0f;
      for (int64_t c = h * p.f + static_cast<int64_t>(lane) * V; c < (h + 1) * p.f; c += static_cast<int64_t>(G) * V) {
        float a[V], b[V], w[V];
        LoadFloats<V>(l + c, a);
        LoadFloats<V>(r + c, b);
        LoadFloats<V>(p.att + c, w);
#pragma unroll
        for (int k = 0; k < V; ++k) acc = dmath::Fma(w[k], dmath::LeakyRelu(dmath::Add(a[k], b[k]), p.slope), acc);
      }
      acc = GroupSum(acc, mask, G);
      if (lane == 0) p.out[e * p.heads + h] = acc;
    }
  }
}

}  // namespace

Status Gatv2Scores(const DeviceGraph& graph, const Gatv2ScoresArgs& a, const Workspace& /*ws*/, Stream stream) {
  const CsrView& g = graph.csr;
  GNN_RETURN_IF_ERROR(CheckGraphArrays(g));
  if (a.heads < 1 || a.head_width < 0) {
    return Status(StatusCode::kShapeMismatch, "gatv2Scores: expected at least one head and a non-negative width, got " +
                                                  Str(a.heads) + " heads of " + Str(a.head_width));
  }
  if (!std::isfinite(a.negative_slope)) {
    return Status(StatusCode::kOutOfRange, "negativeSlope: expected a finite number, got " + std::to_string(a.negative_slope));
  }
  if (g.nnz == 0) return Status::Ok();
  const bool gathers = a.head_width > 0;
  GNN_RETURN_IF_ERROR(Present(a.xl, gathers, "gatv2Scores", "xl"));
  GNN_RETURN_IF_ERROR(Present(a.xr, gathers, "gatv2Scores", "xr"));
  GNN_RETURN_IF_ERROR(Present(a.att, gathers, "gatv2Scores", "att"));
  GNN_RETURN_IF_ERROR(Present(a.out, true, "gatv2Scores", "out"));

  Gatv2Params p;
  p.indptr = g.indptr;
  p.indptr64 = g.indptr64;
  p.num_rows = g.num_rows;
  p.indices = g.indices;
  p.edge_ids = g.edge_ids;
  p.nnz = g.nnz;
  p.xl = a.xl;
  p.xr = a.xr;
  p.att = a.att;
  p.heads = a.heads;
  p.f = a.head_width;
  p.slope = a.negative_slope;
  p.out = a.out;
  const int64_t ld = a.heads * a.head_width;
  const bool vec4 = a.head_width % 4 == 0 && Aligned(a.xl, ld, 4, 16) && Aligned(a.xr, ld, 4, 16) &&
                    Aligned(a.att, 0, 4, 16);
  const int vector = vec4 ? 4 : 1;
  int lanes = 1;
  while (lanes < 32 && lanes * vector < a.head_width) lanes *= 2;
  p.lanes = lanes;
  const unsigned blocks = GridFor(g.nnz, kThreads / lanes);
  if (vec4) {
    Gatv2ScoresKernel<4><<<blocks, kThreads, 0, AsStream(stream)>>>(p);
  } else {
    Gatv2ScoresKernel<1><<<blocks, kThreads, 0, AsStream(stream)>>>(p);
  }
  return LaunchStatus("gatv2Scores");
}

}  // namespace cuda
}  // namespace gnn
