// JS binding of UcxWorker: class NativeUcxWorker. Each method queues a command on the
// worker's progress thread and returns a Promise that a ThreadSafeFunction settles with its
// Completion; failures reject with an Error whose `code` is a UcxError code.
#include <napi.h>

#include <unordered_map>

#include "bindings/kv-pool-binding.h"
#include "bindings/napi-args.h"
#include "runtime/registry.h"
#include "ucx/ucx-api.h"
#include "ucx/ucx-binding-args.h"
#include "ucx/ucx-loader.h"

namespace pds {
namespace ucx {
namespace {

class UcxWorkerWrap;

/// JS-thread state shared with the ThreadSafeFunction; deleted by its finalizer.
struct JsState {
  struct Pending {
    Napi::Promise::Deferred deferred;
    Resolver resolve;
  };
  std::unordered_map<uint64_t, Pending> pending;
  UcxWorkerWrap* wrap = nullptr;
};

void onCompletion(Napi::Env env, Napi::Function, JsState* st, Completion* c);
using Tsfn = Napi::TypedThreadSafeFunction<JsState, Completion, onCompletion>;

class UcxWorkerWrap : public Napi::ObjectWrap<UcxWorkerWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(
        env, "NativeUcxWorker",
        {InstanceMethod("address", &UcxWorkerWrap::address), InstanceMethod("memMap", &UcxWorkerWrap::memMap),
         InstanceMethod("memUnmap", &UcxWorkerWrap::memUnmap), InstanceMethod("connect", &UcxWorkerWrap::connect),
         InstanceMethod("importMemory", &UcxWorkerWrap::importMemory), InstanceMethod("rma", &UcxWorkerWrap::rma),
         InstanceMethod("sendTag", &UcxWorkerWrap::sendTag), InstanceMethod("recvTag", &UcxWorkerWrap::recvTag),
         InstanceMethod("sendTagFrom", &UcxWorkerWrap::sendTagFrom),
         InstanceMethod("recvTagInto", &UcxWorkerWrap::recvTagInto),
         InstanceMethod("cancel", &UcxWorkerWrap::cancel), InstanceMethod("epInfo", &UcxWorkerWrap::epInfo),
         InstanceMethod("closeEndpoint", &UcxWorkerWrap::closeEndpoint), InstanceMethod("close", &UcxWorkerWrap::close)});
  }

  /// new NativeUcxWorker(config: Record<string, string>) (UCX config names without UCX_).
  explicit UcxWorkerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UcxWorkerWrap>(info) {
    Napi::Env env = info.Env();
    Config config;
    if (info[0].IsObject()) {
      Napi::Object o = info[0].As<Napi::Object>();
      Napi::Array keys = o.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); i++) {
        std::string k = keys.Get(i).ToString().Utf8Value();
        config.emplace_back(k, o.Get(k).ToString().Utf8Value());
      }
    }
    state_ = new JsState();
    state_->wrap = this;
    tsfn_ = Tsfn::New(env, "pdserve-ucx", 0, 1, state_, [](Napi::Env, void*, JsState* st) { delete st; });
    tsfn_.Unref(env);  // referenced only while operations are pending
    Tsfn tsfn = tsfn_;
    std::string error;
    try {
      Sink sink = [tsfn](Completion&& c) mutable { tsfn.NonBlockingCall(new Completion(std::move(c))); };
      worker_.reset(coreFactory()(std::move(sink), config, &error));
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!worker_) {
      releaseTsfn();
      Napi::Error err = Napi::Error::New(env, error);
      err.Set("code", "IO");
      throw err;
    }
    hook_ = env.AddCleanupHook<void (*)(UcxWorkerWrap*), UcxWorkerWrap>(&UcxWorkerWrap::onEnvCleanup, this);
  }

  ~UcxWorkerWrap() override {
    if (!hookRan_ && !hook_.IsEmpty()) hook_.Remove(Env());
    shutdownNow();
  }

  /// A completion arrived on the JS thread: drop the keep-alive once nothing is pending.
  void settled(Napi::Env env) {
    if (state_->pending.empty() && !released_) {
      tsfn_.Unref(env);
      Unref();
    }
  }

 private:
  /// The environment is going away (worker thread or process ending) with this worker open.
  static void onEnvCleanup(UcxWorkerWrap* self) {
    self->hookRan_ = true;
    self->shutdownNow();
  }
  /// Stops the progress thread (bounded teardown) and releases the ThreadSafeFunction.
  void shutdownNow() {
    if (worker_) worker_->stop();
    worker_.reset();
    releaseTsfn();
  }
  void releaseTsfn() {
    if (released_) return;
    released_ = true;
    state_->wrap = nullptr;
    tsfn_.Release();
  }

  UcxWorkerApi& live(Napi::Env env) {
    if (!worker_ || closing_) {
      Napi::Error err = Napi::Error::New(env, "UCX worker is closed");
      err.Set("code", "CANCELED");
      throw err;
    }
    return *worker_;
  }

  /// Registers a pending promise for a new op id (keeping this object and the loop alive).
  std::pair<uint64_t, Napi::Promise> track(Napi::Env env, Resolver resolve) {
    uint64_t op = nextOp_++;
    if (state_->pending.empty()) {
      tsfn_.Ref(env);
      Ref();
    }
    auto d = Napi::Promise::Deferred::New(env);
    state_->pending.emplace(op, JsState::Pending{d, resolve});
    return {op, d.Promise()};
  }

  Napi::Value address(const Napi::CallbackInfo& info) {
    auto& a = live(info.Env()).address();
    return Napi::Buffer<uint8_t>::Copy(info.Env(), a.data(), a.size());
  }
  Napi::Value memMap(const Napi::CallbackInfo& info) {
    auto pool = unwrapKvPool(info.Env(), info[0]);
    UcxWorkerApi& w = live(info.Env());
    auto [op, p] = track(info.Env(), resolveMem);
    w.memMap(op, Region{pool, pool->data(), pool->bytes()});
    return p;
  }
  Napi::Value memUnmap(const Napi::CallbackInfo& info) {
    uint32_t id = idArg(info.Env(), info[0], "memory id");
    UcxWorkerApi& w = live(info.Env());
    auto [op, p] = track(info.Env(), resolveVoid);
    w.memUnmap(op, id);
    return p;
  }
  /// connect(address, timeoutMs, peerErrors: boolean, peerPid: number (0 = none))
  Napi::Value connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto addr = bytesArg(env, info[0], "address");
    double t = timeoutArg(env, info[1]);
    bool peerErrors = info[2].ToBoolean();
    int pid = static_cast<int>(args::integer(env, info[3], "peerPid", 0, 0x7fffffff));
    UcxWorkerApi& w = live(env);
    auto [op, p] = track(env, resolveId);
    w.connect(op, std::move(addr), t, peerErrors, pid);
    return p;
  }
  Napi::Value importMemory(const Napi::CallbackInfo& info) {
    uint32_t ep = idArg(info.Env(), info[0], "endpoint id");
    auto desc = bytesArg(info.Env(), info[1], "descriptor");
    UcxWorkerApi& w = live(info.Env());
    auto [op, p] = track(info.Env(), resolveId);
    w.importMemory(op, ep, std::move(desc));
    return p;
  }
  /// rma(put, epId, memId, rkeyId, ranges: Float64Array [localOffset, remoteOffset, bytes]*, timeoutMs)
  Napi::Value rma(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool put = info[0].ToBoolean();
    uint32_t ep = idArg(env, info[1], "endpoint id"), mem = idArg(env, info[2], "memory id");
    uint32_t rkey = idArg(env, info[3], "remote key id");
    if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw Napi::TypeError::New(env, "ranges must be a Float64Array");
    auto f = info[4].As<Napi::Float64Array>();
    if (f.ElementLength() % 3 != 0) throw Napi::RangeError::New(env, "ranges must hold triples");
    std::vector<Range> ranges;
    for (size_t i = 0; i < f.ElementLength(); i += 3)
      ranges.push_back({static_cast<uint64_t>(f[i]), static_cast<uint64_t>(f[i + 1]), static_cast<uint64_t>(f[i + 2])});
    double t = timeoutArg(env, info[5]);
    UcxWorkerApi& w = live(env);
    auto [op, p] = track(env, resolveVoid);
    w.rma(op, put, ep, mem, rkey, std::move(ranges), t);
    return p;
  }
  Napi::Value sendTag(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t ep = idArg(env, info[0], "endpoint id");
    uint64_t tag = u64Arg(env, info[1], "tag");
    auto data = bytesArg(env, info[2], "data");
    double t = timeoutArg(env, info[3]);
    UcxWorkerApi& w = live(env);
    auto [op, p] = track(env, resolveVoid);
    w.sendTag(op, ep, tag, std::move(data), t);
    return p;
  }
  /// recvTag(tag, mask, maxBytes, timeoutMs) -> {id, promise} (id for cancel()).
  Napi::Value recvTag(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t tag = u64Arg(env, info[0], "tag"), mask = u64Arg(env, info[1], "mask");
    size_t max = static_cast<size_t>(args::integer(env, info[2], "maxBytes", 1, int64_t{1} << 30));
    double t = timeoutArg(env, info[3]);
    UcxWorkerApi& w = live(env);
    auto [op, p] = track(env, resolveMessage);
    w.recvTag(op, tag, mask, max, t);
    return started(env, op, p);
  }
  /// sendTagFrom(epId, tag, memId, offset, bytes, timeoutMs)
  Napi::Value sendTagFrom(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t ep = idArg(env, info[0], "endpoint id");
    uint64_t tag = u64Arg(env, info[1], "tag");
    uint32_t mem = idArg(env, info[2], "memory id");
    uint64_t offset = sizeArg(env, info[3], "offset"), bytes = sizeArg(env, info[4], "bytes");
    double t = timeoutArg(env, info[5]);
    UcxWorkerApi& w = live(env);
    auto [op, p] = track(env, resolveVoid);
    w.sendTagFrom(op, ep, tag, mem, offset, bytes, t);
    return p;
  }
  /// recvTagInto(tag, mask, memId, offset, bytes, timeoutMs) -> {id, promise of the sender tag}
  Napi::Value recvTagInto(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t tag = u64Arg(env, info[0], "tag"), mask = u64Arg(env, info[1], "mask");
    uint32_t mem = idArg(env, info[2], "memory id");
    uint64_t offset = sizeArg(env, info[3], "offset"), bytes = sizeArg(env, info[4], "bytes");
    double t = timeoutArg(env, info[5]);
    UcxWorkerApi& w = live(env);
    auto [op, p] = track(env, resolveTag);
    w.recvTagInto(op, tag, mask, mem, offset, bytes, t);
    return started(env, op, p);
  }
  /// {id, promise}: a receive's op id (for cancel) with its Promise.
  static Napi::Value started(Napi::Env env, uint64_t op, Napi::Promise p) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, static_cast<double>(op)));
    o.Set("promise", p);
    return o;
  }
  Napi::Value cancel(const Napi::CallbackInfo& info) {
    uint64_t op = static_cast<uint64_t>(args::integer(info.Env(), info[0], "op id", 1, int64_t{1} << 52));
    if (worker_ && !closing_) worker_->cancel(op);
    return info.Env().Undefined();
  }
  Napi::Value epInfo(const Napi::CallbackInfo& info) {
    uint32_t ep = idArg(info.Env(), info[0], "endpoint id");
    UcxWorkerApi& w = live(info.Env());
    auto [op, p] = track(info.Env(), resolveText);
    w.epInfo(op, ep);
    return p;
  }
  Napi::Value closeEndpoint(const Napi::CallbackInfo& info) {
    uint32_t ep = idArg(info.Env(), info[0], "endpoint id");
    bool force = info[1].ToBoolean();
    UcxWorkerApi& w = live(info.Env());
    auto [op, p] = track(info.Env(), resolveVoid);
    w.closeEndpoint(op, ep, force);
    return p;
  }
  /// Closes endpoints (force), registrations, the worker and context; settles when done.
  Napi::Value close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!worker_ || closing_) return closedPromise_.IsEmpty() ? resolvedVoid(env) : closedPromise_.Value();
    auto [op, p] = track(env, resolveVoid);
    worker_->shutdown(op);
    closing_ = true;
    closedPromise_ = Napi::Persistent(p.As<Napi::Object>());
    return p;
  }
  static Napi::Value resolvedVoid(Napi::Env env) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }

  friend void onCompletion(Napi::Env, Napi::Function, JsState*, Completion*);
  std::unique_ptr<UcxWorkerApi> worker_;
  JsState* state_ = nullptr;
  Tsfn tsfn_;
  Napi::Env::CleanupHook<void (*)(UcxWorkerWrap*), UcxWorkerWrap> hook_;
  Napi::ObjectReference closedPromise_;
  uint64_t nextOp_ = 1;
  bool released_ = false, closing_ = false, hookRan_ = false;
};

void onCompletion(Napi::Env env, Napi::Function, JsState* st, Completion* raw) {
  std::unique_ptr<Completion> c(raw);
  if (env == nullptr || st == nullptr) return;  // torn down with items still queued
  auto it = st->pending.find(c->op);
  if (it == st->pending.end()) return;
  JsState::Pending pending = std::move(it->second);
  st->pending.erase(it);
  Napi::HandleScope scope(env);
  if (c->code.empty()) {
    pending.deferred.Resolve(pending.resolve(env, *c));
  } else {
    Napi::Error err = Napi::Error::New(env, c->message);
    err.Set("code", c->code);
    pending.deferred.Reject(err.Value());
  }
  if (UcxWorkerWrap* w = st->wrap) {
    if (w->closing_ && st->pending.empty() && w->worker_) w->worker_->stop();  // thread is ending: join it
    w->settled(env);
  }
}

void init(Napi::Env env, Napi::Object exports) { exports.Set("NativeUcxWorker", UcxWorkerWrap::define(env)); }

Registrar registrar(init);

}  // namespace
}  // namespace ucx
}  // namespace pds
