// JS binding of pds::Transformer: class NativeTransformer(config, tensors: Map, store) with
// forward(batch, pool): Promise<Float32Array> and weightBytesPerToken.
#include <napi.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/kv-pool-binding.h"
#include "bindings/napi-args.h"
#include "model/batch-check.h"
#include "model/transformer.h"
#include "runtime/async.h"
#include "runtime/registry.h"

namespace pds {
namespace {

using args::positive;
using args::typed;

ModelConfig parseConfig(Napi::Env env, Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "config must be an object");
  Napi::Object o = v.As<Napi::Object>();
  ModelConfig c;
  c.dim = positive(env, o.Get("dim"), "config.dim");
  c.hiddenDim = positive(env, o.Get("hiddenDim"), "config.hiddenDim");
  c.layers = positive(env, o.Get("nLayers"), "config.nLayers");
  c.heads = positive(env, o.Get("nHeads"), "config.nHeads");
  c.kvHeads = positive(env, o.Get("nKvHeads"), "config.nKvHeads");
  c.headDim = positive(env, o.Get("headDim"), "config.headDim");
  c.vocab = args::integer(env, o.Get("vocabSize"), "config.vocabSize", 1, INT32_MAX);
  c.maxSeqLen = args::integer(env, o.Get("maxSeqLen"), "config.maxSeqLen", 1, INT32_MAX);
  c.normEps = static_cast<float>(args::number(env, o.Get("normEps"), "config.normEps"));
  c.ropeTheta = static_cast<float>(args::number(env, o.Get("ropeTheta"), "config.ropeTheta"));
  std::string style = o.Get("ropeStyle").ToString().Utf8Value();
  if (style != "interleaved" && style != "neox")
    throw Napi::TypeError::New(env, "config.ropeStyle must be 'interleaved' or 'neox'");
  c.ropeStyle = style == "neox" ? RopeStyle::Neox : RopeStyle::Interleaved;
  if (!o.Get("rotDim").IsUndefined()) c.rotDim = positive(env, o.Get("rotDim"), "config.rotDim");
  if (!o.Get("invFreq").IsUndefined()) {
    auto f = typed<float>(env, o.Get("invFreq"), "config.invFreq");
    c.invFreq.assign(f.Data(), f.Data() + f.ElementLength());
  }
  c.tiedEmbeddings = o.Get("tiedEmbeddings").ToBoolean();
  c.qkvBias = o.Get("qkvBias").ToBoolean();
  return c;
}

DType tensorDtype(const std::string& s, const std::string& name) {
  if (s == "f32") return DType::F32;
  if (s == "f16") return DType::F16;
  if (s == "bf16") return DType::BF16;
  if (s == "q8_0") return DType::Q8_0;
  throw std::invalid_argument(name + ": dtype '" + s + "' is not f32, f16, bf16 or q8_0");
}

/// {dtype, shape, data} from the Map, its byte length checked against dtype and shape.
TensorRef tensorRef(Napi::Env env, Napi::Value entry, const std::string& name) {
  if (!entry.IsObject()) throw std::invalid_argument(name + ": missing");
  Napi::Object t = entry.As<Napi::Object>();
  TensorRef ref{tensorDtype(t.Get("dtype").ToString().Utf8Value(), name), {}, nullptr};
  Napi::Value shape = t.Get("shape"), data = t.Get("data");
  if (!shape.IsArray()) throw std::invalid_argument(name + ": shape must be an array");
  long double count = 1;
  for (uint32_t i = 0; i < shape.As<Napi::Array>().Length(); i++) {
    ref.shape.push_back(positive(env, shape.As<Napi::Array>().Get(i), name + ".shape[" + std::to_string(i) + "]"));
    count *= ref.shape.back();
  }
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw std::invalid_argument(name + ": data must be a Uint8Array");
  auto bytes = data.As<Napi::Uint8Array>();
  bool q8 = ref.dtype == DType::Q8_0;
  if (q8 && (ref.shape.empty() || ref.shape.back() % kQ8Block))
    throw std::invalid_argument(name + ": q8_0 needs the last dimension to be a multiple of 32");
  long double want = q8 ? count / kQ8Block * kQ8BlockBytes : count * (ref.dtype == DType::F32 ? 4 : 2);
  if (static_cast<long double>(bytes.ByteLength()) != want)
    throw std::invalid_argument(name + ": data has " + std::to_string(bytes.ByteLength()) + " bytes, shape and dtype need " +
                                std::to_string(static_cast<double>(want)));
  ref.data = bytes.Data();
  return ref;
}

/// A copy of the batch's index arrays, so JS cannot change them between the checks and the kernels.
struct OwnedBatch {
  std::vector<int32_t> tokenIds, positions, slots, queryStart, queryLen, contextLen, blockTables, logitsRows;
  int64_t maxBlocks = 0;

  ForwardBatch view() const {
    ForwardBatch b;
    b.tokens = static_cast<int64_t>(tokenIds.size());
    b.tokenIds = tokenIds.data();
    b.positions = positions.data();
    b.slotMapping = slots.data();
    b.attn = {static_cast<int64_t>(queryStart.size()), queryStart.data(), queryLen.data(), contextLen.data(),
              blockTables.data(), maxBlocks};
    b.numLogits = static_cast<int64_t>(logitsRows.size());
    b.logitsRows = logitsRows.data();
    return b;
  }
};

std::vector<int32_t> copyOf(Napi::TypedArrayOf<int32_t> a) { return {a.Data(), a.Data() + a.ElementLength()}; }

std::shared_ptr<OwnedBatch> parseBatch(Napi::Env env, Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "batch must be an object");
  Napi::Object o = v.As<Napi::Object>();
  auto b = std::make_shared<OwnedBatch>();
  b->tokenIds = copyOf(typed<int32_t>(env, o.Get("tokenIds"), "batch.tokenIds"));
  int64_t tokens = static_cast<int64_t>(b->tokenIds.size());
  if (tokens == 0) throw Napi::RangeError::New(env, "batch.tokenIds is empty");
  b->positions = copyOf(typed<int32_t>(env, o.Get("positions"), "batch.positions", tokens));
  b->slots = copyOf(typed<int32_t>(env, o.Get("slotMapping"), "batch.slotMapping", tokens));
  b->queryStart = copyOf(typed<int32_t>(env, o.Get("queryStart"), "batch.queryStart"));
  int64_t seqs = static_cast<int64_t>(b->queryStart.size());
  b->queryLen = copyOf(typed<int32_t>(env, o.Get("queryLen"), "batch.queryLen", seqs));
  b->contextLen = copyOf(typed<int32_t>(env, o.Get("contextLen"), "batch.contextLen", seqs));
  b->maxBlocks = positive(env, o.Get("maxBlocksPerSeq"), "batch.maxBlocksPerSeq");
  b->blockTables = copyOf(typed<int32_t>(env, o.Get("blockTables"), "batch.blockTables", seqs * b->maxBlocks));
  b->logitsRows = copyOf(typed<int32_t>(env, o.Get("logitsRows"), "batch.logitsRows"));
  return b;
}

class TransformerWrap : public Napi::ObjectWrap<TransformerWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeTransformer",
                       {InstanceMethod("forward", &TransformerWrap::forward),
                        InstanceAccessor("weightBytesPerToken", &TransformerWrap::weightBytesPerToken, nullptr)});
  }

  /// new NativeTransformer(config, tensors: Map<string, {dtype, shape, data}>, store).
  explicit TransformerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TransformerWrap>(info) {
    Napi::Env env = info.Env();
    ModelConfig config = parseConfig(env, info[0]);
    if (!info[1].IsObject() || !info[1].As<Napi::Object>().Get("get").IsFunction())
      throw Napi::TypeError::New(env, "tensors must be a Map");
    Napi::Object map = info[1].As<Napi::Object>();
    Napi::Function get = map.Get("get").As<Napi::Function>();
    std::string s = info[2].ToString().Utf8Value();
    if (s != "f32" && s != "bf16" && s != "q8_0") throw Napi::TypeError::New(env, "store must be 'f32', 'bf16' or 'q8_0'");
    DType store = s == "f32" ? DType::F32 : s == "bf16" ? DType::BF16 : DType::Q8_0;
    TensorLookup lookup = [&](const std::string& name) {
      return tensorRef(env, get.Call(map, {Napi::String::New(env, name)}), name);
    };
    try {
      model_ = std::make_shared<Transformer>(config, lookup, store);
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, e.what());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  /// forward(batch, pool: NativeKvPool): Promise<Float32Array [logitsRows.length][vocab]>.
  Napi::Value forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto batch = parseBatch(env, info[0]);
    auto pool = unwrapKvPool(env, info[1]);
    try {
      checkKvLayoutFor(model_->config(), pool->layout());
      checkForwardBatch(model_->config(), pool->layout(), batch->view());
    } catch (const std::exception& e) {
      throw Napi::RangeError::New(env, e.what());
    }
    auto out = Napi::Float32Array::New(env, batch->logitsRows.size() * model_->config().vocab);
    auto ref = std::make_shared<Napi::Reference<Napi::Float32Array>>(Napi::Persistent(out));
    float* logits = out.Data();
    auto model = model_;
    return runAsync(
        env, [model, batch, pool, logits] { model->forward(batch->view(), pool->data(), pool->layout(), logits); },
        [ref](Napi::Env) { return ref->Value(); });
  }

  Napi::Value weightBytesPerToken(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(model_->weightBytesPerToken()));
  }

  std::shared_ptr<Transformer> model_;
};

void init(Napi::Env env, Napi::Object exports) { exports.Set("NativeTransformer", TransformerWrap::define(env)); }

Registrar registrar(init);

}  // namespace
}  // namespace pds
