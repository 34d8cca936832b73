#include "core/sasl_exchange.h"

#include <memory>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/reply_parser.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

class Scripted : public SaslMechanism {
 public:
  Scripted(absl::optional<std::string> initial, std::vector<std::string> answers,
           absl::Status start = absl::OkStatus(),
           absl::Status finish = absl::OkStatus())
      : initial_(std::move(initial)),
        answers_(std::move(answers)),
        start_(std::move(start)),
        finish_(std::move(finish)) {}
  absl::string_view name() const override { return "X-TEST"; }
  absl::Status Start(const TlsInfo* tls) override {
    saw_tls_ = tls != nullptr;
    return start_;
  }
  absl::optional<std::string> InitialResponse() override { return initial_; }
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override {
    challenges.emplace_back(challenge);
    if (next_ >= answers_.size()) return absl::InternalError("done");
    return answers_[next_++];
  }
  absl::Status Finish(absl::string_view server_final) override {
    finals.emplace_back(server_final);
    return finish_;
  }

  std::vector<std::string> challenges;
  std::vector<std::string> finals;  // every Finish argument
  bool saw_tls_ = false;

 private:
  absl::optional<std::string> initial_;
  std::vector<std::string> answers_;
  size_t next_ = 0;
  absl::Status start_, finish_;
};

// Parse parses one reply; the string must outlive the view.
ReplyView Parse(const std::string& raw) {
  static ReplyParser* parser = new ReplyParser();
  parser->Reset();
  ReplyView view;
  EXPECT_EQ(parser->Parse(raw, &view).status, ParseStatus::kComplete) << raw;
  return view;
}

TEST(SaslExchangeTest, ChallengesAreDecodedAndAnswersEncoded) {
  auto mech = std::make_unique<Scripted>(absl::nullopt,
                                         std::vector<std::string>{"user", ""});
  Scripted* m = mech.get();
  SaslExchange x(std::move(mech), 8);
  std::string line;
  TlsInfo tls;
  ASSERT_TRUE(x.Start(&tls, 512, &line).ok());
  EXPECT_TRUE(m->saw_tls_);
  EXPECT_EQ(line, "AUTH X-TEST\r\n");
  std::string c1 = "334 VXNlcm5hbWU6\r\n";
  SaslExchange::Step s = x.OnChallenge(Parse(c1));
  EXPECT_FALSE(s.cancelled);
  EXPECT_EQ(s.line, "dXNlcg==\r\n");
  std::string c2 = "334 \r\n";
  s = x.OnChallenge(Parse(c2));
  EXPECT_EQ(s.line, "\r\n");  // empty response: empty line
  EXPECT_EQ(m->challenges, (std::vector<std::string>{"Username:", ""}));
  std::string ok = "235 2.7.0 ok\r\n";
  EXPECT_TRUE(x.OnFinal(Parse(ok)).ok());
  EXPECT_EQ(x.challenges(), 2);
}

TEST(SaslExchangeTest, OutcomesMapToTypedErrors) {
  std::string r535 = "535 5.7.8 bad\r\n", r454 = "454 4.7.0 later\r\n",
              r235 = "235 ok\r\n";
  {
    SaslExchange x(std::make_unique<Scripted>("ir", std::vector<std::string>{}),
                   8);
    std::string line;
    ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
    EXPECT_EQ(line, "AUTH X-TEST aXI=\r\n");
    absl::Status s = x.OnFinal(Parse(r535));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthFailed);
  }
  {
    SaslExchange x(std::make_unique<Scripted>("ir", std::vector<std::string>{}),
                   8);
    std::string line;
    ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
    absl::Status s = x.OnFinal(Parse(r454));
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthFailed);
  }
  {
    SaslExchange x(
        std::make_unique<Scripted>("ir", std::vector<std::string>{},
                                   absl::OkStatus(),
                                   absl::DataLossError("bad signature")),
        8);
    std::string line;
    ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
    EXPECT_EQ(GetErrorDetail(x.OnFinal(Parse(r235))),
              ErrorDetail::kAuthMechanism);
  }
  {
    SaslExchange x(
        std::make_unique<Scripted>("ir", std::vector<std::string>{},
                                   absl::FailedPreconditionError("needs TLS")),
        8);
    std::string line = "keep";
    absl::Status s = x.Start(nullptr, 512, &line);
    EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
    EXPECT_EQ(line, "keep");
  }
}

TEST(SaslExchangeTest, SecretsNeverInStatusMessages) {
  SaslExchange x(std::make_unique<Scripted>(std::string("hunter2"),
                                            std::vector<std::string>{}),
                 8);
  std::string line;
  ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
  std::string r = "535 5.7.8 bad\r\n";
  absl::Status s = x.OnFinal(Parse(r));
  EXPECT_EQ(s.message().find("hunter2"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("aHVudGVyMg"), absl::string_view::npos);
}

TEST(SaslExchangeTest, ChallengeValidation) {
  for (const char* bad : {"334 abc\r\n", "334 ab=c\r\n", "334 a===\r\n",
                          "334 ab!d\r\n"}) {
    SaslExchange x(std::make_unique<Scripted>(
                       absl::nullopt, std::vector<std::string>{"x"}),
                   8);
    std::string line;
    ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
    std::string raw = bad;
    SaslExchange::Step s = x.OnChallenge(Parse(raw));
    EXPECT_TRUE(s.cancelled) << bad;
    EXPECT_EQ(s.line, "*\r\n");
    EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kBadChallenge);
    std::string r501 = "501 cancelled\r\n";
    EXPECT_EQ(GetErrorDetail(x.OnFinal(Parse(r501))),
              ErrorDetail::kBadChallenge);
  }
}

// RFC 4954 §4: a 235 may carry the SASL additional data with success
// (SCRAM's server-final) in base64 after the enhanced code; plain text gives
// Finish("").
TEST(SaslExchangeTest, FinishGetsAdditionalDataOf235) {
  struct Case {
    std::string reply;
    std::string expected;
  };
  const std::vector<Case> cases = {
      // "v=c2lnbmF0dXJl" (a SCRAM server-final), with and without the code.
      {"235 2.7.0 dj1jMmxuYm1GMGRYSmw=\r\n", "v=c2lnbmF0dXJl"},
      {"235 dj1jMmxuYm1GMGRYSmw=\r\n", "v=c2lnbmF0dXJl"},
      {"235 2.7.0 dj1jMmxuYm1GMGRYSmw= \r\n", "v=c2lnbmF0dXJl"},
      // Human-readable text: not base64, no data.
      {"235 2.7.0 Authentication successful\r\n", ""},
      {"235 2.7.0 OK\r\n", ""},
      {"235 ok\r\n", ""},
      {"235 2.7.0\r\n", ""},
      {"235\r\n", ""},
      {"235 2.7.0 abc=d===\r\n", ""},  // padding in the middle
      {"235 2.7.0 YWJj!\r\n", ""},      // outside the alphabet
      // Only the first line counts.
      {"235-2.7.0 Welcome\r\n235 2.7.0 YWJj\r\n", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply);
    auto mech = std::make_unique<Scripted>("ir", std::vector<std::string>{});
    Scripted* m = mech.get();
    SaslExchange x(std::move(mech), 8);
    std::string line;
    ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
    EXPECT_TRUE(x.OnFinal(Parse(c.reply)).ok());
    ASSERT_EQ(m->finals.size(), 1u);
    EXPECT_EQ(m->finals[0], c.expected);
  }
  // Not called on a failure.
  auto mech = std::make_unique<Scripted>("ir", std::vector<std::string>{});
  Scripted* m = mech.get();
  SaslExchange x(std::move(mech), 8);
  std::string line;
  ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
  EXPECT_FALSE(x.OnFinal(Parse("535 5.7.8 YWJj\r\n")).ok());
  EXPECT_TRUE(m->finals.empty());
}

// Renewable counts RenewCredentials calls and answers `renewed`.
class Renewable : public Scripted {
 public:
  explicit Renewable(bool renewed)
      : Scripted("ir", {"", ""}), renewed_(renewed) {}
  bool RenewCredentials() override {
    ++renewals;
    return renewed_;
  }
  int renewals = 0;

 private:
  bool renewed_;
};

// RenewCredentials is asked after a refusal only, and only when allowed.
TEST(SaslExchangeTest, RenewOnRefusal) {
  struct Case {
    const char* reply;
    bool allowed;
    bool mechanism_renews;
    int renewals;
    bool renewed;
  };
  const Case cases[] = {
      {"535 5.7.8 no\r\n", true, true, 1, true},
      {"454 4.7.0 later\r\n", true, true, 1, true},
      {"535 5.7.8 no\r\n", true, false, 1, false},
      {"535 5.7.8 no\r\n", false, true, 0, false},
      {"421 4.7.0 bye\r\n", true, true, 0, false},
      {"235 2.7.0 ok\r\n", true, true, 0, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply);
    auto mech = std::make_unique<Renewable>(c.mechanism_renews);
    Renewable* m = mech.get();
    SaslExchange x(std::move(mech), 8, c.allowed);
    std::string line;
    ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
    // The error challenge and its empty answer come first.
    EXPECT_EQ(x.OnChallenge(Parse("334 e30=\r\n")).line, "\r\n");
    (void)x.OnFinal(Parse(c.reply));
    EXPECT_EQ(m->renewals, c.renewals);
    EXPECT_EQ(x.credentials_renewed(), c.renewed);
  }
  // Not after a cancel: the exchange did not finish normally.
  auto mech = std::make_unique<Renewable>(true);
  Renewable* m = mech.get();
  SaslExchange x(std::move(mech), 8, true);
  std::string line;
  ASSERT_TRUE(x.Start(nullptr, 512, &line).ok());
  EXPECT_TRUE(x.OnChallenge(Parse("334 !!\r\n")).cancelled);
  EXPECT_FALSE(x.OnFinal(Parse("501 5.7.0 cancelled\r\n")).ok());
  EXPECT_EQ(m->renewals, 0);
  EXPECT_FALSE(x.credentials_renewed());
}

}  // namespace
}  // namespace smtpcore
