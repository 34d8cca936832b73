#include "transports/common/delivery_outcome.h"

#include <string>
#include <utility>
#include <vector>

#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/smtp_error.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::vector<Recipient> TwoRecipients() {
  Envelope envelope;
  envelope.AddRecipient("bob@example.org").AddRecipient("carol@example.org");
  return envelope.recipients;
}

SmtpError ErrorWith(bool permanent) {
  SmtpError e;
  e.permanent = permanent;
  e.cause = permanent ? ErrorDetail::kMessageTooLarge : ErrorDetail::kBroken;
  e.what = "test";
  return e;
}

TEST(FailedOutcomeTest, TemporaryErrorDefersEveryRecipient) {
  DeliveryOutcome o = FailedOutcome(TwoRecipients(), ErrorWith(false));
  EXPECT_FALSE(o.ok());
  EXPECT_FALSE(o.all_delivered());
  EXPECT_EQ(o.id, 0u);
  ASSERT_EQ(o.result.recipients.size(), 2u);
  EXPECT_EQ(o.result.recipients[0].address, "bob@example.org");
  EXPECT_EQ(o.result.recipients[1].address, "carol@example.org");
  EXPECT_EQ(o.result.deferred(), 2u);
  EXPECT_EQ(o.result.recipients[0].rcpt_reply.code(), 0);
  ASSERT_TRUE(o.error.has_value());
  EXPECT_EQ(o.error->cause, ErrorDetail::kBroken);
}

TEST(FailedOutcomeTest, PermanentErrorRejectsEveryRecipient) {
  DeliveryOutcome o = FailedOutcome(TwoRecipients(), ErrorWith(true));
  EXPECT_EQ(o.result.rejected(), 2u);
  EXPECT_EQ(o.error->cause, ErrorDetail::kMessageTooLarge);
}

TEST(FailedOutcomeTest, NoRecipients) {
  DeliveryOutcome o = FailedOutcome({}, ErrorWith(false));
  EXPECT_TRUE(o.result.recipients.empty());
  EXPECT_FALSE(o.ok());
}

TEST(TakeDeliveryOutcomeTest, DeliveryDone) {
  DeliveryDone done;
  done.delivery = 7;
  RecipientResult r;
  r.address = "bob@example.org";
  r.status = RecipientStatus::kDelivered;
  done.result.recipients.push_back(r);
  done.result.transactions = 1;
  Event event = std::move(done);
  absl::optional<DeliveryOutcome> o = TakeDeliveryOutcome(event);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->id, 7u);
  EXPECT_TRUE(o->ok());
  EXPECT_TRUE(o->all_delivered());
  EXPECT_EQ(o->result.transactions, 1);
}

TEST(TakeDeliveryOutcomeTest, DeliveryFailed) {
  DeliveryFailed failed;
  failed.delivery = 3;
  failed.error = ErrorWith(true);
  RecipientResult r;
  r.address = "bob@example.org";
  r.status = RecipientStatus::kRejected;
  failed.result.recipients.push_back(r);
  Event event = std::move(failed);
  absl::optional<DeliveryOutcome> o = TakeDeliveryOutcome(event);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->id, 3u);
  EXPECT_FALSE(o->ok());
  EXPECT_EQ(o->error->cause, ErrorDetail::kMessageTooLarge);
  EXPECT_EQ(o->result.rejected(), 1u);
}

TEST(TakeDeliveryOutcomeTest, OtherEventsAreLeftAlone) {
  Event event = Trace{true, "NOOP"};
  EXPECT_FALSE(TakeDeliveryOutcome(event).has_value());
  EXPECT_EQ(std::get<Trace>(event).line, "NOOP");
  Event ready = SessionReady{};
  EXPECT_FALSE(TakeDeliveryOutcome(ready).has_value());
}

}  // namespace
}  // namespace smtpcore
