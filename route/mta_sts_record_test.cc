#include "route/mta_sts_record.h"

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(StsRecordTest, ParsesRfc8461Examples) {
  absl::StatusOr<StsRecord> r = ParseStsRecord("v=STSv1; id=20160831085700Z;");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "20160831085700Z");
  EXPECT_EQ(ParseStsRecord("v=STSv1;id=abc")->id, "abc");
  EXPECT_EQ(ParseStsRecord("v=STSv1; ext=1; id=abc ")->id, "abc");
}

TEST(StsRecordTest, RefusesMalformed) {
  for (const char* bad :
       {"", "v=STSv2; id=1", "id=1; v=STSv1", "v=STSv1", "v=STSv1; id=",
        "v=STSv1; id=a-b", "v=STSv1; id=012345678901234567890123456789012",
        "v=STSv1; id=1; id=2", "v=STSv1; junk", "v=STSv1; v=STSv1; id=1"}) {
    absl::StatusOr<StsRecord> r = ParseStsRecord(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kInvalidArgument);
  }
}

TEST(StsRecordTest, SelectsExactlyOneRecord) {
  std::string why;
  EXPECT_EQ(SelectStsRecord({"v=spf1 -all", "v=STSv1; id=x1"}, &why)->id, "x1");
  EXPECT_FALSE(
      SelectStsRecord({"v=STSv1; id=a", "v=STSv1; id=b"}, &why).has_value());
  EXPECT_NE(why.find("more than one"), std::string::npos);
  EXPECT_FALSE(SelectStsRecord({"v=spf1"}, &why).has_value());
  EXPECT_FALSE(SelectStsRecord({"v=STSv1; id=?"}, &why).has_value());
  EXPECT_EQ(StsRecordName("Example.ORG."), "_mta-sts.example.org");
}

}  // namespace
}  // namespace smtpcore
