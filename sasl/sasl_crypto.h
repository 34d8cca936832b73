// Crypto helpers shared by the SASL mechanisms, on BoringSSL libcrypto:
// digests, HMAC, PBKDF2 (RFC 8018 §5.2, SCRAM's Hi()), random nonces,
// constant-time comparison and wiping of secrets.

#ifndef SMTP_SASL_SASL_CRYPTO_H_
#define SMTP_SASL_SASL_CRYPTO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {
namespace internal {

// HashAlgorithm names the digests the mechanisms use.
enum class HashAlgorithm { kMd5, kSha1, kSha256 };

// DigestLength returns the output size of `algorithm` in bytes.
size_t DigestLength(HashAlgorithm algorithm);

// Hash returns the raw digest of `data`. Never fails.
std::string Hash(HashAlgorithm algorithm, absl::string_view data);

// Hmac returns the raw HMAC of `data` under `key` (RFC 2104). Never fails.
std::string Hmac(HashAlgorithm algorithm, absl::string_view key,
                 absl::string_view data);

// Pbkdf2 returns PBKDF2-HMAC(`password`, `salt`, `iterations`) with an
// output as long as the digest (SCRAM's Hi(), RFC 5802 §2.2). Fails with
// kInvalidArgument if `iterations` is 0 or kInternal if BoringSSL fails.
absl::StatusOr<std::string> Pbkdf2(HashAlgorithm algorithm,
                                   absl::string_view password,
                                   absl::string_view salt, uint32_t iterations);

// RandomNonce returns `num_bytes` random bytes from BoringSSL's CSPRNG,
// base64-encoded (printable ASCII without ',' or '"', so usable as a SCRAM
// or DIGEST-MD5 nonce). Aborts the process only if the RNG fails, as
// BoringSSL does.
std::string RandomNonce(size_t num_bytes);

// HexLower returns the lower-case hex encoding of `bytes`.
std::string HexLower(absl::string_view bytes);

// ConstantTimeEquals compares `a` and `b` without data-dependent timing
// (only their lengths leak).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Wipe overwrites `secret`'s bytes with zeros (OPENSSL_cleanse) and clears
// it. Used in destructors of objects that hold passwords and tokens.
void Wipe(std::string& secret);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_SASL_SASL_CRYPTO_H_
