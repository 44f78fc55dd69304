// Runs a kernel off the event loop. The binding converts every JS argument into plain views on the
// main thread, then hands a closure over those views to this worker: Execute() runs on a libuv
// thread and never touches N-API; the inputs and the preallocated output stay referenced until the
// promise settles, so the garbage collector cannot free them mid-run.
#pragma once

#include <napi.h>

#include <functional>
#include <utility>
#include <vector>

#include "../kernels/status.h"
#include "errors.h"

namespace gnn {
namespace binding {

class KernelWorker : public Napi::AsyncWorker {
 public:
  // `result` is what the promise resolves with; `keep` lists every value the kernel reads or
  // writes through raw pointers.
  static Napi::Promise Start(Napi::Env env, std::function<Status()> work, Napi::Value result,
                             const std::vector<Napi::Value>& keep) {
    auto* worker = new KernelWorker(env, std::move(work), result, keep);
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Napi::AsyncWorker::Queue();
    return promise;
  }

 protected:
  void Execute() override { status_ = work_(); }

  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (status_.ok()) {
      deferred_.Resolve(result_.Value());
    } else {
      deferred_.Reject(MakeError(Env(), status_).Value());
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  KernelWorker(Napi::Env env, std::function<Status()> work, Napi::Value result,
               const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, "gnn-kernels"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        result_(Napi::Persistent(result)) {
    keep_.reserve(keep.size());
    for (const Napi::Value& v : keep) {
      if (v.IsObject()) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
  }

  Napi::Promise::Deferred deferred_;
  std::function<Status()> work_;
  Napi::Reference<Napi::Value> result_;
  std::vector<Napi::ObjectReference> keep_;
  Status status_;
};

}  // namespace binding
}  // namespace gnn
