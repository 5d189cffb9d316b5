// Progress-thread records behind UcxWorker's ids: registered memory, unpacked remote keys,
// endpoints and in-flight operations. Only the progress thread touches them.
#pragma once
#include <ucp/api/ucp.h>

#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ucx/core/ucx-worker.h"

namespace pds {
namespace ucx {

/// A registration of a region (a KvPool's mapping). Holds the region, so the memory stays
/// mapped while any operation uses it; unregistered when the last holder goes.
struct MemRecord {
  ucp_context_h context;
  ucp_mem_h memh;
  Region region;
  ~MemRecord() { ucp_mem_unmap(context, memh); }
  uint8_t* base() const { return static_cast<uint8_t*>(region.data); }
  uint64_t bytes() const { return region.bytes; }
};

/// A peer's region unpacked on one endpoint: [base, base + bytes) in the peer's address space.
struct RkeyRecord {
  ucp_rkey_h rkey;
  uint64_t base, bytes;
  ~RkeyRecord() { ucp_rkey_destroy(rkey); }
};

struct EpRecord {
  UcxWorker* worker;
  uint32_t id;
  ucp_ep_h ep = nullptr;
  bool failed = false;   // the error handler ran: every operation fails with PEER_GONE
  bool closing = false;  // close started: new operations are refused
  ucs_status_t failStatus = UCS_OK;
  int pidFd = -1;  // the peer process on this host, watched in the worker's epoll set
  uint32_t nextRkey = 1;
  std::map<uint32_t, std::shared_ptr<RkeyRecord>> rkeys;
  ~EpRecord() {
    if (pidFd >= 0) close(pidFd);  // also leaves the epoll set
  }
};

enum OpKind { kConnect, kRma, kSend, kRecv, kClose };

/// One command in flight. Finished (and erased) when every UCX request it issued is done;
/// its Completion may be delivered earlier (timeout).
struct Op {
  UcxWorker* worker;
  uint64_t id;
  OpKind kind;
  bool hasDeadline = false;
  Clock::time_point deadline;
  bool delivered = false, timedOut = false;
  // A receive into registered memory that was cancelled or timed out: ucp_request_cancel was
  // called, and its Completion waits for UCX to finish the request (a matched rendezvous goes on
  // writing the region until it completes, so reporting earlier would let JS free the blocks).
  bool cancelRequested = false;
  bool issuedAll = false;  // no more requests will be issued
  int outstanding = 0;     // UCX requests not yet completed
  ucs_status_t error = UCS_OK;
  void* recvReq = nullptr;
  Completion result;  // payload sent on success
  std::shared_ptr<EpRecord> ep;
  std::shared_ptr<MemRecord> mem;
  std::shared_ptr<RkeyRecord> rkey;
  std::vector<uint8_t> buf;  // send copy / receive buffer
  uint64_t recvExpect = 0;   // a receive into registered memory: the exact length wanted
  // RMA: ranges still to issue, cut into pieces so one command never blocks the loop long.
  bool put = true;
  std::vector<Range> ranges;
  size_t nextRange = 0;
  uint64_t rangeDone = 0;
  bool forceClose = false;

  void noteError(ucs_status_t s) {
    if (error == UCS_OK) error = s;
  }
};

/// Error code for a failed operation (see Completion::code).
inline std::string codeFor(const Op& op, ucs_status_t s, bool stopping) {
  if (op.timedOut) return "TIMEOUT";
  if (op.ep && op.ep->failed) return "PEER_GONE";
  if (stopping) return "CANCELED";
  switch (s) {
    case UCS_ERR_CANCELED:
      return "CANCELED";
    case UCS_ERR_CONNECTION_RESET:
    case UCS_ERR_ENDPOINT_TIMEOUT:
    case UCS_ERR_UNREACHABLE:
    case UCS_ERR_REJECTED:
    case UCS_ERR_NOT_CONNECTED:
    case UCS_ERR_TIMED_OUT:
      return "PEER_GONE";
    case UCS_ERR_IO_ERROR:
      return op.ep ? "PEER_GONE" : "IO";
    default:
      return "IO";
  }
}

}  // namespace ucx
}  // namespace pds
