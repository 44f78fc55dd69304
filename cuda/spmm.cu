// Spmm on the device (cuda/kernels.h): the CPU kernel's semantics (native/kernels/spmm.h) with the
// row-parallel schedule of spmm_schedule.cuh over fp32 features.
//
// Matches the CPU kernel: copy_u sums add x in CSR order, u_mul_e sums accumulate fma(w, x, acc)
// (the SIMD CPU kernels' rounding), max / min are NaN-sticky (a NaN message, including 0 * inf,
// makes the element NaN, as the CPU's checked path), mean divides the sum by the in-degree, and rows
// without in-edges are 0. Hub rows differ from the CPU only in the order of their sum (chunk
// partials added in chunk order); max and min are exact either way.
#include "kernels.h"
#include "spmm_schedule.cuh"

namespace gnn {
namespace cuda {

Status Spmm(const DeviceGraph& graph, const SpmmArgs& in, const Workspace& ws, Stream stream) {
  SpmmArgs a = in;
  a.graph = graph.csr;
  GNN_RETURN_IF_ERROR(CheckSpmmArgs(a));
  const CsrView& g = a.graph;
  if (g.num_rows == 0 || a.width == 0) return Status::Ok();

  agg::Params p;
  p.indptr = g.indptr;
  p.indptr64 = g.indptr64;
  p.indices = g.indices;
  p.num_rows = g.num_rows;
  p.x = a.x;
  p.ldx = a.ldx;
  p.weights = a.weights;
  p.weight_ids = a.weight_ids;
  p.heads = a.heads;
  p.head_width = a.width / a.heads;
  p.out = a.out;
  p.ldo = a.ldo;
  p.width = a.width;
  // Vectors as wide as both x's and out's row starts allow.
  const int max_vector = Aligned(a.x, a.ldx, 4, 16) && Aligned(a.out, a.ldo, 4, 16)  ? 4
                         : Aligned(a.x, a.ldx, 4, 8) && Aligned(a.out, a.ldo, 4, 8) ? 2
                                                                                    : 1;
  return agg::Run<agg::F32Features>("spmm", p, a.reduce, a.weights != nullptr, max_vector, graph, ws, AsStream(stream));
}

}  // namespace cuda
}  // namespace gnn
