// JS binding of pds::Linear (class NativeLinear) and the q8_0 quantizer used by tests/loaders.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>

#include "kernels/linear-impl.h"
#include "kernels/linear.h"
#include "runtime/async.h"
#include "runtime/registry.h"

namespace pds {

namespace {

bool parseDType(const std::string& s, DType* out) {
  if (s == "f32") *out = DType::F32;
  else if (s == "f16") *out = DType::F16;
  else if (s == "bf16") *out = DType::BF16;
  else if (s == "q8_0") *out = DType::Q8_0;
  else return false;
  return true;
}

int64_t positiveInt(const Napi::Env& env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1) || d != std::floor(d) || d > 9007199254740991.0)
    throw Napi::RangeError::New(env, std::string(what) + " must be a positive integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

DType dtypeArg(const Napi::Env& env, const Napi::Value& v, const char* what) {
  DType d;
  if (!v.IsString() || !parseDType(v.As<Napi::String>().Utf8Value(), &d))
    throw Napi::TypeError::New(env, std::string(what) + " must be one of 'f32', 'f16', 'bf16', 'q8_0'");
  return d;
}

/// Marks NativeLinear objects so unwrapLinear can check a value before unwrapping it.
const napi_type_tag kLinearTag = {0x7064732d6c696e65ULL, 0x61722d7772617031ULL};

int64_t sourceBytes(DType d, int64_t n, int64_t k) {
  return d == DType::F32 ? n * k * 4 : d == DType::Q8_0 ? n * (k / kQ8Block) * kQ8BlockBytes : n * k * 2;
}

}  // namespace

/// new NativeLinear(n, k, srcDtype, src: Uint8Array, store): packs W synchronously.
class LinearWrap : public Napi::ObjectWrap<LinearWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeLinear",
                       {InstanceMethod("forward", &LinearWrap::forward), InstanceMethod("row", &LinearWrap::row),
                        InstanceMethod("kernelName", &LinearWrap::kernelName),
                        InstanceAccessor("n", &LinearWrap::n, nullptr),
                        InstanceAccessor("k", &LinearWrap::k, nullptr),
                        InstanceAccessor("weightBytes", &LinearWrap::weightBytes, nullptr)});
  }

  explicit LinearWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinearWrap>(info) {
    Napi::Env env = info.Env();
    int64_t n = positiveInt(env, info[0], "n"), k = positiveInt(env, info[1], "k");
    DType src = dtypeArg(env, info[2], "srcDtype");
    if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, "src must be a Uint8Array");
    DType store = dtypeArg(env, info[4], "store");
    if (store == DType::F16) throw Napi::TypeError::New(env, "store must be 'f32', 'bf16' or 'q8_0'");
    if ((src == DType::Q8_0 || store == DType::Q8_0) && k % kQ8Block != 0)
      throw Napi::RangeError::New(env, "q8_0 needs k to be a multiple of 32, got " + std::to_string(k));
    Napi::Uint8Array bytes = info[3].As<Napi::Uint8Array>();
    int64_t want = sourceBytes(src, n, k);
    if (static_cast<int64_t>(bytes.ByteLength()) != want)
      throw Napi::RangeError::New(env, "src has " + std::to_string(bytes.ByteLength()) + " bytes, expected " +
                                           std::to_string(want) + " for [" + std::to_string(n) + "][" +
                                           std::to_string(k) + "]");
    info.This().As<Napi::Object>().TypeTag(&kLinearTag);
    try {
      linear_ = std::make_shared<Linear>(n, k, src, bytes.Data(), store);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  std::shared_ptr<const Linear> linear() const { return linear_; }

 private:
  /// forward(x: Float32Array [m][k], m, bias?: Float32Array [n]): Promise<Float32Array [m][n]>.
  Napi::Value forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "x must be a Float32Array");
    int64_t m = positiveInt(env, info[1], "m");
    Napi::Float32Array x = info[0].As<Napi::Float32Array>();
    if (static_cast<int64_t>(x.ElementLength()) != m * linear_->k())
      throw Napi::RangeError::New(env, "x has " + std::to_string(x.ElementLength()) + " elements, expected m * k = " +
                                           std::to_string(m * linear_->k()));
    const float* bias = nullptr;
    Napi::Value biasValue = info[2];
    if (!biasValue.IsUndefined() && !biasValue.IsNull()) {
      if (!biasValue.IsTypedArray() || biasValue.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(env, "bias must be a Float32Array");
      Napi::Float32Array b = biasValue.As<Napi::Float32Array>();
      if (static_cast<int64_t>(b.ElementLength()) != linear_->n())
        throw Napi::RangeError::New(env, "bias has " + std::to_string(b.ElementLength()) + " elements, expected n = " +
                                             std::to_string(linear_->n()));
      bias = b.Data();
    }
    Napi::Float32Array y = Napi::Float32Array::New(env, m * linear_->n());
    auto lin = linear_;
    const float* xp = x.Data();
    float* yp = y.Data();
    return runAsync(
        env, [lin, xp, m, yp, bias] { lin->forward(xp, m, yp, bias); },
        [yRef = std::make_shared<Napi::Reference<Napi::Float32Array>>(Napi::Persistent(y))](Napi::Env) {
          return yRef->Value();
        },
        {x, biasValue, y});
  }

  Napi::Value row(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "row index must be a number");
    double i = info[0].As<Napi::Number>().DoubleValue();
    if (!(i >= 0) || i != std::floor(i) || i >= static_cast<double>(linear_->n()))
      throw Napi::RangeError::New(env, "row index must be an integer in [0, n)");
    Napi::Float32Array out = Napi::Float32Array::New(env, linear_->k());
    linear_->row(static_cast<int64_t>(i), out.Data());
    return out;
  }

  Napi::Value kernelName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), linear_->kernelName(positiveInt(info.Env(), info[0], "m")));
  }
  Napi::Value n(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), linear_->n()); }
  Napi::Value k(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), linear_->k()); }
  Napi::Value weightBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(linear_->weightBytes()));
  }

  std::shared_ptr<Linear> linear_;
};

/// The Linear inside a NativeLinear object (bench-binding uses it); throws a TypeError otherwise.
std::shared_ptr<const Linear> unwrapLinear(Napi::Env env, Napi::Value v) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kLinearTag))
    throw Napi::TypeError::New(env, "expected a Linear");
  return LinearWrap::Unwrap(v.As<Napi::Object>())->linear();
}

namespace {

/// quantizeQ8_0(x: Float32Array, length a multiple of 32): Uint8Array of ggml q8_0 blocks.
Napi::Value QuantizeQ8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, "x must be a Float32Array");
  Napi::Float32Array x = info[0].As<Napi::Float32Array>();
  if (x.ElementLength() % kQ8Block != 0) throw Napi::RangeError::New(env, "x length must be a multiple of 32");
  size_t blocks = x.ElementLength() / kQ8Block;
  Napi::Uint8Array out = Napi::Uint8Array::New(env, blocks * kQ8BlockBytes);
  for (size_t b = 0; b < blocks; b++) {
    uint8_t* o = out.Data() + b * kQ8BlockBytes;
    uint16_t scale;
    quantizeQ8Block(x.Data() + b * kQ8Block, &scale, reinterpret_cast<int8_t*>(o + 2));
    o[0] = static_cast<uint8_t>(scale & 0xff);
    o[1] = static_cast<uint8_t>(scale >> 8);
  }
  return out;
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeLinear", LinearWrap::define(env));
  exports.Set("quantizeQ8_0", Napi::Function::New(env, QuantizeQ8));
}

Registrar registrar(init);

}  // namespace
}  // namespace pds
