// cpuInfo(): the detected CPU features, the kernel ISA and the thread count.
#include <napi.h>

#include "cpu-features.h"
#include "runtime/registry.h"
#include "runtime/thread-pool.h"

namespace pds {
namespace {

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuFeatures& f = cpuFeatures();
  Napi::Object features = Napi::Object::New(env);
  features.Set("avx2", f.avx2);
  features.Set("fma", f.fma);
  features.Set("f16c", f.f16c);
  features.Set("avx512f", f.avx512f);
  features.Set("avx512bw", f.avx512bw);
  features.Set("avx512vl", f.avx512vl);
  features.Set("avx512vnni", f.avx512vnni);
  features.Set("avx512bf16", f.avx512bf16);
  features.Set("amxTile", f.amxTile);
  features.Set("amxBf16", f.amxBf16);
  features.Set("amxInt8", f.amxInt8);
  features.Set("amxUsable", f.amxUsable);
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", kernelIsa());
  out.Set("threads", ThreadPool::global().size());
  out.Set("features", features);
  return out;
}

void init(Napi::Env env, Napi::Object exports) { exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo)); }

Registrar registrar(init);

}  // namespace
}  // namespace pds
