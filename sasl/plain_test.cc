#include "sasl/plain.h"

#include <string>

#include "absl/strings/match.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// RFC 4616 §4 examples.
TEST(PlainTest, Rfc4616Examples) {
  PlainMechanism tim("tim", "tanstaaftanstaaf");
  ASSERT_TRUE(tim.Start(nullptr).ok());
  EXPECT_EQ(tim.name(), "PLAIN");
  EXPECT_EQ(tim.InitialResponse(), std::string("\0tim\0tanstaaftanstaaf", 21));
  EXPECT_TRUE(tim.Finish("").ok());

  PlainMechanism kurt("Kurt", "xipj3plmq", "Ursel");
  ASSERT_TRUE(kurt.Start(nullptr).ok());
  EXPECT_EQ(kurt.InitialResponse(), std::string("Ursel\0Kurt\0xipj3plmq", 20));
}

TEST(PlainTest, EmptyChallengeWithoutSaslIrGetsMessageOnce) {
  PlainMechanism m("tim", "pw");
  ASSERT_TRUE(m.Start(nullptr).ok());
  absl::StatusOr<std::string> r = m.Respond("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::string("\0tim\0pw", 7));
  r = m.Respond("");
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
}

TEST(PlainTest, NonEmptyChallengeIsRejected) {
  PlainMechanism m("tim", "pw");
  ASSERT_TRUE(m.Start(nullptr).ok());
  absl::StatusOr<std::string> r = m.Respond("what?");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
}

TEST(PlainTest, NulAndEmptyUserRejectedWithoutLeakingPassword) {
  PlainMechanism nul("tim", std::string("Zq9\0xK", 6));
  absl::Status s = nul.Start(nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(s.message(), "Zq9"));
  PlainMechanism empty("", "pw");
  EXPECT_FALSE(empty.Start(nullptr).ok());
}

}  // namespace
}  // namespace smtpcore
