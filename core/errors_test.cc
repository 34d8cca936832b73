#include "core/errors.h"

#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(ErrorsTest, DetailRoundTripsThroughStatus) {
  absl::Status s = ProtocolError(ErrorDetail::kStartTlsInjection,
                                 "plaintext after STARTTLS 220");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kStartTlsInjection);
  EXPECT_EQ(ErrorDetailName(GetErrorDetail(s)), "starttls_injection");
}

TEST(ErrorsTest, ForeignStatusHasNoDetail) {
  EXPECT_EQ(GetErrorDetail(absl::OkStatus()), ErrorDetail::kNone);
  EXPECT_EQ(GetErrorDetail(absl::InternalError("x")), ErrorDetail::kNone);
}

TEST(ErrorsTest, LocalErrorsAreInvalidArgument) {
  absl::Status s = LocalError(ErrorDetail::kControlCharacter, "CR in address");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WrongStateError("x").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace smtpcore
