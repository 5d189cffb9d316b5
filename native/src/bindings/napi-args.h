// Argument checks shared by the ops, KV pool and transformer bindings: each throws a JS
// TypeError (wrong kind) or RangeError (wrong size or value) that names the argument.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "kernels/ops.h"

namespace pds {
namespace args {

/// An integer in [lo, hi].
inline int64_t integer(Napi::Env env, Napi::Value v, const std::string& what, int64_t lo, int64_t hi) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d))
    throw Napi::RangeError::New(env, what + " must be an integer in [" + std::to_string(lo) + ", " +
                                         std::to_string(hi) + "], got " + v.ToString().Utf8Value());
  return static_cast<int64_t>(d);
}

inline int64_t positive(Napi::Env env, Napi::Value v, const std::string& what) {
  return integer(env, v, what, 1, int64_t{1} << 40);
}

/// A finite number.
inline double number(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw Napi::RangeError::New(env, what + " must be finite");
  return d;
}

template <typename T>
struct TypedKind;
template <>
struct TypedKind<float> {
  static constexpr napi_typedarray_type kind = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedKind<int32_t> {
  static constexpr napi_typedarray_type kind = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedKind<uint8_t> {
  static constexpr napi_typedarray_type kind = napi_uint8_array;
  static constexpr const char* name = "Uint8Array";
};

/// A typed array of T; with length >= 0 its element count must equal length.
template <typename T>
Napi::TypedArrayOf<T> typed(Napi::Env env, Napi::Value v, const std::string& what, int64_t length = -1) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedKind<T>::kind)
    throw Napi::TypeError::New(env, what + " must be a " + TypedKind<T>::name);
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (length >= 0 && static_cast<int64_t>(a.ElementLength()) != length)
    throw Napi::RangeError::New(env, what + " has " + std::to_string(a.ElementLength()) + " elements, expected " +
                                         std::to_string(length));
  return a;
}

/// 'f32' | 'bf16' as a KV dtype.
inline DType kvDtype(Napi::Env env, Napi::Value v, const std::string& what) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "f32") return DType::F32;
  if (s == "bf16") return DType::BF16;
  throw Napi::TypeError::New(env, what + " must be 'f32' or 'bf16'");
}

/// {numBlocks, blockSize, layers, kvHeads, headDim, dtype} as a KvLayout.
inline KvLayout layout(Napi::Env env, Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "layout must be an object");
  Napi::Object o = v.As<Napi::Object>();
  KvLayout l{};
  l.numBlocks = positive(env, o.Get("numBlocks"), "numBlocks");
  l.blockSize = positive(env, o.Get("blockSize"), "blockSize");
  l.layers = positive(env, o.Get("layers"), "layers");
  l.kvHeads = positive(env, o.Get("kvHeads"), "kvHeads");
  l.headDim = positive(env, o.Get("headDim"), "headDim");
  l.dtype = kvDtype(env, o.Get("dtype"), "dtype");
  return l;
}

}  // namespace args
}  // namespace pds
