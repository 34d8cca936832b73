// smtpc.cc: the C ABI over smtpcore::Session (see smtpc.h).

#include "bindings/c/smtpc.h"

#include <sys/uio.h>

#include <climits>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/reply.h"
#include "core/session.h"
#include "core/smtp_error.h"

// smtpc_iovec must be usable as struct iovec (and IoSlice) without copying.
static_assert(sizeof(smtpc_iovec) == sizeof(struct iovec), "iovec size");
static_assert(offsetof(smtpc_iovec, base) == offsetof(struct iovec, iov_base),
              "iovec base offset");
static_assert(offsetof(smtpc_iovec, len) == offsetof(struct iovec, iov_len),
              "iovec len offset");
static_assert(sizeof(smtpc_iovec) == sizeof(smtpcore::IoSlice),
              "IoSlice size");
static_assert(std::is_standard_layout<smtpc_event>::value, "C layout");

// The error detail values are exported unchanged.
static_assert(static_cast<int>(smtpcore::ErrorDetail::kControlCharacter) == 3,
              "ErrorDetail values are part of the ABI");

struct smtpc_session {
  explicit smtpc_session(smtpcore::SessionOptions options,
                         smtpcore::Instant now)
      : session(std::move(options), now) {}

  smtpcore::Session session;
  // Storage for the strings of the last polled event.
  std::string text;
  std::string address;
  std::string message;
  std::string summary;
  // Last failure of a call.
  int last_detail = 0;
  std::string last_message;
};

namespace smtpcore {
namespace {

smtpcore::Instant At(int64_t now_ns) {
  return InstantFromMonotonicNanos(now_ns);
}

int FromStatusCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return SMTPC_OK;
    case absl::StatusCode::kInvalidArgument:
      return SMTPC_ERR_INVALID_ARGUMENT;
    case absl::StatusCode::kFailedPrecondition:
      return SMTPC_ERR_WRONG_STATE;
    case absl::StatusCode::kResourceExhausted:
      return SMTPC_ERR_RESOURCE_EXHAUSTED;
    case absl::StatusCode::kDataLoss:
      return SMTPC_ERR_PROTOCOL;
    case absl::StatusCode::kUnavailable:
      return SMTPC_ERR_UNAVAILABLE;
    case absl::StatusCode::kDeadlineExceeded:
      return SMTPC_ERR_TIMEOUT;
    case absl::StatusCode::kPermissionDenied:
      return SMTPC_ERR_PERMISSION_DENIED;
    case absl::StatusCode::kUnauthenticated:
      return SMTPC_ERR_UNAUTHENTICATED;
    default:
      return SMTPC_ERR_INTERNAL;
  }
}

// Fail records `status` as the session's last error and returns its code.
int Fail(smtpc_session* s, const absl::Status& status) {
  if (status.ok()) return SMTPC_OK;
  s->last_detail = static_cast<int>(GetErrorDetail(status));
  s->last_message = std::string(status.message());
  return FromStatusCode(status.code());
}

int FailNull(smtpc_session* s) {
  if (s != nullptr) {
    s->last_detail = static_cast<int>(ErrorDetail::kInvalidArgument);
    s->last_message = "NULL pointer argument";
  }
  return SMTPC_ERR_NULL_POINTER;
}

void SetEnhanced(const absl::optional<EnhancedCode>& e, smtpc_event* out) {
  if (!e.has_value()) return;
  out->enhanced_class = e->klass;
  out->enhanced_subject = e->subject;
  out->enhanced_detail = e->detail;
}

void SetReply(smtpc_session* s, const Reply& reply, smtpc_event* out) {
  out->code = reply.code();
  SetEnhanced(reply.enhanced(), out);
  s->text = std::string(reply.view().first_line());
}

void SetError(smtpc_session* s, const SmtpError& e, smtpc_event* out) {
  out->code = e.code;
  SetEnhanced(e.enhanced, out);
  out->error = FromStatusCode(e.status_code);
  if (out->error == SMTPC_OK) out->error = SMTPC_ERR_INTERNAL;
  out->error_detail = static_cast<int>(e.cause);
  out->permanent = e.permanent ? 1 : 0;
  s->text = e.first_line;
  s->message = e.Message();
}

void SetCounts(const DeliveryResult& r, smtpc_event* out) {
  out->delivered = static_cast<uint32_t>(r.delivered());
  out->rejected = static_cast<uint32_t>(r.rejected());
  out->deferred = static_cast<uint32_t>(r.deferred());
  out->unknown = static_cast<uint32_t>(r.unknown());
}

// FillEvent converts `event` into `*out`, keeping its strings in `s`.
void FillEvent(smtpc_session* s, const Event& event, smtpc_event* out) {
  *out = smtpc_event{};
  s->text.clear();
  s->address.clear();
  s->message.clear();
  s->summary = EventToString(event);
  if (const auto* e = std::get_if<Greeting>(&event)) {
    out->type = SMTPC_EVENT_GREETING;
    SetReply(s, e->reply, out);
  } else if (const auto* e = std::get_if<ReplyReceived>(&event)) {
    out->type = SMTPC_EVENT_REPLY;
    SetReply(s, e->reply, out);
  } else if (const auto* e = std::get_if<CapabilitiesUpdated>(&event)) {
    out->type = SMTPC_EVENT_CAPABILITIES;
    s->text = e->capabilities.ToString();
  } else if (std::holds_alternative<TlsUpgradeRequired>(event)) {
    out->type = SMTPC_EVENT_TLS_UPGRADE_REQUIRED;
  } else if (const auto* e = std::get_if<TlsEstablished>(&event)) {
    out->type = SMTPC_EVENT_TLS_ESTABLISHED;
    s->text = absl::StrCat(e->info.version, " ", e->info.cipher);
  } else if (const auto* e = std::get_if<Authenticated>(&event)) {
    out->type = SMTPC_EVENT_AUTHENTICATED;
    s->text = e->mechanism;
  } else if (const auto* e = std::get_if<AuthFailed>(&event)) {
    out->type = SMTPC_EVENT_AUTH_FAILED;
    SetError(s, e->error, out);
  } else if (std::holds_alternative<SessionReady>(event)) {
    out->type = SMTPC_EVENT_READY;
  } else if (const auto* e = std::get_if<RecipientReply>(&event)) {
    out->type = SMTPC_EVENT_RECIPIENT;
    out->delivery_id = e->delivery;
    s->address = e->address;
    SetReply(s, e->reply, out);
  } else if (const auto* e = std::get_if<TransactionComplete>(&event)) {
    out->type = SMTPC_EVENT_TRANSACTION_COMPLETE;
    out->delivery_id = e->delivery;
    SetReply(s, e->reply, out);
    out->accepted = static_cast<uint32_t>(e->accepted);
    out->rejected = static_cast<uint32_t>(e->rejected);
  } else if (const auto* e = std::get_if<DeliveryDone>(&event)) {
    out->type = SMTPC_EVENT_DELIVERY_DONE;
    out->delivery_id = e->delivery;
    SetCounts(e->result, out);
  } else if (const auto* e = std::get_if<DeliveryFailed>(&event)) {
    out->type = SMTPC_EVENT_DELIVERY_FAILED;
    out->delivery_id = e->delivery;
    SetError(s, e->error, out);
    SetCounts(e->result, out);
  } else if (const auto* e = std::get_if<ConnectionClosed>(&event)) {
    out->type = SMTPC_EVENT_CLOSED;
    if (!e->status.ok()) {
      SetError(s, e->error, out);
      // The status is authoritative for the code and the detail.
      out->error = FromStatusCode(e->status.code());
      ErrorDetail detail = GetErrorDetail(e->status);
      if (detail != ErrorDetail::kNone) {
        out->error_detail = static_cast<int>(detail);
      }
    }
  } else if (const auto* e = std::get_if<Trace>(&event)) {
    out->type = SMTPC_EVENT_TRACE;
    out->from_client = e->from_client ? 1 : 0;
    s->text = e->line;
  }
  out->text = s->text.c_str();
  out->text_len = s->text.size();
  out->address = s->address.c_str();
  out->address_len = s->address.size();
  out->message = s->message.c_str();
  out->message_len = s->message.size();
  out->summary = s->summary.c_str();
  out->summary_len = s->summary.size();
}

}  // namespace
}  // namespace smtpcore

using smtpcore::At;
using smtpcore::Fail;
using smtpcore::FailNull;

extern "C" {

const char* smtpc_strerror(int error) {
  switch (error) {
    case SMTPC_OK: return "success";
    case SMTPC_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SMTPC_ERR_NULL_POINTER: return "NULL pointer argument";
    case SMTPC_ERR_WRONG_STATE: return "call not allowed in this state";
    case SMTPC_ERR_RESOURCE_EXHAUSTED: return "limit exceeded";
    case SMTPC_ERR_PROTOCOL: return "SMTP protocol error";
    case SMTPC_ERR_UNAVAILABLE: return "server closed the connection";
    case SMTPC_ERR_TIMEOUT: return "timeout";
    case SMTPC_ERR_PERMISSION_DENIED: return "permission denied";
    case SMTPC_ERR_UNAUTHENTICATED: return "TLS verification failed";
    case SMTPC_ERR_NOMEM: return "out of memory";
    case SMTPC_ERR_VERSION: return "unsupported struct version";
    case SMTPC_ERR_INTERNAL: return "internal error";
    default: return "unknown error";
  }
}

const char* smtpc_error_detail_name(int detail) {
  // ErrorDetailName returns views of string literals: NUL-terminated.
  return smtpcore::ErrorDetailName(static_cast<smtpcore::ErrorDetail>(detail))
      .data();
}

void smtpc_session_options_default(smtpc_session_options* options) {
  if (options == nullptr) return;
  *options = smtpc_session_options{};
  options->struct_size = sizeof(smtpc_session_options);
  options->ehlo_domain = nullptr;
  options->tls_mode = SMTPC_TLS_OPPORTUNISTIC;
  options->pipelining = 1;
  options->chunking = 1;
  options->trace = 0;
  options->reply_events = 0;
}

int smtpc_session_new(const smtpc_session_options* options, int64_t now_ns,
                      smtpc_session** out) {
  if (out == nullptr) return SMTPC_ERR_NULL_POINTER;
  *out = nullptr;
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  if (options != nullptr) {
    if (options->struct_size < SMTPC_SESSION_OPTIONS_V1_SIZE ||
        options->struct_size > sizeof(smtpc_session_options)) {
      return SMTPC_ERR_VERSION;
    }
    std::memcpy(&o, options, options->struct_size);
  }
  if (o.tls_mode < SMTPC_TLS_NONE || o.tls_mode > SMTPC_TLS_IMPLICIT) {
    return SMTPC_ERR_INVALID_ARGUMENT;
  }
  try {
    smtpcore::SessionOptions so;
    if (o.ehlo_domain != nullptr) so.ehlo_domain = o.ehlo_domain;
    so.tls_mode = static_cast<smtpcore::TlsMode>(o.tls_mode);
    so.pipelining = o.pipelining != 0;
    so.chunking = o.chunking != 0;
    so.trace = o.trace != 0;
    so.reply_events = o.reply_events != 0;
    *out = new smtpc_session(std::move(so), At(now_ns));
    return SMTPC_OK;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

void smtpc_session_free(smtpc_session* session) { delete session; }

int smtpc_session_receive(smtpc_session* s, const uint8_t* data, size_t len,
                          int64_t now_ns) {
  if (s == nullptr || (data == nullptr && len > 0)) return FailNull(s);
  try {
    absl::string_view bytes;
    if (len > 0) bytes = absl::string_view(reinterpret_cast<const char*>(data), len);
    return Fail(s, s->session.Receive(bytes, At(now_ns)));
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_receive_eof(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    return Fail(s, s->session.ReceiveEof(At(now_ns)));
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_handle_timeout(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    s->session.HandleTimeout(At(now_ns));
    return SMTPC_OK;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_tls_established(smtpc_session* s, const smtpc_tls_info* info,
                                  int64_t now_ns) {
  if (s == nullptr || info == nullptr) return FailNull(s);
  try {
    smtpcore::TlsInfo ti;
    if (info->version != nullptr) ti.version = info->version;
    if (info->cipher != nullptr) ti.cipher = info->cipher;
    if (info->server_name != nullptr) ti.server_name = info->server_name;
    ti.verified = info->verified != 0;
    return Fail(s, s->session.OnTlsEstablished(std::move(ti), At(now_ns)));
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_deliver(smtpc_session* s, const char* from,
                          const char* const* rcpts, size_t num_rcpts,
                          const uint8_t* body, size_t body_len, int64_t now_ns,
                          uint64_t* out_id) {
  if (s == nullptr || from == nullptr || (rcpts == nullptr && num_rcpts > 0) ||
      (body == nullptr && body_len > 0)) {
    return FailNull(s);
  }
  for (size_t i = 0; i < num_rcpts; ++i) {
    if (rcpts[i] == nullptr) return FailNull(s);
  }
  try {
    smtpcore::Envelope envelope;
    envelope.from = from;
    for (size_t i = 0; i < num_rcpts; ++i) envelope.AddRecipient(rcpts[i]);
    // The body is copied (see smtpc.h): the Cord owns its bytes.
    absl::Cord cord;
    if (body_len > 0) {
      cord = absl::Cord(
          absl::string_view(reinterpret_cast<const char*>(body), body_len));
    }
    absl::StatusOr<smtpcore::DeliveryId> id =
        s->session.Deliver(std::move(envelope), std::move(cord), At(now_ns));
    if (!id.ok()) return Fail(s, id.status());
    if (out_id != nullptr) *out_id = *id;
    return SMTPC_OK;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_close(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    return Fail(s, s->session.Close(At(now_ns)));
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_poll_transmit(smtpc_session* s, smtpc_iovec* out,
                                size_t num_out) {
  if (s == nullptr || (out == nullptr && num_out > 0)) return FailNull(s);
  if (num_out > static_cast<size_t>(INT_MAX)) num_out = INT_MAX;
  try {
    constexpr size_t kStack = 64;
    smtpcore::IoSlice stack[kStack];
    std::vector<smtpcore::IoSlice> heap;
    smtpcore::IoSlice* slices = stack;
    if (num_out > kStack) {
      heap.resize(num_out);
      slices = heap.data();
    }
    size_t n = s->session.PollTransmit(absl::MakeSpan(slices, num_out));
    for (size_t i = 0; i < n; ++i) {
      out[i].base = reinterpret_cast<const uint8_t*>(slices[i].data);
      out[i].len = slices[i].size;
    }
    return static_cast<int>(n);
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_consume_transmit(smtpc_session* s, size_t n,
                                   int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    s->session.ConsumeTransmit(n, At(now_ns));
    return SMTPC_OK;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_next_deadline(const smtpc_session* s, int64_t* out_ns) {
  if (s == nullptr || out_ns == nullptr) return SMTPC_ERR_NULL_POINTER;
  absl::optional<smtpcore::Instant> deadline = s->session.NextDeadline();
  if (!deadline.has_value()) return 0;
  *out_ns = smtpcore::ToMonotonicNanos(*deadline);
  return 1;
}

int smtpc_session_poll_event(smtpc_session* s, smtpc_event* out) {
  if (s == nullptr || out == nullptr) return FailNull(s);
  try {
    absl::optional<smtpcore::Event> event = s->session.PollEvent();
    if (!event.has_value()) {
      *out = smtpc_event{};
      out->type = SMTPC_EVENT_NONE;
      out->text = out->address = out->message = out->summary = "";
      return 0;
    }
    smtpcore::FillEvent(s, *event, out);
    return 1;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  }
}

int smtpc_session_last_error_detail(const smtpc_session* s) {
  return s == nullptr ? 0 : s->last_detail;
}

const char* smtpc_session_last_error_message(const smtpc_session* s) {
  return s == nullptr ? "" : s->last_message.c_str();
}

}  // extern "C"
