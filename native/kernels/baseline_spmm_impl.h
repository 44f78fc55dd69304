// Body of the baseline SpMM, instantiated once per ISA translation unit (see baseline_spmm.h).
#pragma once

#include <cstdint>
#include <limits>

#include "spmm.h"

namespace gnn {
namespace baseline {

template <class IsaTag>
void RowsImpl(const CsrView& g, const float* x, int64_t width, float* out, bool max,
              int64_t row_begin, int64_t row_end) {
  constexpr int64_t kChunk = 64;
  const auto* const p32 = static_cast<const int32_t*>(g.indptr);
  const auto* const p64 = static_cast<const int64_t*>(g.indptr);
  const float init = max ? -std::numeric_limits<float>::infinity() : 0.0f;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const int64_t b = g.indptr64 ? p64[r] : p32[r];
    const int64_t e = g.indptr64 ? p64[r + 1] : p32[r + 1];
    for (int64_t c0 = 0; c0 < width; c0 += kChunk) {
      const int64_t cw = width - c0 < kChunk ? width - c0 : kChunk;
      float acc[kChunk];
      for (int64_t c = 0; c < kChunk; ++c) acc[c] = init;
      if (cw == kChunk) {
        for (int64_t j = b; j < e; ++j) {
          const float* s = x + static_cast<int64_t>(g.indices[j]) * width + c0;
          if (max) {
            for (int64_t c = 0; c < kChunk; ++c) acc[c] = acc[c] > s[c] ? acc[c] : s[c];
          } else {
            for (int64_t c = 0; c < kChunk; ++c) acc[c] += s[c];
          }
        }
      } else {
        for (int64_t j = b; j < e; ++j) {
          const float* s = x + static_cast<int64_t>(g.indices[j]) * width + c0;
          if (max) {
            for (int64_t c = 0; c < cw; ++c) acc[c] = acc[c] > s[c] ? acc[c] : s[c];
          } else {
            for (int64_t c = 0; c < cw; ++c) acc[c] += s[c];
          }
        }
      }
      float* o = out + r * width + c0;
      for (int64_t c = 0; c < cw; ++c) o[c] = b == e ? 0.0f : acc[c];
    }
  }
}

}  // namespace baseline
}  // namespace gnn
