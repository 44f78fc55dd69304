// avx512 instantiation of the normalisation kernels.
// GCC 12 reports _mm512_reduce_add_ps's deliberately undefined upper half as uninitialised once it
// is inlined into these row sums: a false positive in the compiler's own header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "norm.h"
#include "norm_impl.h"
#include "simd_avx512.h"

namespace gnn {
namespace avx512 {

const NormKernels kNormKernels = norm_impl::MakeNormKernels<Vec>();

}  // namespace avx512
}  // namespace gnn
