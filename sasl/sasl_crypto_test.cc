#include "sasl/sasl_crypto.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace internal {
namespace {

TEST(SaslCryptoTest, Digests) {
  EXPECT_EQ(HexLower(Hash(HashAlgorithm::kMd5, "abc")),
            "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexLower(Hash(HashAlgorithm::kSha1, "abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexLower(Hash(HashAlgorithm::kSha256, "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(DigestLength(HashAlgorithm::kMd5), 16u);
  EXPECT_EQ(DigestLength(HashAlgorithm::kSha1), 20u);
  EXPECT_EQ(DigestLength(HashAlgorithm::kSha256), 32u);
}

// RFC 2202 §2 test case 2 (HMAC-MD5) and §3 test case 2 (HMAC-SHA-1);
// RFC 4231 §4.3 test case 2 (HMAC-SHA-256).
TEST(SaslCryptoTest, Hmac) {
  EXPECT_EQ(HexLower(Hmac(HashAlgorithm::kMd5, "Jefe",
                          "what do ya want for nothing?")),
            "750c783e6ab0b503eaa86e310a5db738");
  EXPECT_EQ(HexLower(Hmac(HashAlgorithm::kSha1, "Jefe",
                          "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(HexLower(Hmac(HashAlgorithm::kSha256, "Jefe",
                          "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 6070 §2 PBKDF2-HMAC-SHA1 vectors (20-byte output).
TEST(SaslCryptoTest, Pbkdf2) {
  absl::StatusOr<std::string> one =
      Pbkdf2(HashAlgorithm::kSha1, "password", "salt", 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(HexLower(*one), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  absl::StatusOr<std::string> many =
      Pbkdf2(HashAlgorithm::kSha1, "password", "salt", 4096);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(HexLower(*many), "4b007901b765489abead49d926f721d065a429c1");
  EXPECT_FALSE(Pbkdf2(HashAlgorithm::kSha1, "p", "s", 0).ok());
}

TEST(SaslCryptoTest, RandomNonceIsPrintableAndFresh) {
  const std::string a = RandomNonce(18);
  const std::string b = RandomNonce(18);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
  for (char c : a) {
    EXPECT_TRUE(c > 0x20 && c < 0x7F && c != ',' && c != '"') << c;
  }
}

TEST(SaslCryptoTest, ConstantTimeEqualsAndWipe) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  std::string secret = "hunter2";
  Wipe(secret);
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace internal
}  // namespace smtpcore
