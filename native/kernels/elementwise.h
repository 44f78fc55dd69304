// Elementwise and row-wise kernels the layers need, vectorised with the active SIMD level and run
// on the thread pool for large inputs. Memory-bound: cost is the bytes read and written.
#pragma once

#include <cstdint>

#include "activation.h"
#include "status.h"

namespace gnn {

// out[i] = act(x[i]) for i < n; out may equal x (in place). alpha: leaky_relu's negative slope,
// elu's alpha.
Status ActivationForward(const float* x, float* out, int64_t n, Activation act, float alpha);

// Per-ISA implementations over [begin, end) (elementwise_impl.h).
namespace scalar { void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha); }
namespace avx2 { void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha); }
namespace avx512 { void ActivationRange(const float* x, float* out, int64_t n, Activation act, float alpha); }

}  // namespace gnn
