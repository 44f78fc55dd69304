// The benchmark's "first thing anyone would write" SpMM: per row, 64-float chunks of the output
// held in a local array the compiler keeps in registers, rows handed out 64 at a time to the
// threads. Compiled for the widest SIMD level of the machine. Used only as a baseline to measure
// the real kernel against; it supports sum and max without weights.
#pragma once

#include <cstdint>

#include "spmm.h"

namespace gnn {

// reduce must be kSum or kMax; returns kInvalidArgValue otherwise.
Status BaselineSpmm(const CsrView& graph, const float* x, int64_t width, float* out, Reduce reduce);

namespace baseline {
using RowsFn = void (*)(const CsrView& g, const float* x, int64_t width, float* out, bool max,
                        int64_t row_begin, int64_t row_end);
namespace scalar { void Rows(const CsrView&, const float*, int64_t, float*, bool, int64_t, int64_t); }
namespace avx2 { void Rows(const CsrView&, const float*, int64_t, float*, bool, int64_t, int64_t); }
namespace avx512 { void Rows(const CsrView&, const float*, int64_t, float*, bool, int64_t, int64_t); }
}  // namespace baseline

}  // namespace gnn
