// SocketTransport: an owned, connected, non-blocking stream socket (TCP or
// Unix-domain) with the few operations a synchronous driver needs:
// gather-write of the core's `IoSlice`s with writev semantics, read, and
// poll() until a deadline. It knows nothing about SMTP, TLS or proxies;
// transports/socket/socket_dialer.h makes one (resolve, bind, connect,
// proxy handshake), `BlockingClient` (transports/blocking) and the MTA-STS
// fetcher (transports/mta_sts) put their protocols on top. No driver
// depends on another driver: this package is their shared floor for
// poll-based I/O.
//
// The clock is read here (`MonotonicNow`, std::chrono::steady_clock mapped
// to the core's `Instant`), never in core/.
//
// Errors are `SmtpError::ToStatus()` statuses (see
// transports/common/transport_error.h): the typed error comes back with
// `ErrorFromStatus`.
//
// SIGPIPE: writes use sendmsg/send with MSG_NOSIGNAL; a closed peer is an
// error return, never a signal.

#ifndef SMTP_TRANSPORTS_SOCKET_SOCKET_TRANSPORT_H_
#define SMTP_TRANSPORTS_SOCKET_SOCKET_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "transports/common/dial_history.h"

namespace smtpcore {

// MonotonicNow returns the current time of std::chrono::steady_clock as an
// `Instant` (epoch: the clock's). The only clock the blocking transport
// reads. Never fails.
Instant MonotonicNow();

// SocketReadiness is what `SocketTransport::Wait` saw.
struct SocketReadiness {
  bool readable = false;  // data, EOF or an error is waiting to be read
  bool writable = false;
  bool timed_out = false;  // the deadline passed first
};

// SocketReadResult is one `Read`: `size` bytes were stored; `eof` when the
// peer closed its side (size 0); `would_block` when nothing is available.
struct SocketReadResult {
  size_t size = 0;
  bool eof = false;
  bool would_block = false;
};

// SocketTransport owns one connected non-blocking stream socket (closed by
// the destructor). Not copyable or movable. Not thread-safe.
class SocketTransport {
 public:
  // Adopt takes ownership of the connected non-blocking socket `fd`, dialed
  // as `host` and connected to `peer` (for messages and getters).
  static std::unique_ptr<SocketTransport> Adopt(int fd, std::string host,
                                                DialAddress peer);

  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;
  ~SocketTransport();

  // fd is the socket descriptor (still owned by this object).
  int fd() const { return fd_; }
  // peer is the connected address (a proxy's, when one was used).
  const DialAddress& peer() const { return peer_; }
  // host is the name the socket was dialed with.
  const std::string& host() const { return host_; }

  // Writev writes a prefix of `slices` without blocking (one sendmsg of up
  // to IOV_MAX slices; the slices are passed to the kernel as `struct
  // iovec` without copying: see the static_assert in the .cc) and returns
  // the number of bytes written, 0 if the socket is full. Fails with
  // `IoError` (kIo, or kConnectionClosed for EPIPE/ECONNRESET).
  absl::StatusOr<size_t> Writev(absl::Span<const IoSlice> slices);

  // Write is `Writev` of one buffer.
  absl::StatusOr<size_t> Write(absl::string_view bytes);

  // Read reads what is available into `buffer` without blocking: first
  // the bytes given to `Unread`, then the socket's. Fails with `IoError` on
  // a socket error.
  absl::StatusOr<SocketReadResult> Read(absl::Span<char> buffer);

  // Unread puts `bytes` before whatever the socket will deliver (a proxy's
  // handshake may read the first bytes of the tunnel, transports/proxy);
  // the next `Read` calls return them and `Wait` reports readable at once.
  void Unread(absl::string_view bytes);

  // Wait polls until the socket is readable (`want_read`) or writable
  // (`want_write`), or until `deadline` (nullopt: no deadline; the clock is
  // `MonotonicNow`). Retries on EINTR. Fails with kIo if poll() fails.
  absl::StatusOr<SocketReadiness> Wait(bool want_read, bool want_write,
                                       absl::optional<Instant> deadline);

  // ShutdownWrite half-closes the socket (sends FIN). Errors are ignored.
  void ShutdownWrite();

  // Close closes the descriptor now (the destructor does it otherwise);
  // later I/O calls fail with kIo / EBADF. Idempotent.
  void Close();

 private:
  SocketTransport(int fd, std::string host, DialAddress peer);

  int fd_;
  std::string host_;
  DialAddress peer_;
  std::string unread_;  // returned by Read before the socket's bytes
};

// PollTimeoutMs converts `deadline` into a poll() timeout from `now`,
// rounding up so that a wake-up is never early by a fraction of a
// millisecond; -1 without a deadline, 0 when it has passed.
int PollTimeoutMs(absl::optional<Instant> deadline, Instant now);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_SOCKET_SOCKET_TRANSPORT_H_
