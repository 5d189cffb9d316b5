// JS binding of kernels/crc32.h: crc32(bytes, seed) (sync) and crc32PoolBlocks (the crc of every
// block of a range of a KvPool, off the JS thread, the pool kept mapped meanwhile).
#include <napi.h>

#include <memory>
#include <vector>

#include "bindings/kv-pool-binding.h"
#include "bindings/napi-args.h"
#include "kernels/crc32.h"
#include "runtime/async.h"
#include "runtime/registry.h"

namespace pds {
namespace {

Napi::Value Crc32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = args::typed<uint8_t>(env, info[0], "bytes");
  uint32_t seed = info[1].IsUndefined() ? 0 : static_cast<uint32_t>(args::integer(env, info[1], "seed", 0, 0xffffffffLL));
  return Napi::Number::New(env, crc32(seed, bytes.Data(), bytes.ByteLength()));
}

/// crc32PoolBlocks(pool, offset, bytes, blockBytes): Promise<Uint32Array> with the crc of every
/// blockBytes-long block of the range, holding the pool's mapping until done (a close() meanwhile
/// cannot unmap it under the thread). One libuv thread per call, not the native thread pool: the
/// KV connector checksums each run of blocks right before it is sent and right after it lands,
/// while the data moves on the other cores, so a call must not take every core.
Napi::Value Crc32PoolBlocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<KvPool> pool = unwrapKvPool(env, info[0]);
  int64_t offset = args::integer(env, info[1], "offset", 0, int64_t{1} << 50);
  int64_t bytes = args::integer(env, info[2], "bytes", 0, int64_t{1} << 50);
  int64_t block = args::positive(env, info[3], "blockBytes");
  if (static_cast<uint64_t>(offset + bytes) > pool->bytes())
    throw Napi::RangeError::New(env, "range is outside the pool");
  if (bytes % block != 0) throw Napi::RangeError::New(env, "bytes must hold whole blocks of blockBytes");
  size_t n = static_cast<size_t>(bytes / block);
  auto out = std::make_shared<std::vector<uint32_t>>(n);
  const uint8_t* data = static_cast<const uint8_t*>(pool->data()) + offset;
  auto work = [out, data, block, n, pool] {
    for (size_t i = 0; i < n; i++) (*out)[i] = crc32(0, data + i * block, static_cast<size_t>(block));
  };
  auto done = [out](Napi::Env e) {
    auto arr = Napi::Uint32Array::New(e, out->size());
    for (size_t i = 0; i < out->size(); i++) arr[i] = (*out)[i];
    return arr.As<Napi::Value>();
  };
  return runAsync(env, work, done);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32", Napi::Function::New(env, Crc32));
  exports.Set("crc32PoolBlocks", Napi::Function::New(env, Crc32PoolBlocks));
  exports.Set("crc32Accelerated", Napi::Boolean::New(env, crc32Accelerated()));
}

Registrar registrar(init);

}  // namespace
}  // namespace pds
