// A UCP context + worker owned by one native progress thread. Every UCP call runs on that
// thread (UCS_THREAD_MODE_SINGLE); callers post commands and get one Completion per command
// through a sink, which the JS binding turns into Promise settlements.
#pragma once
#include <ucp/api/ucp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ucx/ucx-api.h"

namespace pds {
namespace ucx {

using Clock = std::chrono::steady_clock;

struct MemRecord;
struct RkeyRecord;
struct EpRecord;
struct Op;

/// Owns a UCP context, one worker and the thread that progresses it (see UcxWorkerApi).
class UcxWorker : public UcxWorkerApi {
 public:
  /// Reads UCX's environment config, applies `config` (names without the UCX_ prefix), creates
  /// the context (RMA | TAG | WAKEUP) and worker, and starts the progress thread.
  static std::unique_ptr<UcxWorker> create(Sink sink, const Config& config);
  ~UcxWorker() override;
  UcxWorker(const UcxWorker&) = delete;
  UcxWorker& operator=(const UcxWorker&) = delete;

  // UcxWorkerApi (documented there).
  const std::vector<uint8_t>& address() const override { return address_; }
  void memMap(uint64_t op, Region region) override;
  void memUnmap(uint64_t op, uint32_t memId) override;
  void connect(uint64_t op, std::vector<uint8_t> peerAddress, double timeoutMs, bool peerErrors,
               int peerPid) override;
  void importMemory(uint64_t op, uint32_t epId, std::vector<uint8_t> descriptor) override;
  void rma(uint64_t op, bool put, uint32_t epId, uint32_t memId, uint32_t rkeyId, std::vector<Range> ranges,
           double timeoutMs) override;
  void sendTag(uint64_t op, uint32_t epId, uint64_t tag, std::vector<uint8_t> data, double timeoutMs) override;
  void recvTag(uint64_t op, uint64_t tag, uint64_t mask, size_t maxBytes, double timeoutMs) override;
  void sendTagFrom(uint64_t op, uint32_t epId, uint64_t tag, uint32_t memId, uint64_t offset, uint64_t bytes,
                   double timeoutMs) override;
  void recvTagInto(uint64_t op, uint64_t tag, uint64_t mask, uint32_t memId, uint64_t offset, uint64_t bytes,
                   double timeoutMs) override;
  void cancel(uint64_t op) override;
  void epInfo(uint64_t op, uint32_t epId) override;
  void closeEndpoint(uint64_t op, uint32_t epId, bool force) override;
  void shutdown(uint64_t op) override;
  void stop() override;

  // Called by UCX callbacks and the command helpers, all on the progress thread.
  void finishOp(Op* op);
  void deliver(Op* op, std::string code, std::string message);
  void markFailed(EpRecord* ep, ucs_status_t status);
  void closeNow(Op* op);

 private:
  explicit UcxWorker(Sink sink);
  void init(const Config& config);
  void postOp(uint64_t op, std::function<void()> fn);
  uint64_t internalOpId() { return kInternalOp | nextInternal_++; }
  void run();
  bool runCommands();
  void waitEvents(int timeoutMs);
  void watchPeer(EpRecord* ep, int pid);
  void expireDeadlines();
  int nextDeadlineMs() const;
  bool busy() const;
  void teardown();
  void fail(uint64_t op, const std::string& code, const std::string& message);
  Op* newOp(uint64_t id, int kind, double timeoutMs);
  EpRecord* liveEp(uint64_t op, uint32_t epId);
  void pumpRma(Op* op);
  void postRecv(Op* o, void* buffer, size_t bytes, uint64_t tag, uint64_t mask);
  MemRecord* regionRange(uint64_t op, uint32_t memId, uint64_t offset, uint64_t bytes);
  void pumpAllRma();
  void beginClose(EpRecord* ep, bool force, uint64_t op);
  void finishClose(EpRecord* ep, bool force, uint64_t op);
  void processFailedEps();

  Sink sink_;
  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  std::vector<uint8_t> address_;
  int ucpFd_ = -1, wakeFd_ = -1, epollFd_ = -1;
  std::thread thread_;
  std::mutex mu_;  // guards commands_, stopRequested_ and joined_
  std::vector<std::function<void()>> commands_;
  bool stopRequested_ = false, joined_ = false;
  // Progress-thread state.
  static constexpr uint64_t kInternalOp = uint64_t{1} << 63;  // ops nobody waits for
  static constexpr uint64_t kPeerEvent = uint64_t{1} << 62;   // epoll data: a peer's pidfd
  static constexpr uint64_t kUcpEvent = 0, kWakeEvent = 1;      // epoll data: the other fds
  // Tag of connect's probe (a sync send that completes only after the peer answered, so its
  // wireup reply was sent: UCX 1.13 aborts if it purges a pending wireup reply at teardown or on
  // a peer failure). Every worker keeps a receive for it posted. User tags have bit 63 clear.
  static constexpr uint64_t kProbeTag = ~uint64_t{0};
  void* probeReq_ = nullptr;
  uint8_t probeBuf_[8] = {};
  void postProbe();
  static void onProbeDone(void* req, ucs_status_t status, const ucp_tag_recv_info_t* info, void* self);
  bool stopping_ = false, tornDown_ = false;
  uint64_t nextInternal_ = 1;
  uint64_t shutdownOp_ = 0;
  uint32_t nextId_ = 1;
  std::map<uint64_t, std::unique_ptr<Op>> ops_;
  std::map<uint32_t, std::shared_ptr<MemRecord>> mems_;
  std::map<uint32_t, std::shared_ptr<EpRecord>> eps_;
  std::vector<uint32_t> failedEps_;
  std::map<uint32_t, ucs_status_t> deadEps_;  // closed after a peer failure: PEER_GONE, not CANCELED
};

}  // namespace ucx
}  // namespace pds
