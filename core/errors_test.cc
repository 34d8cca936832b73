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

TEST(ErrorsTest, ProxyDetailsHaveStableValuesAndNames) {
  const struct {
    ErrorDetail detail;
    int value;
    const char* name;
  } kCases[] = {
      {ErrorDetail::kProxyFailure, 110, "proxy_failure"},
      {ErrorDetail::kProxyNotAllowed, 111, "proxy_not_allowed"},
      {ErrorDetail::kProxyNetworkUnreachable, 112, "proxy_network_unreachable"},
      {ErrorDetail::kProxyHostUnreachable, 113, "proxy_host_unreachable"},
      {ErrorDetail::kProxyConnectionRefused, 114, "proxy_connection_refused"},
      {ErrorDetail::kProxyTimeout, 115, "proxy_timeout"},
      {ErrorDetail::kProxyCommandNotSupported, 116,
       "proxy_command_not_supported"},
      {ErrorDetail::kProxyAddressNotSupported, 117,
       "proxy_address_not_supported"},
      {ErrorDetail::kProxyAuthRequired, 118, "proxy_auth_required"},
      {ErrorDetail::kProxyAuthFailed, 119, "proxy_auth_failed"},
      {ErrorDetail::kProxyProtocol, 120, "proxy_protocol"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(static_cast<int>(c.detail), c.value) << c.name;
    EXPECT_EQ(ErrorDetailName(c.detail), c.name);
  }
}

}  // namespace
}  // namespace smtpcore
