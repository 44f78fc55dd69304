// The CUDA kernels' host-side schedule and shared device math, run on the CPU (both builds), so
// test/cuda-plan.test.ts checks them without a GPU: the hub-row plan and the chunk lookups the
// kernels make (cuda/launch_plan.h, cuda/schedule_math.cuh), the launch shape of the row-parallel
// aggregations, and the __host__ __device__ math of cuda/device_math.cuh compiled by the host
// compiler (activations, int8 quantization, the online softmax of gatAggregate).
//   cudaPlanHubRows(indptr, threshold) -> { rows, maxRowNnz, threshold, chunkEdges, chunkOffsets, chunkBound,
//                                           chunkRow, chunkBegin, chunkEnd, isHub }
//   cudaPlanEdgeRows(indptr) -> Float64Array: the row of each CSR position
//   cudaPlanSpmmLaunch(width, headWidth, rows, maxVector, maxSlots?) -> { lanes, vector, slots, tileVectors, tileColumns, tiles,
//                                                             threadsPerBlock, groupsPerBlock, tasks, blocks }
//   cudaPlanActivation(x, act, alpha) -> Float32Array
//   cudaPlanQuantizeRows(x, n, k, signed) -> { codes: Uint8Array, scale: Float32Array, zeroPoint: Int32Array, finite }
//   cudaPlanOnlineSoftmax(scores, values, chunk) -> { out, max, sum, attention: Float32Array }
#include <napi.h>

#include <string>
#include <vector>

#include "../../cuda/device_math.cuh"
#include "../../cuda/launch_plan.h"
#include "../../cuda/schedule_math.cuh"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace gnn {
namespace binding {
namespace {

namespace dm = cuda::dmath;

// An Int32Array or BigInt64Array indptr, checked: at least one entry, starts at 0, non-decreasing.
CsrView GetIndptr(const Napi::Value& value) {
  Napi::Env env = value.Env();
  CsrView g;
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_bigint64_array) {
    ArrayView<int64_t> p = GetArray<int64_t>(value, "indptr");
    g.indptr = p.data;
    g.indptr64 = true;
    g.num_rows = p.length - 1;
  } else {
    ArrayView<int32_t> p = GetArray<int32_t>(value, "indptr");
    g.indptr = p.data;
    g.num_rows = p.length - 1;
  }
  if (g.num_rows < 0) ThrowValue(env, "indptr: expected at least one entry, got none");
  if (g.RowBegin(0) != 0) {
    Throw(env, Status(StatusCode::kInvalidGraph, "indptr: expected indptr[0] = 0, got " + Str(g.RowBegin(0))));
  }
  for (int64_t r = 0; r < g.num_rows; ++r) {
    if (g.RowBegin(r + 1) < g.RowBegin(r)) {
      Throw(env, Status(StatusCode::kInvalidGraph, "indptr: expected non-decreasing values, got indptr[" + Str(r + 1) +
                                                       "] = " + Str(g.RowBegin(r + 1)) + " after " + Str(g.RowBegin(r))));
    }
  }
  g.nnz = g.RowBegin(g.num_rows);
  g.num_cols = 0;
  return g;
}

Napi::Float64Array Float64s(Napi::Env env, const std::vector<int64_t>& v) {
  Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
  double* d = a.Data();
  for (size_t i = 0; i < v.size(); ++i) d[i] = static_cast<double>(v[i]);
  return a;
}

// These exports list every chunk task and every edge: sizes a test can hold.
constexpr int64_t kMaxListed = int64_t{1} << 28;

bool GetBool(const Napi::Value& value, const char* name) {
  if (!value.IsBoolean()) ThrowType(value.Env(), std::string(name) + ": expected a boolean, got " + Describe(value));
  return value.As<Napi::Boolean>().Value();
}

}  // namespace

Napi::Value CudaPlanHubRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2) ThrowType(env, "cudaPlanHubRows: expected 2 arguments, got " + Str(info.Length()));
  const CsrView g = GetIndptr(info[0]);
  const int64_t threshold = GetInt(info[1], "threshold", -1, int64_t{1} << 53);
  const cuda::HubPlan plan = cuda::PlanHubRows(g, threshold);
  const std::vector<int64_t> offsets = cuda::HubChunkOffsets(g, plan);
  const int64_t hubs = static_cast<int64_t>(plan.rows.size());
  const int64_t bound = cuda::HubChunkBound(hubs, plan.max_row_nnz, g.nnz);
  if (bound > kMaxListed) {
    ThrowRange(env, "indptr: expected at most " + Str(kMaxListed) + " chunk tasks to list, got " + Str(bound));
  }

  Napi::Object out = Napi::Object::New(env);
  Napi::Int32Array rows = Napi::Int32Array::New(env, plan.rows.size());
  for (size_t i = 0; i < plan.rows.size(); ++i) rows.Data()[i] = plan.rows[i];
  out.Set("rows", rows);
  out.Set("maxRowNnz", Napi::Number::New(env, static_cast<double>(plan.max_row_nnz)));
  out.Set("threshold", Napi::Number::New(env, static_cast<double>(plan.threshold)));
  out.Set("chunkEdges", Napi::Number::New(env, static_cast<double>(cuda::kHubChunkEdges)));
  out.Set("chunkOffsets", Float64s(env, offsets));
  out.Set("chunkBound", Napi::Number::New(env, static_cast<double>(bound)));

  // Every chunk task the kernels launch (bound of them), resolved by the kernels' own lookup:
  // its hub row and CSR range, or row -1 for tasks past the exact count.
  Napi::Int32Array task_row = Napi::Int32Array::New(env, static_cast<size_t>(bound));
  Napi::Float64Array task_begin = Napi::Float64Array::New(env, static_cast<size_t>(bound));
  Napi::Float64Array task_end = Napi::Float64Array::New(env, static_cast<size_t>(bound));
  int32_t* row_of = task_row.Data();
  double* begin_of = task_begin.Data();
  double* end_of = task_end.Data();
  for (int64_t t = 0; t < bound; ++t) {
    int64_t hub = 0, chunk = 0, b = 0, e = 0;
    if (hubs > 0 && cuda::sched::FindHubChunk(offsets.data(), hubs, t, &hub, &chunk)) {
      const int64_t row = plan.rows[hub];
      cuda::sched::HubChunkRange(g.RowBegin(row), g.RowBegin(row + 1), chunk, &b, &e);
      row_of[t] = static_cast<int32_t>(row);
    } else {
      row_of[t] = -1;
    }
    begin_of[t] = static_cast<double>(b);
    end_of[t] = static_cast<double>(e);
  }
  out.Set("chunkRow", task_row);
  out.Set("chunkBegin", task_begin);
  out.Set("chunkEnd", task_end);

  // Which rows the row kernels skip: the kernels' hub test against the plan's list.
  Napi::Uint8Array is_hub = Napi::Uint8Array::New(env, static_cast<size_t>(g.num_rows));
  for (int64_t r = 0; r < g.num_rows; ++r) {
    is_hub.Data()[r] = cuda::sched::IsHubRow(plan.rows.data(), hubs, r, g.RowBegin(r + 1) - g.RowBegin(r)) ? 1 : 0;
  }
  out.Set("isHub", is_hub);
  return out;
}

Napi::Value CudaPlanEdgeRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) ThrowType(env, "cudaPlanEdgeRows: expected 1 argument, got " + Str(info.Length()));
  const CsrView g = GetIndptr(info[0]);
  if (g.nnz > kMaxListed) ThrowRange(env, "indptr: expected at most " + Str(kMaxListed) + " edges to list, got " + Str(g.nnz));
  Napi::Float64Array rows = Napi::Float64Array::New(env, static_cast<size_t>(g.nnz));
  for (int64_t j = 0; j < g.nnz; ++j) {
    rows.Data()[j] = static_cast<double>(cuda::sched::RowOfEdge(g.indptr, g.indptr64, g.num_rows, j));
  }
  return rows;
}

Napi::Value CudaPlanSpmmLaunch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) ThrowType(env, "cudaPlanSpmmLaunch: expected 4 arguments, got " + Str(info.Length()));
  const int64_t width = GetInt(info[0], "width", 0, int64_t{1} << 40);
  const int64_t head_width = GetInt(info[1], "headWidth", 0, int64_t{1} << 40);
  const int64_t rows = GetInt(info[2], "rows", 0, int64_t{1} << 40);
  const int max_vector = static_cast<int>(GetInt(info[3], "maxVector", 1, 4));
  const int max_slots = info.Length() > 4 && !info[4].IsUndefined() ? static_cast<int>(GetInt(info[4], "maxSlots", 1, 8)) : 8;
  const cuda::SpmmLaunch l = cuda::ChooseSpmmLaunch(width, head_width, rows, max_vector, max_slots);
  Napi::Object out = Napi::Object::New(env);
  out.Set("lanes", Napi::Number::New(env, l.lanes));
  out.Set("vector", Napi::Number::New(env, l.vector));
  out.Set("slots", Napi::Number::New(env, l.slots));
  out.Set("tileVectors", Napi::Number::New(env, static_cast<double>(l.tile_vectors)));
  out.Set("tileColumns", Napi::Number::New(env, static_cast<double>(l.tile_columns)));
  out.Set("tiles", Napi::Number::New(env, static_cast<double>(l.tiles)));
  out.Set("threadsPerBlock", Napi::Number::New(env, l.threads_per_block));
  out.Set("groupsPerBlock", Napi::Number::New(env, l.groups_per_block));
  out.Set("tasks", Napi::Number::New(env, static_cast<double>(l.tasks)));
  out.Set("blocks", Napi::Number::New(env, static_cast<double>(l.blocks)));
  return out;
}

Napi::Value CudaPlanActivation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) ThrowType(env, "cudaPlanActivation: expected 3 arguments, got " + Str(info.Length()));
  ArrayView<float> x = GetArray<float>(info[0], "x");
  const int act = static_cast<int>(GetInt(info[1], "act", 0, 6));
  const float alpha = static_cast<float>(GetNumber(info[2], "alpha"));
  Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(x.length));
  for (int64_t i = 0; i < x.length; ++i) out.Data()[i] = dm::ActivateAny(static_cast<Activation>(act), x.data[i], alpha);
  return out;
}

// Per-row quantization as cuda/quantize.cu computes it: the row's range (max |x|, or max(0, max x)
// and max(0, −min x)), the parameters, the codes.
Napi::Value CudaPlanQuantizeRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) ThrowType(env, "cudaPlanQuantizeRows: expected 4 arguments, got " + Str(info.Length()));
  ArrayView<float> x = GetArray<float>(info[0], "x");
  const int64_t n = GetInt(info[1], "n", 0, kMaxElements);
  const int64_t k = GetInt(info[2], "k", 0, kMaxElements);
  const bool is_signed = GetBool(info[3], "signed");
  ExpectLength(env, "x", x.length, n, k);
  Napi::Uint8Array codes = Napi::Uint8Array::New(env, static_cast<size_t>(n * k));
  Napi::Float32Array scale = Napi::Float32Array::New(env, static_cast<size_t>(n));
  Napi::Int32Array zero_point = Napi::Int32Array::New(env, static_cast<size_t>(n));
  bool finite = true;
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = x.data + r * k;
    float hi = 0.0f;
    float neg = 0.0f;
    for (int64_t c = 0; c < k; ++c) {
      finite &= dm::IsFinite(xr[c]);
      if (is_signed) {
        hi = dm::MaxFast(hi, dm::Abs(xr[c]));
      } else {
        hi = dm::MaxFast(hi, xr[c]);
        neg = dm::MaxFast(neg, -xr[c]);
      }
    }
    const dm::QParams p = is_signed ? dm::SymmetricParams(hi) : dm::AsymmetricParams(-neg, hi);
    for (int64_t c = 0; c < k; ++c) codes.Data()[r * k + c] = dm::QuantCode(xr[c], p.inv, p.zero_point, is_signed);
    scale.Data()[r] = p.scale;
    zero_point.Data()[r] = p.zero_point;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("codes", codes);
  out.Set("scale", scale);
  out.Set("zeroPoint", zero_point);
  out.Set("finite", Napi::Boolean::New(env, finite));
  return out;
}

// One head of one row of gatAggregate: the softmax-weighted sum of `values` under `scores`, by the
// row kernel's online steps (chunk <= 0) or, as the hub kernels do, by chunks of `chunk` edges
// merged in order; attention from the final state.
Napi::Value CudaPlanOnlineSoftmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) ThrowType(env, "cudaPlanOnlineSoftmax: expected 3 arguments, got " + Str(info.Length()));
  ArrayView<float> scores = GetArray<float>(info[0], "scores");
  ArrayView<float> values = GetArray<float>(info[1], "values");
  const int64_t chunk = GetInt(info[2], "chunk", -1, int64_t{1} << 40);
  ExpectLength(env, "values", values.length, scores.length);
  const int64_t e = scores.length;
  dm::SoftmaxState st;
  float acc = 0.0f;
  if (chunk <= 0) {
    for (int64_t j = 0; j < e; ++j) {
      const dm::SoftmaxStep s = dm::OnlineSoftmaxStep(st, scores.data[j]);
      acc = dm::Fma(s.w, values.data[j], dm::Mul(acc, s.scale));
    }
  } else {
    for (int64_t b = 0; b < e; b += chunk) {
      dm::SoftmaxState part;
      float part_acc = 0.0f;
      for (int64_t j = b; j < e && j < b + chunk; ++j) {
        const dm::SoftmaxStep s = dm::OnlineSoftmaxStep(part, scores.data[j]);
        part_acc = dm::Fma(s.w, values.data[j], dm::Mul(part_acc, s.scale));
      }
      const dm::SoftmaxMerge m = dm::OnlineSoftmaxMerge(st, part.max, part.sum);
      acc = dm::Fma(acc, m.scale_old, dm::Mul(part_acc, m.scale_chunk));
    }
  }
  Napi::Float32Array attention = Napi::Float32Array::New(env, static_cast<size_t>(e));
  for (int64_t j = 0; j < e; ++j) attention.Data()[j] = dm::SoftmaxWeight(st, scores.data[j]);
  Napi::Object out = Napi::Object::New(env);
  out.Set("out", Napi::Number::New(env, st.sum == 0.0f ? 0.0f : dm::Div(acc, st.sum)));
  out.Set("max", Napi::Number::New(env, st.max));
  out.Set("sum", Napi::Number::New(env, st.sum));
  out.Set("attention", attention);
  return out;
}

}  // namespace binding
}  // namespace gnn
