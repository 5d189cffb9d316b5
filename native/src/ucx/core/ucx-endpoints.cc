// UcxWorker: endpoints (connect, peer failure, close, info), memory registration and remote
// key import. All of it runs on the progress thread inside posted commands.
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ucx/core/ucx-records.h"
#include "ucx/core/ucx-requests.h"

namespace pds {
namespace ucx {
namespace {

constexpr uint32_t kDescMagic = 0x55534450;  // "PDSU"
constexpr uint32_t kDescVersion = 1;
constexpr size_t kDescHeader = 4 + 4 + 8 + 8 + 4;

void onEpError(void* arg, ucp_ep_h, ucs_status_t status) {
  auto* ep = static_cast<EpRecord*>(arg);
  ep->worker->markFailed(ep, status);
}

template <typename T>
void putLe(std::vector<uint8_t>& out, T v) {
  for (size_t i = 0; i < sizeof(T); i++) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
}
template <typename T>
T getLe(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); i++) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

EpRecord* UcxWorker::liveEp(uint64_t op, uint32_t epId) {
  auto it = eps_.find(epId);
  auto dead = deadEps_.find(epId);
  if (it == eps_.end() && dead != deadEps_.end()) {
    fail(op, "PEER_GONE", std::string("UCX peer unreachable: ") + ucs_status_string(dead->second));
    return nullptr;
  }
  if (it == eps_.end()) {
    fail(op, "CANCELED", "UCX endpoint " + std::to_string(epId) + " is closed");
    return nullptr;
  }
  EpRecord* ep = it->second.get();
  if (ep->failed) {
    fail(op, "PEER_GONE", std::string("UCX peer unreachable: ") + ucs_status_string(ep->failStatus));
    return nullptr;
  }
  if (ep->closing) {
    fail(op, "CANCELED", "UCX endpoint " + std::to_string(epId) + " is closing");
    return nullptr;
  }
  return ep;
}

void UcxWorker::connect(uint64_t op, std::vector<uint8_t> peerAddress, double timeoutMs, bool peerErrors,
                        int peerPid) {
  postOp(op, [this, op, addr = std::move(peerAddress), timeoutMs, peerErrors, peerPid] {
    auto rec = std::make_shared<EpRecord>();
    rec->worker = this;
    rec->id = nextId_++;
    ucp_ep_params_t p{};
    p.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                   UCP_EP_PARAM_FIELD_ERR_HANDLER;
    p.address = reinterpret_cast<const ucp_address_t*>(addr.data());
    p.err_mode = peerErrors ? UCP_ERR_HANDLING_MODE_PEER : UCP_ERR_HANDLING_MODE_NONE;
    p.err_handler.cb = onEpError;
    p.err_handler.arg = rec.get();
    ucs_status_t s = ucp_ep_create(worker_, &p, &rec->ep);
    if (s != UCS_OK) {
      fail(op, s == UCS_ERR_UNREACHABLE ? "PEER_GONE" : "IO", std::string("UCX ep_create: ") + ucs_status_string(s));
      return;
    }
    eps_[rec->id] = rec;
    if (peerPid > 0) watchPeer(rec.get(), peerPid);
    Op* o = newOp(op, kConnect, timeoutMs);
    o->ep = rec;
    o->result.value = rec->id;
    ucp_request_param_t rp = requestParam(o);
    o->buf.assign(1, 0);
    track(o, ucp_tag_send_sync_nbx(rec->ep, o->buf.data(), 1, kProbeTag, &rp));  // see kProbeTag
    o->issuedAll = true;
    finishOp(o);
  });
}

void UcxWorker::watchPeer(EpRecord* ep, int pid) {
  ep->pidFd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (ep->pidFd < 0) {
    if (errno == ESRCH) markFailed(ep, UCS_ERR_UNREACHABLE);  // already gone
    return;  // no pidfd support: timeouts still bound every operation
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kPeerEvent | ep->id;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, ep->pidFd, &ev);
}

void UcxWorker::markFailed(EpRecord* ep, ucs_status_t status) {
  if (ep->failed) return;
  ep->failed = true;
  ep->failStatus = status;
  failedEps_.push_back(ep->id);  // closed after progress returns, not inside UCX's callback
}

void UcxWorker::processFailedEps() {
  std::vector<uint32_t> ids;
  ids.swap(failedEps_);
  for (uint32_t id : ids) {
    auto it = eps_.find(id);
    if (it == eps_.end()) continue;
    EpRecord* ep = it->second.get();
    // Fail its operations now: without UCX peer error handling (shared memory) UCX never
    // completes them; they stay recorded (holding their memory) until UCX lets go.
    std::string why = std::string("UCX peer unreachable: ") + ucs_status_string(ep->failStatus);
    for (auto& [opId, op] : ops_)
      if (op->ep.get() == ep && op->kind != kClose) deliver(op.get(), "PEER_GONE", why);
    if (!ep->closing) beginClose(ep, true, 0);
  }
}

void UcxWorker::closeEndpoint(uint64_t op, uint32_t epId, bool force) {
  postOp(op, [this, op, epId, force] {
    auto it = eps_.find(epId);
    if (it == eps_.end() || it->second->closing) {
      Completion c;
      c.op = op;
      sink_(std::move(c));  // already closed (or closing after a peer failure): nothing to do
      return;
    }
    beginClose(it->second.get(), force, op);
  });
}

void UcxWorker::beginClose(EpRecord* ep, bool force, uint64_t opId) {
  Op* o = newOp(opId ? opId : internalOpId(), kClose, 0);
  o->ep = eps_[ep->id];
  o->forceClose = force || ep->failed;
  ep->closing = true;
  if (o->forceClose) return closeNow(o);
  ucp_request_param_t rp = requestParam(o, onCloseFlushDone);
  ucs_status_ptr_t p = ucp_ep_flush_nbx(ep->ep, &rp);
  if (p == nullptr) return closeNow(o);
  if (UCS_PTR_IS_ERR(p)) {
    o->forceClose = true;
    return closeNow(o);
  }
  o->outstanding++;
}

void UcxWorker::closeNow(Op* o) {
  EpRecord* ep = o->ep.get();
  ep->rkeys.clear();  // remote keys go before their endpoint (operations still holding one keep it)
  ucp_request_param_t rp = requestParam(o);
  rp.op_attr_mask |= UCP_OP_ATTR_FIELD_FLAGS;
  rp.flags = o->forceClose ? UCP_EP_CLOSE_FLAG_FORCE : 0;
  track(o, ucp_ep_close_nbx(ep->ep, &rp));
  o->issuedAll = true;
  finishOp(o);
}

void UcxWorker::epInfo(uint64_t op, uint32_t epId) {
  postOp(op, [this, op, epId] {
    EpRecord* ep = liveEp(op, epId);
    if (!ep) return;
    char* text = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&text, &len);
    if (!f) return fail(op, "IO", "open_memstream failed");
    ucp_ep_print_info(ep->ep, f);
    fclose(f);
    Completion c;
    c.op = op;
    c.bytes.assign(text, text + len);
    free(text);
    sink_(std::move(c));
  });
}

void UcxWorker::memMap(uint64_t op, Region region) {
  postOp(op, [this, op, region = std::move(region)] {
    ucp_mem_map_params_t mp{};
    mp.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH;
    mp.address = region.data;
    mp.length = region.bytes;
    ucp_mem_h memh;
    ucs_status_t s = ucp_mem_map(context_, &mp, &memh);
    if (s != UCS_OK) return fail(op, "IO", std::string("UCX mem_map: ") + ucs_status_string(s));
    std::shared_ptr<MemRecord> rec(new MemRecord{context_, memh, region});  // unmaps on failure below
    void* rkeyBuf = nullptr;
    size_t rkeyLen = 0;
    if ((s = ucp_rkey_pack(context_, memh, &rkeyBuf, &rkeyLen)) != UCS_OK)
      return fail(op, "IO", std::string("UCX rkey_pack: ") + ucs_status_string(s));
    Completion c;
    c.op = op;
    c.value = nextId_++;
    putLe<uint32_t>(c.bytes, kDescMagic);
    putLe<uint32_t>(c.bytes, kDescVersion);
    putLe<uint64_t>(c.bytes, reinterpret_cast<uintptr_t>(region.data));
    putLe<uint64_t>(c.bytes, region.bytes);
    putLe<uint32_t>(c.bytes, static_cast<uint32_t>(rkeyLen));
    c.bytes.insert(c.bytes.end(), static_cast<uint8_t*>(rkeyBuf), static_cast<uint8_t*>(rkeyBuf) + rkeyLen);
    ucp_rkey_buffer_release(rkeyBuf);
    mems_[static_cast<uint32_t>(c.value)] = std::move(rec);
    sink_(std::move(c));
  });
}

void UcxWorker::memUnmap(uint64_t op, uint32_t memId) {
  postOp(op, [this, op, memId] {
    mems_.erase(memId);  // operations still using it hold the record; the unmap follows them
    Completion c;
    c.op = op;
    sink_(std::move(c));
  });
}

void UcxWorker::importMemory(uint64_t op, uint32_t epId, std::vector<uint8_t> desc) {
  postOp(op, [this, op, epId, desc = std::move(desc)] {
    EpRecord* ep = liveEp(op, epId);
    if (!ep) return;
    const uint8_t* d = desc.data();
    if (desc.size() < kDescHeader || getLe<uint32_t>(d) != kDescMagic || getLe<uint32_t>(d + 4) != kDescVersion ||
        getLe<uint32_t>(d + 24) != desc.size() - kDescHeader)
      return fail(op, "RKEY_MISMATCH", "not a pdserve UCX memory descriptor (or a different version)");
    ucp_rkey_h rkey;
    ucs_status_t s = ucp_ep_rkey_unpack(ep->ep, d + kDescHeader, &rkey);
    if (s != UCS_OK) return fail(op, "RKEY_MISMATCH", std::string("UCX rkey_unpack: ") + ucs_status_string(s));
    std::shared_ptr<RkeyRecord> rec(new RkeyRecord{rkey, getLe<uint64_t>(d + 8), getLe<uint64_t>(d + 16)});
    Completion c;
    c.op = op;
    c.value = ep->nextRkey++;
    ep->rkeys[static_cast<uint32_t>(c.value)] = std::move(rec);
    sink_(std::move(c));
  });
}

}  // namespace ucx
}  // namespace pds
