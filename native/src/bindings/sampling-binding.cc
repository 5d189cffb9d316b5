// JS binding of sampling.h: exports.sampling = { isa, sample }. sample(batch) checks every array
// and per-item parameter here, on the JS thread (TypeError for a wrong kind, RangeError for a wrong
// size or value), then samples on the thread pool and resolves with
// { tokenIds: Int32Array, logZ: Float64Array, ranks: Int32Array, topIds: Int32Array, maxLogprobs }.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "bindings/napi-args.h"
#include "kernels/sampling.h"
#include "runtime/async.h"
#include "runtime/registry.h"

namespace pds {
namespace {

using args::positive;
using args::typed;

/// A Float64Array of `length` elements (napi-args covers f32, i32 and u8 only).
Napi::Float64Array float64s(Napi::Env env, Napi::Value v, const std::string& what, int64_t length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, what + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  if (static_cast<int64_t>(a.ElementLength()) != length)
    throw Napi::RangeError::New(env, what + " has " + std::to_string(a.ElementLength()) + " elements, expected " +
                                         std::to_string(length));
  return a;
}

void rangeCheck(Napi::Env env, bool ok, const std::string& what, int64_t i, double value) {
  if (!ok)
    throw Napi::RangeError::New(env, what + "[" + std::to_string(i) + "] = " + std::to_string(value) +
                                         " is out of range");
}

/// Per-item checks: row indices in range, parameters within their domains.
int64_t checkItems(Napi::Env env, const SamplingBatch& b, int64_t logitRows, int64_t processedRows) {
  int64_t maxLogprobs = 0;
  for (int64_t i = 0; i < b.numItems; i++) {
    rangeCheck(env, b.rows[i] >= 0 && b.rows[i] < logitRows, "rows", i, b.rows[i]);
    rangeCheck(env, b.processedRows[i] >= -1 && b.processedRows[i] < processedRows, "processedRows", i,
               b.processedRows[i]);
    rangeCheck(env, std::isfinite(b.temperature[i]) && b.temperature[i] >= 0, "temperature", i, b.temperature[i]);
    rangeCheck(env, b.topP[i] > 0 && b.topP[i] <= 1, "topP", i, b.topP[i]);
    rangeCheck(env, b.minP[i] >= 0 && b.minP[i] <= 1, "minP", i, b.minP[i]);
    rangeCheck(env, b.uniforms[i] >= 0 && b.uniforms[i] < 1, "uniforms", i, b.uniforms[i]);
    rangeCheck(env, b.numLogprobs[i] >= -1 && b.numLogprobs[i] <= b.vocabSize, "numLogprobs", i, b.numLogprobs[i]);
    maxLogprobs = std::max<int64_t>(maxLogprobs, b.numLogprobs[i]);
  }
  return maxLogprobs;
}

/// sample({ logits, processed, vocabSize, rows, processedRows, temperature, topK, topP, minP,
/// uniforms, numLogprobs }): Promise<result>; see sampling.h for the meaning of each field.
Napi::Value Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "sample expects a batch object");
  Napi::Object o = info[0].As<Napi::Object>();
  SamplingBatch b{};
  b.vocabSize = positive(env, o.Get("vocabSize"), "vocabSize");
  auto logits = typed<float>(env, o.Get("logits"), "logits");
  auto processed = typed<float>(env, o.Get("processed"), "processed");
  if (logits.ElementLength() % b.vocabSize || processed.ElementLength() % b.vocabSize)
    throw Napi::RangeError::New(env, "logits and processed must hold whole rows of vocabSize");
  auto rows = typed<int32_t>(env, o.Get("rows"), "rows");
  b.numItems = rows.ElementLength();
  const int64_t n = b.numItems;
  auto procRows = typed<int32_t>(env, o.Get("processedRows"), "processedRows", n);
  auto temperature = float64s(env, o.Get("temperature"), "temperature", n);
  auto topK = typed<int32_t>(env, o.Get("topK"), "topK", n);
  auto topP = float64s(env, o.Get("topP"), "topP", n);
  auto minP = float64s(env, o.Get("minP"), "minP", n);
  auto uniforms = float64s(env, o.Get("uniforms"), "uniforms", n);
  auto numLogprobs = typed<int32_t>(env, o.Get("numLogprobs"), "numLogprobs", n);
  b.logits = logits.Data();
  b.processed = processed.Data();
  b.rows = rows.Data();
  b.processedRows = procRows.Data();
  b.temperature = temperature.Data();
  b.topK = topK.Data();
  b.topP = topP.Data();
  b.minP = minP.Data();
  b.uniforms = uniforms.Data();
  b.numLogprobs = numLogprobs.Data();
  b.maxLogprobs = checkItems(env, b, logits.ElementLength() / b.vocabSize, processed.ElementLength() / b.vocabSize);

  auto tokenIds = Napi::Int32Array::New(env, n);
  auto logZ = Napi::Float64Array::New(env, n);
  auto ranks = Napi::Int32Array::New(env, n);
  auto topIds = Napi::Int32Array::New(env, n * b.maxLogprobs);
  Napi::Object result = Napi::Object::New(env);
  result.Set("tokenIds", tokenIds);
  result.Set("logZ", logZ);
  result.Set("ranks", ranks);
  result.Set("topIds", topIds);
  result.Set("maxLogprobs", Napi::Number::New(env, static_cast<double>(b.maxLogprobs)));
  SamplingResult out{tokenIds.Data(), logZ.Data(), ranks.Data(), topIds.Data()};
  auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(result));
  return runAsync(
      env, [b, out] { sampleBatch(b, out); }, [ref](Napi::Env) { return ref->Value(); },
      {logits, processed, rows, procRows, temperature, topK, topP, minP, uniforms, numLogprobs});
}

Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), samplingIsa()); }

void init(Napi::Env env, Napi::Object exports) {
  Napi::Object sampling = Napi::Object::New(env);
  sampling.Set("isa", Napi::Function::New(env, Isa));
  sampling.Set("sample", Napi::Function::New(env, Sample));
  exports.Set("sampling", sampling);
}

Registrar registrar(init);

}  // namespace
}  // namespace pds
