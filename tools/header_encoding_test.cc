#include "tools/header_encoding.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

TEST(EncodeHeaderTextTest, AsciiUnchanged) {
  EXPECT_EQ(EncodeHeaderText("Hello, world"), "Hello, world");
}

TEST(EncodeHeaderTextTest, NonAsciiIsBEncoded) {
  EXPECT_EQ(EncodeHeaderText("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
}

TEST(EncodeHeaderTextTest, LongTextSplitsBetweenCharacters) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "é";  // 80 bytes
  const std::string encoded = EncodeHeaderText(text);
  std::string decoded;
  for (absl::string_view word : absl::StrSplit(encoded, ' ')) {
    EXPECT_LE(word.size(), 75u);
    ASSERT_TRUE(absl::StartsWith(word, "=?UTF-8?B?"));
    std::string part;
    ASSERT_TRUE(absl::Base64Unescape(
        word.substr(10, word.size() - 12), &part));
    // Every word holds whole characters.
    EXPECT_EQ(part.size() % 2, 0u);
    decoded += part;
  }
  EXPECT_EQ(decoded, text);
}

TEST(FormatMailboxTest, Forms) {
  EXPECT_EQ(FormatMailbox("", "a@x"), "a@x");
  EXPECT_EQ(FormatMailbox("Ann Lee", "a@x"), "Ann Lee <a@x>");
  EXPECT_EQ(FormatMailbox("Lee, Ann \"A\"", "a@x"),
            "\"Lee, Ann \\\"A\\\"\" <a@x>");
  EXPECT_EQ(FormatMailbox("Jürgen", "j@x"), "=?UTF-8?B?SsO8cmdlbg==?= <j@x>");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
