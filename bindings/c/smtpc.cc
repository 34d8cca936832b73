// smtpc.cc: the C ABI over smtpcore::Session (see smtpc.h).

#include "bindings/c/smtpc.h"

#include <sys/uio.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "bindings/c/smtpc_internal.h"
#include "core/capabilities.h"
#include "core/command.h"
#include "core/dot_stuffer.h"
#include "core/timers.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/reply.h"
#include "core/service_reply.h"
#include "core/session.h"
#include "core/smtp_error.h"
#include "idna/idna.h"
#include "sasl/oauth_token.h"
#include "sasl/sasl_crypto.h"
#include "sasl/select.h"

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

// The outcome enums are the core's, value for value.
static_assert(static_cast<int>(smtpcore::LookupOutcome::kRefused) ==
                  SMTPC_LOOKUP_REFUSED,
              "smtpc_lookup_outcome follows LookupOutcome");
static_assert(static_cast<int>(smtpcore::LookupOutcome::kCannotVerify) ==
                  SMTPC_LOOKUP_CANNOT_VERIFY,
              "smtpc_lookup_outcome follows LookupOutcome");
static_assert(static_cast<int>(smtpcore::HelpOutcome::kRefused) ==
                  SMTPC_HELP_REFUSED,
              "smtpc_help_outcome follows HelpOutcome");
static_assert(static_cast<int>(smtpcore::EtrnOutcome::kNotOffered) ==
                  SMTPC_ETRN_NOT_OFFERED,
              "smtpc_etrn_outcome follows EtrnOutcome");
static_assert(static_cast<int>(smtpcore::EtrnOutcome::kPendingCount) ==
                  SMTPC_ETRN_PENDING_COUNT,
              "smtpc_etrn_outcome follows EtrnOutcome");

namespace {

// RequestEntry is one entry of the last request event, owned.
struct RequestEntry {
  std::string text;
  std::string name;
  std::string mailbox;
};

}  // namespace

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
  // The typed result of the last polled request event (VRFY, EXPN, HELP,
  // ETRN), when it was one.
  bool has_request = false;
  uint64_t request_id = 0;
  int outcome = 0;
  std::string outcome_name;
  int64_t pending_messages = -1;
  std::vector<RequestEntry> entries;
  // The per-recipient results of the last polled DELIVERY_DONE or
  // DELIVERY_FAILED event, and the typed error of the last polled error
  // event.
  std::vector<smtpcore::capi::RecipientOut> recipients;
  bool has_error = false;
  smtpcore::capi::ErrorOut error;
  // Last failure of a call.
  int last_detail = 0;
  std::string last_message;
};

namespace smtpcore {
namespace {

smtpcore::Instant At(int64_t now_ns) {
  return InstantFromMonotonicNanos(now_ns);
}

using capi::FromStatusCode;

}  // namespace

namespace capi {

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

}  // namespace capi

namespace {

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
  s->has_error = true;
  s->error = capi::ErrorOut::From(e);
}

void SetRecipients(smtpc_session* s, const DeliveryResult& r) {
  for (const RecipientResult& rr : r.recipients) {
    s->recipients.push_back(capi::RecipientOut::From(rr));
  }
}

void SetCounts(const DeliveryResult& r, smtpc_event* out) {
  out->delivered = static_cast<uint32_t>(r.delivered());
  out->rejected = static_cast<uint32_t>(r.rejected());
  out->deferred = static_cast<uint32_t>(r.deferred());
  out->unknown = static_cast<uint32_t>(r.unknown());
}

void SetLookup(smtpc_session* s, uint64_t id, const LookupResult& r) {
  s->has_request = true;
  s->request_id = id;
  s->outcome = static_cast<int>(r.outcome);
  s->outcome_name = std::string(LookupOutcomeName(r.outcome));
  for (const MailboxEntry& e : r.entries) {
    s->entries.push_back(RequestEntry{e.text, e.name, e.mailbox});
  }
}

// FillEvent converts `event` into `*out`, keeping its strings in `s`.
void FillEvent(smtpc_session* s, const Event& event, smtpc_event* out) {
  *out = smtpc_event{};
  s->text.clear();
  s->address.clear();
  s->message.clear();
  s->has_request = false;
  s->request_id = 0;
  s->outcome = 0;
  s->outcome_name.clear();
  s->pending_messages = -1;
  s->entries.clear();
  s->recipients.clear();
  s->has_error = false;
  s->error = capi::ErrorOut();
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
    out->delivered = static_cast<uint32_t>(e->delivered);
  } else if (const auto* e = std::get_if<DeliveryDone>(&event)) {
    out->type = SMTPC_EVENT_DELIVERY_DONE;
    out->delivery_id = e->delivery;
    SetCounts(e->result, out);
    SetRecipients(s, e->result);
  } else if (const auto* e = std::get_if<DeliveryFailed>(&event)) {
    out->type = SMTPC_EVENT_DELIVERY_FAILED;
    out->delivery_id = e->delivery;
    SetError(s, e->error, out);
    SetCounts(e->result, out);
    SetRecipients(s, e->result);
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
      s->error.error = out->error;
      s->error.detail = out->error_detail;
    }
  } else if (const auto* e = std::get_if<Trace>(&event)) {
    out->type = SMTPC_EVENT_TRACE;
    out->from_client = e->from_client ? 1 : 0;
    s->text = e->line;
  } else if (const auto* e = std::get_if<RecipientDataReply>(&event)) {
    out->type = SMTPC_EVENT_RECIPIENT_DATA;
    out->delivery_id = e->delivery;
    s->address = e->address;
    SetReply(s, e->reply, out);
  } else if (const auto* e = std::get_if<AuthRetry>(&event)) {
    out->type = SMTPC_EVENT_AUTH_RETRY;
    SetError(s, e->error, out);
  } else if (const auto* e = std::get_if<VrfyDone>(&event)) {
    out->type = SMTPC_EVENT_VRFY;
    SetReply(s, e->reply, out);
    SetLookup(s, e->request, e->result);
  } else if (const auto* e = std::get_if<ExpnDone>(&event)) {
    out->type = SMTPC_EVENT_EXPN;
    SetReply(s, e->reply, out);
    SetLookup(s, e->request, e->result);
  } else if (const auto* e = std::get_if<HelpDone>(&event)) {
    out->type = SMTPC_EVENT_HELP;
    SetReply(s, e->reply, out);
    s->has_request = true;
    s->request_id = e->request;
    s->outcome = static_cast<int>(e->result.outcome);
    s->outcome_name = std::string(HelpOutcomeName(e->result.outcome));
    for (const std::string& line : e->result.lines) {
      s->entries.push_back(RequestEntry{line, "", ""});
    }
  } else if (const auto* e = std::get_if<NoopDone>(&event)) {
    out->type = SMTPC_EVENT_NOOP;
    SetReply(s, e->reply, out);
  } else if (const auto* e = std::get_if<EtrnDone>(&event)) {
    out->type = SMTPC_EVENT_ETRN;
    SetReply(s, e->reply, out);
    s->has_request = true;
    s->request_id = e->request;
    s->outcome = static_cast<int>(e->result.outcome);
    s->outcome_name = std::string(EtrnOutcomeName(e->result.outcome));
    if (e->result.pending_messages.has_value()) {
      s->pending_messages = static_cast<int64_t>(std::min<uint64_t>(
          *e->result.pending_messages,
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
    }
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

// QueueRequest runs one of the request calls of the C ABI.
template <typename Call>
int QueueRequest(smtpc_session* s, const char* argument, bool optional,
                 uint64_t* out_request_id, Call call) {
  if (s == nullptr || (argument == nullptr && !optional)) return FailNull(s);
  try {
    absl::StatusOr<RequestId> id =
        call(std::string(argument == nullptr ? "" : argument));
    if (!id.ok()) return Fail(s, id.status());
    if (out_request_id != nullptr) *out_request_id = *id;
    return SMTPC_OK;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
  }
}

}  // namespace

namespace capi {

int ReadOptions(const smtpc_session_options* options,
                smtpc_session_options* out) {
  smtpc_session_options_init(out, sizeof(*out));
  if (options == nullptr) return SMTPC_OK;
  if (int rc = CheckStructSize(options->struct_size,
                               SMTPC_SESSION_OPTIONS_V1_SIZE,
                               sizeof(smtpc_session_options));
      rc != SMTPC_OK) {
    return rc;
  }
  std::memcpy(static_cast<void*>(out), options, options->struct_size);
  out->struct_size = sizeof(*out);
  return SMTPC_OK;
}

namespace {

std::string OrEmpty(const char* s) { return s == nullptr ? "" : s; }

Duration TimeoutFrom(int64_t ms, Duration dflt) {
  if (ms == 0) return dflt;
  if (ms < 0) return absl::ZeroDuration();  // disabled
  return absl::Milliseconds(ms);
}

std::vector<std::string> SplitList(const char* list) {
  std::vector<std::string> out;
  if (list == nullptr) return out;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    part = absl::StripAsciiWhitespace(part);
    out.emplace_back(part);
  }
  return out;
}

// TokenProviderFor adapts the C callback: the token is copied out of a
// buffer that is wiped afterwards; a nonzero return is an error naming it.
OAuthTokenProvider TokenProviderFor(smtpc_token_provider fn,
                                    void* user_data) {
  return CachingTokenProvider(
      [fn, user_data](const OAuthTokenRequest& request)
          -> absl::StatusOr<std::string> {
        std::string buffer(SMTPC_MAX_TOKEN_SIZE, '\0');
        size_t length = 0;
        int rc = fn(user_data, request.refresh ? 1 : 0,
                    request.server_error.c_str(), request.server_error.size(),
                    &buffer[0], buffer.size(), &length);
        if (rc != 0 || length > buffer.size()) {
          internal::Wipe(buffer);
          return absl::UnavailableError(absl::StrCat(
              "the OAuth token provider failed (returned ", rc, ")"));
        }
        std::string token = buffer.substr(0, length);
        internal::Wipe(buffer);
        return token;
      });
}

// AuthChooserFor builds the session's AuthChooser: the C callback's pick,
// else the first of `preference` (or the default order) that the server
// offers and the credentials can serve.
AuthChooser AuthChooserFor(SaslCredentials creds,
                           std::vector<std::string> preference,
                           smtpc_auth_chooser chooser, void* user_data) {
  // The credentials live as long as the chooser (the session); the
  // secrets are wiped when it is destroyed.
  std::shared_ptr<SaslCredentials> shared(
      new SaslCredentials(std::move(creds)), [](SaslCredentials* c) {
        internal::Wipe(c->password);
        internal::Wipe(c->oauth_token);
        delete c;
      });
  return [shared, preference, chooser, user_data](
             const Capabilities& caps,
             const TlsInfo* tls) -> std::unique_ptr<SaslMechanism> {
    std::vector<std::string> offered = caps.auth_mechanisms();
    if (chooser != nullptr) {
      std::vector<const char*> names;
      names.reserve(offered.size());
      for (const std::string& m : offered) names.push_back(m.c_str());
      const char* pick =
          chooser(user_data, names.empty() ? nullptr : names.data(),
                  names.size(), tls != nullptr ? 1 : 0,
                  tls != nullptr && !tls->channel_binding.empty() ? 1 : 0);
      if (pick == nullptr) return nullptr;
      absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
          MakeSaslMechanism(pick, *shared, offered, tls);
      return m.ok() ? *std::move(m) : nullptr;
    }
    absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
        SelectSaslMechanism(*shared, offered, tls, preference);
    return m.ok() ? *std::move(m) : nullptr;
  };
}

}  // namespace

int BuildSessionOptions(const smtpc_session_options& o, SessionOptions* out,
                        std::string* error) {
  if (o.tls_mode < SMTPC_TLS_NONE || o.tls_mode > SMTPC_TLS_IMPLICIT) {
    *error = "tls_mode out of range";
    return SMTPC_ERR_INVALID_ARGUMENT;
  }
  SessionOptions so;
  if (o.ehlo_domain != nullptr) so.ehlo_domain = o.ehlo_domain;
  so.tls_mode = static_cast<TlsMode>(o.tls_mode);
  so.pipelining = o.pipelining != 0;
  so.chunking = o.chunking != 0;
  so.trace = o.trace != 0;
  so.reply_events = o.reply_events != 0;
  so.lmtp = o.lmtp != 0;
  so.force_helo = o.force_helo != 0;
  so.allow_insecure_auth = o.allow_insecure_auth != 0;
  so.line_endings = o.reject_bare_line_endings != 0
                        ? LineEndingPolicy::kReject
                        : LineEndingPolicy::kNormalize;
  if (o.idna != 0) so.idna = IdnaToAsciiConverter();

  const Timeouts d;
  so.timeouts.greeting = TimeoutFrom(o.timeout_greeting_ms, d.greeting);
  so.timeouts.mail = TimeoutFrom(o.timeout_mail_ms, d.mail);
  so.timeouts.rcpt = TimeoutFrom(o.timeout_rcpt_ms, d.rcpt);
  so.timeouts.data_init = TimeoutFrom(o.timeout_data_init_ms, d.data_init);
  so.timeouts.data_block = TimeoutFrom(o.timeout_data_block_ms, d.data_block);
  so.timeouts.data_termination =
      TimeoutFrom(o.timeout_data_termination_ms, d.data_termination);
  so.timeouts.tls_handshake =
      TimeoutFrom(o.timeout_tls_handshake_ms, d.tls_handshake);
  so.timeouts.other = TimeoutFrom(o.timeout_other_ms, d.other);

  for (std::string& keyword : SplitList(o.capability_ignore)) {
    if (keyword.empty()) continue;
    so.capability_filter.ignore.push_back(absl::AsciiStrToUpper(keyword));
  }
  for (const std::string& line : SplitList(o.capability_force)) {
    std::vector<std::string> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.empty()) {
      *error = "empty entry in capability_force";
      return SMTPC_ERR_INVALID_ARGUMENT;
    }
    Capability c;
    c.keyword = absl::AsciiStrToUpper(words[0]);
    c.params.assign(words.begin() + 1, words.end());
    so.capability_filter.force.push_back(std::move(c));
  }

  const bool has_auth = o.oauth_token_provider != nullptr ||
                        o.auth_password != nullptr ||
                        o.oauth_token != nullptr ||
                        o.auth_chooser != nullptr ||
                        o.auth_mechanisms != nullptr;
  if (has_auth) {
    SaslCredentials creds;
    creds.username = OrEmpty(o.auth_user);
    creds.password = OrEmpty(o.auth_password);
    creds.authzid = OrEmpty(o.auth_authzid);
    creds.oauth_token = OrEmpty(o.oauth_token);
    if (o.oauth_token_provider != nullptr) {
      creds.oauth_token_provider =
          TokenProviderFor(o.oauth_token_provider, o.oauth_user_data);
    }
    std::vector<std::string> preference;
    for (std::string& name : SplitList(o.auth_mechanisms)) {
      if (!name.empty()) preference.push_back(absl::AsciiStrToUpper(name));
    }
    // Every name must be one the library knows.
    const std::vector<std::string> known = DefaultSaslPreference();
    for (const std::string& name : preference) {
      bool ok = name == "DIGEST-MD5" || name == "EXTERNAL";
      for (const std::string& k : known) ok = ok || k == name;
      if (!ok) {
        *error = absl::StrCat("unknown SASL mechanism in auth_mechanisms: ",
                              name);
        return SMTPC_ERR_INVALID_ARGUMENT;
      }
    }
    // Version 2 behaviour: a token provider alone means OAuth only.
    if (preference.empty() && o.oauth_token_provider != nullptr &&
        o.auth_password == nullptr) {
      preference = {"OAUTHBEARER", "XOAUTH2"};
    }
    so.auth = AuthChooserFor(std::move(creds), std::move(preference),
                             o.auth_chooser, o.auth_chooser_user_data);
  }
  *out = std::move(so);
  return SMTPC_OK;
}

int ReadEnvelope(const smtpc_envelope* e, Envelope* out, std::string* error) {
  if (e == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = CheckStructSize(e->struct_size, SMTPC_ENVELOPE_V1_SIZE,
                               sizeof(smtpc_envelope));
      rc != SMTPC_OK) {
    return rc;
  }
  smtpc_envelope env;
  smtpc_envelope_init(&env, sizeof(env));
  std::memcpy(static_cast<void*>(&env), e, e->struct_size);
  if (env.from == nullptr || (env.rcpts == nullptr && env.num_rcpts > 0)) {
    return SMTPC_ERR_NULL_POINTER;
  }
  for (size_t i = 0; i < env.num_rcpts; ++i) {
    if (env.rcpts[i] == nullptr) return SMTPC_ERR_NULL_POINTER;
  }
  Envelope envelope;
  envelope.from = env.from;
  if (env.size != 0) envelope.mail.size = env.size;
  switch (env.body) {
    case SMTPC_BODY_AUTO: break;
    case SMTPC_BODY_7BIT: envelope.mail.body = BodyType::k7Bit; break;
    case SMTPC_BODY_8BITMIME: envelope.mail.body = BodyType::k8BitMime; break;
    case SMTPC_BODY_BINARYMIME:
      envelope.mail.body = BodyType::kBinaryMime;
      break;
    default:
      *error = "body out of range";
      return SMTPC_ERR_INVALID_ARGUMENT;
  }
  envelope.mail.smtputf8 = env.smtputf8 != 0;
  envelope.mail.requiretls = env.requiretls != 0;
  switch (env.dsn_ret) {
    case SMTPC_RET_NONE: break;
    case SMTPC_RET_FULL: envelope.mail.ret = DsnRet::kFull; break;
    case SMTPC_RET_HDRS: envelope.mail.ret = DsnRet::kHdrs; break;
    default:
      *error = "dsn_ret out of range";
      return SMTPC_ERR_INVALID_ARGUMENT;
  }
  if (env.envid != nullptr) envelope.mail.envid = std::string(env.envid);
  for (size_t i = 0; i < env.num_rcpts; ++i) {
    Recipient r;
    r.address = env.rcpts[i];
    if (env.rcpt_notify != nullptr) {
      unsigned notify = env.rcpt_notify[i];
      if ((notify & ~0xFu) != 0 ||
          ((notify & SMTPC_NOTIFY_NEVER) != 0 && notify != SMTPC_NOTIFY_NEVER)) {
        *error = "bad NOTIFY bits";
        return SMTPC_ERR_INVALID_ARGUMENT;
      }
      r.params.notify = static_cast<uint8_t>(notify);
    }
    if (env.rcpt_orcpt != nullptr && env.rcpt_orcpt[i] != nullptr) {
      r.params.orcpt = std::string(env.rcpt_orcpt[i]);
    }
    envelope.recipients.push_back(std::move(r));
  }
  *out = std::move(envelope);
  return SMTPC_OK;
}

RecipientOut RecipientOut::From(const RecipientResult& r) {
  RecipientOut out;
  out.address = r.address;
  switch (r.status) {
    case RecipientStatus::kPending: out.status = SMTPC_RCPT_PENDING; break;
    case RecipientStatus::kDelivered: out.status = SMTPC_RCPT_DELIVERED; break;
    case RecipientStatus::kRejected: out.status = SMTPC_RCPT_REJECTED; break;
    case RecipientStatus::kDeferred: out.status = SMTPC_RCPT_DEFERRED; break;
    case RecipientStatus::kUnknown: out.status = SMTPC_RCPT_UNKNOWN; break;
  }
  out.rcpt_code = r.rcpt_reply.code();
  out.data_code = r.data_reply.code();
  out.not_sent = RecipientNotSent(r);
  out.outcome = std::string(RecipientOutcomeName(r));
  const Reply& decisive = r.data_reply.code() != 0 ? r.data_reply : r.rcpt_reply;
  out.code = decisive.code();
  if (decisive.code() != 0) {
    if (decisive.enhanced().has_value()) out.enhanced = *decisive.enhanced();
    out.text = std::string(decisive.view().first_line());
  }
  return out;
}

int RecipientOut::Fill(smtpc_recipient_result* out) const {
  smtpc_recipient_result r{};
  r.address = address.c_str();
  r.address_len = address.size();
  r.status = status;
  r.code = code;
  r.enhanced_class = enhanced.klass;
  r.enhanced_subject = enhanced.subject;
  r.enhanced_detail = enhanced.detail;
  r.text = text.c_str();
  r.text_len = text.size();
  r.rcpt_code = rcpt_code;
  r.data_code = data_code;
  r.not_sent = not_sent ? 1 : 0;
  r.outcome = outcome.c_str();
  r.outcome_len = outcome.size();
  return CopyOut(r, out, SMTPC_RECIPIENT_RESULT_V1_SIZE);
}

ErrorOut ErrorOut::From(const SmtpError& e) {
  ErrorOut out;
  out.error = FromStatusCode(e.status_code);
  if (out.error == SMTPC_OK) out.error = SMTPC_ERR_INTERNAL;
  out.detail = static_cast<int>(e.cause);
  out.permanent = e.permanent;
  out.code = e.code;
  if (e.enhanced.has_value()) out.enhanced = *e.enhanced;
  out.command = std::string(CommandKindName(e.command));
  out.text = e.first_line;
  out.message = e.Message();
  return out;
}

int ErrorOut::Fill(smtpc_error_info* out) const {
  smtpc_error_info r{};
  r.error = error;
  r.detail = detail;
  r.permanent = permanent ? 1 : 0;
  r.code = code;
  r.enhanced_class = enhanced.klass;
  r.enhanced_subject = enhanced.subject;
  r.enhanced_detail = enhanced.detail;
  r.command = command.c_str();
  r.command_len = command.size();
  r.text = text.c_str();
  r.text_len = text.size();
  r.message = message.c_str();
  r.message_len = message.size();
  return CopyOut(r, out, SMTPC_ERROR_INFO_V1_SIZE);
}

}  // namespace capi
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

const char* smtpc_version(int* major, int* minor, int* patch) {
  if (major != nullptr) *major = SMTPC_VERSION_MAJOR;
  if (minor != nullptr) *minor = SMTPC_VERSION_MINOR;
  if (patch != nullptr) *patch = SMTPC_VERSION_PATCH;
  return SMTPC_VERSION_STRING;
}

int smtpc_session_options_init(smtpc_session_options* options, size_t size) {
  if (options == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = smtpcore::capi::CheckStructSize(
          size, SMTPC_SESSION_OPTIONS_V1_SIZE, sizeof(smtpc_session_options));
      rc != SMTPC_OK) {
    return rc;
  }
  // Defaults of the current layout, of which only `size` bytes are copied
  // out: fields that do not fit whole are never touched.
  smtpc_session_options d{};
  d.struct_size = size;
  d.ehlo_domain = nullptr;
  d.tls_mode = SMTPC_TLS_OPPORTUNISTIC;
  d.pipelining = 1;
  d.chunking = 1;
  d.trace = 0;
  d.reply_events = 0;
  d.lmtp = 0;
  d.idna = 1;
  std::memcpy(static_cast<void*>(options), &d, size);
  return SMTPC_OK;
}

// The exported smtpc_session_options_default keeps the behaviour of the
// version 2 headers that declared it as a function: exactly the version 2
// layout is written (see smtpc.h). The header's macro of the same name
// must not rename this definition.
#undef smtpc_session_options_default
void smtpc_session_options_default(smtpc_session_options* options) {
  if (options == nullptr) return;
  smtpc_session_options_init(options, SMTPC_SESSION_OPTIONS_V2_SIZE);
}

int smtpc_session_new(const smtpc_session_options* options, int64_t now_ns,
                      smtpc_session** out) {
  if (out == nullptr) return SMTPC_ERR_NULL_POINTER;
  *out = nullptr;
  return smtpcore::capi::Guard([&]() -> int {
    smtpc_session_options o;
    if (int rc = smtpcore::capi::ReadOptions(options, &o); rc != SMTPC_OK) {
      return rc;
    }
    smtpcore::SessionOptions so;
    std::string error;
    if (int rc = smtpcore::capi::BuildSessionOptions(o, &so, &error);
        rc != SMTPC_OK) {
      return rc;
    }
    *out = new smtpc_session(std::move(so), At(now_ns));
    return SMTPC_OK;
  });
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
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
  }
}

int smtpc_session_receive_eof(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    return Fail(s, s->session.ReceiveEof(At(now_ns)));
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
  }
}

int smtpc_session_handle_timeout(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    s->session.HandleTimeout(At(now_ns));
    return SMTPC_OK;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
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
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
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
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
  }
}

int smtpc_session_close(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  try {
    return Fail(s, s->session.Close(At(now_ns)));
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
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
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
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
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
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
      s->has_request = false;  // the last polled event is none
      s->entries.clear();
      s->recipients.clear();
      s->has_error = false;
      *out = smtpc_event{};
      out->type = SMTPC_EVENT_NONE;
      out->text = out->address = out->message = out->summary = "";
      return 0;
    }
    smtpcore::FillEvent(s, *event, out);
    return 1;
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
  }
}

int smtpc_session_vrfy(smtpc_session* s, const char* argument,
                       int64_t now_ns, uint64_t* out_request_id) {
  return smtpcore::QueueRequest(
      s, argument, false, out_request_id,
      [s, now_ns](std::string a) { return s->session.Vrfy(a, At(now_ns)); });
}

int smtpc_session_expn(smtpc_session* s, const char* argument,
                       int64_t now_ns, uint64_t* out_request_id) {
  return smtpcore::QueueRequest(
      s, argument, false, out_request_id,
      [s, now_ns](std::string a) { return s->session.Expn(a, At(now_ns)); });
}

int smtpc_session_help(smtpc_session* s, const char* argument,
                       int64_t now_ns, uint64_t* out_request_id) {
  return smtpcore::QueueRequest(
      s, argument, true, out_request_id,
      [s, now_ns](std::string a) { return s->session.Help(a, At(now_ns)); });
}

int smtpc_session_etrn(smtpc_session* s, const char* argument,
                       int64_t now_ns, uint64_t* out_request_id) {
  return smtpcore::QueueRequest(
      s, argument, false, out_request_id,
      [s, now_ns](std::string a) { return s->session.Etrn(a, At(now_ns)); });
}

int smtpc_session_request_result(const smtpc_session* s,
                                 smtpc_request_result* out) {
  if (s == nullptr || out == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (out->struct_size < SMTPC_REQUEST_RESULT_V1_SIZE ||
      out->struct_size > sizeof(smtpc_request_result)) {
    return SMTPC_ERR_VERSION;
  }
  if (!s->has_request) return 0;
  smtpc_request_result r{};
  r.struct_size = out->struct_size;
  r.request_id = s->request_id;
  r.outcome = s->outcome;
  r.outcome_name = s->outcome_name.c_str();
  r.outcome_name_len = s->outcome_name.size();
  r.pending_messages = s->pending_messages;
  r.num_entries = s->entries.size();
  std::memcpy(out, &r, out->struct_size);
  return 1;
}

int smtpc_session_request_entry(const smtpc_session* s, size_t index,
                                smtpc_entry* out) {
  if (s == nullptr || out == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (out->struct_size < SMTPC_ENTRY_V1_SIZE ||
      out->struct_size > sizeof(smtpc_entry)) {
    return SMTPC_ERR_VERSION;
  }
  if (!s->has_request || index >= s->entries.size()) return 0;
  const RequestEntry& e = s->entries[index];
  smtpc_entry r{};
  r.struct_size = out->struct_size;
  r.text = e.text.c_str();
  r.text_len = e.text.size();
  r.name = e.name.c_str();
  r.name_len = e.name.size();
  r.mailbox = e.mailbox.c_str();
  r.mailbox_len = e.mailbox.size();
  std::memcpy(out, &r, out->struct_size);
  return 1;
}

int smtpc_session_last_error_detail(const smtpc_session* s) {
  return s == nullptr ? 0 : s->last_detail;
}

const char* smtpc_session_last_error_message(const smtpc_session* s) {
  return s == nullptr ? "" : s->last_message.c_str();
}

int smtpc_tls_session_info_init(smtpc_tls_session_info* info, size_t size) {
  return smtpcore::capi::InitStruct(info, size, SMTPC_TLS_SESSION_INFO_V1_SIZE);
}

int smtpc_session_tls_established2(smtpc_session* s,
                                   const smtpc_tls_session_info* info,
                                   int64_t now_ns) {
  if (s == nullptr || info == nullptr) return FailNull(s);
  if (int rc = smtpcore::capi::CheckStructSize(
          info->struct_size, SMTPC_TLS_SESSION_INFO_V1_SIZE,
          sizeof(smtpc_tls_session_info));
      rc != SMTPC_OK) {
    return rc;
  }
  return smtpcore::capi::Guard([&]() -> int {
    smtpc_tls_session_info i;
    smtpc_tls_session_info_init(&i, sizeof(i));
    std::memcpy(static_cast<void*>(&i), info, info->struct_size);
    smtpcore::TlsInfo ti;
    if (i.version != nullptr) ti.version = i.version;
    if (i.cipher != nullptr) ti.cipher = i.cipher;
    if (i.server_name != nullptr) ti.server_name = i.server_name;
    ti.verified = i.verified != 0;
    if (i.channel_binding_type != nullptr && i.channel_binding != nullptr &&
        i.channel_binding_len > 0) {
      ti.channel_binding_type = i.channel_binding_type;
      ti.channel_binding.assign(
          reinterpret_cast<const char*>(i.channel_binding),
          i.channel_binding_len);
    }
    ti.client_certificate = i.client_certificate != 0;
    return Fail(s, s->session.OnTlsEstablished(std::move(ti), At(now_ns)));
  });
}

int smtpc_session_tls_failed(smtpc_session* s, int error, const char* message,
                             int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  return smtpcore::capi::Guard([&]() -> int {
    std::string text = message == nullptr ? "" : message;
    absl::Status status =
        error == SMTPC_ERR_UNAUTHENTICATED
            ? smtpcore::MakeError(
                  absl::StatusCode::kUnauthenticated,
                  smtpcore::ErrorDetail::kTlsVerification,
                  absl::StrCat("TLS certificate verification failed",
                               text.empty() ? "" : ": ", text))
            : smtpcore::MakeError(
                  absl::StatusCode::kDataLoss,
                  smtpcore::ErrorDetail::kTlsHandshake,
                  absl::StrCat("TLS handshake failed", text.empty() ? "" : ": ",
                               text));
    s->session.OnTlsFailed(std::move(status), At(now_ns));
    return SMTPC_OK;
  });
}

int smtpc_session_abort(smtpc_session* s, const char* message,
                        int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  return smtpcore::capi::Guard([&]() -> int {
    s->session.Abort(
        smtpcore::MakeError(absl::StatusCode::kUnavailable,
                            smtpcore::ErrorDetail::kIo,
                            message == nullptr || *message == '\0'
                                ? "aborted by the caller"
                                : message),
        At(now_ns));
    return SMTPC_OK;
  });
}

int smtpc_session_noop(smtpc_session* s, int64_t now_ns) {
  if (s == nullptr) return FailNull(s);
  return smtpcore::capi::Guard(
      [&]() -> int { return Fail(s, s->session.Noop(At(now_ns))); });
}

const char* smtpc_session_state(const smtpc_session* s) {
  if (s == nullptr) return "";
  // SessionStateName returns views of string literals: NUL-terminated.
  return smtpcore::SessionStateName(s->session.state()).data();
}

int smtpc_session_has_capability(const smtpc_session* s,
                                 const char* keyword) {
  if (s == nullptr || keyword == nullptr) return SMTPC_ERR_NULL_POINTER;
  return smtpcore::capi::Guard(
      [&]() -> int { return s->session.capabilities().has(keyword) ? 1 : 0; });
}

int smtpc_envelope_init(smtpc_envelope* envelope, size_t size) {
  return smtpcore::capi::InitStruct(envelope, size, SMTPC_ENVELOPE_V1_SIZE);
}

namespace {

// DeliverEnvelope queues `body` for the C envelope; shared by the copying
// and the borrowing calls.
int DeliverEnvelope(smtpc_session* s, const smtpc_envelope* envelope,
                    absl::Cord body, int64_t now_ns, uint64_t* out_id) {
  smtpcore::Envelope env;
  std::string error;
  int rc = smtpcore::capi::ReadEnvelope(envelope, &env, &error);
  if (rc == SMTPC_ERR_NULL_POINTER) return FailNull(s);
  if (rc == SMTPC_ERR_INVALID_ARGUMENT) {
    return Fail(s, smtpcore::LocalError(smtpcore::ErrorDetail::kInvalidArgument,
                                        error));
  }
  if (rc != SMTPC_OK) return rc;
  absl::StatusOr<smtpcore::DeliveryId> id =
      s->session.Deliver(std::move(env), std::move(body), At(now_ns));
  if (!id.ok()) return Fail(s, id.status());
  if (out_id != nullptr) *out_id = *id;
  return SMTPC_OK;
}

}  // namespace

int smtpc_session_deliver2(smtpc_session* s, const smtpc_envelope* envelope,
                           const uint8_t* body, size_t body_len,
                           int64_t now_ns, uint64_t* out_id) {
  if (s == nullptr || envelope == nullptr ||
      (body == nullptr && body_len > 0)) {
    return FailNull(s);
  }
  return smtpcore::capi::Guard([&]() -> int {
    absl::Cord cord;
    if (body_len > 0) {
      cord = absl::Cord(
          absl::string_view(reinterpret_cast<const char*>(body), body_len));
    }
    return DeliverEnvelope(s, envelope, std::move(cord), now_ns, out_id);
  });
}

int smtpc_session_deliver_borrowed(smtpc_session* s,
                                   const smtpc_envelope* envelope,
                                   const uint8_t* body, size_t body_len,
                                   smtpc_release_fn release,
                                   void* release_user_data, int64_t now_ns,
                                   uint64_t* out_id) {
  auto give_back = [=] {
    if (release != nullptr) release(release_user_data, body, body_len);
  };
  if (s == nullptr || envelope == nullptr ||
      (body == nullptr && body_len > 0)) {
    give_back();
    return FailNull(s);
  }
  bool handed_over = false;
  int rc = smtpcore::capi::Guard([&]() -> int {
    // From here the Cord owns the release: it runs when the last copy of
    // the body is dropped (at once for an empty body, or when Deliver
    // refuses it).
    absl::Cord cord = absl::MakeCordFromExternal(
        absl::string_view(reinterpret_cast<const char*>(body), body_len),
        give_back);
    handed_over = true;
    return DeliverEnvelope(s, envelope, std::move(cord), now_ns, out_id);
  });
  if (!handed_over) give_back();
  return rc;
}

int smtpc_session_start_delivery(smtpc_session* s,
                                 const smtpc_envelope* envelope,
                                 int64_t now_ns, uint64_t* out_id) {
  if (s == nullptr || envelope == nullptr) return FailNull(s);
  return smtpcore::capi::Guard([&]() -> int {
    smtpcore::Envelope env;
    std::string error;
    int rc = smtpcore::capi::ReadEnvelope(envelope, &env, &error);
    if (rc == SMTPC_ERR_NULL_POINTER) return FailNull(s);
    if (rc == SMTPC_ERR_INVALID_ARGUMENT) {
      return Fail(s, smtpcore::LocalError(
                         smtpcore::ErrorDetail::kInvalidArgument, error));
    }
    if (rc != SMTPC_OK) return rc;
    absl::StatusOr<smtpcore::DeliveryId> id =
        s->session.StartDelivery(std::move(env), At(now_ns));
    if (!id.ok()) return Fail(s, id.status());
    if (out_id != nullptr) *out_id = *id;
    return SMTPC_OK;
  });
}

int smtpc_session_append_body(smtpc_session* s, uint64_t delivery_id,
                              const uint8_t* chunk, size_t len, int last,
                              int64_t now_ns) {
  if (s == nullptr || (chunk == nullptr && len > 0)) return FailNull(s);
  return smtpcore::capi::Guard([&]() -> int {
    absl::Cord cord;
    if (len > 0) {
      cord = absl::Cord(
          absl::string_view(reinterpret_cast<const char*>(chunk), len));
    }
    return Fail(s, s->session.AppendBody(delivery_id, std::move(cord),
                                         last != 0, At(now_ns)));
  });
}

int smtpc_recipient_result_init(smtpc_recipient_result* out, size_t size) {
  return smtpcore::capi::InitStruct(out, size, SMTPC_RECIPIENT_RESULT_V1_SIZE);
}

int smtpc_error_info_init(smtpc_error_info* out, size_t size) {
  return smtpcore::capi::InitStruct(out, size, SMTPC_ERROR_INFO_V1_SIZE);
}

int smtpc_session_event_num_recipients(const smtpc_session* s) {
  if (s == nullptr) return SMTPC_ERR_NULL_POINTER;
  return static_cast<int>(
      std::min<size_t>(s->recipients.size(), static_cast<size_t>(INT_MAX)));
}

int smtpc_session_event_recipient(const smtpc_session* s, size_t index,
                                  smtpc_recipient_result* out) {
  if (s == nullptr || out == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = smtpcore::capi::CheckStructSize(
          out->struct_size, SMTPC_RECIPIENT_RESULT_V1_SIZE,
          sizeof(smtpc_recipient_result));
      rc != SMTPC_OK) {
    return rc;
  }
  if (index >= s->recipients.size()) return 0;
  int rc = s->recipients[index].Fill(out);
  return rc == SMTPC_OK ? 1 : rc;
}

int smtpc_session_event_error(const smtpc_session* s, smtpc_error_info* out) {
  if (s == nullptr || out == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = smtpcore::capi::CheckStructSize(
          out->struct_size, SMTPC_ERROR_INFO_V1_SIZE, sizeof(smtpc_error_info));
      rc != SMTPC_OK) {
    return rc;
  }
  if (!s->has_error) return 0;
  int rc = s->error.Fill(out);
  return rc == SMTPC_OK ? 1 : rc;
}


}  // extern "C"
