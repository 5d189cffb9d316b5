// The KV pool behind a JS NativeKvPool object, for bindings that run kernels on it.
#pragma once
#include <napi.h>

#include <memory>

#include "model/kv-pool.h"

namespace pds {

/// The pool of a NativeKvPool; throws a TypeError for other values and an Error once closed.
/// Hold the returned shared_ptr for as long as native code touches the memory.
std::shared_ptr<KvPool> unwrapKvPool(Napi::Env env, Napi::Value v);

}  // namespace pds
