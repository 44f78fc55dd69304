// Unpacking JavaScript arguments into plain views. Every check here is O(1); the messages name the
// argument, what was expected and what was received.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/csr.h"
#include "../kernels/spmm.h"

namespace gnn {
namespace binding {

template <typename T>
struct ArrayView {
  T* data = nullptr;
  int64_t length = 0;
};

// The typed-array kind that holds T.
template <typename T> constexpr napi_typedarray_type kTypedArrayOf = napi_float32_array;
template <> constexpr napi_typedarray_type kTypedArrayOf<float> = napi_float32_array;
template <> constexpr napi_typedarray_type kTypedArrayOf<int32_t> = napi_int32_array;
template <> constexpr napi_typedarray_type kTypedArrayOf<int64_t> = napi_bigint64_array;
template <> constexpr napi_typedarray_type kTypedArrayOf<int8_t> = napi_int8_array;
template <> constexpr napi_typedarray_type kTypedArrayOf<uint8_t> = napi_uint8_array;

const char* TypedArrayName(napi_typedarray_type type);
// "a Float32Array", "an Int32Array of length 7", "undefined", "a number", ...
std::string Describe(const Napi::Value& value);

// A typed array of exactly T's kind, not detached. Throws ERR_INVALID_ARG_TYPE / _VALUE.
template <typename T>
ArrayView<T> GetArray(const Napi::Value& value, const char* name);
// Same, but null / undefined give an empty view with data == nullptr.
template <typename T>
ArrayView<T> GetOptionalArray(const Napi::Value& value, const char* name);

// An integer-valued number in [lo, hi]. Throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
int64_t GetInt(const Napi::Value& value, const char* name, int64_t lo, int64_t hi);
double GetNumber(const Napi::Value& value, const char* name);

// A graph handle made by the TypeScript Graph: { indptr, indices, edgeIds, weights, numCols }.
// Checks the O(1) invariants (kinds, lengths, indptr ends); the O(E) ones were checked once when
// the graph was built.
CsrGraphView GetGraph(const Napi::Value& value, const char* name);
CsrView ToCsrView(const CsrGraphView& g);
// The graph handle's arrays, for an async job to hold until it settles.
std::vector<Napi::Value> GraphRefs(const Napi::Value& graph);

// Shape checks shared by the bindings; each failure is ERR_GNN_SHAPE_MISMATCH naming `name`.
// Largest element count a typed array can have.
constexpr int64_t kMaxElements = (int64_t{1} << 53) - 1;
std::string Str(int64_t v);
[[noreturn]] void Mismatch(Napi::Env env, const std::string& message);
// Rows of `length` elements split into rows of `width` (width 0: length must be 0).
int64_t RowsOf(Napi::Env env, const char* name, int64_t length, int64_t width);
// Row width of `length` elements split into `rows` rows (rows 0: length must be 0).
int64_t WidthOf(Napi::Env env, const char* name, int64_t length, int64_t rows);
// rows · width, refusing products no array could hold.
int64_t Elements(Napi::Env env, const char* name, int64_t rows, int64_t width);
void ExpectLength(Napi::Env env, const char* name, int64_t got, int64_t want);
// got == rows · cols (the product checked for overflow first).
void ExpectLength(Napi::Env env, const char* name, int64_t got, int64_t rows, int64_t cols);

}  // namespace binding
}  // namespace gnn
