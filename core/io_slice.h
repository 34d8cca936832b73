// IoSlice: one borrowed run of bytes in the client's outgoing stream.
//
// The core never copies a message body to send it: `Connection::PollTransmit`
// and `DotStuffer` hand out IoSlices that point into the caller's buffers,
// into a small arena of formatted command lines, or into static storage
// ("." insertions, "\r\n" repairs, the end-of-data marker).
//
// Layout: {const char* data; size_t size;} is the same as POSIX `struct iovec`
// and libuv's `uv_buf_t` on Linux. The transports static_assert this where
// they include <sys/uio.h> and <uv.h>; core/ includes neither.

#ifndef SMTP_CORE_IO_SLICE_H_
#define SMTP_CORE_IO_SLICE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace smtpcore {

// IoSlice is a borrowed view of `size` bytes at `data`. It owns nothing; the
// producer of a slice documents how long it stays valid.
struct IoSlice {
  const char* data;
  size_t size;

  absl::string_view view() const { return absl::string_view(data, size); }
};

// TotalSize returns the sum of the sizes of `slices`.
inline size_t TotalSize(absl::Span<const IoSlice> slices) {
  size_t n = 0;
  for (const IoSlice& s : slices) n += s.size;
  return n;
}

// AppendSlices appends the bytes of every slice in `slices` to `out`. It is a
// convenience for tests and copying transports, not for the hot path.
inline void AppendSlices(absl::Span<const IoSlice> slices, std::string* out) {
  for (const IoSlice& s : slices) out->append(s.data, s.size);
}

}  // namespace smtpcore

#endif  // SMTP_CORE_IO_SLICE_H_
