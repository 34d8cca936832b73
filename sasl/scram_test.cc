#include "sasl/scram.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {
namespace {

using internal::HashAlgorithm;

// RFC 5802 §5.
TEST(ScramTest, Rfc5802Sha1Example) {
  ScramOptions options;
  options.hash = ScramHash::kSha1;
  options.username = "user";
  options.password = "pencil";
  options.client_nonce = "fyko+d2lbbFgONRv9qkxdawL";
  ScramMechanism m(options);
  EXPECT_EQ(m.name(), "SCRAM-SHA-1");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.InitialResponse(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  absl::StatusOr<std::string> final_message = m.Respond(
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
      "i=4096");
  ASSERT_TRUE(final_message.ok()) << final_message.status();
  EXPECT_EQ(*final_message,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
            "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  absl::StatusOr<std::string> last = m.Respond("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, "");
  EXPECT_TRUE(m.Finish("").ok());
}

// RFC 7677 §3.
TEST(ScramTest, Rfc7677Sha256Example) {
  ScramOptions options;
  options.hash = ScramHash::kSha256;
  options.username = "user";
  options.password = "pencil";
  options.client_nonce = "rOprNGfwEbeRWgbNEkqO";
  ScramMechanism m(options);
  EXPECT_EQ(m.name(), "SCRAM-SHA-256");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.InitialResponse(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  absl::StatusOr<std::string> final_message = m.Respond(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  ASSERT_TRUE(final_message.ok()) << final_message.status();
  EXPECT_EQ(*final_message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  // Server signature delivered as 235 additional data.
  EXPECT_TRUE(
      m.Finish("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").ok());
}

// TestScramServer is an independent SCRAM server verifier: it derives
// StoredKey/ServerKey from the password, checks the GS2 header, the
// channel binding, the nonce and the client proof, and signs.
class TestScramServer {
 public:
  TestScramServer(HashAlgorithm hash, std::string user, std::string password,
                  std::string expected_gs2, std::string channel_binding)
      : hash_(hash),
        user_(std::move(user)),
        expected_gs2_(std::move(expected_gs2)),
        channel_binding_(std::move(channel_binding)) {
    salt_ = "NaCl-test-salt";
    const std::string salted =
        *internal::Pbkdf2(hash_, password, salt_, kIterations);
    stored_key_ = internal::Hash(hash_, internal::Hmac(hash_, salted,
                                                       "Client Key"));
    server_key_ = internal::Hmac(hash_, salted, "Server Key");
  }

  absl::StatusOr<std::string> ServerFirst(absl::string_view client_first) {
    if (!absl::StartsWith(client_first, expected_gs2_)) {
      return absl::PermissionDeniedError(
          absl::StrCat("gs2 header: ", client_first));
    }
    client_first_bare_ = std::string(client_first.substr(expected_gs2_.size()));
    std::vector<std::string> parts = absl::StrSplit(client_first_bare_, ',');
    if (parts.size() != 2 || parts[0] != "n=" + user_ ||
        !absl::StartsWith(parts[1], "r=")) {
      return absl::PermissionDeniedError("bad client-first-bare");
    }
    nonce_ = parts[1].substr(2) + "server-part-3rfcNHYJY1ZV";
    server_first_ = absl::StrCat("r=", nonce_, ",s=",
                                 absl::Base64Escape(salt_), ",i=", kIterations);
    return server_first_;
  }

  absl::StatusOr<std::string> ServerFinal(absl::string_view client_final) {
    const size_t p = client_final.rfind(",p=");
    if (p == absl::string_view::npos) {
      return absl::PermissionDeniedError("no proof");
    }
    const absl::string_view without_proof = client_final.substr(0, p);
    const std::string expected_c = absl::StrCat(
        "c=", absl::Base64Escape(expected_gs2_ + channel_binding_),
        ",r=", nonce_);
    if (without_proof != expected_c) {
      return absl::PermissionDeniedError("channel binding or nonce mismatch");
    }
    std::string proof;
    if (!absl::Base64Unescape(client_final.substr(p + 3), &proof)) {
      return absl::PermissionDeniedError("proof not base64");
    }
    const std::string auth_message = absl::StrCat(
        client_first_bare_, ",", server_first_, ",", without_proof);
    const std::string client_signature =
        internal::Hmac(hash_, stored_key_, auth_message);
    if (proof.size() != client_signature.size()) {
      return absl::PermissionDeniedError("proof length");
    }
    std::string client_key = proof;
    for (size_t i = 0; i < client_key.size(); ++i) {
      client_key[i] ^= client_signature[i];
    }
    if (internal::Hash(hash_, client_key) != stored_key_) {
      return absl::PermissionDeniedError("invalid-proof");
    }
    return absl::StrCat("v=", absl::Base64Escape(internal::Hmac(
                                  hash_, server_key_, auth_message)));
  }

 private:
  static constexpr uint32_t kIterations = 4096;
  HashAlgorithm hash_;
  std::string user_;
  std::string expected_gs2_;
  std::string channel_binding_;
  std::string salt_;
  std::string stored_key_;
  std::string server_key_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
};

struct Variant {
  ScramHash hash;
  HashAlgorithm algorithm;
  bool plus;
  std::string cb_type;
};

class ScramExchangeTest : public ::testing::TestWithParam<Variant> {
 protected:
  ScramOptions Options() const {
    ScramOptions options;
    options.hash = GetParam().hash;
    options.plus = GetParam().plus;
    options.username = "alice";
    options.password = "correct horse battery staple";
    return options;
  }
  TlsInfo Tls() const {
    TlsInfo tls;
    tls.version = "TLSv1.3";
    tls.channel_binding_type = GetParam().cb_type;
    tls.channel_binding = std::string("\x01\x02\x03\xff binding data", 18);
    return tls;
  }
  std::string Gs2() const {
    return GetParam().plus ? absl::StrCat("p=", GetParam().cb_type, ",,")
                           : "n,,";
  }
  std::string Cb() const { return GetParam().plus ? Tls().channel_binding : ""; }
};

TEST_P(ScramExchangeTest, SuccessWithServerSignature) {
  TestScramServer server(GetParam().algorithm, "alice",
                         "correct horse battery staple", Gs2(), Cb());
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  EXPECT_EQ(m.gs2_header(), Gs2());
  absl::StatusOr<std::string> server_first = server.ServerFirst(*m.InitialResponse());
  ASSERT_TRUE(server_first.ok()) << server_first.status();
  absl::StatusOr<std::string> client_final = m.Respond(*server_first);
  ASSERT_TRUE(client_final.ok()) << client_final.status();
  absl::StatusOr<std::string> server_final = server.ServerFinal(*client_final);
  ASSERT_TRUE(server_final.ok()) << server_final.status();
  absl::StatusOr<std::string> empty = m.Respond(*server_final);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
  EXPECT_TRUE(m.Finish("").ok());
}

TEST_P(ScramExchangeTest, WrongPasswordIsRejectedByServer) {
  TestScramServer server(GetParam().algorithm, "alice", "another password",
                         Gs2(), Cb());
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.ServerFirst(*m.InitialResponse()));
  ASSERT_TRUE(client_final.ok());
  absl::StatusOr<std::string> server_final = server.ServerFinal(*client_final);
  EXPECT_EQ(server_final.status().message(), "invalid-proof");
}

TEST_P(ScramExchangeTest, TamperedServerSignatureFails) {
  TestScramServer server(GetParam().algorithm, "alice",
                         "correct horse battery staple", Gs2(), Cb());
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.ServerFirst(*m.InitialResponse()));
  std::string server_final = *server.ServerFinal(*client_final);
  std::string signature;
  ASSERT_TRUE(absl::Base64Unescape(server_final.substr(2), &signature));
  signature[0] ^= 0x01;
  const std::string tampered = "v=" + absl::Base64Escape(signature);
  absl::StatusOr<std::string> r = m.Respond(tampered);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "server signature"));
  // Even if the server then says 235, Finish refuses.
  EXPECT_FALSE(m.Finish("").ok());
}

TEST_P(ScramExchangeTest, TamperedSignatureAsAdditionalDataFails) {
  TestScramServer server(GetParam().algorithm, "alice",
                         "correct horse battery staple", Gs2(), Cb());
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.ServerFirst(*m.InitialResponse()));
  std::string server_final = *server.ServerFinal(*client_final);
  std::string signature;
  ASSERT_TRUE(absl::Base64Unescape(server_final.substr(2), &signature));
  signature.back() ^= 0x80;
  absl::Status s = m.Finish("v=" + absl::Base64Escape(signature));
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
  // The untampered one would have been accepted.
  ScramMechanism again(Options());
  ASSERT_TRUE(again.Start(&tls).ok());
  TestScramServer server2(GetParam().algorithm, "alice",
                          "correct horse battery staple", Gs2(), Cb());
  client_final = again.Respond(*server2.ServerFirst(*again.InitialResponse()));
  EXPECT_TRUE(again.Finish(*server2.ServerFinal(*client_final)).ok());
}

TEST_P(ScramExchangeTest, MissingServerSignatureFails) {
  TestScramServer server(GetParam().algorithm, "alice",
                         "correct horse battery staple", Gs2(), Cb());
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  ASSERT_TRUE(m.Respond(*server.ServerFirst(*m.InitialResponse())).ok());
  absl::Status s = m.Finish("");  // 235 without any server-final
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
  EXPECT_TRUE(absl::StrContains(s.message(), "missing"));
}

TEST_P(ScramExchangeTest, ServerWithOtherChannelBindingRejects) {
  if (!GetParam().plus) GTEST_SKIP() << "binding only for -PLUS";
  // A man in the middle terminates TLS: the server sees other binding data.
  TestScramServer server(GetParam().algorithm, "alice",
                         "correct horse battery staple", Gs2(),
                         "other tls session");
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.ServerFirst(*m.InitialResponse()));
  EXPECT_EQ(server.ServerFinal(*client_final).status().message(),
            "channel binding or nonce mismatch");
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, ScramExchangeTest,
    ::testing::Values(
        Variant{ScramHash::kSha1, HashAlgorithm::kSha1, false, "tls-unique"},
        Variant{ScramHash::kSha256, HashAlgorithm::kSha256, false,
                "tls-exporter"},
        Variant{ScramHash::kSha1, HashAlgorithm::kSha1, true, "tls-unique"},
        Variant{ScramHash::kSha256, HashAlgorithm::kSha256, true,
                "tls-exporter"},
        Variant{ScramHash::kSha256, HashAlgorithm::kSha256, true,
                "tls-unique"}));

TEST(ScramTest, PlusNamesAndHeaderBytes) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  options.plus = true;
  options.client_nonce = "abc";
  ScramMechanism m(options);
  EXPECT_EQ(m.name(), "SCRAM-SHA-256-PLUS");
  TlsInfo tls;
  tls.channel_binding_type = "tls-exporter";
  tls.channel_binding = "0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(m.Start(&tls).ok());
  EXPECT_EQ(m.InitialResponse(), "p=tls-exporter,,n=user,r=abc");
  absl::StatusOr<std::string> final_message =
      m.Respond("r=abcdef,s=c2FsdA==,i=1");
  ASSERT_TRUE(final_message.ok());
  EXPECT_TRUE(absl::StartsWith(
      *final_message,
      absl::StrCat("c=", absl::Base64Escape("p=tls-exporter,," +
                                            tls.channel_binding),
                   ",r=abcdef,p=")));

  options.hash = ScramHash::kSha1;
  EXPECT_EQ(ScramMechanism(options).name(), "SCRAM-SHA-1-PLUS");
}

TEST(ScramTest, PlusWithoutChannelBindingFailsAtStart) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  options.plus = true;
  ScramMechanism m(options);
  absl::Status s = m.Start(nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
  TlsInfo no_binding;
  EXPECT_FALSE(ScramMechanism(options).Start(&no_binding).ok());
}

TEST(ScramTest, Gs2FlagFollowsRfc5802Section6) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  TlsInfo tls;
  tls.channel_binding_type = "tls-exporter";
  tls.channel_binding = "binding";

  // We could bind, and were told the server does not offer -PLUS: "y".
  options.server_plus = ScramPlusOffer::kNotOffered;
  ScramMechanism y(options);
  ASSERT_TRUE(y.Start(&tls).ok());
  EXPECT_EQ(y.gs2_header(), "y,,");
  // Without TLS we cannot bind: "n".
  ScramMechanism n(options);
  ASSERT_TRUE(n.Start(nullptr).ok());
  EXPECT_EQ(n.gs2_header(), "n,,");
  // Server offers -PLUS but the caller chose the plain variant: "n".
  options.server_plus = ScramPlusOffer::kOffered;
  ScramMechanism offered(options);
  ASSERT_TRUE(offered.Start(&tls).ok());
  EXPECT_EQ(offered.gs2_header(), "n,,");
  // Unknown: "n".
  options.server_plus = ScramPlusOffer::kUnknown;
  ScramMechanism unknown(options);
  ASSERT_TRUE(unknown.Start(&tls).ok());
  EXPECT_EQ(unknown.gs2_header(), "n,,");
}

TEST(ScramTest, UsernameEscapingAndAuthzid) {
  ScramOptions options;
  options.username = "a,b=c";
  options.password = "pw";
  options.authzid = "admin=1";
  options.client_nonce = "xyz";
  ScramMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.InitialResponse(), "n,a=admin=3D1,n=a=2Cb=3Dc,r=xyz");
}

TEST(ScramTest, SaslPrepAppliedToPassword) {
  // "pen\u00ADcil" (soft hyphen) prepares to "pencil": same proof as RFC 5802.
  ScramOptions options;
  options.hash = ScramHash::kSha1;
  options.username = "user";
  options.password = "pen\xC2\xAD" "cil";
  options.client_nonce = "fyko+d2lbbFgONRv9qkxdawL";
  ScramMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.InitialResponse().has_value());
  absl::StatusOr<std::string> final_message = m.Respond(
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
      "i=4096");
  ASSERT_TRUE(final_message.ok());
  EXPECT_TRUE(absl::EndsWith(*final_message, "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));

  options.password = "bad\x01password";
  absl::Status s = ScramMechanism(options).Start(nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(s.message(), "bad"));
}

TEST(ScramTest, RandomNonceByDefault) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  ScramMechanism a(options);
  ScramMechanism b(options);
  ASSERT_TRUE(a.Start(nullptr).ok());
  ASSERT_TRUE(b.Start(nullptr).ok());
  const std::string first_a = *a.InitialResponse();
  EXPECT_TRUE(absl::StartsWith(first_a, "n,,n=user,r="));
  EXPECT_GE(first_a.size(), std::string("n,,n=user,r=").size() + 24);
  EXPECT_NE(first_a, *b.InitialResponse());
}

TEST(ScramTest, EmptyChallengeWithoutSaslIrGetsClientFirst) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  options.client_nonce = "abc";
  ScramMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.Respond(""), "n,,n=user,r=abc");
  EXPECT_TRUE(m.Respond("r=abcdef,s=c2FsdA==,i=1").ok());
}

class ScramBadServerFirstTest
    : public ::testing::TestWithParam<const char*> {};

TEST_P(ScramBadServerFirstTest, Rejected) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  options.client_nonce = "abc";
  options.max_iterations = 100000;
  ScramMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.InitialResponse().has_value());
  absl::StatusOr<std::string> r = m.Respond(GetParam());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << GetParam();
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
  EXPECT_FALSE(m.Finish("").ok());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScramBadServerFirstTest,
    ::testing::Values("r=xyzdef,s=c2FsdA==,i=4096",   // nonce not ours
                      "r=abc,s=c2FsdA==,i=4096",      // nonce not extended
                      "r=abcdef,s=,i=4096",           // empty salt
                      "r=abcdef,s=c2FsdA==,i=0",      // zero iterations
                      "r=abcdef,s=c2FsdA==,i=-1",     // negative
                      "r=abcdef,s=c2FsdA==,i=100001", // above the limit
                      "r=abcdef,s=c2FsdA==,i=99999999999",
                      "m=ext,r=abcdef,s=c2FsdA==,i=4096",  // mandatory ext
                      "s=c2FsdA==,r=abcdef,i=4096",   // wrong order
                      "r=abcdef,s=c2FsdA==",          // missing i
                      "e=other-error"));

TEST(ScramTest, ServerErrorIsReported) {
  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  options.client_nonce = "abc";
  ScramMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.InitialResponse().has_value());
  ASSERT_TRUE(m.Respond("r=abcdef,s=c2FsdA==,i=1").ok());
  absl::StatusOr<std::string> r = m.Respond("e=invalid-proof");
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "invalid-proof"));
  EXPECT_FALSE(m.Finish("").ok());
}

TEST(ScramTest, ChallengeAfterVerificationFails) {
  ScramOptions options;
  options.hash = ScramHash::kSha1;
  options.username = "user";
  options.password = "pencil";
  options.client_nonce = "fyko+d2lbbFgONRv9qkxdawL";
  ScramMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.InitialResponse().has_value());
  ASSERT_TRUE(m.Respond("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                        "s=QSXCR+Q6sek8bf92,i=4096")
                  .ok());
  ASSERT_TRUE(m.Respond("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").ok());
  EXPECT_FALSE(m.Respond("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").ok());
}

}  // namespace
}  // namespace smtpcore
