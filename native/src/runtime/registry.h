// Each bindings/*.cc file registers its exports here with a static Registrar, so adding a
// binding never touches addon.cc.
#pragma once
#include <napi.h>

#include <vector>

namespace pds {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

std::vector<InitFn>& bindingInits();

struct Registrar {
  explicit Registrar(InitFn fn) { bindingInits().push_back(fn); }
};

}  // namespace pds
