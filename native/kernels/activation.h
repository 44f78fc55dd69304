// The activation functions a kernel can apply to its output (fused) or as an op of their own.
#pragma once

namespace gnn {

enum class Activation : int { kNone = 0, kRelu, kLeakyRelu, kElu, kGelu, kSigmoid, kTanh };

inline bool IsValidActivation(int a) { return a >= 0 && a <= static_cast<int>(Activation::kTanh); }

}  // namespace gnn
