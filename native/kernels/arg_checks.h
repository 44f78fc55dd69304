// Small pieces of the kernels' O(1) argument checks (the Check*Args functions): size products that
// must not overflow, overlap of two byte ranges, and numbers in messages.
#pragma once

#include <cstdint>
#include <string>

namespace gnn {

// a * b <= limit, for non-negative a and b, without overflowing.
inline bool MulFits(int64_t a, int64_t b, int64_t limit) { return a >= 0 && b >= 0 && (a == 0 || b <= limit / a); }

inline std::string Str(int64_t v) { return std::to_string(v); }

// True when the byte ranges [a, a + a_bytes) and [b, b + b_bytes) share a byte (null or empty: no).
inline bool Overlap(const void* a, int64_t a_bytes, const void* b, int64_t b_bytes) {
  if (a == nullptr || b == nullptr || a_bytes <= 0 || b_bytes <= 0) return false;
  const auto pa = reinterpret_cast<uintptr_t>(a);
  const auto pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + static_cast<uintptr_t>(b_bytes) && pb < pa + static_cast<uintptr_t>(a_bytes);
}

}  // namespace gnn
