// DIGEST-MD5 (RFC 2831; historic per RFC 6331 but still deployed), client
// side with qop=auth only (no integrity or confidentiality layer).
//
// Exchange (RFC 2831 §4 example, IMAP):
//   S: 334 realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",
//          algorithm=md5-sess,charset=utf-8
//   Respond(challenge) -> charset=utf-8,username="chris",
//          realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,
//          cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",
//          response=d388dad90d4bbd760a152321f2143af7,qop=auth
//   S: 334 rspauth=ea40f60335c427b5527b84dbabcdfffd
//   Respond("rspauth=...") -> ""   (verified)
//   S: 235 -> Finish("")           (OK only if rspauth was verified)
// or S: 235 with rspauth as additional data -> Finish("rspauth=...").
//
// Without charset=utf-8 from the server, user name, realm and password are
// sent in ISO 8859-1 when they can be (RFC 2831 §2.1.2.1).

#ifndef SMTP_SASL_DIGEST_MD5_H_
#define SMTP_SASL_DIGEST_MD5_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// DigestMd5Options are the inputs of a `DigestMd5Mechanism`.
struct DigestMd5Options {
  std::string username;
  std::string password;  // secret
  std::string authzid;   // optional
  // host and service form digest-uri "smtp/mail.example.com" (RFC 2831
  // §2.1.2); host should be the server's name as the client knows it.
  std::string host;
  std::string service = "smtp";
  // cnonce, if not empty, replaces the random client nonce (tests only).
  std::string cnonce;
};

// DigestMd5Mechanism answers the digest challenge and verifies rspauth.
// Owns a copy of the options and wipes the password on destruction.
class DigestMd5Mechanism final : public SaslMechanism {
 public:
  explicit DigestMd5Mechanism(DigestMd5Options options);
  ~DigestMd5Mechanism() override;

  absl::string_view name() const override { return "DIGEST-MD5"; }

  // Start fails with kFailedPrecondition/kAuthMechanism if the user name or
  // host is empty.
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns nullopt: DIGEST-MD5 starts with the challenge.
  absl::optional<std::string> InitialResponse() override {
    return absl::nullopt;
  }

  // Respond answers the digest-challenge, then verifies the
  // response-auth ("rspauth=") and returns "". Fails with
  // kDataLoss/kAuthMechanism for a malformed challenge, no nonce, no "auth"
  // qop, an algorithm other than md5-sess, or a wrong rspauth.
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

  // Finish verifies `server_final` (rspauth) if non-empty and not yet seen;
  // fails with kDataLoss/kAuthMechanism unless rspauth was verified.
  absl::Status Finish(absl::string_view server_final) override;

 private:
  enum class Step { kInit, kSentResponse, kVerified, kFailed };

  absl::StatusOr<std::string> HandleChallenge(absl::string_view challenge);
  absl::Status HandleRspAuth(absl::string_view message);

  DigestMd5Options options_;
  std::string expected_rspauth_;  // lower-case hex
  Step step_ = Step::kInit;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_DIGEST_MD5_H_
