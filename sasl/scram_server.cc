#include "sasl/scram_server.h"

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

absl::Status Refuse(absl::string_view server_error) {
  return absl::PermissionDeniedError(server_error);
}

HashAlgorithm ToHash(ScramHash hash) {
  return hash == ScramHash::kSha1 ? HashAlgorithm::kSha1
                                  : HashAlgorithm::kSha256;
}

}  // namespace

ScramServer::ScramServer(ScramServerOptions options)
    : options_(std::move(options)) {}

ScramServer::~ScramServer() {
  internal::Wipe(options_.password);
  internal::Wipe(stored_key_);
  internal::Wipe(server_key_);
}

absl::StatusOr<std::string> ScramServer::HandleClientFirst(
    absl::string_view message) {
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const size_t first_comma = message.find(',');
  const size_t second_comma = first_comma == absl::string_view::npos
                                  ? absl::string_view::npos
                                  : message.find(',', first_comma + 1);
  if (second_comma == absl::string_view::npos) return Refuse("other-error");
  const absl::string_view flag = message.substr(0, first_comma);
  const bool offers_plus = !options_.channel_binding.empty();
  if (flag == "y") {
    if (offers_plus) return Refuse("server-does-support-channel-binding");
  } else if (absl::StartsWith(flag, "p=")) {
    if (!offers_plus || flag.substr(2) != options_.channel_binding_type) {
      return Refuse("unsupported-channel-binding-type");
    }
  } else if (flag != "n") {
    return Refuse("other-error");
  }
  gs2_header_ = std::string(message.substr(0, second_comma + 1));
  client_first_bare_ = std::string(message.substr(second_comma + 1));

  std::vector<std::string> parts = absl::StrSplit(client_first_bare_, ',');
  absl::StatusOr<std::string> user = SaslPrep(options_.username);
  if (parts.size() < 2 || !user.ok() ||
      parts[0] != "n=" + internal::EscapeSaslName(*user)) {
    return Refuse("unknown-user");
  }
  if (!absl::StartsWith(parts[1], "r=") || parts[1].size() < 3) {
    return Refuse("other-error");
  }
  nonce_ = absl::StrCat(parts[1].substr(2), options_.server_nonce.empty()
                                                ? internal::RandomNonce(18)
                                                : options_.server_nonce);
  server_first_ =
      absl::StrCat("r=", nonce_, ",s=", absl::Base64Escape(options_.salt),
                   ",i=", options_.iterations);

  absl::StatusOr<std::string> password = SaslPrep(options_.password);
  if (!password.ok()) return Refuse("other-error");
  const HashAlgorithm hash = ToHash(options_.hash);
  absl::StatusOr<std::string> salted =
      internal::Pbkdf2(hash, *password, options_.salt, options_.iterations);
  internal::Wipe(*password);
  if (!salted.ok()) return Refuse("other-error");
  stored_key_ =
      internal::Hash(hash, internal::Hmac(hash, *salted, "Client Key"));
  server_key_ = internal::Hmac(hash, *salted, "Server Key");
  internal::Wipe(*salted);
  return server_first_;
}

absl::StatusOr<std::string> ScramServer::HandleClientFinal(
    absl::string_view message) {
  if (server_first_.empty()) return Refuse("other-error");
  const size_t p = message.rfind(",p=");
  if (p == absl::string_view::npos) return Refuse("other-error");
  const absl::string_view without_proof = message.substr(0, p);
  std::vector<absl::string_view> parts = absl::StrSplit(without_proof, ',');
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "c=") ||
      !absl::StartsWith(parts[1], "r=")) {
    return Refuse("other-error");
  }
  const std::string binding =
      absl::StartsWith(gs2_header_, "p=") ? options_.channel_binding : "";
  if (parts[0].substr(2) != absl::Base64Escape(gs2_header_ + binding)) {
    return Refuse("channel-bindings-dont-match");
  }
  if (parts[1].substr(2) != nonce_) return Refuse("other-error");
  std::string proof;
  if (!absl::Base64Unescape(message.substr(p + 3), &proof)) {
    return Refuse("invalid-encoding");
  }
  const HashAlgorithm hash = ToHash(options_.hash);
  const std::string auth_message =
      absl::StrCat(client_first_bare_, ",", server_first_, ",", without_proof);
  const std::string client_signature =
      internal::Hmac(hash, stored_key_, auth_message);
  if (proof.size() != client_signature.size()) return Refuse("invalid-proof");
  std::string client_key = proof;
  for (size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] ^= client_signature[i];
  }
  const bool ok = internal::ConstantTimeEquals(internal::Hash(hash, client_key),
                                               stored_key_);
  internal::Wipe(client_key);
  if (!ok) return Refuse("invalid-proof");
  authenticated_ = true;
  return absl::StrCat("v=", absl::Base64Escape(internal::Hmac(hash, server_key_,
                                                              auth_message)));
}

}  // namespace smtpcore
