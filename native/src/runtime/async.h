// Runs native work off the JS thread (libuv's pool) and settles a Promise with its result.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace pds {

class AsyncTask : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  AsyncTask(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "pdserve-native"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), done_(std::move(done)) {}

  /// Keeps a JS value (an input buffer, say) alive until the task settles.
  void keep(Napi::Value v) { refs_.push_back(Napi::Persistent(v.As<Napi::Object>())); }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(done_ ? done_(Env()) : Env().Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::vector<Napi::ObjectReference> refs_;
};

/// Queues `work` on libuv's pool; `done` builds the resolved value on the JS thread.
/// Values passed in `keep` (typed arrays read or written by `work`) stay alive until then.
inline Napi::Promise runAsync(Napi::Env env, AsyncTask::Work work, AsyncTask::Done done = nullptr,
                              std::initializer_list<Napi::Value> keep = {}) {
  auto* task = new AsyncTask(env, std::move(work), std::move(done));
  for (auto& v : keep)
    if (v.IsObject()) task->keep(v);
  auto p = task->promise();
  task->Queue();
  return p;
}

}  // namespace pds
