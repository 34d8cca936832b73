// http_response_fuzzer: the MTA-STS fetch's HTTP/1.1 response reader
// (transports/mta_sts/http_response_reader.h), whole and in chunks.
//
// Input layout: byte 0: bits 0-2 chunk size (0 = whole, else 1..7 bytes
// per Receive), bit 3 sends EOF at the end, bits 4-7 pick the body limit
// (16 << n octets); bytes 1.. are the response bytes.
//
// Invariants checked (abort on violation):
//   - nothing crashes or reads outside the input;
//   - the body never exceeds the limit;
//   - feeding whole and in chunks ends in the same state: same success or
//     failure, same done(), same status, headers and body.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "transports/mta_sts/http_response_reader.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "http_response_fuzzer: %s\n", what);
    std::abort();
  }
}

struct Result {
  bool ok;
  bool done;
  smtpcore::HttpResponse response;
};

Result Feed(absl::string_view in, size_t chunk, bool eof, size_t limit) {
  smtpcore::HttpResponseReader r(limit);
  absl::Status s;
  if (chunk == 0) {
    s = r.Receive(in);
  } else {
    for (size_t i = 0; i < in.size() && s.ok(); i += chunk) {
      s = r.Receive(in.substr(i, chunk));
    }
  }
  if (s.ok() && eof) s = r.ReceiveEof();
  Check(r.response().body.size() <= limit, "body over the limit");
  return Result{s.ok(), r.done(), r.response()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view in(reinterpret_cast<const char*>(data) + 1,
                             size - 1);
  const size_t chunk = data[0] & 7;
  const bool eof = (data[0] & 8) != 0;
  const size_t limit = size_t{16} << (data[0] >> 4);
  Result whole = Feed(in, 0, eof, limit);
  Result parts = Feed(in, chunk == 0 ? 1 : chunk, eof, limit);
  Check(whole.ok == parts.ok, "chunking changed success");
  if (whole.ok) {
    Check(whole.done == parts.done, "chunking changed done");
    Check(whole.response.status == parts.response.status, "status differs");
    Check(whole.response.headers == parts.response.headers, "headers differ");
    Check(whole.response.body == parts.response.body, "body differs");
  }
  return 0;
}
