// The row-op schedules: argument sanity, index validation, and the split into tasks of whole rows
// (about 64 KiB each) run on the thread pool with the kernels of the active SIMD level.
#include "rowops.h"

#include <algorithm>
#include <string>

#include "arg_checks.h"
#include "cpu_features.h"
#include "thread_pool.h"

namespace gnn {
namespace {

const RowKernels& Kernels() {
#if defined(GNN_X86_KERNELS)
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512: return avx512::kRowKernels;
    case SimdLevel::kAvx2: return avx2::kRowKernels;
    case SimdLevel::kScalar: break;
  }
#endif
  return scalar::kRowKernels;
}

// Elements per task: 64 KiB of floats. Tasks are claimed in order, so neighbouring tasks touch
// neighbouring memory.
constexpr int64_t kChunk = int64_t{1} << 14;
// Below this many elements (512 KiB of output) one thread is faster than waking another: the
// whole op takes ~20 us at memory speed, about what a sleeping worker needs to start.
constexpr int64_t kParallelFrom = int64_t{1} << 17;

int ThreadsFor(int64_t elements) { return elements < kParallelFrom ? 1 : NumThreads(); }

// Runs fn(row_begin, row_end) over [0, rows) in tasks of whole rows, about kChunk elements each.
template <typename F>
void ForRowBlocks(int64_t rows, int64_t width, const F& fn) {
  const int64_t per = std::max<int64_t>(1, kChunk / std::max<int64_t>(width, 1));
  const int64_t tasks = (rows + per - 1) / per;
  ParallelFor(tasks, ThreadsFor(rows * width), [&](int64_t t) {
    const int64_t begin = t * per;
    fn(begin, std::min(rows, begin + per));
  });
}

// Runs fn(begin, end) over [0, n) elements in tasks of kChunk, for the ops with no row structure.
template <typename F>
void ForElementBlocks(int64_t n, const F& fn) {
  const int64_t tasks = (n + kChunk - 1) / kChunk;
  ParallelFor(tasks, ThreadsFor(n), [&](int64_t t) {
    const int64_t begin = t * kChunk;
    fn(begin, std::min(n, begin + kChunk));
  });
}

Status CheckBlock(const char* op, int64_t rows, int64_t width) {
  if (rows < 0 || width < 0) {
    return Status(StatusCode::kInvalidArgValue, std::string(op) + ": expected non-negative sizes, got " + Str(rows) +
                                                    " x " + Str(width));
  }
  return Status::Ok();
}

// One pass over the index before anything is written, so a bad index leaves the output as it was.
// The first loop only ORs comparisons (it vectorises); the position is searched for only on failure.
Status CheckIndex(const int32_t* index, int64_t n, int64_t rows) {
  // v in [0, rows) <=> (uint32)v < limit: negative values wrap to >= 2^31.
  const uint32_t limit = rows >= (int64_t{1} << 31) ? 0x80000000u : static_cast<uint32_t>(rows);
  constexpr int64_t kBlock = 4096;
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t end = std::min(n, begin + kBlock);
    uint32_t bad = 0;
    for (int64_t i = begin; i < end; ++i) bad |= static_cast<uint32_t>(static_cast<uint32_t>(index[i]) >= limit);
    if (bad == 0) continue;
    for (int64_t i = begin; i < end; ++i) {
      if (static_cast<uint32_t>(index[i]) >= limit) {
        return Status(StatusCode::kOutOfRange, "index: expected values in [0, " + Str(rows) + "), got index[" + Str(i) +
                                                   "] = " + Str(index[i]));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status Add(const AddArgs& p) {
  GNN_RETURN_IF_ERROR(CheckBlock("add", p.rows, p.width));
  if (p.b_row_stride != 0 && p.b_row_stride != p.width) {
    return Status(StatusCode::kInternal, "add: b must be a full block or one broadcast row");
  }
  const int64_t n = p.rows * p.width;
  if (n == 0) return Status::Ok();
  const RowKernels& k = Kernels();
  if (p.b_row_stride == p.width) {
    // Same shapes: no row structure, so split by elements (one long row per task).
    ForElementBlocks(n, [&](int64_t begin, int64_t end) {
      k.add(p.a + begin, p.b + begin, p.out + begin, 1, end - begin, 0, p.alpha, p.beta);
    });
  } else {
    ForRowBlocks(p.rows, p.width, [&](int64_t begin, int64_t end) {
      k.add(p.a + begin * p.width, p.b, p.out + begin * p.width, end - begin, p.width, 0, p.alpha, p.beta);
    });
  }
  return Status::Ok();
}

Status Scale(const float* x, const float* row_scale, float scale, float* out, int64_t rows, int64_t width) {
  GNN_RETURN_IF_ERROR(CheckBlock("scale", rows, width));
  const int64_t n = rows * width;
  if (n == 0) return Status::Ok();
  const RowKernels& k = Kernels();
  if (row_scale == nullptr) {
    ForElementBlocks(n, [&](int64_t begin, int64_t end) {
      k.scale(x + begin, nullptr, scale, out + begin, 1, end - begin);
    });
  } else {
    ForRowBlocks(rows, width, [&](int64_t begin, int64_t end) {
      k.scale(x + begin * width, row_scale + begin, scale, out + begin * width, end - begin, width);
    });
  }
  return Status::Ok();
}

Status Softmax(const float* x, float* out, int64_t rows, int64_t width, SoftmaxKind kind) {
  GNN_RETURN_IF_ERROR(CheckBlock("softmax", rows, width));
  if (kind != SoftmaxKind::kSoftmax && kind != SoftmaxKind::kLogSoftmax) {
    return Status(StatusCode::kInvalidArgValue, "softmax: unknown kind");
  }
  if (rows * width == 0) return Status::Ok();
  const RowKernels& k = Kernels();
  ForRowBlocks(rows, width, [&](int64_t begin, int64_t end) {
    k.softmax(x + begin * width, out + begin * width, end - begin, width, kind);
  });
  return Status::Ok();
}

Status Concat(const ConcatPart* parts, int64_t num_parts, int64_t rows, float* out) {
  GNN_RETURN_IF_ERROR(CheckBlock("concat", rows, num_parts));
  int64_t out_width = 0;
  for (int64_t i = 0; i < num_parts; ++i) {
    if (parts[i].width < 0) return Status(StatusCode::kInvalidArgValue, "concat: negative width");
    out_width += parts[i].width;
  }
  if (rows * out_width == 0) return Status::Ok();
  const RowKernels& k = Kernels();
  ForRowBlocks(rows, out_width, [&](int64_t begin, int64_t end) { k.concat(parts, num_parts, begin, end, out, out_width); });
  return Status::Ok();
}

Status IndexSelect(const float* x, int64_t x_rows, int64_t width, const int32_t* index, int64_t n, float* out) {
  GNN_RETURN_IF_ERROR(CheckBlock("indexSelect", x_rows, width));
  if (n < 0) return Status(StatusCode::kInvalidArgValue, "indexSelect: negative index length");
  GNN_RETURN_IF_ERROR(CheckIndex(index, n, x_rows));
  if (n * width == 0) return Status::Ok();
  const RowKernels& k = Kernels();
  ForRowBlocks(n, width, [&](int64_t begin, int64_t end) {
    k.gather(x, width, index + begin, end - begin, out + begin * width);
  });
  return Status::Ok();
}

Status IndexScatter(float* target, int64_t target_rows, int64_t width, const int32_t* index, int64_t n,
                    const float* src, ScatterOp op, float alpha) {
  GNN_RETURN_IF_ERROR(CheckBlock("indexScatter", target_rows, width));
  if (n < 0) return Status(StatusCode::kInvalidArgValue, "indexScatter: negative index length");
  if (op != ScatterOp::kCopy && op != ScatterOp::kAdd) {
    return Status(StatusCode::kInvalidArgValue, "indexScatter: unknown op");
  }
  GNN_RETURN_IF_ERROR(CheckIndex(index, n, target_rows));
  if (n * width == 0) return Status::Ok();
  const RowKernels& k = Kernels();
  // Tasks own disjoint ranges of target rows and each scans the whole index, applying only its
  // own rows: no two threads touch one row, and each row sees its updates in index order.
  const int threads = ThreadsFor(n * width);
  const int64_t tasks = std::min<int64_t>(threads, target_rows);
  const int64_t per = (target_rows + tasks - 1) / tasks;
  ParallelFor(tasks, threads, [&](int64_t t) {
    const int64_t begin = t * per;
    k.scatter(target, width, index, n, src, begin, std::min(target_rows, begin + per), op, alpha);
  });
  return Status::Ok();
}

}  // namespace gnn
