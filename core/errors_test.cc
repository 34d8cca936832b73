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

TEST(ErrorsTest, RoutingDetailsHaveStableNames) {
  EXPECT_EQ(static_cast<int>(ErrorDetail::kNullMx), 100);
  EXPECT_EQ(ErrorDetailName(ErrorDetail::kNullMx), "null_mx");
  EXPECT_EQ(ErrorDetailName(ErrorDetail::kNoSuchDomain), "no_such_domain");
  EXPECT_EQ(ErrorDetailName(ErrorDetail::kDnsTemporary), "dns_temporary");
  EXPECT_EQ(ErrorDetailName(ErrorDetail::kDnssecBogus), "dnssec_bogus");
  EXPECT_EQ(ErrorDetailName(ErrorDetail::kMtaStsMismatch),
            "mta_sts_mismatch");
}

}  // namespace
}  // namespace smtpcore
