#include "transports/mta_sts/http_response_reader.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

absl::Status Malformed(absl::string_view why) {
  return LocalError(ErrorDetail::kInvalidArgument,
                    absl::StrCat("HTTP response: ", why));
}

absl::Status TooLarge(absl::string_view why) {
  return MakeError(absl::StatusCode::kResourceExhausted,
                   ErrorDetail::kReplyTooLarge,
                   absl::StrCat("HTTP response: ", why));
}

// TakeLine removes one line (CRLF or LF) from the front of `buffer`.
bool TakeLine(std::string* buffer, std::string* line) {
  size_t lf = buffer->find('\n');
  if (lf == std::string::npos) return false;
  size_t end = lf > 0 && (*buffer)[lf - 1] == '\r' ? lf - 1 : lf;
  *line = buffer->substr(0, end);
  buffer->erase(0, lf + 1);
  return true;
}

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

absl::Status HttpResponseReader::Fail(absl::Status s) {
  if (status_.ok()) status_ = std::move(s);
  return status_;
}

absl::Status HttpResponseReader::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  for (absl::string_view& l : lines) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  }
  // Status line: HTTP/1.x SP 3DIGIT SP reason.
  absl::string_view status = lines[0];
  if (!absl::StartsWith(status, "HTTP/1.") || status.size() < 12 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(status[7])) ||
      status[8] != ' ') {
    return Malformed("bad status line");
  }
  int code = 0;
  if (!absl::SimpleAtoi(status.substr(9, 3), &code) || code < 100 ||
      code > 599 || (status.size() > 12 && status[12] != ' ')) {
    return Malformed("bad status code");
  }
  response_.status = code;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view l = lines[i];
    if (l.empty()) continue;
    if (l.front() == ' ' || l.front() == '\t') {
      return Malformed("obsolete header folding");
    }
    size_t colon = l.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return Malformed("header line without a name");
    }
    std::string name = absl::AsciiStrToLower(l.substr(0, colon));
    for (char c : name) {
      if (c == ' ' || c == '\t') return Malformed("space in a header name");
    }
    response_.headers.push_back(
        {name, std::string(absl::StripAsciiWhitespace(l.substr(colon + 1)))});
  }
  const std::string te = absl::AsciiStrToLower(response_.Header("transfer-encoding"));
  const std::string cl = response_.Header("content-length");
  if (!te.empty()) {
    if (te != "chunked") return Malformed("unsupported transfer-encoding");
    if (!cl.empty()) return Malformed("both content-length and chunked");
    framing_ = Framing::kChunked;
  } else if (!cl.empty()) {
    uint64_t n = 0;
    for (char c : cl) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return Malformed("bad content-length");
      }
    }
    if (cl.size() > 18 || !absl::SimpleAtoi(cl, &n)) {
      return Malformed("bad content-length");
    }
    if (n > max_body_) {
      return TooLarge(absl::StrCat("body of ", n, " octets over the limit of ",
                                   max_body_));
    }
    framing_ = Framing::kLength;
    remaining_ = n;
  } else {
    framing_ = Framing::kClose;
  }
  return absl::OkStatus();
}

absl::Status HttpResponseReader::AppendBody(absl::string_view bytes) {
  if (response_.body.size() + bytes.size() > max_body_) {
    return TooLarge(absl::StrCat("body over the limit of ", max_body_,
                                 " octets"));
  }
  absl::StrAppend(&response_.body, bytes);
  return absl::OkStatus();
}

absl::Status HttpResponseReader::Advance() {
  if (!head_done_) {
    size_t end = buffer_.find("\r\n\r\n");
    size_t skip = 4;
    size_t lf = buffer_.find("\n\n");
    if (lf != std::string::npos && (end == std::string::npos || lf < end)) {
      end = lf;
      skip = 2;
    }
    if (end == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) {
        return TooLarge("header section too long");
      }
      return absl::OkStatus();
    }
    if (end > kMaxHeaderBytes) return TooLarge("header section too long");
    absl::Status s = ParseHead(absl::string_view(buffer_).substr(0, end));
    if (!s.ok()) return s;
    buffer_.erase(0, end + skip);
    head_done_ = true;
    if (framing_ == Framing::kLength && remaining_ == 0) {
      done_ = true;
      if (!buffer_.empty()) return Malformed("bytes after the body");
    }
  }
  while (!done_ && !buffer_.empty()) {
    switch (framing_) {
      case Framing::kClose: {
        absl::Status s = AppendBody(buffer_);
        buffer_.clear();
        return s;
      }
      case Framing::kLength: {
        size_t n = static_cast<size_t>(
            std::min<uint64_t>(remaining_, buffer_.size()));
        absl::Status s = AppendBody(absl::string_view(buffer_).substr(0, n));
        if (!s.ok()) return s;
        buffer_.erase(0, n);
        remaining_ -= n;
        if (remaining_ == 0) {
          done_ = true;
          if (!buffer_.empty()) return Malformed("bytes after the body");
        }
        return absl::OkStatus();
      }
      case Framing::kChunked: {
        if (in_chunk_data_) {
          size_t n = static_cast<size_t>(
              std::min<uint64_t>(remaining_, buffer_.size()));
          absl::Status s = AppendBody(absl::string_view(buffer_).substr(0, n));
          if (!s.ok()) return s;
          buffer_.erase(0, n);
          remaining_ -= n;
          if (remaining_ > 0) return absl::OkStatus();
          in_chunk_data_ = false;
          expect_crlf_ = true;
          continue;
        }
        std::string line;
        if (!TakeLine(&buffer_, &line)) {
          if (buffer_.size() > 1024) return Malformed("chunk line too long");
          return absl::OkStatus();
        }
        if (chunk_trailer_) {
          if (line.empty()) {
            done_ = true;
            if (!buffer_.empty()) return Malformed("bytes after the body");
          }
          continue;  // trailer fields are ignored
        }
        if (expect_crlf_) {  // the CRLF that ends chunk data
          if (!line.empty()) return Malformed("chunk data too long");
          expect_crlf_ = false;
          continue;
        }
        absl::string_view size = line;
        size = size.substr(0, size.find(';'));
        size = absl::StripAsciiWhitespace(size);
        uint64_t n = 0;
        if (size.empty() || size.size() > 15) {
          return Malformed("bad chunk size");
        }
        for (char c : size) {
          if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
            return Malformed("bad chunk size");
          }
          n = n * 16 + static_cast<uint64_t>(
                           absl::ascii_isdigit(static_cast<unsigned char>(c))
                               ? c - '0'
                               : absl::ascii_tolower(c) - 'a' + 10);
        }
        if (n == 0) {
          chunk_trailer_ = true;
          continue;
        }
        if (response_.body.size() + n > max_body_) {
          return TooLarge(absl::StrCat("body over the limit of ", max_body_,
                                       " octets"));
        }
        remaining_ = n;
        in_chunk_data_ = true;
        continue;
      }
      case Framing::kUnknown:
        return Malformed("internal: no framing");
    }
  }
  return absl::OkStatus();
}

absl::Status HttpResponseReader::Receive(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (done_) {
    if (!bytes.empty()) return Fail(Malformed("bytes after the response"));
    return absl::OkStatus();
  }
  absl::StrAppend(&buffer_, bytes);
  absl::Status s = Advance();
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status HttpResponseReader::ReceiveEof() {
  if (!status_.ok()) return status_;
  if (done_) return absl::OkStatus();
  if (head_done_ && framing_ == Framing::kClose) {
    done_ = true;
    return absl::OkStatus();
  }
  return Fail(Malformed("connection closed before the response was complete"));
}

}  // namespace smtpcore
