// Entry point of the pdserve native addon: runs every registered binding's init.
#include <napi.h>

#include "runtime/registry.h"

namespace pds {
std::vector<InitFn>& bindingInits() {
  static std::vector<InitFn> inits;
  return inits;
}
}  // namespace pds

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (auto fn : pds::bindingInits()) fn(env, exports);
  return exports;
}

NODE_API_MODULE(pdserve_native, Init)
