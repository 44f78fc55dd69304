#include "graph_transform.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gnn {
namespace {

// For edge-id renumbering after dropping loops: removed_before[o] = loops with caller id < o.
std::vector<int32_t> LoopsBeforeEachEdge(const CsrGraphView& g) {
  std::vector<int32_t> before(static_cast<size_t>(g.nnz) + 1, 0);
  for (int64_t v = 0; v < g.num_rows; ++v) {
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) {
      if (g.indices[j] == v) before[g.EdgeId(j) + 1] = 1;
    }
  }
  for (int64_t o = 0; o < g.nnz; ++o) before[o + 1] += before[o];
  return before;
}

}  // namespace

int64_t CountSelfLoops(const CsrGraphView& g) {
  int64_t loops = 0;
  const int64_t rows = std::min(g.num_rows, g.num_cols);
  for (int64_t v = 0; v < rows; ++v) {
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) loops += g.indices[j] == v;
  }
  return loops;
}

void RemoveSelfLoops(const CsrGraphView& g, const CsrGraphOut& out) {
  std::vector<int32_t> before;
  if (out.edge_ids != nullptr) before = LoopsBeforeEachEdge(g);
  int64_t pos = 0;
  out.indptr.Set(0, 0);
  for (int64_t v = 0; v < g.num_rows; ++v) {
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) {
      if (g.indices[j] == v) continue;
      out.indices[pos] = g.indices[j];
      if (out.edge_ids != nullptr) {
        const int64_t o = g.EdgeId(j);
        out.edge_ids[pos] = static_cast<int32_t>(o - before[o]);
      }
      if (out.weights != nullptr) out.weights[pos] = g.weights[j];
      ++pos;
    }
    out.indptr.Set(v + 1, pos);
  }
}

void AddRemainingSelfLoops(const CsrGraphView& g, float fill_value, const CsrGraphOut& out) {
  const std::vector<int32_t> before = LoopsBeforeEachEdge(g);
  const int64_t kept = g.nnz - before[g.nnz];
  int64_t pos = 0;
  out.indptr.Set(0, 0);
  for (int64_t v = 0; v < g.num_rows; ++v) {
    float loop_weight = fill_value;
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) {
      if (g.indices[j] == v) {
        // The last loop in caller order wins; an unweighted graph's edges weigh 1.
        loop_weight = g.weights != nullptr ? g.weights[j] : 1.0f;
        continue;
      }
      const int64_t o = g.EdgeId(j);
      out.indices[pos] = g.indices[j];
      out.edge_ids[pos] = static_cast<int32_t>(o - before[o]);
      if (out.weights != nullptr) out.weights[pos] = g.weights != nullptr ? g.weights[j] : 1.0f;
      ++pos;
    }
    out.indices[pos] = static_cast<int32_t>(v);
    out.edge_ids[pos] = static_cast<int32_t>(kept + v);
    if (out.weights != nullptr) out.weights[pos] = loop_weight;
    ++pos;
    out.indptr.Set(v + 1, pos);
  }
}

void GcnNormWeights(const CsrGraphView& g, float* out_weights) {
  std::vector<float> dis(static_cast<size_t>(g.num_rows));
  for (int64_t v = 0; v < g.num_rows; ++v) {
    float deg = 0.0f;  // summed in caller order, as PyG's scatter-add does
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) {
      deg += g.weights != nullptr ? g.weights[j] : 1.0f;
    }
    const float d = 1.0f / std::sqrt(deg);
    dis[v] = std::isinf(d) ? 0.0f : d;
  }
  for (int64_t v = 0; v < g.num_rows; ++v) {
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) {
      const float w = g.weights != nullptr ? g.weights[j] : 1.0f;
      out_weights[j] = dis[g.indices[j]] * w * dis[v];
    }
  }
}

Status PlanToUndirected(const CsrGraphView& g, UndirectedPlan* plan) {
  const int64_t n = g.num_rows;
  const bool weighted = g.weights != nullptr;
  // Row v of the merged graph: v's in-edge sources, then v's out-edge targets.
  std::vector<int64_t>& ptr = plan->row_ptr;
  ptr.assign(static_cast<size_t>(n) + 1, 0);
  for (int64_t v = 0; v < n; ++v) {
    ptr[v + 1] += g.indptr.Get(v + 1) - g.indptr.Get(v);
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) ++ptr[g.indices[j] + 1];
  }
  for (int64_t v = 0; v < n; ++v) ptr[v + 1] += ptr[v];
  plan->sources.resize(static_cast<size_t>(ptr[n]));
  if (weighted) plan->weights.resize(static_cast<size_t>(ptr[n]));
  std::vector<int64_t> cursor(ptr.begin(), ptr.end() - 1);
  for (int64_t v = 0; v < n; ++v) {
    for (int64_t j = g.indptr.Get(v), e = g.indptr.Get(v + 1); j < e; ++j) {
      const int32_t u = g.indices[j];
      const int64_t a = cursor[v]++;
      plan->sources[a] = u;
      const int64_t b = cursor[u]++;
      plan->sources[b] = static_cast<int32_t>(v);
      if (weighted) plan->weights[a] = plan->weights[b] = g.weights[j];
    }
  }
  // Sort each row by source (stable, so equal pairs keep a fixed order for the reducer), count
  // the distinct sources.
  plan->out_ptr.assign(static_cast<size_t>(n) + 1, 0);
  std::vector<int64_t> order;
  std::vector<int32_t> src_tmp;
  std::vector<float> w_tmp;
  for (int64_t v = 0; v < n; ++v) {
    const int64_t b = ptr[v], e = ptr[v + 1];
    int32_t* s = plan->sources.data() + b;
    if (weighted) {
      order.resize(static_cast<size_t>(e - b));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return s[x] < s[y]; });
      src_tmp.assign(s, s + (e - b));
      w_tmp.assign(plan->weights.begin() + b, plan->weights.begin() + e);
      for (int64_t k = 0; k < e - b; ++k) {
        s[k] = src_tmp[order[k]];
        plan->weights[b + k] = w_tmp[order[k]];
      }
    } else {
      std::sort(s, s + (e - b));
    }
    int64_t distinct = 0;
    for (int64_t k = b; k < e; ++k) distinct += (k == b || plan->sources[k] != plan->sources[k - 1]);
    plan->out_ptr[v + 1] = plan->out_ptr[v] + distinct;
  }
  plan->out_nnz = plan->out_ptr[n];
  if (plan->out_nnz > kMaxInt32Nnz) {
    return Status(StatusCode::kOutOfRange, "graph: the undirected graph has more than 2^31 - 1 edges");
  }
  return Status::Ok();
}

void FillToUndirected(const UndirectedPlan& plan, Reduce reduce, const CsrGraphOut& out) {
  const int64_t n = static_cast<int64_t>(plan.out_ptr.size()) - 1;
  const bool weighted = out.weights != nullptr && !plan.weights.empty();
  for (int64_t v = 0; v <= n; ++v) out.indptr.Set(v, plan.out_ptr[v]);
  // Caller order of the result is (source, target)-sorted; the graph is symmetric, so the edges
  // with source u are exactly row u's entries and u's k-th smallest target is met in the k-th row
  // (in increasing v) that lists u.
  std::vector<int64_t> seen(static_cast<size_t>(n), 0);
  int64_t pos = 0;
  for (int64_t v = 0; v < n; ++v) {
    for (int64_t k = plan.row_ptr[v], e = plan.row_ptr[v + 1]; k < e;) {
      const int32_t u = plan.sources[k];
      int64_t end = k + 1;
      while (end < e && plan.sources[end] == u) ++end;
      out.indices[pos] = u;
      if (out.edge_ids != nullptr) out.edge_ids[pos] = static_cast<int32_t>(plan.out_ptr[u] + seen[u]++);
      if (weighted) {
        float acc = plan.weights[k];
        for (int64_t d = k + 1; d < end; ++d) {
          const float w = plan.weights[d];
          switch (reduce) {
            case Reduce::kMax:
              if (!std::isnan(acc) && (std::isnan(w) || w > acc)) acc = w;
              break;
            case Reduce::kMin:
              if (!std::isnan(acc) && (std::isnan(w) || w < acc)) acc = w;
              break;
            default: acc += w; break;
          }
        }
        if (reduce == Reduce::kMean) acc /= static_cast<float>(end - k);
        out.weights[pos] = acc;
      }
      ++pos;
      k = end;
    }
  }
}

void InDegrees(const CsrGraphView& g, int32_t* out) {
  for (int64_t v = 0; v < g.num_rows; ++v) out[v] = static_cast<int32_t>(g.indptr.Get(v + 1) - g.indptr.Get(v));
}

void OutDegrees(const CsrGraphView& g, int32_t* out) {
  std::fill(out, out + g.num_cols, 0);
  for (int64_t j = 0; j < g.nnz; ++j) ++out[g.indices[j]];
}

}  // namespace gnn
