// SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants (RFC 5802, RFC 7677;
// channel binding: RFC 5929 tls-unique, RFC 9266 tls-exporter).
//
// Exchange (RFC 5802 §5, example with SCRAM-SHA-1):
//   InitialResponse() -> "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
//   S: 334 r=fyko+d2lbbFgONRv9qkxdawL3rfc...,s=QSXCR+Q6sek8bf92,i=4096
//   Respond(server-first) -> "c=biws,r=fyko...,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
//   S: 334 v=rmF9pqV8S7suAoZWja4dJRkFsKQ=
//   Respond(server-final) -> ""   (server signature verified)
//   S: 235 -> Finish("")          (OK only if the signature was verified)
// or S: 235 with the server-final as additional data -> Finish(server-final).
//
// GS2 channel-binding flag (RFC 5802 §6):
//   "p=<type>"  -PLUS mechanism: binds to `TlsInfo::channel_binding`.
//   "y"         non-PLUS, we have channel-binding data but were told the
//               server did not advertise -PLUS (downgrade detection: a
//               server that does support -PLUS then fails the exchange).
//   "n"         otherwise (no TLS or no binding data, or the server offers
//               -PLUS and the caller chose the plain variant, or unknown).
//
// User name and password go through SASLprep (sasl/saslprep.h, with its
// documented limitations); the user name is then escaped ("=2C", "=3D").

#ifndef SMTP_SASL_SCRAM_H_
#define SMTP_SASL_SCRAM_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// ScramHash selects the SCRAM family member.
enum class ScramHash { kSha1, kSha256 };

// ScramPlusOffer says whether the server advertised the -PLUS variant of the
// mechanism; it only matters for the "y" flag of a non-PLUS exchange.
enum class ScramPlusOffer { kUnknown, kOffered, kNotOffered };

// ScramOptions are the inputs of a `ScramMechanism`.
struct ScramOptions {
  ScramHash hash = ScramHash::kSha256;
  bool plus = false;  // use channel binding (SCRAM-*-PLUS)
  std::string username;
  std::string password;  // secret
  std::string authzid;   // optional authorization identity ("a=")
  ScramPlusOffer server_plus = ScramPlusOffer::kUnknown;
  // client_nonce, if not empty, replaces the random nonce (tests only). It
  // must be printable ASCII without ','.
  std::string client_nonce;
  // max_iterations bounds the server's iteration count "i=": a hostile
  // server could otherwise make us burn minutes of CPU. 10 million is far
  // above deployed values (4096 default in Dovecot/Cyrus, 10000 in
  // Postgres, 600000 OWASP PBKDF2-SHA256 advice).
  uint32_t max_iterations = 10000000;
};

// ScramMechanism runs one SCRAM exchange and verifies the server signature.
// Owns a copy of the options; wipes the password and derived keys on
// destruction.
class ScramMechanism final : public SaslMechanism {
 public:
  explicit ScramMechanism(ScramOptions options);
  ~ScramMechanism() override;

  // name returns "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS" or
  // "SCRAM-SHA-256-PLUS".
  absl::string_view name() const override;

  // Start fixes the channel binding from `tls` and prepares the
  // credentials. Fails with kFailedPrecondition/kAuthMechanism for a -PLUS
  // mechanism without TLS channel-binding data, an empty user name, or a
  // user name or password SASLprep rejects.
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns client-first-message (gs2 header + bare).
  absl::optional<std::string> InitialResponse() override;

  // Respond takes server-first-message and returns client-final-message,
  // then takes server-final-message, verifies "v=" and returns "". An empty
  // challenge before server-first is answered with client-first (no
  // SASL-IR). Fails with kDataLoss/kAuthMechanism for a malformed message,
  // a nonce that does not extend ours, an iteration count of 0 or above
  // `max_iterations`, a mandatory extension, a server error "e=", or a
  // wrong server signature.
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

  // Finish verifies `server_final` if non-empty and not seen yet; fails with
  // kDataLoss/kAuthMechanism unless a valid server signature was verified.
  absl::Status Finish(absl::string_view server_final) override;

  // gs2_header returns the GS2 header chosen by `Start` ("n,,", "y,,",
  // "p=tls-exporter,,", with "a=..." when an authzid is given).
  const std::string& gs2_header() const { return gs2_header_; }

 private:
  enum class Step { kInit, kSentFirst, kSentFinal, kVerified, kFailed };

  absl::StatusOr<std::string> HandleServerFirst(absl::string_view message);
  absl::Status HandleServerFinal(absl::string_view message);
  std::string ClientFirstBare() const;

  ScramOptions options_;
  std::string prepared_user_;      // SASLprep'd and escaped
  std::string prepared_password_;  // SASLprep'd (secret)
  std::string gs2_header_;
  std::string channel_binding_;  // data appended to the gs2 header in "c="
  std::string client_nonce_;
  std::string auth_message_;
  std::string server_signature_;  // expected "v=" (raw)
  Step step_ = Step::kInit;
  bool started_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_SCRAM_H_
