#include "sasl/external.h"

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(ExternalTest, NeedsClientCertificate) {
  ExternalMechanism m;
  absl::Status s = m.Start(nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kAuthMechanism);
  TlsInfo tls;
  tls.client_certificate = false;
  EXPECT_FALSE(m.Start(&tls).ok());
}

TEST(ExternalTest, EmptyAuthzid) {
  TlsInfo tls;
  tls.client_certificate = true;
  ExternalMechanism m;
  ASSERT_TRUE(m.Start(&tls).ok());
  EXPECT_EQ(m.name(), "EXTERNAL");
  EXPECT_EQ(m.InitialResponse(), std::string());  // sent as "="
  EXPECT_EQ(*m.Respond(""), "");
  EXPECT_FALSE(m.Respond("").ok());
}

TEST(ExternalTest, ExplicitAuthzid) {
  TlsInfo tls;
  tls.client_certificate = true;
  ExternalMechanism m("postmaster@example.org");
  ASSERT_TRUE(m.Start(&tls).ok());
  EXPECT_EQ(m.InitialResponse(), "postmaster@example.org");
  EXPECT_FALSE(m.Respond("unexpected").ok());
}

}  // namespace
}  // namespace smtpcore
