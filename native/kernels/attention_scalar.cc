// Portable SDDMM, edge softmax and GAT aggregation: plain loops, the reference schedule for the
// SIMD kernels and the path for CPUs without AVX2. The GAT kernel works head by head with its
// running sums in a per-task buffer.
#include <cmath>
#include <limits>
#include <vector>

#include "attention_task.h"

namespace gnn {
namespace scalar {
namespace {

int64_t RowBegin(const CsrView& g, int64_t r) {
  return g.indptr64 ? static_cast<const int64_t*>(g.indptr)[r] : static_cast<const int32_t*>(g.indptr)[r];
}
int64_t EdgeId(const CsrView& g, int64_t j) { return g.edge_ids != nullptr ? g.edge_ids[j] : j; }

float Combine(SddmmOp op, float a, float b) {
  switch (op) {
    case SddmmOp::kAdd: return a + b;
    case SddmmOp::kSub: return a - b;
    default: return a * b;
  }
}

float MaxNan(float m, float s) { return (std::isnan(m) || std::isnan(s)) ? NAN : (s > m ? s : m); }

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

void SddmmRows(const SddmmArgs& a, int64_t row_begin, int64_t row_end) {
  const CsrView& g = a.graph;
  const int64_t d = a.out_width;
  for (int64_t v = row_begin; v < row_end; ++v) {
    const float* vrow = a.v + v * a.v_width;
    for (int64_t j = RowBegin(g, v), e = RowBegin(g, v + 1); j < e; ++j) {
      const float* urow = a.u + static_cast<int64_t>(g.indices[j]) * a.u_width;
      float* o = a.out + EdgeId(g, j) * d;
      if (a.op == SddmmOp::kDot) {
        const int64_t f = a.u_width / a.heads;
        for (int64_t h = 0; h < a.heads; ++h) {
          float acc = 0.0f;
          for (int64_t c = 0; c < f; ++c) acc = std::fma(urow[h * f + c], vrow[h * f + c], acc);
          o[h] = acc;
        }
      } else {
        const int64_t ru = d / a.u_width;
        const int64_t rv = d / a.v_width;
        for (int64_t c = 0; c < d; ++c) o[c] = Combine(a.op, urow[c / ru], vrow[c / rv]);
      }
    }
  }
}

void EdgeSoftmaxRows(const EdgeSoftmaxArgs& a, int64_t row_begin, int64_t row_end, float* /*buffer*/) {
  const CsrView& g = a.graph;
  const int64_t heads = a.heads;
  for (int64_t v = row_begin; v < row_end; ++v) {
    const int64_t b = RowBegin(g, v);
    const int64_t e = RowBegin(g, v + 1);
    for (int64_t h = 0; h < heads; ++h) {
      float mx = kNegInf;
      for (int64_t j = b; j < e; ++j) mx = MaxNan(mx, a.scores[EdgeId(g, j) * heads + h]);
      float sum = 0.0f;
      for (int64_t j = b; j < e; ++j) {
        const float s = a.scores[EdgeId(g, j) * heads + h];
        sum += s == kNegInf ? 0.0f : std::exp(s - mx);
      }
      for (int64_t j = b; j < e; ++j) {
        const int64_t at = EdgeId(g, j) * heads + h;
        const float s = a.scores[at];
        const float num = s == kNegInf ? 0.0f : std::exp(s - mx);
        a.out[at] = sum == 0.0f ? 0.0f : num / sum;
      }
    }
  }
}

void GatTaskKernel(const GatArgs& a, const GatTask& t) {
  const CsrView& g = a.graph;
  const int64_t heads = a.heads;
  const int64_t f = a.head_width;
  const int64_t ldx = heads * f;
  std::vector<float> acc(static_cast<size_t>(f));
  const int64_t first_head = t.col_begin / f;
  const int64_t last_head = (t.col_end - 1) / f;
  for (int64_t v = t.row_begin; v < t.row_end; ++v) {
    const int64_t b = RowBegin(g, v);
    const int64_t e = RowBegin(g, v + 1);
    for (int64_t h = first_head; h <= last_head; ++h) {
      const int64_t lo = std::max(t.col_begin, h * f);
      const int64_t hi = std::min(t.col_end, (h + 1) * f);
      const float adst = a.a_dst[v * heads + h];
      const auto score = [&](int64_t j) {
        float s = a.a_src[static_cast<int64_t>(g.indices[j]) * heads + h] + adst;
        if (a.edge_term != nullptr) s += a.edge_term[EdgeId(g, j) * heads + h];
        return s > 0.0f ? s : a.negative_slope * s;
      };
      std::fill(acc.begin(), acc.end(), 0.0f);
      float mx = kNegInf;
      float sum = 0.0f;
      for (int64_t j = b; j < e; ++j) {
        const float s = score(j);
        const float mnew = MaxNan(mx, s);
        const float scale = mnew == kNegInf ? 1.0f : std::exp(mx - mnew);
        const float w = s == kNegInf ? 0.0f : std::exp(s - mnew);
        sum = std::fma(sum, scale, w);
        mx = mnew;
        const float* src = a.x + static_cast<int64_t>(g.indices[j]) * ldx;
        for (int64_t c = lo; c < hi; ++c) acc[c - h * f] = std::fma(w, src[c], acc[c - h * f] * scale);
      }
      float* dst = a.out + v * ldx;
      for (int64_t c = lo; c < hi; ++c) dst[c] = sum == 0.0f ? 0.0f : acc[c - h * f] / sum;
      if (a.attention != nullptr && lo == h * f) {
        for (int64_t j = b; j < e; ++j) {
          const float s = score(j);
          const float num = s == kNegInf ? 0.0f : std::exp(s - mx);
          a.attention[EdgeId(g, j) * heads + h] = sum == 0.0f ? 0.0f : num / sum;
        }
      }
    }
  }
}

}  // namespace scalar
}  // namespace gnn
