// UcxWorker's setup and teardown: context and worker creation, the exit-time registry of live
// workers, the bounded teardown, and the factory the binding loads.
#include <dlfcn.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <ucs/debug/debug.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>

#include "ucx/core/ucx-records.h"
#include "ucx/core/ucx-worker.h"

namespace pds {
namespace ucx {
namespace {

constexpr auto kTeardownBound = std::chrono::seconds(2);

std::runtime_error ucsError(const char* what, ucs_status_t s) {
  return std::runtime_error(std::string("UCX ") + what + " failed: " + ucs_status_string(s));
}

/// Live workers, stopped by an atexit handler: process.exit() skips the env cleanup hooks,
/// and UCX's own library destructors must not run under a live progress thread.
struct LiveWorkers {
  std::mutex mu;
  std::set<UcxWorker*> all;
};
LiveWorkers& live() {
  static LiveWorkers* l = [] {
    auto* w = new LiveWorkers();  // never destroyed: used by the atexit handler
    std::atexit([] {
      std::lock_guard<std::mutex> lock(live().mu);
      for (UcxWorker* w : live().all) w->stop();
    });
    return w;
  }();
  return *l;
}

/// Hands SIGSEGV/SIGBUS/SIGILL/SIGFPE back to Node: libucs installs its own handlers when it
/// loads (UCX_HANDLE_ERRORS) in place of Node's (whose SIGSEGV handler serves WebAssembly).
void restoreSignalHandlers() {
  for (int sig : {SIGILL, SIGSEGV, SIGBUS, SIGFPE}) {
    struct sigaction cur{};
    Dl_info where{};
    if (sigaction(sig, nullptr, &cur) != 0) continue;
    void* fn = (cur.sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(cur.sa_sigaction)
                                           : reinterpret_cast<void*>(cur.sa_handler);
    if (fn && dladdr(fn, &where) && where.dli_fname && std::strstr(where.dli_fname, "libucs"))
      ucs_debug_disable_signal(sig);
  }
}

}  // namespace

std::unique_ptr<UcxWorker> UcxWorker::create(Sink sink, const Config& config) {
  std::unique_ptr<UcxWorker> w(new UcxWorker(std::move(sink)));
  w->init(config);
  w->thread_ = std::thread([raw = w.get()] { raw->run(); });
  std::lock_guard<std::mutex> lock(live().mu);
  live().all.insert(w.get());
  return w;
}

void UcxWorker::init(const Config& config) {
  restoreSignalHandlers();
  ucp_config_t* cfg = nullptr;
  ucs_status_t s = ucp_config_read(nullptr, nullptr, &cfg);
  if (s != UCS_OK) throw ucsError("config_read", s);
  for (auto& [k, v] : config) {
    s = ucp_config_modify(cfg, k.c_str(), v.c_str());
    if (s != UCS_OK) {
      ucp_config_release(cfg);
      throw std::runtime_error("UCX config " + k + "=" + v + ": " + ucs_status_string(s));
    }
  }
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED;
  params.features = UCP_FEATURE_RMA | UCP_FEATURE_TAG | UCP_FEATURE_WAKEUP;
  params.mt_workers_shared = 0;
  s = ucp_init(&params, cfg, &context_);
  ucp_config_release(cfg);
  if (s != UCS_OK) throw ucsError("init", s);
  ucp_worker_params_t wp{};
  wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  wp.thread_mode = UCS_THREAD_MODE_SINGLE;
  if ((s = ucp_worker_create(context_, &wp, &worker_)) != UCS_OK) {
    ucp_cleanup(context_);
    throw ucsError("worker_create", s);
  }
  ucp_address_t* addr = nullptr;
  size_t len = 0;
  s = ucp_worker_get_address(worker_, &addr, &len);
  if (s == UCS_OK) {
    address_.assign(reinterpret_cast<uint8_t*>(addr), reinterpret_cast<uint8_t*>(addr) + len);
    ucp_worker_release_address(worker_, addr);
    s = ucp_worker_get_efd(worker_, &ucpFd_);
  }
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ucpEv{}, wakeEv{};
  ucpEv.events = wakeEv.events = EPOLLIN;
  ucpEv.data.u64 = kUcpEvent;
  wakeEv.data.u64 = kWakeEvent;
  bool fdsOk = wakeFd_ >= 0 && epollFd_ >= 0 && s == UCS_OK && epoll_ctl(epollFd_, EPOLL_CTL_ADD, ucpFd_, &ucpEv) == 0 &&
               epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &wakeEv) == 0;
  if (!fdsOk) {
    if (wakeFd_ >= 0) close(wakeFd_);
    if (epollFd_ >= 0) close(epollFd_);
    ucp_worker_destroy(worker_);
    ucp_cleanup(context_);
    throw s != UCS_OK ? ucsError("worker address/event fd", s) : std::runtime_error("UCX: eventfd/epoll failed");
  }
}

UcxWorker::UcxWorker(Sink sink) : sink_(std::move(sink)) {}

UcxWorker::~UcxWorker() {
  stop();
  std::lock_guard<std::mutex> lock(live().mu);
  live().all.erase(this);
}

void UcxWorker::teardown() {
  for (auto& [id, ep] : std::map<uint32_t, std::shared_ptr<EpRecord>>(eps_))
    if (!ep->closing) beginClose(ep.get(), true, 0);
  std::vector<void*> recvs;  // cancelling completes (and erases) the op: collect first
  for (auto& [id, op] : ops_)
    if (op->kind == kRecv && op->recvReq) recvs.push_back(op->recvReq);
  for (void* r : recvs) ucp_request_cancel(worker_, r);
  if (probeReq_) ucp_request_cancel(worker_, probeReq_);
  // Wait (bounded) for what UCX can still complete; a failed peer's operations never will.
  auto waiting = [this] {
    for (auto& [id, op] : ops_)
      if (!op->ep || !op->ep->failed) return true;
    return false;
  };
  auto until = Clock::now() + kTeardownBound;
  while (waiting() && Clock::now() < until) {
    uint64_t v;
    ssize_t r = read(wakeFd_, &v, sizeof v);  // commands are refused by now: just clear it
    (void)r;
    if (ucp_worker_progress(worker_) == 0 && ucp_worker_arm(worker_) != UCS_ERR_BUSY) waitEvents(1);
  }
  // Whatever UCX still holds is abandoned: report it, keep the records alive (UCX may still
  // call back into them while the worker is destroyed) but drop keys and memory first.
  tornDown_ = true;
  for (auto& [id, op] : ops_) {
    deliver(op.get(), "CANCELED", "UCX worker closed");
    op->rkey.reset();
  }
  for (auto& [id, ep] : eps_) ep->rkeys.clear();
  mems_.clear();
  for (auto& [id, op] : ops_) op->mem.reset();
  ucp_worker_destroy(worker_);
  ops_.clear();
  eps_.clear();
  ucp_cleanup(context_);
  close(epollFd_);
  close(wakeFd_);
  uint64_t op;
  {
    std::lock_guard<std::mutex> lock(mu_);
    op = shutdownOp_;
  }
  if (op) {
    Completion c;
    c.op = op;
    sink_(std::move(c));
  }
}

}  // namespace ucx
}  // namespace pds

/// The factory the binding finds with dlsym (see ucx-api.h). The binding owns the result.
extern "C" __attribute__((visibility("default"))) pds::ucx::UcxWorkerApi* pds_ucx_create_worker(
    pds::ucx::Sink sink, const pds::ucx::Config& config, std::string* error) {
  try {
    return pds::ucx::UcxWorker::create(std::move(sink), config).release();
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}
