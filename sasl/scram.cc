#include "sasl/scram.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"
#include "sasl/saslprep.h"

namespace smtpcore {
namespace {

using internal::HashAlgorithm;
using internal::MechanismError;
using internal::MechanismPreconditionError;

// Client nonce length in random bytes (base64: 24 characters).
constexpr size_t kNonceBytes = 18;

HashAlgorithm ToHash(ScramHash hash) {
  return hash == ScramHash::kSha1 ? HashAlgorithm::kSha1
                                  : HashAlgorithm::kSha256;
}

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no ',').
bool IsPrintableNonce(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

bool ParseIterations(absl::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 0xFFFFFFFFu) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

std::string Xor(absl::string_view a, absl::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] ^= b[i];
  return out;
}

}  // namespace

ScramMechanism::ScramMechanism(ScramOptions options)
    : options_(std::move(options)) {}

ScramMechanism::~ScramMechanism() {
  internal::Wipe(options_.password);
  internal::Wipe(prepared_password_);
}

absl::string_view ScramMechanism::name() const {
  if (options_.hash == ScramHash::kSha1) {
    return options_.plus ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-1";
  }
  return options_.plus ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256";
}

absl::Status ScramMechanism::Start(const TlsInfo* tls) {
  started_ = true;
  if (options_.username.empty()) {
    return MechanismPreconditionError("SCRAM: empty user name");
  }
  absl::StatusOr<std::string> user = SaslPrep(options_.username);
  if (!user.ok()) {
    return MechanismPreconditionError(
        absl::StrCat("SCRAM: user name: ", user.status().message()));
  }
  absl::StatusOr<std::string> password = SaslPrep(options_.password);
  if (!password.ok()) {
    return MechanismPreconditionError(
        absl::StrCat("SCRAM: password: ", password.status().message()));
  }
  prepared_user_ = internal::EscapeSaslName(*user);
  prepared_password_ = *std::move(password);

  const bool have_binding = tls != nullptr && !tls->channel_binding.empty() &&
                            !tls->channel_binding_type.empty();
  std::string flag;
  channel_binding_.clear();
  if (options_.plus) {
    if (!have_binding) {
      return MechanismPreconditionError(
          absl::StrCat(name(), " needs TLS channel-binding data"));
    }
    flag = absl::StrCat("p=", tls->channel_binding_type);
    channel_binding_ = tls->channel_binding;
  } else if (have_binding &&
             options_.server_plus == ScramPlusOffer::kNotOffered) {
    flag = "y";
  } else {
    flag = "n";
  }
  std::string authzid;
  if (!options_.authzid.empty()) {
    absl::StatusOr<std::string> prepared = SaslPrep(options_.authzid);
    if (!prepared.ok()) {
      return MechanismPreconditionError(
          absl::StrCat("SCRAM: authzid: ", prepared.status().message()));
    }
    authzid = absl::StrCat("a=", internal::EscapeSaslName(*prepared));
  }
  gs2_header_ = absl::StrCat(flag, ",", authzid, ",");

  if (!options_.client_nonce.empty()) {
    if (!IsPrintableNonce(options_.client_nonce)) {
      return MechanismPreconditionError("SCRAM: unusable client nonce");
    }
    client_nonce_ = options_.client_nonce;
  } else {
    client_nonce_ = internal::RandomNonce(kNonceBytes);
  }
  return absl::OkStatus();
}

std::string ScramMechanism::ClientFirstBare() const {
  return absl::StrCat("n=", prepared_user_, ",r=", client_nonce_);
}

absl::optional<std::string> ScramMechanism::InitialResponse() {
  if (step_ == Step::kInit) step_ = Step::kSentFirst;
  return absl::StrCat(gs2_header_, ClientFirstBare());
}

absl::StatusOr<std::string> ScramMechanism::Respond(
    absl::string_view challenge) {
  if (!started_) return MechanismError("SCRAM: Start was not called");
  switch (step_) {
    case Step::kInit:
    case Step::kSentFirst:
      if (challenge.empty()) {
        // No SASL-IR: the server asks for client-first-message.
        step_ = Step::kSentFirst;
        return absl::StrCat(gs2_header_, ClientFirstBare());
      }
      if (step_ == Step::kInit) {
        return MechanismError("SCRAM: server data before client-first");
      }
      return HandleServerFirst(challenge);
    case Step::kSentFinal: {
      absl::Status verified = HandleServerFinal(challenge);
      if (!verified.ok()) return verified;
      return std::string();
    }
    case Step::kVerified:
      return MechanismError("SCRAM: unexpected challenge after server-final");
    case Step::kFailed:
      break;
  }
  return MechanismError("SCRAM: exchange already failed");
}

absl::StatusOr<std::string> ScramMechanism::HandleServerFirst(
    absl::string_view message) {
  step_ = Step::kFailed;
  // server-first-message = [reserved-mext ","] nonce "," salt ","
  //                        iteration-count ["," extensions]   (RFC 5802 §7)
  std::vector<absl::string_view> parts = absl::StrSplit(message, ',');
  if (!parts.empty() && absl::StartsWith(parts[0], "m=")) {
    return MechanismError("SCRAM: unsupported mandatory extension");
  }
  if (parts.size() < 3 || !absl::StartsWith(parts[0], "r=") ||
      !absl::StartsWith(parts[1], "s=") || !absl::StartsWith(parts[2], "i=")) {
    return MechanismError("SCRAM: malformed server-first-message");
  }
  const absl::string_view nonce = parts[0].substr(2);
  if (!IsPrintableNonce(nonce) || nonce.size() <= client_nonce_.size() ||
      !absl::StartsWith(nonce, client_nonce_)) {
    return MechanismError("SCRAM: server nonce does not extend ours");
  }
  std::string salt;
  if (!absl::Base64Unescape(parts[1].substr(2), &salt) || salt.empty()) {
    return MechanismError("SCRAM: bad salt");
  }
  uint32_t iterations = 0;
  if (!ParseIterations(parts[2].substr(2), &iterations) || iterations == 0) {
    return MechanismError("SCRAM: bad iteration count");
  }
  if (iterations > options_.max_iterations) {
    return MechanismError(absl::StrCat("SCRAM: iteration count ", iterations,
                                       " above the limit ",
                                       options_.max_iterations));
  }

  const HashAlgorithm hash = ToHash(options_.hash);
  absl::StatusOr<std::string> salted =
      internal::Pbkdf2(hash, prepared_password_, salt, iterations);
  if (!salted.ok()) return MechanismError("SCRAM: key derivation failed");

  const std::string client_final_without_proof = absl::StrCat(
      "c=", absl::Base64Escape(absl::StrCat(gs2_header_, channel_binding_)),
      ",r=", nonce);
  auth_message_ = absl::StrCat(ClientFirstBare(), ",", message, ",",
                               client_final_without_proof);
  // RFC 5802 §3.
  std::string client_key = internal::Hmac(hash, *salted, "Client Key");
  const std::string stored_key = internal::Hash(hash, client_key);
  const std::string client_signature =
      internal::Hmac(hash, stored_key, auth_message_);
  std::string proof = Xor(client_key, client_signature);
  std::string server_key = internal::Hmac(hash, *salted, "Server Key");
  server_signature_ = internal::Hmac(hash, server_key, auth_message_);
  internal::Wipe(*salted);
  internal::Wipe(client_key);
  internal::Wipe(server_key);

  step_ = Step::kSentFinal;
  std::string out = absl::StrCat(client_final_without_proof,
                                 ",p=", absl::Base64Escape(proof));
  internal::Wipe(proof);
  return out;
}

absl::Status ScramMechanism::HandleServerFinal(absl::string_view message) {
  step_ = Step::kFailed;
  // server-final-message = (server-error / verifier) ["," extensions]
  const absl::string_view first = message.substr(0, message.find(','));
  if (absl::StartsWith(first, "e=")) {
    return MechanismError(
        absl::StrCat("SCRAM: server error: ", first.substr(2)));
  }
  std::string signature;
  if (!absl::StartsWith(first, "v=") ||
      !absl::Base64Unescape(first.substr(2), &signature)) {
    return MechanismError("SCRAM: malformed server-final-message");
  }
  if (!internal::ConstantTimeEquals(signature, server_signature_)) {
    return MechanismError("SCRAM: wrong server signature");
  }
  step_ = Step::kVerified;
  return absl::OkStatus();
}

absl::Status ScramMechanism::Finish(absl::string_view server_final) {
  if (step_ == Step::kVerified) return absl::OkStatus();
  if (step_ == Step::kSentFinal && !server_final.empty()) {
    return HandleServerFinal(server_final);
  }
  step_ = Step::kFailed;
  return MechanismError("SCRAM: server signature missing");
}

}  // namespace smtpcore
