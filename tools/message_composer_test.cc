#include "tools/message_composer.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

Composition Base() {
  Composition c;
  c.from = "a@example.org";
  c.to = {"b@example.org", "c@example.org"};
  c.subject = "Hello";
  c.body = "line one\nline two";
  c.date = "Fri, 04 Dec 2026 05:00:00 +0000";
  c.message_id = "<id@example.org>";
  c.boundary = "=_b";
  return c;
}

TEST(ComposeMessageTest, PlainText) {
  absl::StatusOr<std::string> m = ComposeMessage(Base());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m,
            "From: a@example.org\r\n"
            "To: b@example.org, c@example.org\r\n"
            "Subject: Hello\r\n"
            "Date: Fri, 04 Dec 2026 05:00:00 +0000\r\n"
            "Message-ID: <id@example.org>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "line one\r\nline two\r\n");
}

TEST(ComposeMessageTest, HeadersReplaceAndEncode) {
  Composition c = Base();
  c.subject = "Grüße";
  c.headers = {"From: Jürgen Müller <j@example.org>", "X-Tag: täg",
               "Reply-To: \"Ann, A\" <ann@x>"};
  absl::StatusOr<std::string> m = ComposeMessage(c);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(absl::StrContains(*m, "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"));
  EXPECT_FALSE(absl::StrContains(*m, "From: a@example.org"));
  EXPECT_TRUE(absl::StrContains(
      *m, "From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <j@example.org>\r\n"));
  EXPECT_TRUE(absl::StrContains(*m, "X-Tag: =?UTF-8?B?dMOkZw==?=\r\n"));
  EXPECT_TRUE(absl::StrContains(*m, "Reply-To: \"Ann, A\" <ann@x>\r\n"));
}

TEST(ComposeMessageTest, Utf8BodyIsBase64) {
  Composition c = Base();
  c.body = "héllo\n";
  absl::StatusOr<std::string> m = ComposeMessage(c);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(absl::StrContains(*m, "charset=utf-8\r\n"
                                    "Content-Transfer-Encoding: base64\r\n"
                                    "\r\naMOpbGxvDQo=\r\n"));
}

TEST(ComposeMessageTest, Attachments) {
  Composition c = Base();
  c.attachments = {{"report.pdf", std::string("%PDF\0x", 6)},
                   {"résumé €.txt", "hi"}};
  absl::StatusOr<std::string> m = ComposeMessage(c);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(absl::StrContains(
      *m, "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n"));
  EXPECT_TRUE(absl::StrContains(
      *m,
      "--=_b\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
          absl::Base64Escape(std::string("%PDF\0x", 6)) + "\r\n"));
  EXPECT_TRUE(absl::StrContains(
      *m, "Content-Type: text/plain; name*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.txt\r\n"
          "Content-Disposition: attachment; "
          "filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.txt\r\n"));
  EXPECT_TRUE(absl::EndsWith(*m, "aGk=\r\n--=_b--\r\n"));
}

TEST(ComposeMessageTest, LongAttachmentLinesAre76) {
  Composition c = Base();
  c.attachments = {{"x.bin", std::string(200, 'x')}};
  absl::StatusOr<std::string> m = ComposeMessage(c);
  ASSERT_TRUE(m.ok());
  const size_t start = m->find("\r\n\r\n", m->find("x.bin")) + 4;
  EXPECT_EQ(m->find("\r\n", start) - start, 76u);
}

TEST(ComposeMessageTest, BadHeaders) {
  for (const char* h : {"NoColon", ": empty name", "Bad Name: x", "X: a\nB: c"}) {
    Composition c = Base();
    c.headers = {h};
    EXPECT_FALSE(ComposeMessage(c).ok()) << h;
  }
}

TEST(GuessContentTypeTest, ByExtension) {
  EXPECT_EQ(GuessContentType("a.PDF"), "application/pdf");
  EXPECT_EQ(GuessContentType("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(GuessContentType("notes.txt"), "text/plain");
  EXPECT_EQ(GuessContentType("0001-fix.patch"), "text/x-diff");
  EXPECT_EQ(GuessContentType("README"), "application/octet-stream");
  EXPECT_EQ(GuessContentType("x.unknown"), "application/octet-stream");
}

TEST(MakeBoundaryTest, Unique) {
  EXPECT_NE(MakeBoundary(), MakeBoundary());
  EXPECT_TRUE(absl::StartsWith(MakeBoundary(), "=_smtpc_"));
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
