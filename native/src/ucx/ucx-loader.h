// Loads the UCX core (pdserve_ucx.so, built next to the addon) on first use.
#pragma once
#include "ucx/ucx-api.h"

namespace pds {
namespace ucx {

/// The core's worker factory. The first call sets UCX_MEM_EVENTS=no unless the environment
/// says otherwise (libucs otherwise patches libc's mmap/munmap/brk/madvise in place as it
/// loads, racing the other threads of a running Node process) and dlopens the core.
/// Throws std::runtime_error (with dlerror's text) if the core cannot be loaded.
CreateWorkerFn coreFactory();

}  // namespace ucx
}  // namespace pds
