// QSpmm on the device (cuda/kernels.h): the int8-feature SpMM of native/kernels/qspmm.h with the
// same row-parallel schedule as the fp32 Spmm (spmm_schedule.cuh), instantiated for int8 codes:
// each lane gathers V codes per access (char4 / char2 / char, a quarter of the fp32 bytes), the
// coefficient c = w * scale[u] (or scale[u]) is formed once per edge by the lane that staged it and
// broadcast, and the message is c * float(q), accumulated as fma(c, q, acc) (sum, mean) or
// NaN-sticky max / min in fp32. NaN / Inf in weights or scales propagate as on the CPU.
#include "kernels.h"
#include "spmm_schedule.cuh"

namespace gnn {
namespace cuda {

Status QSpmm(const DeviceGraph& graph, const QSpmmArgs& in, const Workspace& ws, Stream stream) {
  QSpmmArgs a = in;
  a.graph = graph.csr;
  GNN_RETURN_IF_ERROR(CheckQSpmmArgs(a));
  const CsrView& g = a.graph;
  if (g.num_rows == 0 || a.width == 0) return Status::Ok();

  agg::Params p;
  p.indptr = g.indptr;
  p.indptr64 = g.indptr64;
  p.indices = g.indices;
  p.num_rows = g.num_rows;
  p.x = a.q;
  p.ldx = a.ldq;
  p.scale = a.scale;
  p.scale_stride = a.scale_stride;
  p.weights = a.weights;
  p.weight_ids = a.weight_ids;
  p.heads = a.heads;
  p.head_width = a.width / a.heads;
  p.out = a.out;
  p.ldo = a.ldo;
  p.width = a.width;
  // V codes per load need V-byte row starts in q; the V floats stored need 4 V-byte ones in out.
  const int max_vector = Aligned(a.q, a.ldq, 1, 4) && Aligned(a.out, a.ldo, 4, 16)  ? 4
                         : Aligned(a.q, a.ldq, 1, 2) && Aligned(a.out, a.ldo, 4, 8) ? 2
                                                                                    : 1;
  return agg::Run<agg::I8Features>("spmmInt8", p, a.reduce, a.weights != nullptr, max_vector, graph, ws,
                                   AsStream(stream));
}

}  // namespace cuda
}  // namespace gnn
