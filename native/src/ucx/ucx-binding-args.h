// Argument readers and Completion -> JS value converters of the UCX binding.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/napi-args.h"
#include "ucx/ucx-api.h"

namespace pds {
namespace ucx {

/// Builds the value a successful Completion resolves its Promise with.
using Resolver = Napi::Value (*)(Napi::Env, Completion&);

inline Napi::Value resolveVoid(Napi::Env env, Completion&) { return env.Undefined(); }
inline Napi::Value resolveId(Napi::Env env, Completion& c) { return Napi::Number::New(env, static_cast<double>(c.value)); }
inline Napi::Value resolveBytes(Napi::Env env, Completion& c) {
  return Napi::Buffer<uint8_t>::Copy(env, c.bytes.data(), c.bytes.size());
}
inline Napi::Value resolveText(Napi::Env env, Completion& c) {
  return Napi::String::New(env, reinterpret_cast<const char*>(c.bytes.data()), c.bytes.size());
}
inline Napi::Value resolveMem(Napi::Env env, Completion& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", resolveId(env, c));
  o.Set("descriptor", resolveBytes(env, c));
  return o;
}
inline Napi::Value resolveMessage(Napi::Env env, Completion& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("tag", Napi::BigInt::New(env, c.value));
  o.Set("data", resolveBytes(env, c));
  return o;
}

inline std::vector<uint8_t> bytesArg(Napi::Env env, Napi::Value v, const char* what) {
  auto a = args::typed<uint8_t>(env, v, what);
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ByteLength());
}
inline uint64_t u64Arg(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsBigInt()) throw Napi::TypeError::New(env, std::string(what) + " must be a bigint");
  bool lossless;
  uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw Napi::RangeError::New(env, std::string(what) + " must fit in 64 unsigned bits");
  return x;
}
inline uint32_t idArg(Napi::Env env, Napi::Value v, const char* what) {
  return static_cast<uint32_t>(args::integer(env, v, what, 1, 0xffffffffLL));
}
inline double timeoutArg(Napi::Env env, Napi::Value v) {
  double t = args::number(env, v, "timeoutMs");
  if (t <= 0) throw Napi::RangeError::New(env, "timeoutMs must be positive");
  return t;
}
inline Napi::Value resolveTag(Napi::Env env, Completion& c) { return Napi::BigInt::New(env, c.value); }
/// A non-negative integer offset or length (exact in a double).
inline uint64_t sizeArg(Napi::Env env, Napi::Value v, const char* what) {
  return static_cast<uint64_t>(args::integer(env, v, what, 0, int64_t{1} << 53));
}

}  // namespace ucx
}  // namespace pds
