// Sparse-weight linear ops: argument unpacking only.
//   validateSparseWeight(indptr, indices, values, m, k) -> undefined; O(M + nnz), throws on a bad CSR
//   sparseLinearSync / sparseLinearAsync(x, n, k, indptr, indices, values, m, bias|null, out,
//                                        activation, alpha) -> out
// The weight arrays a call receives are the SparseWeight's private copies, validated when they were
// made (lib/sparse-weight.ts); a call checks indptr (O(M)) and sizes, and trusts the indices.
#include <napi.h>

#include <string>

#include "../kernels/sparse_linear.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

SparseLinearArgs UnpackSparseLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 11) ThrowType(env, "sparseLinear: expected 11 arguments, got " + std::to_string(info.Length()));
  SparseLinearArgs a;
  ArrayView<float> x = GetArray<float>(info[0], "x");
  a.n = GetInt(info[1], "n", 0, kMaxElements);
  a.k = GetInt(info[2], "k", 0, 2147483647);
  ArrayView<int32_t> indptr = GetArray<int32_t>(info[3], "indptr");
  ArrayView<int32_t> indices = GetArray<int32_t>(info[4], "indices");
  ArrayView<float> values = GetArray<float>(info[5], "values");
  a.m = GetInt(info[6], "m", 0, kMaxElements - 1);
  ArrayView<float> bias = GetOptionalArray<float>(info[7], "bias");
  ArrayView<float> out = GetArray<float>(info[8], "out");
  a.act = static_cast<Activation>(GetInt(info[9], "activation", 0, 6));
  a.alpha = static_cast<float>(GetNumber(info[10], "alpha"));
  a.x = x.data;
  a.x_length = x.length;
  a.indptr = indptr.data;
  a.indptr_length = indptr.length;
  a.indices = indices.data;
  a.indices_length = indices.length;
  a.values = values.data;
  a.values_length = values.length;
  a.bias = bias.data;
  a.bias_length = bias.length;
  a.out = out.data;
  a.out_length = out.length;
  ThrowIfError(env, CheckSparseLinearArgs(a));
  return a;
}

}  // namespace

Napi::Value ValidateSparseWeight(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<int32_t> indptr = GetArray<int32_t>(info[0], "indptr");
  ArrayView<int32_t> indices = GetArray<int32_t>(info[1], "indices");
  ArrayView<float> values = GetArray<float>(info[2], "values");
  const int64_t m = GetInt(info[3], "m", 0, kMaxElements - 1);
  const int64_t k = GetInt(info[4], "k", 0, 2147483647);
  ThrowIfError(env, gnn::ValidateSparseWeight(indptr.data, indptr.length, indices.data, indices.length, values.length, m, k));
  return env.Undefined();
}

Napi::Value SparseLinearSync(const Napi::CallbackInfo& info) {
  const SparseLinearArgs a = UnpackSparseLinear(info);
  ThrowIfError(info.Env(), SparseLinear(a));
  return info[8];
}

Napi::Value SparseLinearAsync(const Napi::CallbackInfo& info) {
  const SparseLinearArgs a = UnpackSparseLinear(info);
  return KernelWorker::Start(
      info.Env(), [a] { return SparseLinear(a); }, info[8], {info[0], info[3], info[4], info[5], info[7], info[8]});
}

}  // namespace binding
}  // namespace gnn
