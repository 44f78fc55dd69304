// int8 quantization and quantized linear: argument unpacking only (native/kernels/quantize.h, qgemm.h).
//   int8Path() -> 'scalar' | 'avx2' | 'avx-vnni' | 'avx512bw' | 'avx512-vnni'
//   setInt8Vnni(enabled) -> the int8 path now in effect
//   quantizeSync / quantizeAsync(x, n, k, signed, perRow, staticScale|null, staticZeroPoint, codes, scale, zeroPoint|null) -> codes
//   dequantizeSync / dequantizeAsync(codes, n, k, scale, zeroPoint|null, out) -> out
//   packedQWeightBytes(m, k) -> bytes; packQWeightSync(weight, m, k, packed) -> packed
//   qlinearSync / qlinearAsync(x, n, k, xScale|null, xZeroPoint|null, staticScale|null, staticZeroPoint, packed, m,
//                              wScale, bias|null, activation, alpha, out, outScale|null) -> out
//     x: Float32Array (quantized in the kernel), Int8Array or Uint8Array codes;
//     out: Float32Array, or Int8Array codes with outScale (one per row).
#include <napi.h>

#include <string>

#include "../kernels/qgemm.h"
#include "../kernels/quantize.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "kernel_worker.h"

namespace gnn {
namespace binding {
namespace {

// An Int8Array or Uint8Array, as bytes; `is_signed` tells which.
ArrayView<uint8_t> GetCodes(const Napi::Value& value, const char* name, bool* is_signed) {
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int8_array) {
    ArrayView<int8_t> v = GetArray<int8_t>(value, name);
    *is_signed = true;
    return {reinterpret_cast<uint8_t*>(v.data), v.length};
  }
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    *is_signed = false;
    return GetArray<uint8_t>(value, name);
  }
  ThrowType(value.Env(), std::string(name) + ": expected an Int8Array or a Uint8Array, got " + Describe(value));
}

bool GetBool(const Napi::Value& value, const char* name) {
  if (!value.IsBoolean()) ThrowType(value.Env(), std::string(name) + ": expected a boolean, got " + Describe(value));
  return value.As<Napi::Boolean>().Value();
}

QuantizeArgs UnpackQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 10) ThrowType(env, "quantize: expected 10 arguments, got " + std::to_string(info.Length()));
  QuantizeArgs a;
  ArrayView<float> x = GetArray<float>(info[0], "x");
  a.x = x.data;
  a.x_length = x.length;
  a.n = GetInt(info[1], "n", 0, kMaxElements);
  a.k = GetInt(info[2], "k", 0, kMaxElements);
  const bool want_signed = GetBool(info[3], "signed");
  a.per_row = GetBool(info[4], "perRow");
  if (!info[5].IsNull() && !info[5].IsUndefined()) {
    a.is_static = true;
    a.static_scale = GetNumber(info[5], "scale");
    a.static_zero_point = GetInt(info[6], "zeroPoint", -2147483647, 2147483647);
  }
  bool is_signed = false;
  ArrayView<uint8_t> codes = GetCodes(info[7], "out.data", &is_signed);
  if (is_signed != want_signed) {
    ThrowType(env, std::string("out.data: expected ") + (want_signed ? "an Int8Array" : "a Uint8Array") + ", got " + Describe(info[7]));
  }
  a.is_signed = is_signed;
  a.codes = codes.data;
  a.codes_length = codes.length;
  ArrayView<float> scale = GetArray<float>(info[8], "out.scale");
  a.scale = scale.data;
  a.scale_length = scale.length;
  ArrayView<int32_t> zp = GetOptionalArray<int32_t>(info[9], "out.zeroPoint");
  a.zero_point = zp.data;
  a.zero_point_length = zp.length;
  if (!is_signed && zp.data == nullptr && !info[9].IsNull() && !info[9].IsUndefined()) a.zero_point_length = 0;
  ThrowIfError(env, CheckQuantizeArgs(a));
  return a;
}

DequantizeArgs UnpackDequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6) ThrowType(env, "dequantize: expected 6 arguments, got " + std::to_string(info.Length()));
  DequantizeArgs a;
  ArrayView<uint8_t> codes = GetCodes(info[0], "q.data", &a.is_signed);
  a.codes = codes.data;
  a.codes_length = codes.length;
  a.n = GetInt(info[1], "n", 0, kMaxElements);
  a.k = GetInt(info[2], "k", 0, kMaxElements);
  ArrayView<float> scale = GetArray<float>(info[3], "q.scale");
  a.scale = scale.data;
  a.scale_length = scale.length;
  ArrayView<int32_t> zp = GetOptionalArray<int32_t>(info[4], "q.zeroPoint");
  a.zero_point = zp.data;
  a.zero_point_length = zp.length;
  ArrayView<float> out = GetArray<float>(info[5], "out");
  a.out = out.data;
  a.out_length = out.length;
  ThrowIfError(env, CheckDequantizeArgs(a));
  return a;
}

QLinearArgs UnpackQLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 15) ThrowType(env, "quantizedLinear: expected 15 arguments, got " + std::to_string(info.Length()));
  QLinearArgs a;
  if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    ArrayView<float> x = GetArray<float>(info[0], "x");
    a.x = x.data;
    a.x_length = x.length;
  } else {
    a.x_is_codes = true;
    ArrayView<uint8_t> xq = GetCodes(info[0], "x.data", &a.xq_signed);
    a.xq = xq.data;
    a.xq_length = xq.length;
  }
  a.n = GetInt(info[1], "n", 0, kMaxElements);
  a.k = GetInt(info[2], "k", 0, kMaxElements);
  ArrayView<float> xs = GetOptionalArray<float>(info[3], "x.scale");
  a.x_scale = xs.data;
  a.x_scale_length = xs.length;
  ArrayView<int32_t> xz = GetOptionalArray<int32_t>(info[4], "x.zeroPoint");
  a.x_zero_point = xz.data;
  a.x_zero_point_length = xz.length;
  if (!info[5].IsNull() && !info[5].IsUndefined()) {
    a.static_input = true;
    const double s = GetNumber(info[5], "input.scale");
    const int64_t z = GetInt(info[6], "input.zeroPoint", 0, 255);
    ThrowIfError(env, CheckStaticParams(s, z, false, "input"));
    a.static_scale = static_cast<float>(s);
    a.static_zero_point = static_cast<int32_t>(z);
  }
  ArrayView<int8_t> packed = GetArray<int8_t>(info[7], "packed");
  a.packed = packed.data;
  a.packed_length = packed.length;
  a.m = GetInt(info[8], "m", 0, kMaxElements);
  ArrayView<float> ws = GetArray<float>(info[9], "weight.scale");
  a.w_scale = ws.data;
  a.w_scale_length = ws.length;
  ArrayView<float> bias = GetOptionalArray<float>(info[10], "bias");
  a.bias = bias.data;
  a.bias_length = bias.length;
  a.act = static_cast<Activation>(GetInt(info[11], "activation", 0, 6));
  a.alpha = static_cast<float>(GetNumber(info[12], "alpha"));
  if (info[13].IsTypedArray() && info[13].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array) {
    ArrayView<int8_t> oq = GetArray<int8_t>(info[13], "out.data");
    a.out_q = oq.data;
    a.out_q_length = oq.length;
    ArrayView<float> os = GetArray<float>(info[14], "out.scale");
    a.out_scale = os.data;
    a.out_scale_length = os.length;
  } else {
    ArrayView<float> out = GetArray<float>(info[13], "out");
    a.out = out.data;
    a.out_length = out.length;
  }
  ThrowIfError(env, CheckQLinearArgs(a));
  return a;
}

}  // namespace

Napi::Value Int8PathOf(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Int8PathName(ActiveInt8Path()));
}

Napi::Value SetInt8Vnni(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Int8PathName(gnn::SetInt8Vnni(GetBool(info[0], "enabled"))));
}

Napi::Value QuantizeSync(const Napi::CallbackInfo& info) {
  const QuantizeArgs a = UnpackQuantize(info);
  ThrowIfError(info.Env(), Quantize(a));
  return info[7];
}

Napi::Value QuantizeAsync(const Napi::CallbackInfo& info) {
  const QuantizeArgs a = UnpackQuantize(info);
  return KernelWorker::Start(
      info.Env(), [a] { return Quantize(a); }, info[7], {info[0], info[7], info[8], info[9]});
}

Napi::Value DequantizeSync(const Napi::CallbackInfo& info) {
  const DequantizeArgs a = UnpackDequantize(info);
  ThrowIfError(info.Env(), Dequantize(a));
  return info[5];
}

Napi::Value DequantizeAsync(const Napi::CallbackInfo& info) {
  const DequantizeArgs a = UnpackDequantize(info);
  return KernelWorker::Start(
      info.Env(), [a] { return Dequantize(a); }, info[5], {info[0], info[3], info[4], info[5]});
}

Napi::Value PackedQWeightBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t m = GetInt(info[0], "m", 0, kMaxElements);
  const int64_t k = GetInt(info[1], "k", 0, kMaxElements);
  const int64_t bytes = gnn::PackedQWeightBytes(m, k);
  if (bytes < 0) ThrowRange(env, "weight: expected a shape whose packed form has fewer than 2^53 bytes, got [" + Str(m) + ", " + Str(k) + "]");
  return Napi::Number::New(env, static_cast<double>(bytes));
}

Napi::Value PackQWeightSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ArrayView<int8_t> w = GetArray<int8_t>(info[0], "weight.data");
  const int64_t m = GetInt(info[1], "m", 0, kMaxElements);
  const int64_t k = GetInt(info[2], "k", 0, kMaxElements);
  ArrayView<int8_t> packed = GetArray<int8_t>(info[3], "packed");
  ExpectLength(env, "weight.data", w.length, m, k);
  ThrowIfError(env, PackQWeight(w.data, m, k, packed.data, packed.length));
  return info[3];
}

Napi::Value QLinearSync(const Napi::CallbackInfo& info) {
  const QLinearArgs a = UnpackQLinear(info);
  ThrowIfError(info.Env(), QLinear(a));
  return info[13];
}

Napi::Value QLinearAsync(const Napi::CallbackInfo& info) {
  const QLinearArgs a = UnpackQLinear(info);
  return KernelWorker::Start(
      info.Env(), [a] { return QLinear(a); }, info[13],
      {info[0], info[3], info[4], info[7], info[9], info[10], info[13], info[14]});
}

}  // namespace binding
}  // namespace gnn
