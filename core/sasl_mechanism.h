// SaslMechanism: the interface one SASL mechanism implements (RFC 4422).
//
// The core owns the SMTP side of the exchange (RFC 4954): base64, the 334
// challenge loop (bounded), "*" to abort when the mechanism fails, SASL-IR
// initial responses ("=" for an empty one) within the 512-octet line limit,
// and the 235 / 535 / 454 outcome. A mechanism only sees decoded bytes.
// Mechanisms live in sasl/ (PLAIN, LOGIN, CRAM-MD5, SCRAM-*, XOAUTH2, ...).
//
// Example sequence for PLAIN with SASL-IR:
//   name() -> "PLAIN"; InitialResponse() -> "\0user\0pass"
//   C: AUTH PLAIN AHVzZXIAcGFzcw==     S: 235 2.7.0 ok      -> Finish("")
// and for SCRAM:
//   InitialResponse() -> client-first; S: 334 <server-first>
//   Respond(server-first) -> client-final; S: 334 <server-final>
//   Respond(server-final) -> "" (verifies it) ; S: 235 -> Finish("")
//   or S: 235 with server-final as additional data -> Finish(server-final)

#ifndef SMTP_CORE_SASL_MECHANISM_H_
#define SMTP_CORE_SASL_MECHANISM_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace smtpcore {

// TlsInfo describes an established TLS session, as reported by the adapter
// that runs the TLS layer (`Connection::OnTlsEstablished`).
struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_128_GCM_SHA256"
  std::string server_name;
  bool verified = false;          // PKIX (or DANE) verification passed
  std::string verify_error;       // why not, when !verified
  // Channel binding data (RFC 5929 tls-unique for TLS 1.2, RFC 9266
  // tls-exporter for TLS 1.3); empty when unavailable.
  std::string channel_binding_type;  // "tls-exporter" or "tls-unique"
  std::string channel_binding;
  bool client_certificate = false;  // a client certificate was sent
  // The peer's leaf certificate, for reports (`smtpc probe`): subject and
  // issuer as RFC 2253 strings ("CN=mx.example.org,O=Example"), notAfter
  // as RFC 3339 UTC ("2030-01-31T23:59:59Z"). Empty when the peer sent no
  // certificate (or the adapter does not say).
  std::string peer_subject;
  std::string peer_issuer;
  std::string peer_not_after;
};

// SaslMechanism is one client-side SASL mechanism instance, used for one
// authentication exchange. The core owns it for the exchange's duration.
class SaslMechanism {
 public:
  virtual ~SaslMechanism() = default;

  // name returns the IANA mechanism name, upper case ("SCRAM-SHA-256").
  virtual absl::string_view name() const = 0;

  // Start is called once before anything else, with the TLS state (nullptr
  // when not over TLS). A mechanism that needs TLS (EXTERNAL, *-PLUS) fails
  // here with kFailedPrecondition. Default: OK.
  virtual absl::Status Start(const TlsInfo* tls) { return absl::OkStatus(); }

  // InitialResponse returns the client's initial response for SASL-IR, or
  // nullopt if the mechanism starts by waiting for a challenge (LOGIN,
  // CRAM-MD5, DIGEST-MD5). An empty string is a present-but-empty response.
  virtual absl::optional<std::string> InitialResponse() = 0;

  // Respond returns the client's answer to one decoded server `challenge`.
  // An error makes the core send "*" (abort) and report kAuthMechanism.
  virtual absl::StatusOr<std::string> Respond(absl::string_view challenge) = 0;

  // Finish is called on 235 with the decoded additional data, if any (empty
  // otherwise). A mechanism that verifies the server (SCRAM) fails here if
  // it has not seen a valid server signature. Default: OK.
  virtual absl::Status Finish(absl::string_view server_final) {
    return absl::OkStatus();
  }

  // RenewCredentials is called at most once, after the server refused the
  // exchange with a final reply (4xx/5xx other than 421, not after a "*"
  // cancel), when the session allows one retry (SessionOptions::
  // renew_auth_credentials; core/sasl_exchange.h). A mechanism whose
  // credentials can be renewed (an OAuth 2.0 bearer token from a token
  // provider, sasl/oauth_token.h) gets fresh ones and returns true: the
  // session then runs one more AUTH exchange with a new mechanism from its
  // chooser, which must see the renewed credentials. It may block (it is
  // called from the session's input call); it must not call back into the
  // session. Default: false (a password stays the password).
  virtual bool RenewCredentials() { return false; }
};

}  // namespace smtpcore

#endif  // SMTP_CORE_SASL_MECHANISM_H_
