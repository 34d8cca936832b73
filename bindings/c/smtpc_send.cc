// smtpc_send.cc: the C ABI's one-call blocking delivery (smtpc_send, see
// smtpc.h) over transports/blocking's BlockingClient.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "bindings/c/smtpc.h"
#include "bindings/c/smtpc_internal.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/smtp_error.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/transport_error.h"
#include "transports/proxy/proxy_config.h"

struct smtpc_send_result {
  std::vector<smtpcore::capi::RecipientOut> recipients;
  bool failed = false;
  smtpcore::capi::ErrorOut error;
  std::string tls_version;
  std::string auth_mechanism;
};

namespace smtpcore {
namespace capi {
namespace {

// SetFailure records `error` in `r` and returns its code.
int SetFailure(smtpc_send_result* r, const SmtpError& error) {
  r->failed = true;
  r->error = ErrorOut::From(error);
  return r->error.error;
}

// SetRecipients replaces the per-recipient results of `r` with `result`'s.
void SetRecipients(smtpc_send_result* r, const DeliveryResult& result) {
  r->recipients.clear();
  for (const RecipientResult& rr : result.recipients) {
    r->recipients.push_back(RecipientOut::From(rr));
  }
}

// FailBeforeSession records `error`, a failure before the session could
// report on the delivery (bad options, connect, TLS or greeting failure):
// every recipient of `recipients` gets its final outcome, not sent
// (FailedOutcome), and the code of `error` is returned.
int FailBeforeSession(smtpc_send_result* r,
                      absl::Span<const Recipient> recipients, SmtpError error) {
  SetRecipients(r, FailedOutcome(recipients, error).result);
  return SetFailure(r, error);
}

// LocalRefusal is a local refusal (bad options) that happened before
// anything was sent.
SmtpError LocalRefusal(ErrorDetail detail, absl::string_view message) {
  return SmtpError::FromStatus(LocalError(detail, message),
                               CommandKind::kGreeting);
}

absl::StatusOr<std::string> ReadFile(absl::string_view what, const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("cannot read ", what, " ", path));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Send(const smtpc_send_options& o, const smtpc_envelope* c_envelope,
         const uint8_t* body, size_t body_len, smtpc_send_result* r) {
  smtpc_session_options c_session;
  if (int rc = ReadOptions(o.session, &c_session); rc != SMTPC_OK) return rc;
  Envelope envelope;
  std::string error;
  int rc = ReadEnvelope(c_envelope, &envelope, &error);
  if (rc == SMTPC_ERR_INVALID_ARGUMENT) {
    // No envelope, so no per-recipient results.
    return SetFailure(r, LocalRefusal(ErrorDetail::kInvalidArgument, error));
  }
  if (rc != SMTPC_OK) return rc;
  // From here on every failure has a final outcome for every recipient.
  auto local_failure = [&](absl::string_view message) {
    return FailBeforeSession(
        r, envelope.recipients,
        LocalRefusal(ErrorDetail::kInvalidArgument, message));
  };

  ClientOptions options;
  options.host = o.host != nullptr ? o.host : "localhost";
  // Version 2: Unix-domain socket, source address, proxy.
  if (o.unix_socket != nullptr) options.unix_socket = o.unix_socket;
  if (o.local_address != nullptr) options.local_address = o.local_address;
  if (o.proxy_url != nullptr) {
    absl::StatusOr<ProxyConfig> proxy = ParseProxyUrl(o.proxy_url);
    if (!proxy.ok()) {
      return local_failure(
          absl::StrCat("proxy_url: ", proxy.status().message()));
    }
    options.proxy = *std::move(proxy);
  }
  if (absl::Status valid = ValidateClientOptions(options); !valid.ok()) {
    return local_failure(valid.message());
  }
  if (o.port < 0 || o.port > 65535) {
    return local_failure("port out of range");
  }
  options.port = static_cast<uint16_t>(o.port);
  if (BuildSessionOptions(c_session, &options.session, &error) != SMTPC_OK) {
    return local_failure(error);
  }
  if (o.connect_timeout_ms < 0) {
    options.connect_timeout = absl::ZeroDuration();
  } else if (o.connect_timeout_ms > 0) {
    options.connect_timeout = absl::Milliseconds(o.connect_timeout_ms);
  }
  TlsOptions& tls = options.tls;
  tls.role = TlsRole::kClient;
  if (o.ca_file != nullptr) tls.ca_file = o.ca_file;
  if (o.tls_server_name != nullptr) tls.server_name = o.tls_server_name;
  tls.insecure =
      o.insecure != 0 ||
      (c_session.tls_mode == SMTPC_TLS_OPPORTUNISTIC && o.ca_file == nullptr);
  if ((o.client_cert_file == nullptr) != (o.client_key_file == nullptr)) {
    return local_failure("client_cert_file and client_key_file go together");
  }
  if (o.client_cert_file != nullptr) {
    absl::StatusOr<std::string> cert =
        ReadFile("client_cert_file", o.client_cert_file);
    if (!cert.ok()) {
      return local_failure(cert.status().message());
    }
    absl::StatusOr<std::string> key =
        ReadFile("client_key_file", o.client_key_file);
    if (!key.ok()) {
      return local_failure(key.status().message());
    }
    tls.certificate_chain_pem = *std::move(cert);
    tls.private_key_pem = *std::move(key);
  }
  options.on_event = [r](const Event& event) {
    if (const auto* a = std::get_if<Authenticated>(&event)) {
      r->auth_mechanism = a->mechanism;
    } else if (const auto* t = std::get_if<TlsEstablished>(&event)) {
      r->tls_version = t->info.version;
    }
  };

  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(std::move(options));
  if (!client.ok()) {
    return FailBeforeSession(r, envelope.recipients,
                             ErrorFromStatus(client.status()));
  }
  absl::Cord cord;
  if (body_len > 0) {
    cord = absl::Cord(
        absl::string_view(reinterpret_cast<const char*>(body), body_len));
  }
  DeliveryOutcome outcome =
      (*client)->Deliver(std::move(envelope), std::move(cord));
  // The delivery's outcome stands whatever QUIT gets.
  (void)(*client)->Close();
  SetRecipients(r, outcome.result);
  if (!outcome.ok()) return SetFailure(r, *outcome.error);
  return SMTPC_OK;
}

}  // namespace
}  // namespace capi
}  // namespace smtpcore

extern "C" {

int smtpc_send_options_init(smtpc_send_options* options, size_t size) {
  return smtpcore::capi::InitStruct(options, size, SMTPC_SEND_OPTIONS_V1_SIZE);
}

int smtpc_send(const smtpc_send_options* options,
               const smtpc_envelope* envelope, const uint8_t* body,
               size_t body_len, smtpc_send_result** out) {
  if (out == nullptr) return SMTPC_ERR_NULL_POINTER;
  *out = nullptr;
  if (options == nullptr || envelope == nullptr ||
      (body == nullptr && body_len > 0)) {
    return SMTPC_ERR_NULL_POINTER;
  }
  if (int rc = smtpcore::capi::CheckStructSize(options->struct_size,
                                               SMTPC_SEND_OPTIONS_V1_SIZE,
                                               sizeof(smtpc_send_options));
      rc != SMTPC_OK) {
    return rc;
  }
  smtpc_send_options o;
  smtpc_send_options_init(&o, sizeof(o));
  std::memcpy(static_cast<void*>(&o), options, options->struct_size);
  if (o.host == nullptr && o.unix_socket == nullptr) {
    return SMTPC_ERR_NULL_POINTER;
  }
  smtpc_send_result* result = nullptr;
  int rc = smtpcore::capi::Guard([&]() -> int {
    result = new smtpc_send_result();
    return smtpcore::capi::Send(o, envelope, body, body_len, result);
  });
  // Failures before anything could be reported leave no result.
  if (rc == SMTPC_ERR_NULL_POINTER || rc == SMTPC_ERR_VERSION ||
      (result != nullptr && !result->failed && rc != SMTPC_OK)) {
    delete result;
    return rc;
  }
  *out = result;
  return rc;
}

void smtpc_send_result_free(smtpc_send_result* result) { delete result; }

int smtpc_send_result_num_recipients(const smtpc_send_result* r) {
  if (r == nullptr) return SMTPC_ERR_NULL_POINTER;
  return static_cast<int>(r->recipients.size());
}

int smtpc_send_result_recipient(const smtpc_send_result* r, size_t index,
                                smtpc_recipient_result* out) {
  if (r == nullptr || out == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = smtpcore::capi::CheckStructSize(out->struct_size,
                                               SMTPC_RECIPIENT_RESULT_V1_SIZE,
                                               sizeof(smtpc_recipient_result));
      rc != SMTPC_OK) {
    return rc;
  }
  if (index >= r->recipients.size()) return 0;
  int rc = r->recipients[index].Fill(out);
  return rc == SMTPC_OK ? 1 : rc;
}

int smtpc_send_result_error(const smtpc_send_result* r, smtpc_error_info* out) {
  if (r == nullptr || out == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = smtpcore::capi::CheckStructSize(
          out->struct_size, SMTPC_ERROR_INFO_V1_SIZE, sizeof(smtpc_error_info));
      rc != SMTPC_OK) {
    return rc;
  }
  if (!r->failed) return 0;
  int rc = r->error.Fill(out);
  return rc == SMTPC_OK ? 1 : rc;
}

const char* smtpc_send_result_tls_version(const smtpc_send_result* r) {
  return r == nullptr ? "" : r->tls_version.c_str();
}

const char* smtpc_send_result_auth_mechanism(const smtpc_send_result* r) {
  return r == nullptr ? "" : r->auth_mechanism.c_str();
}

}  // extern "C"
