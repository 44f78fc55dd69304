// ThreadPool: the process-wide pool every CPU kernel runs on.
//
// Workers sleep on a condition variable when idle (never spin: on a shared 2-core host a spinning
// worker stalls the thread doing the real work). The caller of Run() always works on its own job,
// so jobs submitted at the same time from several threads (libuv workers, worker_threads, the main
// thread) all make progress; idle workers help whichever job is waiting. A task that itself calls
// Run() executes its inner job serially on the calling worker (no nested parallelism).
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace gnn {

// A non-owning reference to a callable `void(int64_t task)`; no allocation, unlike std::function.
class TaskFn {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TaskFn>>>
  TaskFn(F&& f)  // NOLINT(google-explicit-constructor)
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* obj, int64_t t) { (*static_cast<std::remove_reference_t<F>*>(obj))(t); }) {}
  void operator()(int64_t t) const { call_(obj_, t); }

 private:
  void* obj_;
  void (*call_)(void*, int64_t);
};

// Number of threads kernels use by default: the physical cores this process may run on,
// unless GNN_KERNELS_NUM_THREADS or SetNumThreads() says otherwise.
int NumThreads();
// Sets the number of threads (>= 1) used by later kernels, process-wide.
void SetNumThreads(int n);
// Physical cores available to this process (affinity mask, then sysfs topology).
int PhysicalCores();

// Runs fn(t) for every t in [0, num_tasks) on at most max_threads threads (the caller included;
// kernels pass NumThreads() or less); returns when all tasks are done. Tasks are claimed in
// increasing order. fn must not throw.
void ParallelFor(int64_t num_tasks, int max_threads, TaskFn fn);

}  // namespace gnn
