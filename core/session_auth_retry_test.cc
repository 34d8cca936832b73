// Session tests for the one AUTH retry with renewed credentials
// (SessionOptions::renew_auth_credentials, SaslMechanism::RenewCredentials),
// with a fake token mechanism shaped like XOAUTH2.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/internal/sans_io_test_driver.h"
#include "core/session.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using Script = internal::SansIoScript<Session>;

// Tokens is the fake token source shared by the mechanisms of one session:
// `current` is what a new mechanism sends; a renewal moves to the next.
struct Tokens {
  std::vector<std::string> list;
  size_t current = 0;
  int renewals = 0;
  bool renewable = true;
};

// TokenMechanism sends "tok=<token>" and answers an error challenge with an
// empty response, like XOAUTH2.
class TokenMechanism : public SaslMechanism {
 public:
  explicit TokenMechanism(std::shared_ptr<Tokens> tokens)
      : tokens_(std::move(tokens)) {}
  absl::string_view name() const override { return "X-TOKEN"; }
  absl::optional<std::string> InitialResponse() override {
    return absl::StrCat("tok=", tokens_->list[tokens_->current]);
  }
  absl::StatusOr<std::string> Respond(absl::string_view) override {
    return std::string();
  }
  bool RenewCredentials() override {
    ++tokens_->renewals;
    if (!tokens_->renewable) return false;
    if (tokens_->current + 1 < tokens_->list.size()) ++tokens_->current;
    return true;
  }

 private:
  std::shared_ptr<Tokens> tokens_;
};

SessionOptions WithTokens(std::shared_ptr<Tokens> tokens) {
  SessionOptions o;
  o.ehlo_domain = "client.example";
  o.tls_mode = TlsMode::kNone;
  o.allow_insecure_auth = true;
  o.auth = [tokens](const Capabilities&,
                    const TlsInfo*) -> std::unique_ptr<SaslMechanism> {
    return std::make_unique<TokenMechanism>(tokens);
  };
  return o;
}

std::string AuthLine(const std::string& token) {
  return absl::StrCat("AUTH X-TOKEN ",
                      absl::Base64Escape(absl::StrCat("tok=", token)), "\r\n");
}

constexpr char kGreeting[] = "220 mx.example.org ESMTP\r\n";
constexpr char kEhlo[] = "250-mx.example.org\r\n250 AUTH X-TOKEN\r\n";
constexpr char kErrorChallenge[] = "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n";

// Error challenge -> empty response -> 535 -> renewed token -> 235.
TEST(SessionAuthRetryTest, RefusedThenRenewedTokenAccepted) {
  Script s([](Instant now) {
    auto tokens = std::make_shared<Tokens>();
    tokens->list = {"old", "new"};
    return std::make_unique<Session>(WithTokens(tokens), now);
  });
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhlo)
      .Client(AuthLine("old"))
      .Server(kErrorChallenge)
      .Client("\r\n")  // the empty response finishes the exchange
      .Server("535 5.7.8 Username and Password not accepted\r\n")
      .Client(AuthLine("new"))
      .Server("235 2.7.0 Accepted\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.state(), SessionState::kReady);
      });
  s.RunAllSplits({"greeting 220", "capabilities AUTH=X-TOKEN",
                  "auth_retry 535 5.7.8", "authenticated X-TOKEN", "ready"});
}

// Refused twice: the second refusal fails the session with kAuthFailed;
// the mechanism is asked to renew only once.
TEST(SessionAuthRetryTest, RefusedTwiceFailsTyped) {
  auto tokens = std::make_shared<Tokens>();
  tokens->list = {"old", "new"};
  Session s(WithTokens(tokens), InstantFromSeconds(0));
  const Instant t0 = InstantFromSeconds(0);
  ASSERT_TRUE(s.Receive(kGreeting, t0).ok());
  internal::DrainTransmit(s, t0);
  ASSERT_TRUE(s.Receive(kEhlo, t0).ok());
  EXPECT_EQ(internal::DrainTransmit(s, t0), AuthLine("old"));
  ASSERT_TRUE(s.Receive(kErrorChallenge, t0).ok());
  EXPECT_EQ(internal::DrainTransmit(s, t0), "\r\n");
  ASSERT_TRUE(s.Receive("535 5.7.8 no\r\n", t0).ok());
  EXPECT_EQ(internal::DrainTransmit(s, t0), AuthLine("new"));
  ASSERT_TRUE(s.Receive(kErrorChallenge, t0).ok());
  EXPECT_EQ(internal::DrainTransmit(s, t0), "\r\n");
  ASSERT_TRUE(s.Receive("535 5.7.8 still no\r\n", t0).ok());
  EXPECT_EQ(internal::DrainTransmit(s, t0), "QUIT\r\n");
  // The session ended with the AUTH failure: Receive reports it.
  EXPECT_EQ(GetErrorDetail(s.Receive("221 bye\r\n", t0)),
            ErrorDetail::kAuthFailed);
  EXPECT_EQ(tokens->renewals, 1);
  EXPECT_EQ(internal::DrainEvents(s),
            (std::vector<std::string>{
                "greeting 220", "capabilities AUTH=X-TOKEN",
                "auth_retry 535 5.7.8", "auth_failed 535 5.7.8",
                "closed auth_failed"}));
  EXPECT_EQ(s.state(), SessionState::kFailed);
  EXPECT_EQ(GetErrorDetail(s.close_status()), ErrorDetail::kAuthFailed);
  EXPECT_EQ(s.close_status().code(), absl::StatusCode::kPermissionDenied);
}

// No retry when the mechanism cannot renew, when the option is off, or on
// a 421.
TEST(SessionAuthRetryTest, NoRetryWithoutRenewal) {
  auto fixed = std::make_shared<Tokens>();
  fixed->list = {"only"};
  fixed->renewable = false;
  Script s([fixed](Instant now) {
    fixed->renewals = 0;
    return std::make_unique<Session>(WithTokens(fixed), now);
  });
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhlo)
      .Client(AuthLine("only"))
      .Server("535 5.7.8 no\r\n")
      .Client("QUIT\r\n")
      .Do([fixed](Session&, Instant) { EXPECT_EQ(fixed->renewals, 1); });
  s.RunAllSplits({"greeting 220", "capabilities AUTH=X-TOKEN",
                  "auth_failed 535 5.7.8"});

  auto tokens = std::make_shared<Tokens>();
  tokens->list = {"old", "new"};
  SessionOptions off = WithTokens(tokens);
  off.renew_auth_credentials = false;
  Script o([off, tokens](Instant now) {
    tokens->renewals = 0;
    return std::make_unique<Session>(off, now);
  });
  o.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhlo)
      .Client(AuthLine("old"))
      .Server("454 4.7.0 temporary failure\r\n")
      .Client("QUIT\r\n")
      .Do([tokens](Session&, Instant) { EXPECT_EQ(tokens->renewals, 0); });
  o.RunAllSplits({"greeting 220", "capabilities AUTH=X-TOKEN",
                  "auth_failed 454 4.7.0"});

  Script closing([tokens](Instant now) {
    tokens->renewals = 0;
    tokens->current = 0;
    return std::make_unique<Session>(WithTokens(tokens), now);
  });
  closing.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhlo)
      .Client(AuthLine("old"))
      .Server("421 4.7.0 too many errors\r\n")
      .Do([tokens](Session&, Instant) { EXPECT_EQ(tokens->renewals, 0); });
  closing.RunAllSplits({"greeting 220", "capabilities AUTH=X-TOKEN",
                        "auth_failed 421 4.7.0", "closed service_closing"});
}

}  // namespace
}  // namespace smtpcore
