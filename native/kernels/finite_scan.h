// Scanning inputs for NaN and infinities, so max / min kernels can run their plain (faster) form
// when no message can be NaN: a product of finite floats is never NaN.
#pragma once

#include <cstdint>

namespace gnn {

// True when every element of the rows x cols block at p (row stride ld) is finite. Parallel over
// the thread pool for large blocks; stops early once a non-finite value is found.
bool AllFinite(const float* p, int64_t rows, int64_t cols, int64_t ld, int max_threads);

}  // namespace gnn
