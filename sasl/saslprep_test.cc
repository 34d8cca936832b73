#include "sasl/saslprep.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::string Prep(absl::string_view in) {
  absl::StatusOr<std::string> out = SaslPrep(in);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "<error>";
}

// RFC 4013 §3 examples (those that need no NFKC).
TEST(SaslPrepTest, Rfc4013Examples) {
  EXPECT_EQ(Prep("I\xC2\xADX"), "IX");  // SOFT HYPHEN mapped to nothing
  EXPECT_EQ(Prep("user"), "user");
  EXPECT_EQ(Prep("USER"), "USER");      // case preserved
  EXPECT_FALSE(SaslPrep("\x07").ok());  // prohibited character
}

TEST(SaslPrepTest, AsciiPassesThrough) {
  const std::string printable =
      " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
      "abcdefghijklmnopqrstuvwxyz{|}~";
  EXPECT_EQ(Prep(printable), printable);
  EXPECT_EQ(Prep(""), "");
}

TEST(SaslPrepTest, MapsSpacesAndRemovesInvisibles) {
  EXPECT_EQ(Prep("a\xC2\xA0"
                 "b"),
            "a b");  // NO-BREAK SPACE
  EXPECT_EQ(Prep("a\xE3\x80\x80"
                 "b"),
            "a b");  // IDEOGRAPHIC SPACE
  EXPECT_EQ(Prep("a\xE2\x80\x8B"
                 "b"),
            "ab");  // ZERO WIDTH SPACE
  EXPECT_EQ(Prep("a\xEF\xBB\xBF"
                 "b"),
            "ab");                                // BOM / ZWNBSP
  EXPECT_EQ(Prep("p\xC3\xA4ss"), "p\xC3\xA4ss");  // ä passes (no NFKC)
  EXPECT_EQ(Prep("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");  // U+1F600
}

TEST(SaslPrepTest, RejectsProhibitedAndInvalid) {
  EXPECT_FALSE(SaslPrep(absl::string_view("a\0b", 3)).ok());  // C.2.1
  EXPECT_FALSE(SaslPrep("a\x7F").ok());                       // DEL
  EXPECT_FALSE(SaslPrep("a\xC2\x85").ok());                   // C.2.2 NEL
  EXPECT_FALSE(SaslPrep("\xEE\x80\x80").ok());                // C.3 U+E000
  EXPECT_FALSE(SaslPrep("\xEF\xBF\xBE").ok());                // C.4 U+FFFE
  EXPECT_FALSE(SaslPrep("\xE2\x80\x8E").ok());                // C.8 LRM
  EXPECT_FALSE(SaslPrep("\xF3\xA0\x80\x81").ok());            // C.9 U+E0001
  EXPECT_FALSE(SaslPrep("\xC3").ok());                        // truncated
  EXPECT_FALSE(SaslPrep("\xC0\xAF").ok());                    // overlong
  EXPECT_FALSE(SaslPrep("\xED\xA0\x80").ok());                // surrogate
  EXPECT_FALSE(SaslPrep("\xF4\x90\x80\x80").ok());            // > U+10FFFF
}

TEST(SaslPrepTest, ErrorDoesNotEchoInput) {
  absl::StatusOr<std::string> out = SaslPrep("secret\x01pw");
  ASSERT_FALSE(out.ok());
  EXPECT_FALSE(absl::StrContains(out.status().message(), "secret"));
  EXPECT_TRUE(absl::StrContains(out.status().message(), "code point 7"));
}

}  // namespace
}  // namespace smtpcore
