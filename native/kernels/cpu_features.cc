#include "cpu_features.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#define GNN_X86 1
#endif

namespace gnn {
namespace {

#if GNN_X86
struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = regs[0]; r.ebx = regs[1]; r.ecx = regs[2]; r.edx = regs[3];
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

uint64_t Xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

struct Features {
  SimdLevel level = SimdLevel::kScalar;
  bool vnni = false;
};

Features Detect() {
  Features f;
  const uint32_t max_leaf = Cpuid(0, 0).eax;
  if (max_leaf < 7) return f;
  const CpuidRegs l1 = Cpuid(1, 0);
  const bool osxsave = (l1.ecx >> 27) & 1;
  const bool avx = (l1.ecx >> 28) & 1;
  const bool fma = (l1.ecx >> 12) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = Xgetbv0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;
  const CpuidRegs l7 = Cpuid(7, 0);
  const bool avx2 = (l7.ebx >> 5) & 1;
  const bool avx512f = (l7.ebx >> 16) & 1;
  const bool avx512dq = (l7.ebx >> 17) & 1;
  const bool avx512bw = (l7.ebx >> 30) & 1;
  const bool avx512vl = (l7.ebx >> 31) & 1;
  if (os_ymm && avx2 && fma) f.level = SimdLevel::kAvx2;
  if (f.level == SimdLevel::kAvx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl) {
    f.level = SimdLevel::kAvx512;
    f.vnni = (l7.ecx >> 11) & 1;
  }
  return f;
}
#else
struct Features {
  SimdLevel level = SimdLevel::kScalar;
  bool vnni = false;
};
Features Detect() { return Features(); }
#endif

const Features& Detected() {
  static const Features features = Detect();
  return features;
}

SimdLevel InitialLevel() {
  SimdLevel level = Detected().level;
  SimdLevel requested;
  if (ParseSimdLevel(std::getenv("GNN_KERNELS_SIMD"), &requested) && requested < level) {
    level = requested;
  }
  return level;
}

std::atomic<int>& ActiveLevelStore() {
  static std::atomic<int> level{static_cast<int>(InitialLevel())};
  return level;
}

}  // namespace

SimdLevel DetectedSimdLevel() { return Detected().level; }

SimdLevel ActiveSimdLevel() {
  return static_cast<SimdLevel>(ActiveLevelStore().load(std::memory_order_relaxed));
}

SimdLevel SetSimdLevel(SimdLevel level) {
  if (level > Detected().level) level = Detected().level;
  ActiveLevelStore().store(static_cast<int>(level), std::memory_order_relaxed);
  return level;
}

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kScalar: break;
  }
  return "scalar";
}

bool ParseSimdLevel(const char* name, SimdLevel* level) {
  if (name == nullptr) return false;
  if (std::strcmp(name, "scalar") == 0) { *level = SimdLevel::kScalar; return true; }
  if (std::strcmp(name, "avx2") == 0) { *level = SimdLevel::kAvx2; return true; }
  if (std::strcmp(name, "avx512") == 0) { *level = SimdLevel::kAvx512; return true; }
  return false;
}

bool HasAvx512Vnni() { return Detected().vnni; }

}  // namespace gnn
