// The normalisation schedules: argument sanity, batch validation, and the split into tasks of
// whole rows (about 64 KiB each) run on the thread pool with the kernels of the active SIMD level.
// graphLayerNorm's per-graph statistics are combined from per-row partial sums on one thread, in
// row order, so they do not depend on the split either.
#include "norm.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "cpu_features.h"
#include "thread_pool.h"

namespace gnn {
namespace {

const NormKernels& Kernels() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return avx512::kNormKernels;
    case SimdLevel::kAvx2: return avx2::kNormKernels;
    case SimdLevel::kScalar: break;
  }
#endif
  return scalar::kNormKernels;
}

// As rowops.cc: tasks of ~64 KiB of floats; one thread below 512 KiB of output.
constexpr int64_t kChunk = int64_t{1} << 14;
constexpr int64_t kParallelFrom = int64_t{1} << 17;

// Runs fn(row_begin, row_end) over [0, rows) in tasks of whole rows, about kChunk elements each.
template <typename F>
void ForRowBlocks(int64_t rows, int64_t width, const F& fn) {
  const int64_t per = std::max<int64_t>(1, kChunk / std::max<int64_t>(width, 1));
  const int64_t tasks = (rows + per - 1) / per;
  ParallelFor(tasks, rows * width < kParallelFrom ? 1 : NumThreads(), [&](int64_t t) {
    const int64_t begin = t * per;
    fn(begin, std::min(rows, begin + per));
  });
}

Status CheckBlock(const char* op, int64_t rows, int64_t width) {
  if (rows < 0 || width < 0) {
    return Status(StatusCode::kInvalidArgValue, std::string(op) + ": expected non-negative sizes, got " + Str(rows) +
                                                    " x " + Str(width));
  }
  return Status::Ok();
}

Status CheckEps(const char* op, float eps) {
  if (!(eps >= 0.0f) || !std::isfinite(eps)) {
    return Status(StatusCode::kOutOfRange, std::string(op) + ": expected eps >= 0 and finite, got " + std::to_string(eps));
  }
  return Status::Ok();
}

// A graph's centring and scale from its mean and the sums of d' = x − float(mean) and d'² over
// `count` elements (as RowStatsOf in norm_impl.h, with PyG's two eps placements).
RowStats StatsFrom(double mean, double sum, double sum_sq, double count, float eps, bool eps_on_std) {
  const float hi = static_cast<float>(mean);
  const double lo = sum / count;
  const double var = std::max(0.0, sum_sq / count - lo * lo);
  const double rstd = eps_on_std ? 1.0 / (std::sqrt(var) + eps) : 1.0 / std::sqrt(var + eps);
  return RowStats{hi, static_cast<float>(lo), static_cast<float>(rstd)};
}

}  // namespace

Status ColumnAffine(const float* x, const float* scale, const float* shift, float* out, int64_t rows, int64_t width) {
  GNN_RETURN_IF_ERROR(CheckBlock("columnAffine", rows, width));
  if (rows * width == 0) return Status::Ok();
  const NormKernels& k = Kernels();
  ForRowBlocks(rows, width, [&](int64_t begin, int64_t end) {
    k.affine(x + begin * width, scale, shift, out + begin * width, end - begin, width);
  });
  return Status::Ok();
}

Status LayerNorm(const LayerNormArgs& a) {
  GNN_RETURN_IF_ERROR(CheckBlock("layerNorm", a.rows, a.width));
  GNN_RETURN_IF_ERROR(CheckEps("layerNorm", a.eps));
  if (a.rows * a.width == 0) return Status::Ok();
  const NormKernels& k = Kernels();
  ForRowBlocks(a.rows, a.width, [&](int64_t begin, int64_t end) {
    k.layer_norm(a.x + begin * a.width, a.weight, a.bias, a.out + begin * a.width, end - begin, a.width, a.eps);
  });
  return Status::Ok();
}

Status GraphLayerNorm(const GraphLayerNormArgs& a) {
  GNN_RETURN_IF_ERROR(CheckBlock("graphLayerNorm", a.rows, a.width));
  GNN_RETURN_IF_ERROR(CheckEps("graphLayerNorm", a.eps));
  const int64_t n = a.rows;
  const int64_t f = a.width;
  // Graph ids in [0, rows): checked in full before anything is written.
  int64_t graphs = n == 0 ? 0 : 1;
  if (a.batch != nullptr) {
    for (int64_t r = 0; r < n; ++r) {
      const int32_t g = a.batch[r];
      if (g < 0 || g >= n) {
        return Status(StatusCode::kOutOfRange, "batch: expected graph ids in [0, " + Str(n) + "), got batch[" + Str(r) +
                                                   "] = " + Str(g));
      }
      graphs = std::max<int64_t>(graphs, int64_t{g} + 1);
    }
  }
  if (n * f == 0) return Status::Ok();
  const auto graph_of = [&](int64_t r) -> int64_t { return a.batch != nullptr ? a.batch[r] : 0; };

  std::vector<double> row_a;
  std::vector<double> row_b;
  std::vector<double> mean;
  std::vector<double> sum;
  std::vector<double> sum_sq;
  std::vector<int64_t> count;
  std::vector<float> pivot;
  std::vector<RowStats> stats;
  try {
    row_a.resize(n);
    row_b.resize(n);
    mean.assign(graphs, 0.0);
    sum.assign(graphs, 0.0);
    sum_sq.assign(graphs, 0.0);
    count.assign(graphs, 0);
    pivot.assign(graphs, 0.0f);
    stats.resize(graphs);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "graphLayerNorm: no memory for the per-row partial sums of " + Str(n) + " rows");
  }
  // Each graph's pivot is its first row's first element.
  for (int64_t r = n - 1; r >= 0; --r) pivot[graph_of(r)] = a.x[r * f];

  const NormKernels& k = Kernels();
  ForRowBlocks(n, f, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) row_a[r] = k.shifted_sum(a.x + r * f, f, pivot[graph_of(r)]);
  });
  for (int64_t r = 0; r < n; ++r) {
    sum[graph_of(r)] += row_a[r];
    ++count[graph_of(r)];
  }
  for (int64_t g = 0; g < graphs; ++g) {
    if (count[g] == 0) continue;
    mean[g] = static_cast<double>(pivot[g]) + sum[g] / (static_cast<double>(count[g]) * f);
    sum[g] = 0.0;
    pivot[g] = static_cast<float>(mean[g]);  // from here on: hi
  }
  ForRowBlocks(n, f, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float s = 0.0f;
      float q = 0.0f;
      k.centred_sums(a.x + r * f, f, pivot[graph_of(r)], &s, &q);
      row_a[r] = s;
      row_b[r] = q;
    }
  });
  for (int64_t r = 0; r < n; ++r) {
    sum[graph_of(r)] += row_a[r];
    sum_sq[graph_of(r)] += row_b[r];
  }
  const bool eps_on_std = a.batch == nullptr;  // PyG's no-batch path: x / (std + eps)
  for (int64_t g = 0; g < graphs; ++g) {
    if (count[g] == 0) continue;
    stats[g] = StatsFrom(mean[g], sum[g], sum_sq[g], static_cast<double>(count[g]) * f, a.eps, eps_on_std);
  }
  ForRowBlocks(n, f, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) k.normalize(a.x + r * f, f, stats[graph_of(r)], a.weight, a.bias, a.out + r * f);
  });
  return Status::Ok();
}

}  // namespace gnn
