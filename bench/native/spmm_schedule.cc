// Schedule experiments for the SpMM kernel, in C++ against the same kernel sources as the addon:
// prefetch distance, feature-tile width, and locality reordering (degree / RCM relabelling, or
// only the row processing order), each against the register-blocked baseline in the same run.
//
//   bench/native/run.sh <rmat|uniform> <scale> <F> <threads> <sum|max> <prefetch|tile|reorder|nan>
//
// Graphs: Graph500 R-MAT (A=0.57, B=0.19, C=0.19, scrambled labels) or uniform, degree 16.
// Features and outputs 64-byte aligned. Median of 7 runs after 2 warm-ups.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "baseline_spmm.h"
#include "spmm.h"
#include "thread_pool.h"

using namespace gnn;

namespace {

struct Csr {
  std::vector<int32_t> ptr, idx;
  int64_t n = 0;
  CsrView View() const {
    CsrView v;
    v.indptr = ptr.data();
    v.indices = idx.data();
    v.num_rows = n;
    v.num_cols = n;
    v.nnz = static_cast<int64_t>(idx.size());
    return v;
  }
};

Csr Build(int64_t n, const std::vector<int32_t>& src, const std::vector<int32_t>& dst) {
  Csr c;
  c.n = n;
  c.ptr.assign(n + 1, 0);
  c.idx.resize(src.size());
  for (int32_t v : dst) c.ptr[v + 1]++;
  for (int64_t i = 0; i < n; ++i) c.ptr[i + 1] += c.ptr[i];
  std::vector<int32_t> cur(c.ptr.begin(), c.ptr.end() - 1);
  for (size_t e = 0; e < src.size(); ++e) c.idx[cur[dst[e]]++] = src[e];
  return c;
}

void Generate(const std::string& kind, int scale, std::vector<int32_t>* src, std::vector<int32_t>* dst) {
  const int64_t n = int64_t{1} << scale, m = 16 * n;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(0, 1);
  src->resize(m);
  dst->resize(m);
  for (int64_t e = 0; e < m; ++e) {
    if (kind == "uniform") {
      (*src)[e] = static_cast<int32_t>(rng() % n);
      (*dst)[e] = static_cast<int32_t>(rng() % n);
      continue;
    }
    int64_t u = 0, v = 0;
    for (int l = 0; l < scale; ++l) {
      const double r = uniform(rng);
      u = 2 * u + (r >= 0.76);
      v = 2 * v + ((r >= 0.57 && r < 0.76) || r >= 0.95);
    }
    (*src)[e] = static_cast<int32_t>(u);
    (*dst)[e] = static_cast<int32_t>(v);
  }
  if (kind == "uniform") return;
  std::vector<int32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  for (int64_t e = 0; e < m; ++e) {
    (*src)[e] = perm[(*src)[e]];
    (*dst)[e] = perm[(*dst)[e]];
  }
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double MedianMs(F&& f) {
  f();
  f();
  std::vector<double> t;
  for (int i = 0; i < 7; ++i) {
    const double s = Now();
    f();
    t.push_back(Now() - s);
  }
  std::sort(t.begin(), t.end());
  return t[3] * 1e3;
}

// 64-byte aligned storage, shifted by `offset` bytes (MISALIGN=16 mimics a typical JS buffer).
struct Aligned {
  std::vector<float> storage;
  float* p = nullptr;
  explicit Aligned(int64_t n, int64_t offset = 0) : storage(static_cast<size_t>(n) + 32) {
    p = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(storage.data()) + 63) & ~uintptr_t{63}) + offset / 4;
  }
};

double Ours(const Csr& c, const float* x, float* out, int64_t f, Reduce r, const SpmmSchedule& s) {
  SpmmArgs a;
  a.graph = c.View();
  a.x = x;
  a.width = f;
  a.ldx = f;
  a.out = out;
  a.ldo = f;
  a.reduce = r;
  return MedianMs([&] { SpmmWithSchedule(a, s); });
}

// Relabelling orders: by degree (descending), and reverse Cuthill-McKee on the symmetrised graph.
std::vector<int32_t> DegreeOrder(int64_t n, const std::vector<int32_t>& s, const std::vector<int32_t>& d,
                                 std::vector<int64_t>* deg) {
  deg->assign(n, 0);
  for (int32_t v : s) (*deg)[v]++;
  for (int32_t v : d) (*deg)[v]++;
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return (*deg)[a] > (*deg)[b]; });
  return order;
}

std::vector<int32_t> RcmOrder(int64_t n, const std::vector<int32_t>& s, const std::vector<int32_t>& d,
                              const std::vector<int64_t>& deg) {
  std::vector<int32_t> ss(s), dd(d);
  ss.insert(ss.end(), d.begin(), d.end());
  dd.insert(dd.end(), s.begin(), s.end());
  const Csr sym = Build(n, ss, dd);
  std::vector<int32_t> starts(n), order;
  std::iota(starts.begin(), starts.end(), 0);
  std::stable_sort(starts.begin(), starts.end(), [&](int32_t a, int32_t b) { return deg[a] < deg[b]; });
  std::vector<char> seen(n, 0);
  order.reserve(n);
  std::vector<int32_t> nb;
  for (int32_t start : starts) {
    if (seen[start]) continue;
    std::queue<int32_t> q;
    q.push(start);
    seen[start] = 1;
    while (!q.empty()) {
      const int32_t v = q.front();
      q.pop();
      order.push_back(v);
      nb.clear();
      for (int32_t j = sym.ptr[v]; j < sym.ptr[v + 1]; ++j) {
        if (!seen[sym.idx[j]]) {
          seen[sym.idx[j]] = 1;
          nb.push_back(sym.idx[j]);
        }
      }
      std::sort(nb.begin(), nb.end(), [&](int32_t a, int32_t b) { return deg[a] < deg[b]; });
      for (int32_t u : nb) q.push(u);
    }
  }
  std::reverse(order.begin(), order.end());
  return order;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s <rmat|uniform> <scale> <F> <threads> <sum|max> <prefetch|tile|reorder|nan>\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const int scale = std::atoi(argv[2]);
  const int64_t f = std::atoi(argv[3]);
  SetNumThreads(std::atoi(argv[4]));
  const Reduce reduce = std::strcmp(argv[5], "max") == 0 ? Reduce::kMax : Reduce::kSum;
  const std::string sweep = argv[6];
  std::vector<int32_t> src, dst;
  Generate(kind, scale, &src, &dst);
  const int64_t n = int64_t{1} << scale;
  const Csr base = Build(n, src, dst);
  const int64_t misalign = std::getenv("MISALIGN") != nullptr ? std::atoi(std::getenv("MISALIGN")) : 0;
  Aligned x(n * f, misalign), out(n * f, misalign), ref(n * f, misalign);
  for (int64_t i = 0; i < n * f; ++i) x.p[i] = static_cast<float>((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  const double tb = MedianMs([&] { BaselineSpmm(base.View(), x.p, f, ref.p, reduce); });
  std::printf("%s scale %d, F=%ld, %s threads, %s%s: C++ register-blocked loop %.2f ms\n", kind.c_str(), scale,
              static_cast<long>(f), argv[4], argv[5], misalign != 0 ? " (x, out misaligned)" : "", tb);
  if (sweep == "prefetch") {
    for (int pf : {0, 4, 8, 16, 32, 64}) {
      SpmmSchedule s;
      s.prefetch_distance = pf;
      const double t = Ours(base, x.p, out.p, f, reduce, s);
      std::printf("  prefetch %2d edges ahead: %8.2f ms  (x%.2f vs loop)\n", pf, t, tb / t);
    }
    const double t = Ours(base, x.p, out.p, f, reduce, SpmmSchedule());
    std::printf("  automatic choice:        %8.2f ms  (x%.2f vs loop)\n", t, tb / t);
  } else if (sweep == "nan") {
    for (int mode : {0, 1, -1}) {
      SpmmSchedule s;
      s.finite_inputs = mode;
      const double t = Ours(base, x.p, out.p, f, reduce, s);
      std::printf("  %-34s %8.2f ms  (x%.2f vs loop)\n",
                  mode == 0 ? "scan inputs, then the plain form:" : mode == 1 ? "plain form, no scan:" : "every message checked:", t, tb / t);
    }
  } else if (sweep == "tile") {
    for (int64_t tile : {int64_t{0}, int64_t{128}, int64_t{64}, int64_t{32}, int64_t{16}}) {
      SpmmSchedule s;
      s.tile_columns = tile;
      const double t = Ours(base, x.p, out.p, f, reduce, s);
      std::printf("  tile %3ld columns%s: %8.2f ms  (x%.2f vs loop)\n", static_cast<long>(tile), tile == 0 ? " (auto)" : "", t, tb / t);
    }
  } else if (sweep == "reorder") {
    std::vector<int64_t> deg;
    const std::vector<int32_t> by_degree = DegreeOrder(n, src, dst, &deg);
    const std::vector<int32_t> rcm = RcmOrder(n, src, dst, deg);
    const double t0 = Ours(base, x.p, out.p, f, reduce, SpmmSchedule());
    std::printf("  original labels:               %8.2f ms\n", t0);
    for (const auto& [name, order] : {std::make_pair("degree", &by_degree), std::make_pair("rcm", &rcm)}) {
      std::vector<int32_t> rank(n);
      for (int64_t i = 0; i < n; ++i) rank[(*order)[i]] = static_cast<int32_t>(i);
      std::vector<int32_t> s2(src.size()), d2(dst.size());
      for (size_t e = 0; e < src.size(); ++e) {
        s2[e] = rank[src[e]];
        d2[e] = rank[dst[e]];
      }
      const double relabelled = Ours(Build(n, s2, d2), x.p, out.p, f, reduce, SpmmSchedule());
      const double rows_only = Ours(Build(n, src, d2), x.p, out.p, f, reduce, SpmmSchedule());
      // What relabelling costs per call when x and out stay in the caller's order: one gather of
      // x into the new order and one scatter of out back.
      Aligned xp(n * f);
      const double permute = MedianMs([&] {
        for (int64_t i = 0; i < n; ++i) std::memcpy(xp.p + i * f, x.p + static_cast<int64_t>((*order)[i]) * f, f * 4);
        for (int64_t i = 0; i < n; ++i) std::memcpy(out.p + static_cast<int64_t>((*order)[i]) * f, xp.p + i * f, f * 4);
      });
      std::printf("  %-6s relabelled x and rows: %8.2f ms (x%.2f), + permuting x and out per call %.2f ms;"
                  " row order only: %.2f ms (x%.2f)\n",
                  name, relabelled, t0 / relabelled, permute, rows_only, t0 / rows_only);
    }
  }
  return 0;
}
