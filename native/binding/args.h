// Unpacking JavaScript arguments into plain views. Every check here is O(1); the messages name the
// argument, what was expected and what was received.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

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

}  // namespace binding
}  // namespace gnn
