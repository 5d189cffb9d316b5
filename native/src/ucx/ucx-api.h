// The boundary between the JS binding (in the addon) and the UCX core, which is a separate
// shared library (pdserve_ucx.so) loaded on first use: linking UCX into the addon would
// load it into every process, and libucs patches libc's mmap/brk family when it loads.
// Only this header is shared; the binding reaches the core through the virtual interface.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pds {
namespace ucx {

/// The outcome of one command. code is "" on success, else one of PEER_GONE, TIMEOUT,
/// RKEY_MISMATCH, CANCELED, IO (the JS UcxError codes).
struct Completion {
  uint64_t op = 0;
  std::string code;
  std::string message;
  std::vector<uint8_t> bytes;  // payload: memory descriptor, received message, endpoint info
  uint64_t value = 0;          // payload: endpoint / memory / remote-key id, or a sender tag
};
/// Receives every Completion, on the progress thread (or on the caller's thread for a
/// command refused because the worker is closed).
using Sink = std::function<void(Completion&&)>;
using Config = std::vector<std::pair<std::string, std::string>>;

/// One contiguous copy between the local registered region and a remote one.
struct Range {
  uint64_t localOffset, remoteOffset, bytes;
};

/// Memory to register: valid while `hold` lives (the binding holds the KvPool here).
struct Region {
  std::shared_ptr<void> hold;
  void* data;
  size_t bytes;
};

/// A UCP context + worker driven by its own progress thread. Methods other than address()
/// and stop() only queue work; each posts exactly one Completion for its `op` id.
/// Timeouts are in milliseconds.
class UcxWorkerApi {
 public:
  virtual ~UcxWorkerApi() = default;
  /// This worker's packed UCP address (for a peer's connect).
  virtual const std::vector<uint8_t>& address() const = 0;
  /// Registers the region (ucp_mem_map on the existing memory) -> value = memory id, bytes =
  /// descriptor (magic, base, length, packed rkey) for a peer's importMemory.
  virtual void memMap(uint64_t op, Region region) = 0;
  /// Drops the registration; the unmap itself waits for operations still using it.
  virtual void memUnmap(uint64_t op, uint32_t memId) = 0;
  /// Endpoint to a peer's worker address, wired up both ways (a probe round trip) before it
  /// completes -> value = endpoint id. peerErrors: UCP_ERR_HANDLING_MODE_PEER (UCX 1.13's
  /// shared-memory transports do not support it). peerPid > 0 (a peer on this host): the
  /// endpoint fails as soon as that process exits (pidfd), in either mode.
  virtual void connect(uint64_t op, std::vector<uint8_t> peerAddress, double timeoutMs, bool peerErrors,
                       int peerPid) = 0;
  /// Unpacks a peer's memory descriptor on an endpoint -> value = remote key id.
  virtual void importMemory(uint64_t op, uint32_t epId, std::vector<uint8_t> descriptor) = 0;
  /// RMA put (or get) of ranges between a local region and a remote one, then an endpoint
  /// flush: completes once the bytes are in place at the target (put) or here (get).
  virtual void rma(uint64_t op, bool put, uint32_t epId, uint32_t memId, uint32_t rkeyId, std::vector<Range> ranges,
                   double timeoutMs) = 0;
  /// Tagged send of a copy of `data`; completes when UCX no longer needs the buffer.
  virtual void sendTag(uint64_t op, uint32_t epId, uint64_t tag, std::vector<uint8_t> data, double timeoutMs) = 0;
  /// Tagged receive of at most maxBytes matching (tag & mask) -> bytes, value = sender tag.
  virtual void recvTag(uint64_t op, uint64_t tag, uint64_t mask, size_t maxBytes, double timeoutMs) = 0;
  /// Tagged send of `bytes` of a registered region from `offset`, without a copy (large
  /// messages go by rendezvous: the receiver pulls them, over shared memory with one cma copy).
  /// A synchronous send: completes once a receive has taken the message (so its bytes are in
  /// place at the receiver, whatever the size).
  virtual void sendTagFrom(uint64_t op, uint32_t epId, uint64_t tag, uint32_t memId, uint64_t offset, uint64_t bytes,
                           double timeoutMs) = 0;
  /// Tagged receive of exactly `bytes` into a registered region at `offset` -> value = sender
  /// tag. A message of another length fails with IO.
  virtual void recvTagInto(uint64_t op, uint64_t tag, uint64_t mask, uint32_t memId, uint64_t offset, uint64_t bytes,
                           double timeoutMs) = 0;
  /// Cancels a pending receive (CANCELED); other kinds of operation cannot be cancelled.
  virtual void cancel(uint64_t op) = 0;
  /// ucp_ep_print_info text of the endpoint (its lanes and transports) -> bytes.
  virtual void epInfo(uint64_t op, uint32_t epId) = 0;
  /// Closes an endpoint: flush then close, or at once with force. Its remote keys go too.
  virtual void closeEndpoint(uint64_t op, uint32_t epId, bool force) = 0;
  /// Closes everything (endpoints by force), destroys the worker and context, then posts
  /// `op`'s completion and ends the thread. Later commands complete with CANCELED.
  virtual void shutdown(uint64_t op) = 0;
  /// shutdown() without a completion, then joins the thread. Safe to call repeatedly and
  /// from exit paths; blocks for at most the teardown bound.
  virtual void stop() = 0;
};

/// The core's factory, exported unmangled: a new worker, or nullptr with *error set.
using CreateWorkerFn = UcxWorkerApi* (*)(Sink sink, const Config& config, std::string* error);
constexpr const char* kCreateWorkerSymbol = "pds_ucx_create_worker";
constexpr const char* kCoreLibrary = "pdserve_ucx.so";

}  // namespace ucx
}  // namespace pds
