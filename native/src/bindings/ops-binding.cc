// JS binding of ops.h: exports.ops = { isa, rmsnorm, rope, swiglu, softmax, argmax, writeKv,
// pagedAttention }. Every kernel runs off the JS thread and returns a Promise; outputs are new
// typed arrays (rope copies x first), except writeKv, which writes into the pool. Arguments are
// checked here, on the JS thread, so bad sizes become TypeError / RangeError.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>

#include "bindings/kv-pool-binding.h"
#include "bindings/napi-args.h"
#include "kernels/ops-kernels.h"
#include "kernels/ops.h"
#include "model/batch-check.h"
#include "runtime/async.h"
#include "runtime/registry.h"

namespace pds {
namespace {

using args::integer;
using args::positive;
using args::typed;

/// Runs work off the JS thread and resolves with `out`; `keep` stay alive until then.
Napi::Promise resolveWith(Napi::Env env, AsyncTask::Work work, Napi::Object out,
                          std::initializer_list<Napi::Value> keep) {
  auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out));
  auto task = new AsyncTask(env, std::move(work), [ref](Napi::Env) { return ref->Value(); });
  for (auto& v : keep)
    if (v.IsObject()) task->keep(v);
  auto p = task->promise();
  task->Queue();
  return p;
}

Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), opsKernels().isa); }

/// rmsnorm(x, weight, rows, dim, eps): Promise<Float32Array [rows][dim]>.
Napi::Value Rmsnorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t rows = positive(env, info[2], "rows"), dim = positive(env, info[3], "dim");
  auto x = typed<float>(env, info[0], "x", rows * dim);
  auto w = typed<float>(env, info[1], "weight", dim);
  float eps = static_cast<float>(args::number(env, info[4], "eps"));
  auto out = Napi::Float32Array::New(env, rows * dim);
  const float *xp = x.Data(), *wp = w.Data();
  float* op = out.Data();
  return resolveWith(env, [=] { rmsnorm(xp, wp, rows, dim, eps, op); }, out, {x, w});
}

/// rope(x, positions, heads, headDim, rotDim, theta, style 0|1, invFreq?): Promise<Float32Array>.
Napi::Value Rope(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t heads = positive(env, info[2], "heads"), headDim = positive(env, info[3], "headDim");
  auto pos = typed<int32_t>(env, info[1], "positions");
  int64_t tokens = pos.ElementLength();
  auto x = typed<float>(env, info[0], "x", tokens * heads * headDim);
  int64_t rotDim = integer(env, info[4], "rotDim", 2, headDim);
  if (rotDim % 2) throw Napi::RangeError::New(env, "rotDim must be even");
  float theta = static_cast<float>(args::number(env, info[5], "theta"));
  auto style = static_cast<RopeStyle>(integer(env, info[6], "style", 0, 1));
  const float* inv = nullptr;
  if (!info[7].IsUndefined()) inv = typed<float>(env, info[7], "invFreq", rotDim / 2).Data();
  auto out = Napi::Float32Array::New(env, x.ElementLength());
  const float* xp = x.Data();
  const int32_t* pp = pos.Data();
  float* op = out.Data();
  size_t bytes = x.ByteLength();
  return resolveWith(
      env,
      [=] {
        std::memcpy(op, xp, bytes);
        rope(op, pp, tokens, heads, headDim, rotDim, theta, style, inv);
      },
      out, {x, pos, info[7]});
}

/// swiglu(gate, up): Promise<Float32Array>.
Napi::Value Swiglu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto g = typed<float>(env, info[0], "gate");
  auto u = typed<float>(env, info[1], "up", g.ElementLength());
  int64_t n = g.ElementLength();
  auto out = Napi::Float32Array::New(env, n);
  const float *gp = g.Data(), *up = u.Data();
  float* op = out.Data();
  return resolveWith(env, [=] { swiglu(gp, up, n, op); }, out, {g, u});
}

/// softmax(x, rows, cols): Promise<Float32Array> (argmax: Promise<Int32Array [rows]>).
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t rows = positive(env, info[1], "rows"), cols = positive(env, info[2], "cols");
  auto x = typed<float>(env, info[0], "x", rows * cols);
  auto out = Napi::Float32Array::New(env, rows * cols);
  const float* xp = x.Data();
  float* op = out.Data();
  size_t bytes = x.ByteLength();
  return resolveWith(
      env,
      [=] {
        std::memcpy(op, xp, bytes);
        softmax(op, rows, cols);
      },
      out, {x});
}

Napi::Value Argmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t rows = positive(env, info[1], "rows"), cols = positive(env, info[2], "cols");
  auto x = typed<float>(env, info[0], "x", rows * cols);
  auto out = Napi::Int32Array::New(env, rows);
  const float* xp = x.Data();
  int32_t* op = out.Data();
  return resolveWith(env, [=] { argmax(xp, rows, cols, op); }, out, {x});
}

/// writeKv(pool, layer, k, v, slotMapping): Promise<undefined>; k, v are [tokens][kvHeads][headDim].
Napi::Value WriteKv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto pool = unwrapKvPool(env, info[0]);
  const KvLayout& l = pool->layout();
  int64_t layer = integer(env, info[1], "layer", 0, l.layers - 1);
  auto slots = typed<int32_t>(env, info[4], "slotMapping");
  int64_t tokens = slots.ElementLength();
  auto k = typed<float>(env, info[2], "k", tokens * l.tokenStride());
  auto v = typed<float>(env, info[3], "v", tokens * l.tokenStride());
  const int64_t nSlots = l.numBlocks * l.blockSize;
  const float *kp = k.Data(), *vp = v.Data();
  const int32_t* sp = slots.Data();
  for (int64_t t = 0; t < tokens; t++)
    if (sp[t] < -1 || sp[t] >= nSlots)
      throw Napi::RangeError::New(env, "slotMapping[" + std::to_string(t) + "] = " + std::to_string(sp[t]) +
                                           " outside [-1, " + std::to_string(nSlots) + ")");
  return runAsync(
      env, [=] { writeKv(pool->data(), pool->layout(), layer, kp, vp, sp, tokens); }, nullptr, {k, v, slots});
}

/// pagedAttention(q, pool, layer, queryStart, queryLen, contextLen, blockTables,
/// maxBlocksPerSeq, heads, scale): Promise<Float32Array [tokens][heads][headDim]>.
Napi::Value PagedAttention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto pool = unwrapKvPool(env, info[1]);
  const KvLayout& l = pool->layout();
  int64_t layer = integer(env, info[2], "layer", 0, l.layers - 1);
  int64_t heads = positive(env, info[8], "heads");
  if (heads % l.kvHeads) throw Napi::RangeError::New(env, "heads must be a multiple of the pool's kvHeads");
  auto q = typed<float>(env, info[0], "q");
  if (q.ElementLength() % (heads * l.headDim))
    throw Napi::RangeError::New(env, "q length must be a multiple of heads * headDim");
  int64_t tokens = q.ElementLength() / (heads * l.headDim);
  auto qs = typed<int32_t>(env, info[3], "queryStart");
  int64_t seqs = qs.ElementLength(), maxBlocks = positive(env, info[7], "maxBlocksPerSeq");
  auto ql = typed<int32_t>(env, info[4], "queryLen", seqs);
  auto cl = typed<int32_t>(env, info[5], "contextLen", seqs);
  auto bt = typed<int32_t>(env, info[6], "blockTables", seqs * maxBlocks);
  float scale = static_cast<float>(args::number(env, info[9], "scale"));
  AttentionBatch b{seqs, qs.Data(), ql.Data(), cl.Data(), bt.Data(), maxBlocks};
  try {
    checkAttentionBatch(l, b, tokens);
  } catch (const std::exception& e) {
    throw Napi::RangeError::New(env, e.what());
  }
  auto out = Napi::Float32Array::New(env, q.ElementLength());
  const float* qp = q.Data();
  float* op = out.Data();
  return resolveWith(
      env, [=] { pagedAttention(qp, pool->data(), pool->layout(), layer, b, heads, scale, op); }, out,
      {q, qs, ql, cl, bt});
}

void init(Napi::Env env, Napi::Object exports) {
  Napi::Object ops = Napi::Object::New(env);
  ops.Set("isa", Napi::Function::New(env, Isa));
  ops.Set("rmsnorm", Napi::Function::New(env, Rmsnorm));
  ops.Set("rope", Napi::Function::New(env, Rope));
  ops.Set("swiglu", Napi::Function::New(env, Swiglu));
  ops.Set("softmax", Napi::Function::New(env, Softmax));
  ops.Set("argmax", Napi::Function::New(env, Argmax));
  ops.Set("writeKv", Napi::Function::New(env, WriteKv));
  ops.Set("pagedAttention", Napi::Function::New(env, PagedAttention));
  exports.Set("ops", ops);
}

Registrar registrar(init);

}  // namespace
}  // namespace pds

