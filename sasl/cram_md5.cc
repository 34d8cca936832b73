#include "sasl/cram_md5.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {

CramMd5Mechanism::CramMd5Mechanism(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

CramMd5Mechanism::~CramMd5Mechanism() { internal::Wipe(password_); }

absl::Status CramMd5Mechanism::Start(const TlsInfo* tls) {
  if (username_.empty()) {
    return internal::MechanismPreconditionError("CRAM-MD5: empty user name");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CramMd5Mechanism::Respond(
    absl::string_view challenge) {
  if (responded_) {
    return internal::MechanismError("CRAM-MD5: unexpected second challenge");
  }
  if (challenge.empty()) {
    return internal::MechanismError("CRAM-MD5: empty challenge");
  }
  responded_ = true;
  // RFC 2195 §2: the digest is HMAC-MD5 keyed with the shared secret.
  return absl::StrCat(
      username_, " ",
      internal::HexLower(
          internal::Hmac(internal::HashAlgorithm::kMd5, password_, challenge)));
}

}  // namespace smtpcore
