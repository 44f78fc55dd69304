// Tile and blocking experiments for the AVX-512 / AVX2 GEMM micro-kernels, in C++ against the same
// templates as the addon (native/kernels/gemm_impl.h), each variant against the FMA peak measured
// in the same run.
//
//   bench/native/run-gemm.sh <N> <K> <M> [block-KiB] [threads]
//   env: TILES="6x64 8x48" (variants to run), GEMM_ISA=avx2, NO_COLUMN_BLOCKS=1
//
// One thread unless told; x, packed weight and out 64-byte aligned; median of 7 runs after 2
// warm-ups. run-gemm.sh builds this file twice: with AVX-512 flags (the avx512 tiles) and with
// -mavx2 -mfma only (the avx2 tiles, as the addon compiles them); it is never linked in the addon.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gemm.h"
#include "gemm_impl.h"
#include "thread_pool.h"
#if defined(__AVX512F__)
#include "simd_avx512.h"
#else
#include "simd_avx2.h"
#endif

using namespace gnn;

namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Buf {
  float* p = nullptr;
  explicit Buf(int64_t n) { p = static_cast<float*>(std::aligned_alloc(64, std::max<int64_t>(64, (n * 4 + 63) / 64 * 64))); }
  ~Buf() { std::free(p); }
};

int64_t g_block_bytes = 384 << 10;
int g_threads = 1;

bool g_column_blocks = true;

GemmBlocking Plan(int mr, int nr, int w, int64_t m, int64_t k) {
  GemmBlocking b = PlanGemmBlockingFor(GemmTile{mr, nr, w}, m, k, g_block_bytes);
  if (!g_column_blocks) b.nc = std::max<int64_t>(nr, b.padded_m);
  return b;
}

template <class V, int MR, int NR>
double Run(const float* x, const float* w, int64_t n, int64_t k, int64_t m, float* out, Activation act, double* err) {
  const GemmBlocking b = Plan(MR, NR, V::kWidth, m, k);
  Buf packed(b.padded_m * k);
  gemm_impl::Pack<V, NR>(w, m, k, b, packed.p);
  LinearArgs a;
  a.x = x; a.n = n; a.k = k; a.m = m; a.packed = packed.p; a.out = out; a.act = act;
  const int64_t per = 96;
  const int64_t tasks = (n + per - 1) / per;
  auto once = [&] {
    ParallelFor(tasks, g_threads, [&](int64_t t) {
      const int64_t r0 = t * per;
      gemm_impl::Rows<V, MR, NR>(a, b, r0, std::min(n, r0 + per));
    });
  };
  once();
  once();
  std::vector<double> s;
  for (int i = 0; i < 7; ++i) {
    const double t0 = Now();
    once();
    s.push_back(Now() - t0);
  }
  std::sort(s.begin(), s.end());
  // spot-check a few outputs against double
  double worst = 0;
  for (int64_t i = 0; i < n; i += n / 7 + 1)
    for (int64_t j = 0; j < m; j += m / 5 + 1) {
      double ref = 0, mag = 0;
      for (int64_t kk = 0; kk < k; ++kk) { ref += double(x[i * k + kk]) * w[j * k + kk]; mag += std::abs(double(x[i * k + kk]) * w[j * k + kk]); }
      if (act == Activation::kRelu && ref < 0) ref = 0;
      worst = std::max(worst, std::abs(out[i * m + j] - ref) / (mag + 1e-30));
    }
  *err = worst;
  return s[3];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) { std::fprintf(stderr, "usage: gemm_tiles N K M [block-KiB] [threads]\n"); return 2; }
  const int64_t n = std::atoll(argv[1]), k = std::atoll(argv[2]), m = std::atoll(argv[3]);
  if (argc > 4) g_block_bytes = std::atoll(argv[4]) << 10;
  if (argc > 5) g_threads = std::atoi(argv[5]);
  if (std::getenv("NO_COLUMN_BLOCKS") != nullptr) g_column_blocks = false;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  Buf x(n * k), w(m * k), out(n * m);
  for (int64_t i = 0; i < n * k; ++i) x.p[i] = d(rng);
  for (int64_t i = 0; i < m * k; ++i) w.p[i] = d(rng);
  // Peak: independent chains of FMAs at the widest width this build has, on g_threads threads.
#if defined(__AVX512F__)
  using PeakVec = avx512::Vec;
  constexpr int kChains = 16;
#else
  using PeakVec = avx2::Vec;
  constexpr int kChains = 12;
#endif
  double peak = 0;
  {
    const int64_t it = 20000000;
    for (int r = 0; r < 3; ++r) {
      float sink[64] = {};
      const double t0 = Now();
      ParallelFor(g_threads, g_threads, [&](int64_t t) { sink[t] = gemm_impl::FmaProbeLoop<PeakVec, kChains>(it, 1.0f); });
      const double dt = Now() - t0;
      peak = std::max(peak, g_threads * it * double(kChains) * PeakVec::kWidth * 2 / dt / 1e9);
      if (sink[0] == 12345.f) std::puts("");
    }
  }
  const double flops = 2.0 * n * k * m;
  std::printf("N=%ld K=%ld M=%ld block=%ldKiB threads=%d peak=%.1f GFLOP/s\n", (long)n, (long)k, (long)m, (long)(g_block_bytes >> 10), g_threads, peak);
  auto report = [&](const char* name, double s, double err) {
    std::printf("  %-22s %8.3f ms %7.1f GFLOP/s %5.1f%% of peak  relerr %.1e\n", name, s * 1e3, flops / s / 1e9, 100 * flops / s / 1e9 / peak, err);
  };
  double e;
  double t;
  const char* which = std::getenv("TILES");
  std::string sel = which ? which : "all";
  auto want = [&](const char* name) {  // TILES="6x64 8x48": run the variants whose name holds a word
    if (sel == "all") return true;
    size_t p = 0;
    while (p < sel.size()) {
      size_t e = sel.find(' ', p);
      if (e == std::string::npos) e = sel.size();
      if (e > p && std::string(name).find(sel.substr(p, e - p)) != std::string::npos) return true;
      p = e + 1;
    }
    return false;
  };
#define TILE(V, MR, NR, NAME) \
  if (want(NAME)) { t = Run<V, MR, NR>(x.p, w.p, n, k, m, out.p, Activation::kNone, &e); report(NAME, t, e); }
#if defined(__AVX512F__)
  TILE(avx512::Vec, 6, 64, "avx512 6x64");
  TILE(avx512::Vec, 8, 48, "avx512 8x48");
  TILE(avx512::Vec, 12, 32, "avx512 12x32");
  TILE(avx512::Vec, 14, 32, "avx512 14x32");
  TILE(avx512::Vec, 4, 96, "avx512 4x96");
  TILE(avx512::Vec, 7, 48, "avx512 7x48");
  if (want("relu")) { t = Run<avx512::Vec, 6, 64>(x.p, w.p, n, k, m, out.p, Activation::kRelu, &e); report("avx512 6x64 relu", t, e); }
#else
  TILE(avx2::Vec, 6, 16, "avx2 6x16");
  TILE(avx2::Vec, 4, 24, "avx2 4x24");
  TILE(avx2::Vec, 3, 32, "avx2 3x32");
  TILE(avx2::Vec, 5, 16, "avx2 5x16");
  TILE(avx2::Vec, 8, 8, "avx2 8x8");
#endif
  return 0;
}
