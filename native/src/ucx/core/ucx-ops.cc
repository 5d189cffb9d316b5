// UcxWorker's data operations: RMA put/get of ranges (issued in pieces, then flushed) and
// tagged send/receive of small messages.
#include <algorithm>

#include "ucx/core/ucx-records.h"
#include "ucx/core/ucx-requests.h"

namespace pds {
namespace ucx {
namespace {

constexpr uint64_t kPieceBytes = uint64_t{16} << 20;  // one put/get call
constexpr uint64_t kPumpBytes = uint64_t{64} << 20;   // issued per loop turn and operation

void onRecvDone(void* req, ucs_status_t status, const ucp_tag_recv_info_t* info, void* userData) {
  Op* op = static_cast<Op*>(userData);
  if (status == UCS_OK && op->mem && info->length != op->recvExpect) {
    op->noteError(UCS_ERR_MESSAGE_TRUNCATED);  // shorter than the range it was meant to fill
  } else if (status == UCS_OK) {
    if (!op->mem) op->buf.resize(info->length);
    op->result.value = info->sender_tag;
  } else {
    op->noteError(status);
  }
  op->recvReq = nullptr;
  ucp_request_free(req);
  op->outstanding--;
  op->worker->finishOp(op);
}

std::string rangeError(const Range& r, uint64_t localBytes, uint64_t remoteBytes) {
  return "range local [" + std::to_string(r.localOffset) + ", +" + std::to_string(r.bytes) + ") of " +
         std::to_string(localBytes) + " bytes, remote [" + std::to_string(r.remoteOffset) + ", +" +
         std::to_string(r.bytes) + ") of " + std::to_string(remoteBytes);
}

bool fits(uint64_t offset, uint64_t bytes, uint64_t size) { return offset <= size && bytes <= size - offset; }

}  // namespace

void UcxWorker::rma(uint64_t op, bool put, uint32_t epId, uint32_t memId, uint32_t rkeyId, std::vector<Range> ranges,
                    double timeoutMs) {
  postOp(op, [this, op, put, epId, memId, rkeyId, ranges = std::move(ranges), timeoutMs]() mutable {
    EpRecord* ep = liveEp(op, epId);
    if (!ep) return;
    auto mem = mems_.find(memId);
    if (mem == mems_.end()) return fail(op, "IO", "UCX memory " + std::to_string(memId) + " is not registered");
    auto rkey = ep->rkeys.find(rkeyId);
    if (rkey == ep->rkeys.end())
      return fail(op, "RKEY_MISMATCH", "remote key " + std::to_string(rkeyId) + " was not imported on this endpoint");
    for (const Range& r : ranges) {
      if (!fits(r.localOffset, r.bytes, mem->second->bytes()))
        return fail(op, "IO", "UCX local " + rangeError(r, mem->second->bytes(), rkey->second->bytes));
      if (!fits(r.remoteOffset, r.bytes, rkey->second->bytes))
        return fail(op, "RKEY_MISMATCH", "outside the remote region: " + rangeError(r, mem->second->bytes(), rkey->second->bytes));
    }
    Op* o = newOp(op, kRma, timeoutMs);
    o->put = put;
    o->ep = eps_[epId];
    o->mem = mem->second;
    o->rkey = rkey->second;
    o->ranges = std::move(ranges);
    pumpRma(o);
  });
}

void UcxWorker::pumpRma(Op* o) {
  if (o->issuedAll) return;
  if (o->ep->closing) {  // failed or closed under it: the ucp endpoint may be gone
    o->noteError(UCS_ERR_CANCELED);
    o->issuedAll = true;
    return finishOp(o);
  }
  ucp_ep_h ep = o->ep->ep;
  uint64_t budget = kPumpBytes;
  while (o->nextRange < o->ranges.size() && budget > 0 && o->error == UCS_OK && !o->delivered) {
    const Range& r = o->ranges[o->nextRange];
    uint64_t n = std::min({kPieceBytes, budget, r.bytes - o->rangeDone});
    uint8_t* local = o->mem->base() + r.localOffset + o->rangeDone;
    uint64_t remote = o->rkey->base + r.remoteOffset + o->rangeDone;
    ucp_request_param_t p = requestParam(o);
    p.op_attr_mask |= UCP_OP_ATTR_FIELD_MEMH;
    p.memh = o->mem->memh;
    track(o, o->put ? ucp_put_nbx(ep, local, n, remote, o->rkey->rkey, &p)
                    : ucp_get_nbx(ep, local, n, remote, o->rkey->rkey, &p));
    o->rangeDone += n;
    budget -= n;
    if (o->rangeDone == r.bytes) {
      o->nextRange++;
      o->rangeDone = 0;
    }
  }
  bool more = o->nextRange < o->ranges.size() && o->error == UCS_OK && !o->delivered;
  if (more) return;
  ucp_request_param_t p = requestParam(o);
  track(o, ucp_ep_flush_nbx(ep, &p));  // puts are remotely complete (gets landed) after this
  o->issuedAll = true;
  finishOp(o);
}

void UcxWorker::pumpAllRma() {
  std::vector<uint64_t> ids;
  for (auto& [id, op] : ops_)
    if (op->kind == kRma && !op->issuedAll) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = ops_.find(id);
    if (it != ops_.end()) pumpRma(it->second.get());
  }
}

void UcxWorker::sendTag(uint64_t op, uint32_t epId, uint64_t tag, std::vector<uint8_t> data, double timeoutMs) {
  postOp(op, [this, op, epId, tag, data = std::move(data), timeoutMs]() mutable {
    EpRecord* ep = liveEp(op, epId);
    if (!ep) return;
    Op* o = newOp(op, kSend, timeoutMs);
    o->ep = eps_[epId];
    o->buf = std::move(data);
    ucp_request_param_t p = requestParam(o);
    track(o, ucp_tag_send_nbx(ep->ep, o->buf.data(), o->buf.size(), tag, &p));
    o->issuedAll = true;
    finishOp(o);
  });
}

void UcxWorker::recvTag(uint64_t op, uint64_t tag, uint64_t mask, size_t maxBytes, double timeoutMs) {
  postOp(op, [this, op, tag, mask, maxBytes, timeoutMs] {
    Op* o = newOp(op, kRecv, timeoutMs);
    o->buf.resize(std::max<size_t>(maxBytes, 1));
    postRecv(o, o->buf.data(), maxBytes, tag, mask);
  });
}

void UcxWorker::postRecv(Op* o, void* buffer, size_t bytes, uint64_t tag, uint64_t mask) {
  // Always complete through the callback: UCX 1.13 left recv_info unset when a receive
  // matched an already-arrived message at once.
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
  p.cb.recv = onRecvDone;
  p.user_data = o;
  if (o->mem) {
    p.op_attr_mask |= UCP_OP_ATTR_FIELD_MEMH;
    p.memh = o->mem->memh;
  }
  ucs_status_ptr_t r = ucp_tag_recv_nbx(worker_, buffer, bytes, tag, mask, &p);
  if (UCS_PTR_IS_ERR(r)) {
    o->noteError(UCS_PTR_STATUS(r));
  } else if (r != nullptr) {
    o->recvReq = r;
    o->outstanding++;
  }
  o->issuedAll = true;
  finishOp(o);
}

MemRecord* UcxWorker::regionRange(uint64_t op, uint32_t memId, uint64_t offset, uint64_t bytes) {
  auto mem = mems_.find(memId);
  if (mem == mems_.end()) {
    fail(op, "IO", "UCX memory " + std::to_string(memId) + " is not registered");
    return nullptr;
  }
  if (!fits(offset, bytes, mem->second->bytes())) {
    fail(op, "IO", "UCX range [" + std::to_string(offset) + ", +" + std::to_string(bytes) + ") is outside the " +
                       std::to_string(mem->second->bytes()) + "-byte region");
    return nullptr;
  }
  return mem->second.get();
}

void UcxWorker::sendTagFrom(uint64_t op, uint32_t epId, uint64_t tag, uint32_t memId, uint64_t offset, uint64_t bytes,
                            double timeoutMs) {
  postOp(op, [this, op, epId, tag, memId, offset, bytes, timeoutMs] {
    EpRecord* ep = liveEp(op, epId);
    if (!ep) return;
    MemRecord* mem = regionRange(op, memId, offset, bytes);
    if (!mem) return;
    Op* o = newOp(op, kSend, timeoutMs);
    o->ep = eps_[epId];
    o->mem = mems_[memId];
    ucp_request_param_t p = requestParam(o);
    p.op_attr_mask |= UCP_OP_ATTR_FIELD_MEMH;
    p.memh = mem->memh;
    track(o, ucp_tag_send_sync_nbx(ep->ep, mem->base() + offset, bytes, tag, &p));
    o->issuedAll = true;
    finishOp(o);
  });
}

void UcxWorker::recvTagInto(uint64_t op, uint64_t tag, uint64_t mask, uint32_t memId, uint64_t offset, uint64_t bytes,
                            double timeoutMs) {
  postOp(op, [this, op, tag, mask, memId, offset, bytes, timeoutMs] {
    MemRecord* mem = regionRange(op, memId, offset, bytes);
    if (!mem) return;
    Op* o = newOp(op, kRecv, timeoutMs);
    o->mem = mems_[memId];
    o->recvExpect = bytes;
    postRecv(o, mem->base() + offset, bytes, tag, mask);
  });
}

void UcxWorker::cancel(uint64_t op) {
  postOp(0, [this, op] {
    auto it = ops_.find(op);
    if (it == ops_.end() || it->second->kind != kRecv || it->second->delivered || !it->second->recvReq) return;
    Op* o = it->second.get();
    if (o->cancelRequested) return;
    if (o->mem) {
      // Into registered memory: reported when UCX finishes the request (at once where it was
      // not matched yet; a transfer under way lands or fails first).
      o->cancelRequested = true;
      o->noteError(UCS_ERR_CANCELED);
    } else {
      deliver(o, "CANCELED", "UCX receive canceled");
    }
    ucp_request_cancel(worker_, o->recvReq);  // completes (and may erase) the op
  });
}

}  // namespace ucx
}  // namespace pds
