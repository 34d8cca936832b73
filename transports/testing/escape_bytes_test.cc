#include "transports/testing/escape_bytes.h"

#include <string>

#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(EscapeBytesTest, Escapes) {
  EXPECT_EQ(EscapeBytes(std::string("a\r\n\t\\\"\0\x7f\xff b", 11)),
            "a\\r\\n\\t\\\\\\\"\\x00\\x7f\\xff b");
}

TEST(EscapeBytesTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  absl::StatusOr<std::string> back = UnescapeBytes(EscapeBytes(all));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, all);
}

TEST(EscapeBytesTest, UnescapeIsStrict) {
  EXPECT_EQ(*UnescapeBytes("\\x41B"), "AB");  // exactly two hex digits
  for (const char* bad : {"\\", "\\q", "\\x4", "\\xg0", "a\"b", "a\rb", "\n"}) {
    EXPECT_FALSE(UnescapeBytes(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace smtpcore
