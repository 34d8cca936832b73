#include "sasl/cram_md5.h"

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// RFC 2195 §2 example.
TEST(CramMd5Test, Rfc2195Example) {
  CramMd5Mechanism m("tim", "tanstaaftanstaaf");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.name(), "CRAM-MD5");
  EXPECT_EQ(m.InitialResponse(), absl::nullopt);
  absl::StatusOr<std::string> r =
      m.Respond("<1896.697170952@postoffice.reston.mci.net>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "tim b913a602c7eda7a495b4e6e7334d3890");
  EXPECT_TRUE(m.Finish("").ok());
}

TEST(CramMd5Test, EmptyOrSecondChallengeFails) {
  CramMd5Mechanism m("tim", "pw");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(GetErrorDetail(m.Respond("").status()),
            ErrorDetail::kAuthMechanism);
  ASSERT_TRUE(m.Respond("<1@x>").ok());
  EXPECT_FALSE(m.Respond("<2@x>").ok());
}

}  // namespace
}  // namespace smtpcore
