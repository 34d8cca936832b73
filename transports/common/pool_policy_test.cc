#include "transports/common/pool_policy.h"

#include <string>
#include <vector>

#include "core/command.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/instant.h"
#include "core/reply.h"
#include "core/smtp_error.h"
#include "gtest/gtest.h"
#include "transports/common/delivery_outcome.h"

namespace smtpcore {
namespace {

// All times are simulated.
const Instant kT0 = InstantFromSeconds(1000);

SmtpError ReplyError(CommandKind command, int code,
                     absl::optional<EnhancedCode> enhanced,
                     std::string text) {
  SmtpError e;
  e.command = command;
  e.code = code;
  e.enhanced = enhanced;
  e.first_line = std::move(text);
  e.permanent = code >= 500;
  e.cause = code == 421 ? ErrorDetail::kServiceClosing : ErrorDetail::kRejected;
  return e;
}

EnhancedCode Enh(int a, int b, int c) { return EnhancedCode{a, b, c}; }

TEST(RetireAfterMessageTest, KeepsAUsableConnectionUnderTheLimit) {
  PoolPolicyOptions options;
  options.max_messages_per_connection = 3;
  ConnectionFacts facts;
  facts.messages = 2;
  EXPECT_EQ(RetireAfterMessage(options, facts), RetireReason::kNone);
}

TEST(RetireAfterMessageTest, RetiresAfterNMessages) {
  PoolPolicyOptions options;
  options.max_messages_per_connection = 3;
  ConnectionFacts facts;
  facts.messages = 3;
  EXPECT_EQ(RetireAfterMessage(options, facts), RetireReason::kMaxMessages);
  options.max_messages_per_connection = 0;  // no limit
  facts.messages = 1000000;
  EXPECT_EQ(RetireAfterMessage(options, facts), RetireReason::kNone);
}

TEST(RetireAfterMessageTest, A421RetiresWhateverElseHolds) {
  PoolPolicyOptions options;
  ConnectionFacts facts;
  facts.got_421 = true;
  facts.usable = true;  // e.g. not yet seen as closed
  EXPECT_EQ(RetireAfterMessage(options, facts),
            RetireReason::kServiceClosing);
  facts.usable = false;
  EXPECT_EQ(RetireAfterMessage(options, facts),
            RetireReason::kServiceClosing);
}

TEST(RetireAfterMessageTest, AnUnusableSessionIsRetired) {
  PoolPolicyOptions options;
  ConnectionFacts facts;
  facts.usable = false;
  EXPECT_EQ(RetireAfterMessage(options, facts), RetireReason::kFailed);
}

TEST(RetireIfIdleTest, RetiresExactlyAtTheIdleTimeout) {
  PoolPolicyOptions options;
  options.idle_timeout = absl::Seconds(30);
  ConnectionFacts facts;
  facts.idle = true;
  facts.idle_since = kT0;
  EXPECT_EQ(RetireIfIdle(options, facts, kT0), RetireReason::kNone);
  EXPECT_EQ(RetireIfIdle(options, facts, kT0 + absl::Milliseconds(29999)),
            RetireReason::kNone);
  EXPECT_EQ(RetireIfIdle(options, facts, kT0 + absl::Seconds(30)),
            RetireReason::kIdle);
  EXPECT_EQ(IdleDeadline(options, facts), kT0 + absl::Seconds(30));
}

TEST(RetireIfIdleTest, DefaultIsBelowCommonServerLimits) {
  // Postfix's smtpd_timeout is 300 s, Exim's 5 min, many providers 60 s.
  EXPECT_LT(PoolPolicyOptions().idle_timeout, absl::Seconds(60));
  EXPECT_GT(PoolPolicyOptions().idle_timeout, absl::ZeroDuration());
}

TEST(RetireIfIdleTest, BusyConnectionsAndZeroTimeoutNeverIdleOut) {
  PoolPolicyOptions options;
  ConnectionFacts facts;
  facts.idle = false;
  facts.idle_since = kT0;
  EXPECT_EQ(RetireIfIdle(options, facts, kT0 + absl::Hours(1)),
            RetireReason::kNone);
  EXPECT_FALSE(IdleDeadline(options, facts).has_value());
  facts.idle = true;
  options.idle_timeout = absl::ZeroDuration();
  EXPECT_EQ(RetireIfIdle(options, facts, kT0 + absl::Hours(1)),
            RetireReason::kNone);
  EXPECT_FALSE(IdleDeadline(options, facts).has_value());
}

TEST(IsTooManyConnectionsTest, GreetingRefusals) {
  EXPECT_TRUE(IsTooManyConnections(ReplyError(
      CommandKind::kGreeting, 421, Enh(4, 7, 0),
      "4.7.0 mx.example.org Error: too many connections from 192.0.2.1")));
  // 4.7.0 alone is enough at the greeting.
  EXPECT_TRUE(IsTooManyConnections(
      ReplyError(CommandKind::kGreeting, 421, Enh(4, 7, 0),
                 "4.7.0 Try again later")));
  // The text alone, without enhanced code.
  EXPECT_TRUE(IsTooManyConnections(
      ReplyError(CommandKind::kGreeting, 421, absl::nullopt,
                 "Too many concurrent SMTP connections; try later")));
  EXPECT_TRUE(IsTooManyConnections(
      ReplyError(CommandKind::kGreeting, 452, absl::nullopt,
                 "Too many connections")));
  EXPECT_TRUE(IsTooManyConnections(
      ReplyError(CommandKind::kGreeting, 451, Enh(4, 3, 0),
                 "4.3.0 too many sessions")));
}

TEST(IsTooManyConnectionsTest, AuthRefusals) {
  EXPECT_TRUE(IsTooManyConnections(ReplyError(
      CommandKind::kAuth, 454, Enh(4, 7, 0),
      "4.7.0 Temporary authentication failure")));
  EXPECT_TRUE(IsTooManyConnections(ReplyError(
      CommandKind::kAuth, 454, Enh(4, 3, 2), "4.3.2 Too many logins")));
  EXPECT_TRUE(IsTooManyConnections(ReplyError(
      CommandKind::kAuth, 421, Enh(4, 7, 0), "4.7.0 too many login attempts")));
  EXPECT_TRUE(IsTooManyConnections(
      ReplyError(CommandKind::kAuth, 452, absl::nullopt, "too many logins")));
}

TEST(IsTooManyConnectionsTest, NotTooMany) {
  // A server going down is not a concurrency problem.
  EXPECT_FALSE(IsTooManyConnections(
      ReplyError(CommandKind::kGreeting, 421, Enh(4, 3, 0),
                 "4.3.0 Service shutting down")));
  EXPECT_FALSE(IsTooManyConnections(ReplyError(
      CommandKind::kGreeting, 421, absl::nullopt, "closing channel")));
  // Permanent refusals are not worth waiting for.
  EXPECT_FALSE(IsTooManyConnections(ReplyError(
      CommandKind::kGreeting, 554, Enh(5, 7, 1), "5.7.1 too many errors")));
  EXPECT_FALSE(IsTooManyConnections(
      ReplyError(CommandKind::kAuth, 535, Enh(5, 7, 8), "5.7.8 bad login")));
  // A 452 to RCPT is "too many recipients": DeliveryFlow's business.
  EXPECT_FALSE(IsTooManyConnections(ReplyError(
      CommandKind::kRcptTo, 452, Enh(4, 5, 3), "4.5.3 Too many recipients")));
  EXPECT_FALSE(IsTooManyConnections(ReplyError(
      CommandKind::kMailFrom, 421, Enh(4, 7, 0), "4.7.0 too many messages")));
  // 450 without the words.
  EXPECT_FALSE(IsTooManyConnections(
      ReplyError(CommandKind::kGreeting, 450, absl::nullopt, "busy")));
  // No reply at all (a timeout).
  SmtpError timeout;
  timeout.command = CommandKind::kGreeting;
  timeout.cause = ErrorDetail::kTimeout;
  EXPECT_FALSE(IsTooManyConnections(timeout));
}

TEST(IsServiceClosingTest, A421AnywhereIsServiceClosing) {
  EXPECT_TRUE(IsServiceClosing(
      ReplyError(CommandKind::kNoop, 421, absl::nullopt, "bye")));
  EXPECT_TRUE(IsServiceClosing(
      ReplyError(CommandKind::kMailFrom, 421, Enh(4, 3, 2), "4.3.2 bye")));
  EXPECT_FALSE(IsServiceClosing(
      ReplyError(CommandKind::kMailFrom, 451, absl::nullopt, "later")));
}

DeliveryOutcome Failed(ErrorDetail cause, bool permanent,
                       std::vector<RecipientStatus> statuses) {
  DeliveryOutcome outcome;
  SmtpError e;
  e.cause = cause;
  e.permanent = permanent;
  e.code = cause == ErrorDetail::kServiceClosing ? 421 : 0;
  outcome.error = e;
  for (RecipientStatus s : statuses) {
    RecipientResult r;
    r.address = "r@example.org";
    r.status = s;
    outcome.result.recipients.push_back(r);
  }
  return outcome;
}

TEST(RetryAllowedTest, OnceWhenNothingWasTaken) {
  DeliveryOutcome outcome =
      Failed(ErrorDetail::kServiceClosing, false,
             {RecipientStatus::kDeferred, RecipientStatus::kDeferred});
  EXPECT_TRUE(RetryAllowed(outcome, 1));
  // Never a second time.
  EXPECT_FALSE(RetryAllowed(outcome, 2));
  EXPECT_FALSE(RetryAllowed(outcome, 3));
  for (ErrorDetail cause :
       {ErrorDetail::kConnectionClosed, ErrorDetail::kIo,
        ErrorDetail::kTimeout, ErrorDetail::kBroken, ErrorDetail::kClosed}) {
    EXPECT_TRUE(RetryAllowed(
        Failed(cause, false, {RecipientStatus::kPending}), 1))
        << ErrorDetailName(cause);
  }
}

TEST(RetryAllowedTest, NeverAfterAFinalOutcomeForAnyRecipient) {
  // Delivered to one: a retry would deliver it twice.
  EXPECT_FALSE(RetryAllowed(
      Failed(ErrorDetail::kServiceClosing, false,
             {RecipientStatus::kDelivered, RecipientStatus::kDeferred}),
      1));
  // The end of data went out and no reply came: it may have been taken.
  EXPECT_FALSE(RetryAllowed(
      Failed(ErrorDetail::kConnectionClosed, false,
             {RecipientStatus::kUnknown}),
      1));
  // A rejected recipient has its final answer.
  EXPECT_FALSE(RetryAllowed(
      Failed(ErrorDetail::kConnectionClosed, false,
             {RecipientStatus::kRejected, RecipientStatus::kDeferred}),
      1));
}

TEST(RetryAllowedTest, NeverForPermanentOrMessageLevelFailures) {
  EXPECT_FALSE(RetryAllowed(
      Failed(ErrorDetail::kServiceClosing, true, {RecipientStatus::kDeferred}),
      1));
  EXPECT_FALSE(RetryAllowed(
      Failed(ErrorDetail::kRejected, false, {RecipientStatus::kDeferred}), 1));
  EXPECT_FALSE(RetryAllowed(
      Failed(ErrorDetail::kMessageTooLarge, false, {RecipientStatus::kDeferred}),
      1));
  DeliveryOutcome ok;
  EXPECT_FALSE(RetryAllowed(ok, 1));
}

TEST(DestinationConcurrencyTest, LowersForTheBackoffThenRecovers) {
  PoolPolicyOptions options;
  options.max_connections = 8;
  options.busy_backoff = absl::Seconds(60);
  DestinationConcurrency c(options);
  EXPECT_EQ(c.Limit(kT0), 8);
  EXPECT_FALSE(c.lowered(kT0));
  c.OnTooMany(/*working=*/3, kT0);
  EXPECT_TRUE(c.lowered(kT0));
  EXPECT_EQ(c.Limit(kT0), 3);
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(59)), 3);
  EXPECT_EQ(c.recovers_at(), kT0 + absl::Seconds(60));
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(60)), 8);
  EXPECT_FALSE(c.lowered(kT0 + absl::Seconds(60)));
}

TEST(DestinationConcurrencyTest, ASecondRefusalLowersFurtherAndRestarts) {
  PoolPolicyOptions options;
  options.max_connections = 8;
  options.busy_backoff = absl::Seconds(60);
  DestinationConcurrency c(options);
  c.OnTooMany(5, kT0);
  // A refusal with more working connections never raises the limit.
  c.OnTooMany(7, kT0 + absl::Seconds(10));
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(10)), 5);
  c.OnTooMany(2, kT0 + absl::Seconds(30));
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(30)), 2);
  // The backoff restarted at the last refusal.
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(89)), 2);
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(90)), 8);
  // After recovery a new refusal starts from the configured maximum.
  c.OnTooMany(6, kT0 + absl::Seconds(100));
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(100)), 6);
}

TEST(DestinationConcurrencyTest, NoWorkingConnectionMeansWaitForTheBackoff) {
  PoolPolicyOptions options;
  options.max_connections = 4;
  options.busy_backoff = absl::Seconds(5);
  DestinationConcurrency c(options);
  c.OnTooMany(0, kT0);
  EXPECT_EQ(c.Limit(kT0), 0);
  EXPECT_EQ(c.Limit(kT0 + absl::Seconds(5)), 4);
}

TEST(DestinationConcurrencyTest, ZeroBackoffNeverLowers) {
  PoolPolicyOptions options;
  options.max_connections = 4;
  options.busy_backoff = absl::ZeroDuration();
  DestinationConcurrency c(options);
  c.OnTooMany(1, kT0);
  EXPECT_EQ(c.Limit(kT0), 4);
  EXPECT_FALSE(c.recovers_at().has_value());
}

TEST(RetireReasonNameTest, Names) {
  EXPECT_EQ(RetireReasonName(RetireReason::kServiceClosing),
            "service-closing");
  EXPECT_EQ(RetireReasonName(RetireReason::kIdle), "idle");
  EXPECT_EQ(RetireReasonName(RetireReason::kMaxMessages), "max-messages");
}

}  // namespace
}  // namespace smtpcore
