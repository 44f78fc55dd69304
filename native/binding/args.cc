#include "args.h"

#include <cmath>
#include <string>

#include "errors.h"

namespace gnn {
namespace binding {
std::string Str(int64_t v) { return std::to_string(v); }

namespace {

std::string NumberText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == std::floor(v) && std::fabs(v) < 1e18) return Str(static_cast<int64_t>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

}  // namespace

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "TypedArray";
}

std::string Describe(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsTypedArray()) {
    Napi::TypedArray ta = value.As<Napi::TypedArray>();
    const char* name = TypedArrayName(ta.TypedArrayType());
    const bool vowel = name[0] == 'I' || name[0] == 'U';
    return std::string(vowel ? "an " : "a ") + name + " of length " + Str(static_cast<int64_t>(ta.ElementLength()));
  }
  if (value.IsNumber()) return "the number " + NumberText(value.As<Napi::Number>().DoubleValue());
  if (value.IsString()) return "a string";
  if (value.IsBoolean()) return "a boolean";
  if (value.IsBigInt()) return "a bigint";
  if (value.IsArray()) return "an Array";
  if (value.IsFunction()) return "a function";
  if (value.IsArrayBuffer()) return "an ArrayBuffer";
  return "an object";
}

template <typename T>
ArrayView<T> GetArray(const Napi::Value& value, const char* name) {
  Napi::Env env = value.Env();
  constexpr napi_typedarray_type kind = kTypedArrayOf<T>;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != kind) {
    ThrowType(env, std::string(name) + ": expected " + (kind == napi_int32_array || kind == napi_int8_array ? "an " : "a ") +
                       TypedArrayName(kind) + ", got " + Describe(value));
  }
  Napi::TypedArray ta = value.As<Napi::TypedArray>();
  if (ta.ArrayBuffer().IsDetached()) {
    ThrowValue(env, std::string(name) + ": expected a usable buffer, got a detached ArrayBuffer");
  }
  ArrayView<T> view;
  view.length = static_cast<int64_t>(ta.ElementLength());
  view.data = reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  if (view.length > 0 && reinterpret_cast<uintptr_t>(view.data) % alignof(T) != 0) {
    ThrowValue(env, std::string(name) + ": expected an element-aligned view, got a misaligned byte offset");
  }
  return view;
}

template <typename T>
ArrayView<T> GetOptionalArray(const Napi::Value& value, const char* name) {
  if (value.IsUndefined() || value.IsNull()) return ArrayView<T>();
  return GetArray<T>(value, name);
}

template ArrayView<float> GetArray<float>(const Napi::Value&, const char*);
template ArrayView<int32_t> GetArray<int32_t>(const Napi::Value&, const char*);
template ArrayView<int64_t> GetArray<int64_t>(const Napi::Value&, const char*);
template ArrayView<int8_t> GetArray<int8_t>(const Napi::Value&, const char*);
template ArrayView<uint8_t> GetArray<uint8_t>(const Napi::Value&, const char*);
template ArrayView<float> GetOptionalArray<float>(const Napi::Value&, const char*);
template ArrayView<int32_t> GetOptionalArray<int32_t>(const Napi::Value&, const char*);

double GetNumber(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) ThrowType(value.Env(), std::string(name) + ": expected a number, got " + Describe(value));
  return value.As<Napi::Number>().DoubleValue();
}

int64_t GetInt(const Napi::Value& value, const char* name, int64_t lo, int64_t hi) {
  const double v = GetNumber(value, name);
  if (!(v == std::floor(v)) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    ThrowRange(value.Env(), std::string(name) + ": expected an integer in [" + Str(lo) + ", " + Str(hi) +
                                "], got " + NumberText(v));
  }
  return static_cast<int64_t>(v);
}

CsrGraphView GetGraph(const Napi::Value& value, const char* name) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) ThrowType(env, std::string(name) + ": expected a Graph, got " + Describe(value));
  Napi::Object obj = value.As<Napi::Object>();
  CsrGraphView g;
  Napi::Value indptr = obj.Get("indptr");
  if (indptr.IsTypedArray() && indptr.As<Napi::TypedArray>().TypedArrayType() == napi_bigint64_array) {
    ArrayView<int64_t> p = GetArray<int64_t>(indptr, "graph.indptr");
    g.indptr.data = p.data;
    g.indptr.wide = true;
    g.num_rows = p.length - 1;
  } else {
    ArrayView<int32_t> p = GetArray<int32_t>(indptr, "graph.indptr");
    g.indptr.data = p.data;
    g.num_rows = p.length - 1;
  }
  if (g.num_rows < 0) ThrowValue(env, "graph.indptr: expected at least one entry, got none");
  ArrayView<int32_t> indices = GetArray<int32_t>(obj.Get("indices"), "graph.indices");
  g.indices = indices.data;
  g.nnz = indices.length;
  g.num_cols = GetInt(obj.Get("numCols"), "graph.numCols", 0, 2147483647);
  if (g.indptr.Get(0) != 0 || g.indptr.Get(g.num_rows) != g.nnz) {
    Throw(env, Status(StatusCode::kInvalidGraph, std::string(name) + ": indptr does not span indices (indptr[0] = " +
                                                     Str(g.indptr.Get(0)) + ", indptr[last] = " +
                                                     Str(g.indptr.Get(g.num_rows)) + ", " + Str(g.nnz) + " indices)"));
  }
  ArrayView<int32_t> ids = GetOptionalArray<int32_t>(obj.Get("edgeIds"), "graph.edgeIds");
  if (ids.data != nullptr && ids.length != g.nnz) {
    Throw(env, Status(StatusCode::kInvalidGraph, "graph.edgeIds: expected " + Str(g.nnz) + " entries, got " + Str(ids.length)));
  }
  g.edge_ids = ids.data;
  ArrayView<float> w = GetOptionalArray<float>(obj.Get("weights"), "graph.weights");
  if (w.data != nullptr && w.length != g.nnz) {
    Throw(env, Status(StatusCode::kInvalidGraph, "graph.weights: expected " + Str(g.nnz) + " entries, got " + Str(w.length)));
  }
  g.weights = w.data;
  return g;
}

CsrView ToCsrView(const CsrGraphView& g) {
  CsrView v;
  v.indptr = g.indptr.data;
  v.indptr64 = g.indptr.wide;
  v.indices = g.indices;
  v.edge_ids = g.edge_ids;
  v.num_rows = g.num_rows;
  v.num_cols = g.num_cols;
  v.nnz = g.nnz;
  return v;
}

std::vector<Napi::Value> GraphRefs(const Napi::Value& graph) {
  const Napi::Object g = graph.As<Napi::Object>();
  return {g.Get("indptr"), g.Get("indices"), g.Get("edgeIds")};
}

void Mismatch(Napi::Env env, const std::string& message) {
  Throw(env, Status(StatusCode::kShapeMismatch, message));
}

int64_t RowsOf(Napi::Env env, const char* name, int64_t length, int64_t width) {
  if (width == 0) {
    if (length != 0) Mismatch(env, std::string(name) + ": expected no elements for rows of width 0, got " + Str(length));
    return 0;
  }
  if (length % width != 0) {
    Mismatch(env, std::string(name) + ": expected whole rows of " + Str(width) + " elements, got " + Str(length));
  }
  return length / width;
}

int64_t WidthOf(Napi::Env env, const char* name, int64_t length, int64_t rows) {
  if (rows == 0) {
    if (length != 0) Mismatch(env, std::string(name) + ": expected no elements for 0 rows, got " + Str(length));
    return 0;
  }
  if (length % rows != 0) {
    Mismatch(env, std::string(name) + ": expected " + Str(rows) + " equal rows, got " + Str(length) + " elements");
  }
  return length / rows;
}

int64_t Elements(Napi::Env env, const char* name, int64_t rows, int64_t width) {
  if (width != 0 && rows > kMaxElements / width) {
    Mismatch(env, std::string(name) + ": " + Str(rows) + " rows of " + Str(width) + " elements are more than an array holds");
  }
  return rows * width;
}

void ExpectLength(Napi::Env env, const char* name, int64_t got, int64_t want) {
  if (got != want) Mismatch(env, std::string(name) + ": expected " + Str(want) + " elements, got " + Str(got));
}

void ExpectLength(Napi::Env env, const char* name, int64_t got, int64_t rows, int64_t cols) {
  const int64_t want = Elements(env, name, rows, cols);
  if (got != want) {
    Mismatch(env, std::string(name) + ": expected " + Str(rows) + " x " + Str(cols) + " = " + Str(want) + " elements, got " + Str(got));
  }
}

}  // namespace binding
}  // namespace gnn
