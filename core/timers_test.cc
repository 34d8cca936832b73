#include "core/timers.h"

#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(TimersTest, Rfc5321Defaults) {
  Timeouts t;
  EXPECT_EQ(t.For(TimerStage::kGreeting), absl::Minutes(5));
  EXPECT_EQ(t.For(TimerStage::kMail), absl::Minutes(5));
  EXPECT_EQ(t.For(TimerStage::kRcpt), absl::Minutes(5));
  EXPECT_EQ(t.For(TimerStage::kDataInit), absl::Minutes(2));
  EXPECT_EQ(t.For(TimerStage::kDataBlock), absl::Minutes(3));
  EXPECT_EQ(t.For(TimerStage::kDataTermination), absl::Minutes(10));
  EXPECT_EQ(t.For(TimerStage::kTlsHandshake), absl::Minutes(5));
  EXPECT_EQ(t.For(TimerStage::kAuth), absl::Minutes(5));
  EXPECT_EQ(t.For(TimerStage::kOther), absl::Minutes(5));
  EXPECT_EQ(t.For(TimerStage::kNone), absl::InfiniteDuration());
}

TEST(TimersTest, StageForReply) {
  EXPECT_EQ(StageForReply(CommandKind::kGreeting), TimerStage::kGreeting);
  EXPECT_EQ(StageForReply(CommandKind::kMailFrom), TimerStage::kMail);
  EXPECT_EQ(StageForReply(CommandKind::kRcptTo), TimerStage::kRcpt);
  EXPECT_EQ(StageForReply(CommandKind::kData), TimerStage::kDataInit);
  EXPECT_EQ(StageForReply(CommandKind::kBdat), TimerStage::kDataTermination);
  EXPECT_EQ(StageForReply(CommandKind::kAuth), TimerStage::kAuth);
  EXPECT_EQ(StageForReply(CommandKind::kEhlo), TimerStage::kOther);
}

TEST(TimersTest, StageTimerDeadlineAndExpiry) {
  Timeouts t;
  StageTimer timer;
  EXPECT_EQ(timer.Deadline(t), absl::nullopt);
  EXPECT_FALSE(timer.Expired(t, InstantFromSeconds(1e9)));
  timer.Set(TimerStage::kDataInit, InstantFromSeconds(10));
  EXPECT_EQ(timer.Deadline(t), InstantFromSeconds(130));
  EXPECT_FALSE(timer.Expired(t, InstantFromSeconds(129.999)));
  EXPECT_TRUE(timer.Expired(t, InstantFromSeconds(130)));
  timer.Touch(InstantFromSeconds(100));
  EXPECT_EQ(timer.Deadline(t), InstantFromSeconds(220));
  t.data_init = absl::ZeroDuration();  // disabled
  EXPECT_EQ(timer.Deadline(t), absl::nullopt);
  timer.Stop();
  EXPECT_EQ(timer.stage(), TimerStage::kNone);
  EXPECT_EQ(TimerStageName(TimerStage::kDataTermination), "data_termination");
  EXPECT_EQ(TimerStageName(TimerStage::kAuth), "auth");
}

}  // namespace
}  // namespace smtpcore
