// ScramServer: a minimal server side of SCRAM (RFC 5802 §5), for tests and
// the `smtpc demo` embedded sink. It derives StoredKey/ServerKey from a
// password, checks the GS2 header and channel binding, the nonce and the
// client proof, and produces the server signature. Not meant for a real
// server: it keeps one user and never stores verifiers.
//
//   ScramServer server(options);
//   server_first = server.HandleClientFirst(client_first);   //
//   "r=..,s=..,i=.." server_final = server.HandleClientFinal(client_final); //
//   "v=..."

#ifndef SMTP_SASL_SCRAM_SERVER_H_
#define SMTP_SASL_SCRAM_SERVER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sasl/scram.h"

namespace smtpcore {

// ScramServerOptions configure a `ScramServer`.
struct ScramServerOptions {
  ScramHash hash = ScramHash::kSha256;
  std::string username;  // before SASLprep
  std::string password;  // secret, before SASLprep
  std::string salt = "smtpcore-scram-salt";
  uint32_t iterations = 4096;
  // channel_binding_type/channel_binding: this side's TLS binding
  // (`TlsInfo`). Non-empty means the server offers -PLUS: a client flag "y"
  // is then a downgrade and fails (RFC 5802 §6).
  std::string channel_binding_type;
  std::string channel_binding;
  // server_nonce, if not empty, replaces the random nonce part (tests).
  std::string server_nonce;
};

// ScramServer verifies one SCRAM exchange. Owns its options.
class ScramServer {
 public:
  explicit ScramServer(ScramServerOptions options);
  ~ScramServer();

  // HandleClientFirst takes client-first-message and returns
  // server-first-message. Fails with kPermissionDenied for a malformed
  // message, an unknown user, or a GS2 flag this server must refuse.
  absl::StatusOr<std::string> HandleClientFirst(absl::string_view message);

  // HandleClientFinal takes client-final-message and returns
  // server-final-message ("v=..."). Fails with kPermissionDenied whose
  // message is the RFC 5802 server-error value ("invalid-proof",
  // "channel-bindings-dont-match", ...).
  absl::StatusOr<std::string> HandleClientFinal(absl::string_view message);

  // authenticated is true after a valid client proof.
  bool authenticated() const { return authenticated_; }

 private:
  ScramServerOptions options_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  std::string stored_key_;
  std::string server_key_;
  bool authenticated_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_SCRAM_SERVER_H_
