// DomainToAscii against UTS #46 examples (ToASCII, nontransitional) and the
// SMTP syntax checks layered on top.

#include "idna/idna.h"

#include <string>

#include "absl/strings/match.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::string Ascii(const std::string& domain) {
  absl::StatusOr<std::string> r = DomainToAscii(domain);
  EXPECT_TRUE(r.ok()) << domain << ": " << r.status();
  return r.ok() ? *r : "";
}

bool Refused(const std::string& domain) {
  absl::StatusOr<std::string> r = DomainToAscii(domain);
  if (r.ok()) return false;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kInvalidArgument);
  return true;
}

TEST(IdnaTest, ALabels) {
  EXPECT_EQ(Ascii("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(Ascii("münchen.de"), "xn--mnchen-3ya.de");
  EXPECT_EQ(Ascii("例え.テスト"), "xn--r8jz45g.xn--zckzah");
  EXPECT_EQ(Ascii("日本語。jp"), "xn--wgv71a119e.jp");  // U+3002 separates
  EXPECT_EQ(Ascii("a．b.example"), "a.b.example");     // U+FF0E too
}

// TR46 mapping: case folding, compatibility forms, NFC.
TEST(IdnaTest, Mapping) {
  EXPECT_EQ(Ascii("Bücher.Example"), "xn--bcher-kva.example");
  EXPECT_EQ(Ascii("BÜCHER.EXAMPLE"), "xn--bcher-kva.example");
  EXPECT_EQ(Ascii("bu\xcc\x88" "cher.example"),  // u + U+0308: NFC
            "xn--bcher-kva.example");
  EXPECT_EQ(Ascii("①.example"), "1.example");    // U+2460
  EXPECT_EQ(Ascii("\xe2\x84\xaa.example"), "k.example");  // KELVIN SIGN
}

// Nontransitional processing keeps ß and ς (UTS #46 §4, IDNA2008).
TEST(IdnaTest, Nontransitional) {
  EXPECT_EQ(Ascii("faß.de"), "xn--fa-hia.de");
  EXPECT_EQ(Ascii("straße.de"), "xn--strae-oqa.de");
}

// ASCII and existing A-labels pass (lower-cased); bad Punycode does not.
TEST(IdnaTest, AsciiAndALabelInput) {
  EXPECT_EQ(Ascii("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(Ascii("XN--BCHER-KVA.Example"), "xn--bcher-kva.example");
  EXPECT_EQ(Ascii("mail-1.example.org"), "mail-1.example.org");
  EXPECT_TRUE(Refused("xn--zz.example"));
}

TEST(IdnaTest, InvalidLabels) {
  EXPECT_TRUE(Refused("-abc.example"));         // CheckHyphens
  EXPECT_TRUE(Refused("ab--cd.example"));       // hyphens in 3 and 4
  EXPECT_TRUE(Refused("a\xe2\x80\x8d" "b.example"));  // ZWJ: CONTEXTJ
  EXPECT_TRUE(Refused("\xd7\x90" "a.example"));  // Hebrew + Latin: bidi
  EXPECT_TRUE(Refused("\xe2\x80\xa8x.example"));  // disallowed U+2028
  EXPECT_TRUE(Refused("x\xff.example"));          // not UTF-8
  EXPECT_TRUE(Refused(std::string(64, 'a') + ".example"));
  EXPECT_TRUE(Refused("ü" + std::string(62, 'a') + ".example"));
}

// What UTS #46 allows but an SMTP domain does not.
TEST(IdnaTest, SmtpSyntax) {
  EXPECT_TRUE(Refused(""));
  EXPECT_TRUE(Refused("a..b"));
  EXPECT_TRUE(Refused("münchen.de."));  // no trailing root dot in SMTP
  EXPECT_TRUE(Refused("ü_x.example"));
  EXPECT_TRUE(Refused(std::string("a\0b", 3)));
  std::string long_domain;
  for (int i = 0; i < 50; ++i) long_domain += "abcd.";
  long_domain += "example";
  EXPECT_TRUE(Refused(long_domain));
  absl::StatusOr<std::string> r = DomainToAscii("a\xe2\x80\x8d" "b.example");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "UTS #46"));
}

TEST(IdnaTest, Converter) {
  IdnaConverter convert = IdnaToAsciiConverter();
  absl::StatusOr<std::string> r = convert("bücher.example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "xn--bcher-kva.example");
  EXPECT_FALSE(convert("-x.example").ok());
}

}  // namespace
}  // namespace smtpcore
