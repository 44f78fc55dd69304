// QuantizedLinear on the device (cuda/kernels.h): u8 activations (zero point per row) times s8
// weights (symmetric per output channel), accumulated exactly in int32 with dp4a, then the fp32
// epilogue of the CPU int8 GEMM (native/kernels/qgemm.h):
//   t = Σ_k (xq[r, k] − zp[r]) · wq[c, k]            (int32, exact for k <= kMaxQGemmK)
//   out[r, c] = act(float(t) · (x_scale[r] · w_scale[c]) + bias[c])
//
// __dp4a multiplies signed bytes, so the u8 codes are shifted to s8 (xor 0x80: q − 128) as they are
// staged, and the shift is undone with the weights' column sums: Σ (q − zp) w = Σ (q − 128) w +
// (128 − zp) · colsum[c], in wrapping 32-bit arithmetic (the true value fits, as on the CPU). The
// column sums come from a small pass over the weights (m k bytes) into workspace memory.
//
// Tiles: a block of 256 threads owns 64 x 64 outputs, each thread a 4 x 4 register tile; per step
// of 64 k it stages 64 rows of x and 64 rows of weights as 32-bit words in shared memory (k-major,
// so a thread's four rows or columns are one int4 load), 16 dp4a per word pair. Any n, m and k
// (bytes past k are zero); rows of x are read as words when k is a multiple of 4 and the pointers
// allow it, else byte by byte. Cost: 2 n m k integer ops; x read m / 64 times and weights n / 64
// times (mostly from L2), out written once (4 n m bytes).
#include <string>

#include "../native/kernels/arg_checks.h"
#include "../native/kernels/qgemm.h"
#include "common.cuh"
#include "device_math.cuh"

namespace gnn {
namespace cuda {
namespace {

constexpr int kTile = 64;      // rows and columns of out per block
constexpr int kStepWords = 16; // 64 k per step
constexpr int kPad = 4;        // smem row padding (words): keeps int4 alignment, spreads the stores' banks
constexpr int kThreads = 256;

struct QParams {
  const uint8_t* x;
  const float* x_scale;
  const int32_t* x_zero_point;
  const int8_t* w;
  const float* w_scale;
  const int32_t* colsum;
  const float* bias;
  float* out;
  int64_t n;
  int64_t m;
  int64_t k;
  gnn::Activation act;
  float alpha;
};

// colsum[c] = Σ_k w[c, k]: a warp per column.
__global__ void __launch_bounds__(kThreads) ColumnSumsKernel(const int8_t* w, int64_t m, int64_t k, int32_t* colsum) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t warps = blockDim.x / 32;
  for (int64_t c = blockIdx.x * warps + threadIdx.x / 32; c < m; c += static_cast<int64_t>(gridDim.x) * warps) {
    const int8_t* row = w + c * k;
    int32_t s = 0;
    for (int64_t i = lane; i < k; i += 32) s += row[i];
    for (int o = 16; o > 0; o /= 2) s += __shfl_xor_sync(kFullMask, s, o);
    if (lane == 0) colsum[c] = s;
  }
}

// Four bytes of a row starting at byte `at` (< its length `k`), zero past k; kWords: one aligned
// 32-bit load.
template <bool kWords>
__device__ __forceinline__ uint32_t Word(const uint8_t* row, int64_t at, int64_t k) {
  if constexpr (kWords) {
    return __ldg(reinterpret_cast<const uint32_t*>(row + at));
  } else {
    uint32_t v = 0;
#pragma unroll
    for (int b = 0; b < 4; ++b) {
      if (at + b < k) v |= static_cast<uint32_t>(__ldg(row + at + b)) << (8 * b);
    }
    return v;
  }
}

template <bool kWords>
__global__ void __launch_bounds__(kThreads) QGemmKernel(const QParams p, int64_t col_tiles, int64_t tiles) {
  __shared__ __align__(16) int32_t as[kStepWords][kTile + kPad];
  __shared__ __align__(16) int32_t bs[kStepWords][kTile + kPad];
  const int t = threadIdx.x;
  const int tx = t % 16;  // 4 columns each
  const int ty = t / 16;  // 4 rows each
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t row0 = (tile / col_tiles) * kTile;
    const int64_t col0 = (tile % col_tiles) * kTile;
    int32_t acc[4][4] = {};
    for (int64_t k0 = 0; k0 < p.k; k0 += 4 * kStepWords) {
      __syncthreads();  // the previous step's reads are done
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int idx = t + i * kThreads;  // 1024 words per operand: 64 rows x 16 words
        const int r = idx / kStepWords;
        const int kw = idx % kStepWords;
        const int64_t at = k0 + 4 * kw;
        const int64_t xr = row0 + r;
        const int64_t wr = col0 + r;
        const uint32_t xv = xr < p.n && at < p.k ? Word<kWords>(p.x + xr * p.k, at, p.k) ^ 0x80808080u : 0u;
        const uint32_t wv =
            wr < p.m && at < p.k ? Word<kWords>(reinterpret_cast<const uint8_t*>(p.w) + wr * p.k, at, p.k) : 0u;
        as[kw][r] = static_cast<int32_t>(xv);
        bs[kw][r] = static_cast<int32_t>(wv);
      }
      __syncthreads();
#pragma unroll
      for (int kw = 0; kw < kStepWords; ++kw) {
        const int4 a = *reinterpret_cast<const int4*>(&as[kw][ty * 4]);
        const int4 b = *reinterpret_cast<const int4*>(&bs[kw][tx * 4]);
        const int av[4] = {a.x, a.y, a.z, a.w};
        const int bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = __dp4a(av[i], bv[j], acc[i][j]);
        }
      }
    }
    // Epilogue: undo the shift, scale, bias, activation.
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int64_t r = row0 + ty * 4 + i;
      if (r >= p.n) break;
      const uint32_t shift = static_cast<uint32_t>(128 - __ldg(p.x_zero_point + r));
      const float sa = __ldg(p.x_scale + r);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int64_t c = col0 + tx * 4 + j;
        if (c >= p.m) break;
        const int32_t total = static_cast<int32_t>(static_cast<uint32_t>(acc[i][j]) +
                                                   shift * static_cast<uint32_t>(__ldg(p.colsum + c)));
        float y = dmath::Mul(static_cast<float>(total), dmath::Mul(sa, __ldg(p.w_scale + c)));
        if (p.bias != nullptr) y = dmath::Add(y, __ldg(p.bias + c));
        p.out[r * p.m + c] = dmath::ActivateAny(p.act, y, p.alpha);
      }
    }
  }
}

}  // namespace

Status QuantizedLinear(const QLinearArgs& a, const Workspace& ws, Stream stream) {
  const char* op = "quantizedLinear";
  if (a.n < 0 || a.k < 0 || a.m < 0) {
    return Status(StatusCode::kShapeMismatch, std::string(op) + ": expected non-negative sizes, got n = " + Str(a.n) +
                                                  ", k = " + Str(a.k) + ", m = " + Str(a.m));
  }
  if (a.k > kMaxQGemmK) {
    return Status(StatusCode::kOutOfRange, "x: expected K <= " + Str(kMaxQGemmK) +
                                               " (int32 accumulation is exact up to there), got " + Str(a.k));
  }
  if (!IsValidActivation(static_cast<int>(a.act))) return Status(StatusCode::kInvalidArgValue, "activation: unknown kind");
  if (a.n == 0 || a.m == 0) return Status::Ok();
  if ((a.k > 0 && (a.x == nullptr || a.weight == nullptr)) || a.x_scale == nullptr || a.x_zero_point == nullptr ||
      a.weight_scale == nullptr || a.out == nullptr) {
    return Status(StatusCode::kShapeMismatch, std::string(op) + ": x/scales/zero points/weight/out: data is missing");
  }
  const cudaStream_t s = AsStream(stream);
  int32_t* colsum = nullptr;
  GNN_RETURN_IF_ERROR(Allocate(ws, a.m, &colsum, op, "weight column sums"));
  ColumnSumsKernel<<<GridFor(a.m, kThreads / 32), kThreads, 0, s>>>(a.weight, a.m, a.k, colsum);
  GNN_RETURN_IF_ERROR(LaunchStatus(op));

  QParams p;
  p.x = a.x;
  p.x_scale = a.x_scale;
  p.x_zero_point = a.x_zero_point;
  p.w = a.weight;
  p.w_scale = a.weight_scale;
  p.colsum = colsum;
  p.bias = a.bias;
  p.out = a.out;
  p.n = a.n;
  p.m = a.m;
  p.k = a.k;
  p.act = a.act;
  p.alpha = a.alpha;
  const int64_t col_tiles = CeilDiv(a.m, kTile);
  const int64_t tiles = CeilDiv(a.n, kTile) * col_tiles;
  const bool words = a.k % 4 == 0 && reinterpret_cast<uintptr_t>(a.x) % 4 == 0 &&
                     reinterpret_cast<uintptr_t>(a.weight) % 4 == 0;
  if (words) {
    QGemmKernel<true><<<GridFor(tiles, 1), kThreads, 0, s>>>(p, col_tiles, tiles);
  } else {
    QGemmKernel<false><<<GridFor(tiles, 1), kThreads, 0, s>>>(p, col_tiles, tiles);
  }
  return LaunchStatus(op);
}

}  // namespace cuda
}  // namespace gnn
