#include "tools/message.h"

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

TEST(MessageTest, Rfc5322Date) {
  const absl::Time t = absl::FromUnixSeconds(1704067200);  // 2024-01-01
  EXPECT_EQ(FormatRfc5322Date(t, absl::UTCTimeZone()),
            "Mon, 01 Jan 2024 00:00:00 +0000");
  EXPECT_EQ(FormatRfc5322Date(t, absl::FixedTimeZone(-5 * 3600)),
            "Sun, 31 Dec 2023 19:00:00 -0500");
}

TEST(MessageTest, MessageIdShape) {
  const std::string id = MakeMessageId("host.example");
  ASSERT_EQ(id.size(), 1 + 16 + 1 + 12 + 1);
  EXPECT_TRUE(absl::StartsWith(id, "<"));
  EXPECT_TRUE(absl::EndsWith(id, "@host.example>"));
  EXPECT_NE(MakeMessageId("h"), MakeMessageId("h"));
}

TEST(MessageTest, GeneratedTestMessage) {
  EXPECT_EQ(GenerateTestMessage("a@x", {"b@y", "c@z"},
                                "Mon, 01 Jan 2024 00:00:00 +0000", "<id@x>"),
            "From: <a@x>\r\n"
            "To: <b@y>, <c@z>\r\n"
            "Subject: smtpc test message\r\n"
            "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
            "Message-ID: <id@x>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "This is a test message sent by smtpc (smtpcore's command-line "
            "client).\r\n");
}

TEST(MessageTest, SizedMessagesHaveExactSizeAndCrlfLines) {
  const std::string headers_only = GenerateSizedMessage(1, 7, "a@x", "b@y");
  const size_t header_size = headers_only.size();
  EXPECT_TRUE(absl::StrContains(headers_only, "Subject: smtpc bulk message 7"));
  for (size_t size = header_size; size < header_size + 300; ++size) {
    const std::string m = GenerateSizedMessage(size, 1, "a@x", "b@y");
    ASSERT_EQ(m.size(), size);
    ASSERT_TRUE(absl::EndsWith(m, "\r\n")) << size;
    // No bare CR or LF.
    for (size_t i = 0; i < m.size(); ++i) {
      if (m[i] == '\n') {
        ASSERT_EQ(m[i - 1], '\r') << size;
      }
      if (m[i] == '\r') {
        ASSERT_EQ(m[i + 1], '\n') << size;
      }
    }
  }
  const std::string big = GenerateSizedMessage(100000, 1, "a@x", "b@y");
  EXPECT_EQ(big.size(), 100000u);
  EXPECT_TRUE(absl::StrContains(big, "\r\n.The quick brown fox"));
  EXPECT_EQ(big, GenerateSizedMessage(100000, 1, "a@x", "b@y"));
}

// The line-by-line construction GenerateSizedMessage had before it appended
// in place: the bytes must not change (bench/e2e_run.py reproduces them).
std::string ReferenceSizedMessage(size_t size, size_t index) {
  std::string out = absl::StrCat(
      "From: <a@x>\r\nTo: <b@y>\r\nSubject: smtpc bulk message ", index,
      "\r\nMessage-ID: <bulk-", index,
      "@smtpc.test>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
  size_t line = 0;
  while (out.size() + 2 < size) {
    const size_t room = size - out.size() - 2;
    std::string text = absl::StrCat(
        line % 10 == 0 ? "." : "",
        "The quick brown fox jumps over the lazy dog. 0123456789 smtpc bulk");
    if (text.size() > room) text.resize(room);
    out += text;
    out += "\r\n";
    ++line;
  }
  if (out.size() < size) {
    out += size - out.size() == 2 ? "\r\n" : "";
    if (out.size() < size) out.insert(out.size() - 2, " ");
  }
  return out;
}

TEST(MessageTest, SizedMessageBytesAreStable) {
  for (size_t size = 0; size < 1200; ++size) {
    ASSERT_EQ(GenerateSizedMessage(size, 3, "a@x", "b@y"),
              ReferenceSizedMessage(size, 3))
        << size;
  }
  for (size_t size : {size_t{65536}, size_t{1} << 20}) {
    EXPECT_EQ(GenerateSizedMessage(size, 12, "a@x", "b@y"),
              ReferenceSizedMessage(size, 12))
        << size;
  }
}

TEST(MessageTest, ReadMessage) {
  const std::string path = std::string(::testing::TempDir()) + "/smtpc_msg";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite("a\nb\0c", 1, 5, f);
    std::fclose(f);
  }
  absl::StatusOr<std::string> m = ReadMessage(path, stdin);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, std::string("a\nb\0c", 5));
  std::FILE* in = std::fopen(path.c_str(), "rb");
  m = ReadMessage("-", in);
  std::fclose(in);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 5u);
  std::remove(path.c_str());
  EXPECT_EQ(ReadMessage("/nonexistent/m.eml", stdin).status().message(),
            "cannot read --data /nonexistent/m.eml: No such file or "
            "directory");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
