// STREAM-style memory bandwidth probe (copy and triad), so benchmarks can report what fraction of
// this machine's measured bandwidth a kernel reaches. Counts bytes as STREAM does: copy moves
// 2 x 4 bytes per element, triad 3 x 4 (write-allocate traffic not counted).
#pragma once

#include <cstdint>

#include "status.h"

namespace gnn {

struct BandwidthResult {
  double copy_gbps = 0;   // best of `repeats`
  double triad_gbps = 0;  // best of `repeats`
  int threads = 0;
  int64_t bytes_per_array = 0;
};

Status MeasureBandwidth(int64_t bytes_per_array, int threads, int repeats, BandwidthResult* out);

}  // namespace gnn
