#include "transports/mta_sts/http_response_reader.h"

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// Feed gives `text` to a reader byte by byte (every split point), then EOF
// when `eof`.
absl::Status Feed(HttpResponseReader& r, absl::string_view text, bool eof) {
  for (char c : text) {
    absl::Status s = r.Receive(absl::string_view(&c, 1));
    if (!s.ok()) return s;
  }
  return eof ? r.ReceiveEof() : absl::OkStatus();
}

TEST(HttpResponseReaderTest, ContentLength) {
  HttpResponseReader r(1024);
  ASSERT_TRUE(Feed(r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 5\r\n\r\nhello",
                   false)
                  .ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.response().status, 200);
  EXPECT_EQ(r.response().Header("content-type"), "text/plain");
  EXPECT_EQ(r.response().body, "hello");
}

TEST(HttpResponseReaderTest, ChunkedAndCloseDelimited) {
  HttpResponseReader chunked(1024);
  ASSERT_TRUE(Feed(chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\n",
                   false)
                  .ok());
  EXPECT_TRUE(chunked.done());
  EXPECT_EQ(chunked.response().body, "hello, world");

  HttpResponseReader close(1024);
  ASSERT_TRUE(Feed(close, "HTTP/1.0 200 OK\nServer: x\n\nversion: STSv1\n", true).ok());
  EXPECT_TRUE(close.done());
  EXPECT_EQ(close.response().body, "version: STSv1\n");
}

TEST(HttpResponseReaderTest, RedirectIsJustAStatus) {
  HttpResponseReader r(1024);
  ASSERT_TRUE(Feed(r, "HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n"
                      "Content-Length: 0\r\n\r\n", false).ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.response().status, 301);
}

TEST(HttpResponseReaderTest, Limits) {
  HttpResponseReader big(4);
  absl::Status s = Feed(big, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  HttpResponseReader big_chunked(4);
  s = Feed(big_chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\n", false);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  HttpResponseReader big_close(4);
  s = Feed(big_close, "HTTP/1.1 200 OK\r\n\r\nabcdef", false);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  HttpResponseReader head(1024);
  s = head.Receive("HTTP/1.1 200 OK\r\nX: " +
                   std::string(HttpResponseReader::kMaxHeaderBytes, 'a'));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
}

TEST(HttpResponseReaderTest, Malformed) {
  for (const char* bad : {
           "HTTP/2 200 OK\r\n\r\n",
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 200OK\r\n\r\n",
           "SMTP/1.1 200 OK\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
       }) {
    HttpResponseReader r(1024);
    absl::Status s = Feed(r, bad, true);
    EXPECT_FALSE(s.ok()) << bad;
  }
  HttpResponseReader truncated(1024);
  EXPECT_FALSE(Feed(truncated, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", true).ok());
}

}  // namespace
}  // namespace smtpcore
