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
#include "sasl/scram_server.h"

namespace smtpcore {
namespace {

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
  absl::StatusOr<std::string> last =
      m.Respond("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
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
  EXPECT_TRUE(m.Finish("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").ok());
}

struct Variant {
  ScramHash hash;
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
  // Server(): the verifier shares the TLS session, so it offers -PLUS with
  // the same binding data.
  ScramServer Server(std::string password = "correct horse battery staple",
                     std::string binding = "") const {
    ScramServerOptions options;
    options.hash = GetParam().hash;
    options.username = "alice";
    options.password = std::move(password);
    options.channel_binding_type = GetParam().cb_type;
    options.channel_binding = binding.empty() ? Tls().channel_binding : binding;
    return ScramServer(options);
  }
};

TEST_P(ScramExchangeTest, SuccessWithServerSignature) {
  ScramServer server = Server();
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  EXPECT_EQ(m.gs2_header(), Gs2());
  absl::StatusOr<std::string> server_first =
      server.HandleClientFirst(*m.InitialResponse());
  ASSERT_TRUE(server_first.ok()) << server_first.status();
  absl::StatusOr<std::string> client_final = m.Respond(*server_first);
  ASSERT_TRUE(client_final.ok()) << client_final.status();
  absl::StatusOr<std::string> server_final =
      server.HandleClientFinal(*client_final);
  ASSERT_TRUE(server_final.ok()) << server_final.status();
  absl::StatusOr<std::string> empty = m.Respond(*server_final);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
  EXPECT_TRUE(m.Finish("").ok());
  EXPECT_TRUE(server.authenticated());
}

TEST_P(ScramExchangeTest, WrongPasswordIsRejectedByServer) {
  ScramServer server = Server("another password");
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.HandleClientFirst(*m.InitialResponse()));
  ASSERT_TRUE(client_final.ok());
  absl::StatusOr<std::string> server_final =
      server.HandleClientFinal(*client_final);
  EXPECT_EQ(server_final.status().message(), "invalid-proof");
}

TEST_P(ScramExchangeTest, TamperedServerSignatureFails) {
  ScramServer server = Server();
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.HandleClientFirst(*m.InitialResponse()));
  std::string server_final = *server.HandleClientFinal(*client_final);
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
  ScramServer server = Server();
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.HandleClientFirst(*m.InitialResponse()));
  std::string server_final = *server.HandleClientFinal(*client_final);
  std::string signature;
  ASSERT_TRUE(absl::Base64Unescape(server_final.substr(2), &signature));
  signature.back() ^= 0x80;
  absl::Status s = m.Finish("v=" + absl::Base64Escape(signature));
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
  // The untampered one would have been accepted.
  ScramMechanism again(Options());
  ASSERT_TRUE(again.Start(&tls).ok());
  ScramServer server2 = Server();
  client_final =
      again.Respond(*server2.HandleClientFirst(*again.InitialResponse()));
  EXPECT_TRUE(again.Finish(*server2.HandleClientFinal(*client_final)).ok());
}

TEST_P(ScramExchangeTest, MissingServerSignatureFails) {
  ScramServer server = Server();
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  ASSERT_TRUE(m.Respond(*server.HandleClientFirst(*m.InitialResponse())).ok());
  absl::Status s = m.Finish("");  // 235 without any server-final
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
  EXPECT_TRUE(absl::StrContains(s.message(), "missing"));
}

TEST_P(ScramExchangeTest, ServerWithOtherChannelBindingRejects) {
  if (!GetParam().plus) GTEST_SKIP() << "binding only for -PLUS";
  // A man in the middle terminates TLS: the server sees other binding data.
  ScramServer server =
      Server("correct horse battery staple", "other tls session");
  ScramMechanism m(Options());
  TlsInfo tls = Tls();
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> client_final =
      m.Respond(*server.HandleClientFirst(*m.InitialResponse()));
  EXPECT_EQ(server.HandleClientFinal(*client_final).status().message(),
            "channel-bindings-dont-match");
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, ScramExchangeTest,
    ::testing::Values(Variant{ScramHash::kSha1, false, "tls-unique"},
                      Variant{ScramHash::kSha256, false, "tls-exporter"},
                      Variant{ScramHash::kSha1, true, "tls-unique"},
                      Variant{ScramHash::kSha256, true, "tls-exporter"},
                      Variant{ScramHash::kSha256, true, "tls-unique"}));

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
      absl::StrCat(
          "c=", absl::Base64Escape("p=tls-exporter,," + tls.channel_binding),
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
  options.password =
      "pen\xC2\xAD"
      "cil";
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

class ScramBadServerFirstTest : public ::testing::TestWithParam<const char*> {};

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
    ::testing::Values("r=xyzdef,s=c2FsdA==,i=4096",    // nonce not ours
                      "r=abc,s=c2FsdA==,i=4096",       // nonce not extended
                      "r=abcdef,s=,i=4096",            // empty salt
                      "r=abcdef,s=c2FsdA==,i=0",       // zero iterations
                      "r=abcdef,s=c2FsdA==,i=-1",      // negative
                      "r=abcdef,s=c2FsdA==,i=100001",  // above the limit
                      "r=abcdef,s=c2FsdA==,i=99999999999",
                      "m=ext,r=abcdef,s=c2FsdA==,i=4096",  // mandatory ext
                      "s=c2FsdA==,r=abcdef,i=4096",        // wrong order
                      "r=abcdef,s=c2FsdA==",               // missing i
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

namespace smtpcore {
namespace {

TEST(ScramServerTest, RefusesDowngradeFlagWhenOfferingPlus) {
  // RFC 5802 §6: "y" means the client could bind but thought the server
  // could not; a server that does offer -PLUS must fail (a MITM stripped
  // -PLUS from the EHLO reply).
  ScramServerOptions server_options;
  server_options.username = "user";
  server_options.password = "pencil";
  server_options.channel_binding_type = "tls-exporter";
  server_options.channel_binding = "binding";
  ScramServer server(server_options);

  ScramOptions options;
  options.username = "user";
  options.password = "pencil";
  options.server_plus = ScramPlusOffer::kNotOffered;
  ScramMechanism m(options);
  TlsInfo tls;
  tls.channel_binding_type = "tls-exporter";
  tls.channel_binding = "binding";
  ASSERT_TRUE(m.Start(&tls).ok());
  absl::StatusOr<std::string> r =
      server.HandleClientFirst(*m.InitialResponse());
  EXPECT_EQ(r.status().message(), "server-does-support-channel-binding");
}

TEST(ScramServerTest, UnknownUserAndServerErrorReachClient) {
  ScramServerOptions server_options;
  server_options.username = "user";
  server_options.password = "pencil";
  ScramServer server(server_options);
  EXPECT_EQ(server.HandleClientFirst("n,,n=mallory,r=abc").status().message(),
            "unknown-user");
  EXPECT_FALSE(server.authenticated());
}

}  // namespace
}  // namespace smtpcore
