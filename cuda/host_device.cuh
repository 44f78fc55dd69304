// Qualifiers for the small functions the kernels share with host code: under nvcc they are
// __host__ __device__, under a plain C++ compiler ordinary inline functions, so the binding that
// unit-tests them on the CPU (native/binding/cuda_plan_binding.cc) compiles the very same code.
#pragma once

#if defined(__CUDACC__)
#define GNN_HD __host__ __device__ __forceinline__
#else
#define GNN_HD inline
#endif
