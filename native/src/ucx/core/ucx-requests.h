// Helpers that tie UCX nbx requests to an Op: the shared completion callbacks and the
// accounting of what an nbx call returned.
#pragma once
#include <ucp/api/ucp.h>

#include "ucx/core/ucx-records.h"

namespace pds {
namespace ucx {

/// A send/flush/close/put/get request finished: note its status, free it, maybe finish the op.
inline void onRequestDone(void* req, ucs_status_t status, void* userData) {
  Op* op = static_cast<Op*>(userData);
  if (status != UCS_OK) op->noteError(status);
  ucp_request_free(req);
  op->outstanding--;
  op->worker->finishOp(op);
}

/// The flush before a graceful close finished: close the endpoint now.
inline void onCloseFlushDone(void* req, ucs_status_t status, void* userData) {
  Op* op = static_cast<Op*>(userData);
  ucp_request_free(req);
  op->outstanding--;
  if (status != UCS_OK) op->forceClose = true;
  op->worker->closeNow(op);
}

/// Parameters of an nbx call whose request completes into `op` through `cb`.
inline ucp_request_param_t requestParam(Op* op, ucp_send_nbx_callback_t cb = onRequestDone) {
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
  p.cb.send = cb;
  p.user_data = op;
  return p;
}

/// Accounts for what an nbx call returned: nothing (done at once), an error, or a request
/// that completes later through the callback.
inline void track(Op* op, ucs_status_ptr_t p) {
  if (p == nullptr) return;
  if (UCS_PTR_IS_ERR(p)) {
    op->noteError(UCS_PTR_STATUS(p));
    return;
  }
  op->outstanding++;
}

}  // namespace ucx
}  // namespace pds
