// UcxWorker's progress loop: the command queue, event waits on the worker's fd (and peers'
// pidfds), the connect probe, deadlines, and how operations finish.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include "ucx/core/ucx-records.h"
#include "ucx/core/ucx-worker.h"

namespace pds {
namespace ucx {
namespace {

constexpr auto kIdleSpin = std::chrono::microseconds(200);  // poll a little before sleeping
constexpr auto kBusySpin = std::chrono::milliseconds(2);    // while transfers are in flight

}  // namespace

void UcxWorker::postOp(uint64_t op, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopRequested_) {
      commands_.push_back(std::move(fn));
      fn = nullptr;
    }
  }
  if (fn) {
    if (op) fail(op, "CANCELED", "UCX worker is closed");
    return;
  }
  uint64_t one = 1;
  ssize_t n = write(wakeFd_, &one, sizeof one);
  (void)n;
}

void UcxWorker::shutdown(uint64_t op) {
  std::lock_guard<std::mutex> lock(mu_);
  if (op) shutdownOp_ = op;
  stopRequested_ = true;
  uint64_t one = 1;
  ssize_t n = write(wakeFd_, &one, sizeof one);
  (void)n;
}

void UcxWorker::stop() {
  std::unique_lock<std::mutex> lock(mu_);
  if (joined_) return;
  joined_ = true;
  lock.unlock();
  shutdown(0);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool UcxWorker::runCommands() {
  // Clear the wake-up first, then drain: a command posted after the drain leaves the fd set.
  uint64_t v;
  ssize_t r = read(wakeFd_, &v, sizeof v);
  (void)r;
  std::vector<std::function<void()>> cmds;
  bool stop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cmds.swap(commands_);
    stop = stopRequested_;
  }
  for (auto& c : cmds) c();
  if (stop) stopping_ = true;
  return !cmds.empty();
}

void UcxWorker::run() {
  auto lastActivity = Clock::now(), lastFdCheck = lastActivity;
  while (true) {
    bool active = runCommands();
    if (stopping_) break;
    if (!probeReq_) postProbe();
    pumpAllRma();
    while (ucp_worker_progress(worker_) != 0) active = true;
    auto now = Clock::now();
    if (now - lastFdCheck > std::chrono::milliseconds(1)) {
      waitEvents(0);  // peer exits are seen while spinning too
      lastFdCheck = now;
    }
    processFailedEps();
    expireDeadlines();
    if (active) lastActivity = now;
    if (now - lastActivity < (busy() ? std::chrono::duration_cast<Clock::duration>(kBusySpin) : kIdleSpin)) continue;
    if (ucp_worker_arm(worker_) == UCS_ERR_BUSY) continue;
    waitEvents(busy() ? 1 : nextDeadlineMs());
  }
  teardown();
}

void UcxWorker::waitEvents(int timeoutMs) {
  epoll_event evs[8];
  int n = epoll_wait(epollFd_, evs, 8, timeoutMs);
  for (int i = 0; i < n; i++) {
    uint64_t d = evs[i].data.u64;
    if (d & kPeerEvent) {  // (the wake-up fd is cleared by runCommands, right before it drains)
      auto it = eps_.find(static_cast<uint32_t>(d & 0xffffffffu));
      if (it != eps_.end()) {
        epoll_ctl(epollFd_, EPOLL_CTL_DEL, it->second->pidFd, nullptr);
        markFailed(it->second.get(), UCS_ERR_CONNECTION_RESET);  // the peer process exited
      }
    }
  }
}

void UcxWorker::postProbe() {
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
  p.cb.recv = onProbeDone;
  p.user_data = this;
  ucs_status_ptr_t r = ucp_tag_recv_nbx(worker_, probeBuf_, sizeof probeBuf_, kProbeTag, ~uint64_t{0}, &p);
  if (r != nullptr && !UCS_PTR_IS_ERR(r)) probeReq_ = r;  // else: matched at once (or failed), next turn reposts
}

void UcxWorker::onProbeDone(void* req, ucs_status_t, const ucp_tag_recv_info_t*, void* self) {
  static_cast<UcxWorker*>(self)->probeReq_ = nullptr;
  ucp_request_free(req);
}

bool UcxWorker::busy() const {
  // Transfers in flight, receives into registered memory included: a rendezvous may leave work
  // in UCX's pending queues that no event announces, so the loop polls them every millisecond.
  // Plain receives (control messages) do not count: an idle worker sleeps.
  for (auto& [id, op] : ops_)
    if ((op->kind != kRecv || op->mem) && !op->delivered) return true;
  return false;
}

int UcxWorker::nextDeadlineMs() const {
  auto now = Clock::now();
  auto best = std::chrono::milliseconds(1000);
  for (auto& [id, op] : ops_) {
    if (!op->hasDeadline || op->delivered || op->cancelRequested) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(op->deadline - now) + std::chrono::milliseconds(1);
    best = std::min(best, std::max(left, std::chrono::milliseconds(0)));
  }
  return static_cast<int>(best.count());
}

void UcxWorker::expireDeadlines() {
  auto now = Clock::now();
  std::vector<Op*> due;
  for (auto& [id, op] : ops_)
    if (op->hasDeadline && !op->delivered && !op->cancelRequested && now >= op->deadline) due.push_back(op.get());
  for (Op* op : due) {
    op->timedOut = true;
    if (op->kind == kRecv && op->mem && op->recvReq) {
      op->cancelRequested = true;  // reported once UCX finishes it (see Op::cancelRequested)
      op->noteError(UCS_ERR_CANCELED);
    } else {
      deliver(op, "TIMEOUT", "UCX operation timed out");
    }
    if (op->kind == kRecv && op->recvReq) ucp_request_cancel(worker_, op->recvReq);  // may finish op
  }
}

Op* UcxWorker::newOp(uint64_t id, int kind, double timeoutMs) {
  auto op = std::make_unique<Op>();
  op->worker = this;
  op->id = id;
  op->kind = static_cast<OpKind>(kind);
  op->result.op = id;
  if (timeoutMs > 0) {
    op->hasDeadline = true;
    op->deadline = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeoutMs * 1000));
  }
  Op* raw = op.get();
  ops_[id] = std::move(op);
  return raw;
}

void UcxWorker::fail(uint64_t op, const std::string& code, const std::string& message) {
  Completion c;
  c.op = op;
  c.code = code;
  c.message = message;
  sink_(std::move(c));
}

void UcxWorker::deliver(Op* op, std::string code, std::string message) {
  if (op->delivered) return;
  op->delivered = true;
  if (op->id & kInternalOp) return;
  if (code.empty()) {
    sink_(std::move(op->result));
  } else {
    fail(op->id, code, message);
  }
}

void UcxWorker::finishOp(Op* op) {
  if (op->outstanding > 0 || !op->issuedAll || tornDown_) return;
  if (op->kind == kClose) {
    op->error = UCS_OK;  // a failed peer's endpoint still ends up closed
    if (op->ep->failed) deadEps_[op->ep->id] = op->ep->failStatus;
    eps_.erase(op->ep->id);
  }
  if (op->kind == kConnect && (op->error != UCS_OK || op->timedOut) && !op->ep->closing)
    beginClose(op->ep.get(), true, 0);
  if (op->kind == kRecv && op->error == UCS_OK) op->result.bytes = std::move(op->buf);
  if (op->error != UCS_OK)
    deliver(op, codeFor(*op, op->error, stopping_), std::string("UCX: ") + ucs_status_string(op->error));
  else
    deliver(op, "", "");
  ops_.erase(op->id);
}

}  // namespace ucx
}  // namespace pds
