// HttpResponseReader: a small, strict reader of one HTTP/1.1 response, for
// the MTA-STS policy fetch (RFC 8461 §3.3). Sans-I/O: bytes in, a verdict
// out. Fuzzed by //tests/fuzz:http_response_fuzzer.
//
// Strict on purpose: a status line "HTTP/1.x NNN reason", header lines
// "Name: value" (no obsolete folding), CRLF or LF line ends, at most
// kMaxHeaderBytes of head; a body framed by Content-Length, by chunked
// transfer coding, or by the end of the connection, at most `max_body`
// octets. Anything else is an error, never a guess.

#ifndef SMTP_TRANSPORTS_MTA_STS_HTTP_RESPONSE_READER_H_
#define SMTP_TRANSPORTS_MTA_STS_HTTP_RESPONSE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// HttpResponse is a complete response. A value type.
struct HttpResponse {
  int status = 0;
  // headers in order, names lower-cased, values trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Header returns the first value of `name` (lower case), or "".
  std::string Header(absl::string_view name) const;
};

class HttpResponseReader {
 public:
  // kMaxHeaderBytes bounds the status line and headers together.
  static constexpr size_t kMaxHeaderBytes = 16 * 1024;

  // HttpResponseReader reads a response whose body may be `max_body`
  // octets at most.
  explicit HttpResponseReader(size_t max_body) : max_body_(max_body) {}

  // Receive feeds bytes from the connection. Returns the first error
  // (kInvalidArgument for a malformed response, kResourceExhausted for a
  // limit); sticky.
  absl::Status Receive(absl::string_view bytes);

  // ReceiveEof reports the end of the connection: completes a body framed
  // by the end of the connection, and is an error while anything else is
  // incomplete.
  absl::Status ReceiveEof();

  // done is true when the response is complete (`response()` is final).
  bool done() const { return done_; }
  const HttpResponse& response() const { return response_; }

 private:
  enum class Framing { kUnknown, kLength, kChunked, kClose };
  absl::Status Fail(absl::Status s);
  absl::Status ParseHead(absl::string_view head);
  absl::Status Advance();
  absl::Status AppendBody(absl::string_view bytes);

  size_t max_body_;
  std::string buffer_;
  bool head_done_ = false;
  bool done_ = false;
  Framing framing_ = Framing::kUnknown;
  uint64_t remaining_ = 0;    // kLength: body octets left; kChunked: chunk
  bool in_chunk_data_ = false;
  bool chunk_trailer_ = false;
  bool expect_crlf_ = false;
  absl::Status status_;
  HttpResponse response_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_MTA_STS_HTTP_RESPONSE_READER_H_
