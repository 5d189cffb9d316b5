#include "ucx/ucx-loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

namespace pds {
namespace ucx {

CreateWorkerFn coreFactory() {
  static std::once_flag once;
  static CreateWorkerFn factory = nullptr;
  static std::string error;
  std::call_once(once, [] {
    setenv("UCX_MEM_EVENTS", "no", 0);  // 0: an explicit setting wins
    Dl_info self{};
    if (!dladdr(reinterpret_cast<void*>(&coreFactory), &self) || !self.dli_fname) {
      error = "cannot locate the pdserve addon to find " + std::string(kCoreLibrary);
      return;
    }
    std::string path = self.dli_fname;
    path = path.substr(0, path.find_last_of('/') + 1) + kCoreLibrary;
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed
    if (!lib) {
      error = "cannot load the UCX core " + path + ": " + dlerror();
      return;
    }
    factory = reinterpret_cast<CreateWorkerFn>(dlsym(lib, kCreateWorkerSymbol));
    if (!factory) error = path + " lacks " + kCreateWorkerSymbol;
  });
  if (!factory) throw std::runtime_error(error);
  return factory;
}

}  // namespace ucx
}  // namespace pds
