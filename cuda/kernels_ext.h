// Additions to the kernel contract (cuda/kernels.h), kept apart so the contract itself stays as
// agreed. Plain C++, like kernels.h.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace gnn {
namespace cuda {

// IndexScatter with index_add_'s alpha, as the CPU kernel and the CUDA binding's
// indexScatter(..., op, alpha) take it: target[index[i], :] = src[i, :] (add == false; alpha
// unused) or fma(alpha, src[i, :], target[index[i], :]) applied in i order per target row (add).
// IndexScatter(..., add, ...) is this with alpha = 1. Synchronizes the stream (index check).
Status IndexScatterScaled(float* target, int64_t target_rows, int64_t width, const int32_t* index, int64_t n,
                          const float* src, bool add, float alpha, const Workspace& ws, Stream stream);

}  // namespace cuda
}  // namespace gnn
