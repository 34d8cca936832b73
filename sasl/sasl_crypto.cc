#include "sasl/sasl_crypto.h"

#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace smtpcore {
namespace internal {
namespace {

const EVP_MD* Md(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kMd5:
      return EVP_md5();
    case HashAlgorithm::kSha1:
      return EVP_sha1();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
  }
  return EVP_sha256();
}

}  // namespace

size_t DigestLength(HashAlgorithm algorithm) {
  return EVP_MD_size(Md(algorithm));
}

std::string Hash(HashAlgorithm algorithm, absl::string_view data) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, Md(algorithm), nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Hmac(HashAlgorithm algorithm, absl::string_view key,
                 absl::string_view data) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(Md(algorithm), key.data(), key.size(),
       reinterpret_cast<const uint8_t*>(data.data()), data.size(), out, &len);
  std::string result(reinterpret_cast<const char*>(out), len);
  OPENSSL_cleanse(out, sizeof(out));
  return result;
}

absl::StatusOr<std::string> Pbkdf2(HashAlgorithm algorithm,
                                   absl::string_view password,
                                   absl::string_view salt,
                                   uint32_t iterations) {
  if (iterations == 0) {
    return absl::InvalidArgumentError("PBKDF2 iteration count is 0");
  }
  std::string out(DigestLength(algorithm), '\0');
  if (!PKCS5_PBKDF2_HMAC(password.data(), password.size(),
                         reinterpret_cast<const uint8_t*>(salt.data()),
                         salt.size(), iterations, Md(algorithm), out.size(),
                         reinterpret_cast<uint8_t*>(&out[0]))) {
    return absl::InternalError("PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

std::string RandomNonce(size_t num_bytes) {
  std::string raw(num_bytes, '\0');
  RAND_bytes(reinterpret_cast<uint8_t*>(&raw[0]), raw.size());
  return absl::Base64Escape(raw);
}

std::string HexLower(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(&secret[0], secret.size());
  secret.clear();
}

}  // namespace internal
}  // namespace smtpcore
