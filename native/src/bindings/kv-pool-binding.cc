// JS binding of the shared-memory KV pool: class NativeKvPool.
#include "bindings/kv-pool-binding.h"

#include <string>

#include "bindings/napi-args.h"
#include "runtime/registry.h"

namespace pds {
namespace {

const napi_type_tag kKvPoolTag = {0x7064732d6b762d70ULL, 0x6f6f6c2d77726170ULL};

/// new NativeKvPool(layout, name: string ('' = default), open: boolean). The external
/// ArrayBuffer from buffer() holds its own reference to the mapping, so the memory stays
/// mapped until close() detaches it (or it is collected) and every in-flight task is done.
class KvPoolWrap : public Napi::ObjectWrap<KvPoolWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeKvPool",
                       {InstanceMethod("buffer", &KvPoolWrap::buffer), InstanceMethod("close", &KvPoolWrap::close),
                        InstanceAccessor("name", &KvPoolWrap::name, nullptr),
                        InstanceAccessor("bytes", &KvPoolWrap::bytes, nullptr),
                        InstanceAccessor("blockBytes", &KvPoolWrap::blockBytes, nullptr),
                        InstanceAccessor("closed", &KvPoolWrap::closed, nullptr)});
  }

  explicit KvPoolWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KvPoolWrap>(info) {
    Napi::Env env = info.Env();
    KvLayout layout = args::layout(env, info[0]);
    if (!info[1].IsString()) throw Napi::TypeError::New(env, "name must be a string");
    std::string name = info[1].As<Napi::String>().Utf8Value();
    bool open = info[2].ToBoolean();
    if (name.empty()) {
      if (open) throw Napi::TypeError::New(env, "open needs a name");
      name = KvPool::defaultName();
    }
    try {
      pool_ = open ? KvPool::open(layout, name) : KvPool::create(layout, name);
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, e.what());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    name_ = pool_->name();
    bytes_ = pool_->bytes();
    blockBytes_ = static_cast<size_t>(layout.blockBytes());
    info.This().As<Napi::Object>().TypeTag(&kKvPoolTag);
  }

  std::shared_ptr<KvPool> pool(Napi::Env env) const {
    if (!pool_) throw Napi::Error::New(env, "KvPool " + name_ + " is closed");
    return pool_;
  }

 private:
  /// The whole region as one external ArrayBuffer (the same object on every call).
  Napi::Value buffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto p = pool(env);
    if (buffer_.IsEmpty()) {
      auto* hold = new std::shared_ptr<KvPool>(p);
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
          env, p->data(), p->bytes(), [](Napi::Env, void*, std::shared_ptr<KvPool>* h) { delete h; }, hold);
      buffer_ = Napi::Persistent(ab);
    }
    return buffer_.Value();
  }

  /// Unlinks the name (creator only), detaches the buffer and drops this handle's mapping.
  Napi::Value close(const Napi::CallbackInfo& info) {
    if (!pool_) return info.Env().Undefined();
    pool_->unlinkName();
    if (!buffer_.IsEmpty()) {
      Napi::ArrayBuffer ab = buffer_.Value();
      if (!ab.IsDetached()) ab.Detach();
      buffer_.Reset();
    }
    pool_.reset();
    return info.Env().Undefined();
  }

  Napi::Value name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }
  Napi::Value bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(bytes_));
  }
  Napi::Value blockBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(blockBytes_));
  }
  Napi::Value closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !pool_); }

  std::shared_ptr<KvPool> pool_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  std::string name_;
  size_t bytes_ = 0, blockBytes_ = 0;
};

void init(Napi::Env env, Napi::Object exports) { exports.Set("NativeKvPool", KvPoolWrap::define(env)); }

Registrar registrar(init);

}  // namespace

std::shared_ptr<KvPool> unwrapKvPool(Napi::Env env, Napi::Value v) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kKvPoolTag))
    throw Napi::TypeError::New(env, "expected a KvPool");
  return KvPoolWrap::Unwrap(v.As<Napi::Object>())->pool(env);
}

}  // namespace pds
