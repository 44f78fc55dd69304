// Portable int8-feature SpMM row kernel: no intrinsics; used when the CPU has neither AVX2 nor
// AVX-512, and as the plain statement of the arithmetic: per edge c = w * scale[u] in fp32, then
// acc = reduce(acc, c * float(q)); max / min propagate NaN on every step.
#include <cmath>
#include <cstdint>
#include <limits>

#include "qspmm.h"

namespace gnn {
namespace scalar {
namespace {

inline float MaxNan(float acc, float v) { return (std::isnan(acc) || std::isnan(v)) ? NAN : (v > acc ? v : acc); }
inline float MinNan(float acc, float v) { return (std::isnan(acc) || std::isnan(v)) ? NAN : (v < acc ? v : acc); }

template <Reduce kReduce, bool kWeighted>
void TileRows(const QSpmmArgs& a, const SpmmTask& t) {
  const int64_t cols = t.col_end - t.col_begin;
  const int8_t* const q = a.q + t.col_begin;
  const float init = kReduce == Reduce::kMax   ? -std::numeric_limits<float>::infinity()
                     : kReduce == Reduce::kMin ? std::numeric_limits<float>::infinity()
                                               : 0.0f;
  float acc[kMaxTileColumns];
  for (int64_t row = t.row_begin; row < t.row_end; ++row) {
    const int64_t b = a.graph.RowBegin(row);
    const int64_t e = a.graph.RowBegin(row + 1);
    float* const dst = a.out + row * a.ldo + t.col_begin;
    if (b == e) {
      for (int64_t c = 0; c < cols; ++c) dst[c] = 0.0f;
      continue;
    }
    for (int64_t c = 0; c < cols; ++c) acc[c] = init;
    for (int64_t j = b; j < e; ++j) {
      const int64_t u = a.graph.indices[j];
      const int8_t* src = q + u * a.ldq;
      float coef = a.scale[u * a.scale_stride];
      if (kWeighted) {
        const int64_t wrow = a.weight_ids != nullptr ? a.weight_ids[j] : j;
        coef = a.weights[wrow * a.heads + t.head] * coef;
      }
      for (int64_t c = 0; c < cols; ++c) {
        const float m = coef * static_cast<float>(src[c]);
        if (kReduce == Reduce::kMax) {
          acc[c] = MaxNan(acc[c], m);
        } else if (kReduce == Reduce::kMin) {
          acc[c] = MinNan(acc[c], m);
        } else {
          acc[c] += m;
        }
      }
    }
    if (kReduce == Reduce::kMean) {
      const float deg = static_cast<float>(e - b);
      for (int64_t c = 0; c < cols; ++c) acc[c] /= deg;
    }
    for (int64_t c = 0; c < cols; ++c) dst[c] = acc[c];
  }
}

template <Reduce kReduce>
void Dispatch(const QSpmmArgs& a, const SpmmTask& t) {
  if (a.weights != nullptr) {
    TileRows<kReduce, true>(a, t);
  } else {
    TileRows<kReduce, false>(a, t);
  }
}

}  // namespace

void QSpmmTaskKernel(const QSpmmArgs& args, const SpmmTask& task, int /*prefetch_distance*/) {
  switch (args.reduce) {
    case Reduce::kSum: Dispatch<Reduce::kSum>(args, task); break;
    case Reduce::kMean: Dispatch<Reduce::kMean>(args, task); break;
    case Reduce::kMax: Dispatch<Reduce::kMax>(args, task); break;
    case Reduce::kMin: Dispatch<Reduce::kMin>(args, task); break;
  }
}

}  // namespace scalar
}  // namespace gnn
