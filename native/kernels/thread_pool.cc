#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace gnn {
namespace {

thread_local bool tl_inside_task = false;

struct Job {
  TaskFn fn;
  int64_t num_tasks;
  int helpers_wanted;        // workers that may join, besides the caller
  int helpers_joined = 0;    // guarded by the pool mutex
  int helpers_inside = 0;    // guarded by the pool mutex
  std::atomic<int64_t> next{0};
  Job* queue_next = nullptr;  // intrusive FIFO, guarded by the pool mutex

  Job(TaskFn f, int64_t n, int helpers) : fn(f), num_tasks(n), helpers_wanted(helpers) {}

  void Work() {
    const bool was_inside = tl_inside_task;
    tl_inside_task = true;
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < num_tasks;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(t);
    }
    tl_inside_task = was_inside;
  }
};

int ParsePositiveInt(const char* s) {
  if (s == nullptr || *s == '\0') return 0;
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (*end != '\0' || v <= 0 || v > 4096) return 0;
  return static_cast<int>(v);
}

class Pool {
 public:
  Pool() {
    int env = ParsePositiveInt(std::getenv("GNN_KERNELS_NUM_THREADS"));
    num_threads_.store(env > 0 ? env : PhysicalCores());
  }

  int num_threads() const { return num_threads_.load(std::memory_order_relaxed); }
  void set_num_threads(int n) { num_threads_.store(std::max(1, n), std::memory_order_relaxed); }

  void Run(int64_t num_tasks, int max_threads, TaskFn fn) {
    if (num_tasks <= 0) return;
    const int threads = static_cast<int>(std::min<int64_t>(max_threads, num_tasks));
    if (threads <= 1 || tl_inside_task) {
      for (int64_t t = 0; t < num_tasks; ++t) fn(t);
      return;
    }
    Job job(fn, num_tasks, threads - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      EnsureWorkers(threads - 1);
      Push(&job);
    }
    wake_.notify_all();
    job.Work();
    std::unique_lock<std::mutex> lock(mu_);
    Remove(&job);  // no new helper may join once the caller has run out of tasks
    done_.wait(lock, [&] { return job.helpers_inside == 0; });
  }

 private:
  void EnsureWorkers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      workers_.emplace_back([this] { WorkerLoop(); });
      workers_.back().detach();  // the pool lives for the whole process
    }
  }

  void Push(Job* job) {
    if (tail_ == nullptr) {
      head_ = tail_ = job;
    } else {
      tail_->queue_next = job;
      tail_ = job;
    }
  }

  void Remove(Job* job) {
    Job* prev = nullptr;
    for (Job* j = head_; j != nullptr; prev = j, j = j->queue_next) {
      if (j != job) continue;
      if (prev == nullptr) head_ = j->queue_next; else prev->queue_next = j->queue_next;
      if (tail_ == j) tail_ = prev;
      j->queue_next = nullptr;
      return;
    }
  }

  void WorkerLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return head_ != nullptr; });
      Job* job = head_;
      if (++job->helpers_joined >= job->helpers_wanted ||
          job->next.load(std::memory_order_relaxed) >= job->num_tasks) {
        Remove(job);
      }
      ++job->helpers_inside;
      lock.unlock();
      job->Work();
      lock.lock();
      if (--job->helpers_inside == 0) done_.notify_all();
    }
  }

  std::atomic<int> num_threads_{1};
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  Job* head_ = nullptr;
  Job* tail_ = nullptr;
  std::vector<std::thread> workers_;
};

Pool& GlobalPool() {
  // Never destroyed: detached workers may still be parked on its condition variable at exit.
  static Pool* pool = new Pool();
  return *pool;
}

#if defined(__linux__)
std::string ReadFirstLine(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  if (f) std::getline(f, line);
  return line;
}
#endif

}  // namespace

int PhysicalCores() {
  static const int cores = [] {
    int logical = static_cast<int>(std::thread::hardware_concurrency());
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
      std::set<std::pair<std::string, std::string>> cores_seen;
      int allowed = 0;
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &set)) continue;
        ++allowed;
        const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
        std::string core = ReadFirstLine(base + "core_id");
        std::string package = ReadFirstLine(base + "physical_package_id");
        cores_seen.emplace(package, core.empty() ? std::to_string(cpu) : core);
      }
      int physical = static_cast<int>(cores_seen.size());
      if (physical > 0) return std::min(physical, allowed);
      if (allowed > 0) return allowed;
    }
#endif
    return std::max(1, logical);
  }();
  return cores;
}

int NumThreads() { return GlobalPool().num_threads(); }
void SetNumThreads(int n) { GlobalPool().set_num_threads(n); }

void ParallelFor(int64_t num_tasks, int max_threads, TaskFn fn) {
  GlobalPool().Run(num_tasks, max_threads, fn);
}

}  // namespace gnn
