#include "route/tlsa.h"

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

const char kSha256[] =
    "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(TlsaTest, ParsesPresentationForm) {
  absl::StatusOr<TlsaRecord> r = ParseTlsaText(kSha256);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->usage, kTlsaUsageDaneEe);
  EXPECT_EQ(r->selector, kTlsaSelectorSpki);
  EXPECT_EQ(r->matching_type, kTlsaMatchingSha256);
  EXPECT_EQ(r->data.size(), 32u);
  EXPECT_EQ(r->ToString(),
            "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
            "0123456789ABCDEF");
  // Hex may be split by spaces, as in zone files.
  absl::StatusOr<TlsaRecord> split = ParseTlsaText("2 0 0 0102 0304");
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->data, std::string("\x01\x02\x03\x04", 4));
  for (const char* bad : {"", "3 1 1", "3 1 1 abc", "3 1 1 zz", "256 1 1 00",
                          "-1 1 1 00", "3 x 1 00"}) {
    absl::StatusOr<TlsaRecord> b = ParseTlsaText(bad);
    EXPECT_FALSE(b.ok()) << bad;
    EXPECT_EQ(GetErrorDetail(b.status()), ErrorDetail::kInvalidArgument);
  }
}

TEST(TlsaTest, ParsesRdata) {
  absl::StatusOr<TlsaRecord> r =
      ParseTlsaRdata(std::string("\x02\x00\x01", 3) + std::string(32, 'x'));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->usage, kTlsaUsageDaneTa);
  EXPECT_EQ(r->selector, kTlsaSelectorCert);
  EXPECT_EQ(r->data, std::string(32, 'x'));
  EXPECT_FALSE(ParseTlsaRdata(std::string("\x03\x01\x01", 3)).ok());
}

TEST(TlsaTest, UsabilityForSmtpRfc7672) {
  TlsaRecord r = *ParseTlsaText(kSha256);
  EXPECT_TRUE(IsUsableTlsaForSmtp(r));
  r.usage = kTlsaUsageDaneTa;
  EXPECT_TRUE(IsUsableTlsaForSmtp(r));
  r.usage = kTlsaUsagePkixEe;
  EXPECT_NE(TlsaUnusableReason(r).find("not for SMTP"), std::string::npos);
  r.usage = kTlsaUsagePkixTa;
  EXPECT_FALSE(IsUsableTlsaForSmtp(r));
  r.usage = 4;
  EXPECT_FALSE(IsUsableTlsaForSmtp(r));
  r.usage = kTlsaUsageDaneEe;
  r.selector = 2;
  EXPECT_FALSE(IsUsableTlsaForSmtp(r));
  r.selector = kTlsaSelectorCert;
  r.matching_type = 3;
  EXPECT_FALSE(IsUsableTlsaForSmtp(r));
  r.matching_type = kTlsaMatchingSha512;  // 32 octets: wrong size
  EXPECT_FALSE(IsUsableTlsaForSmtp(r));
  r.data = std::string(64, 'a');
  EXPECT_TRUE(IsUsableTlsaForSmtp(r));
  r.matching_type = kTlsaMatchingFull;
  EXPECT_TRUE(IsUsableTlsaForSmtp(r));
  r.data.clear();
  EXPECT_FALSE(IsUsableTlsaForSmtp(r));
}

TEST(TlsaTest, QueryName) {
  EXPECT_EQ(TlsaQueryName("MX.Example.", 25), "_25._tcp.mx.example");
}

}  // namespace
}  // namespace smtpcore
