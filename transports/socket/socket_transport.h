// SocketTransport: an owned, non-blocking TCP socket with the few
// operations a synchronous SMTP driver needs: resolve + dial with a timeout
// (alternating address families, recording a `DialHistory`), gather-write
// of the core's `IoSlice`s with writev semantics, read, and poll() until a
// deadline. It knows nothing about SMTP or TLS; `BlockingClient` puts the
// core and the TlsLayer on top.
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

#ifndef SMTP_TRANSPORTS_BLOCKING_SOCKET_TRANSPORT_H_
#define SMTP_TRANSPORTS_BLOCKING_SOCKET_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "transports/common/client_options.h"
#include "transports/common/dial_history.h"

namespace smtpcore {

// MonotonicNow returns the current time of std::chrono::steady_clock as an
// `Instant` (epoch: the clock's). The only clock the blocking transport
// reads. Never fails.
Instant MonotonicNow();

// ResolveHost resolves `host` (name or IP literal, brackets allowed) for TCP
// port `port` with getaddrinfo (blocking), keeping the resolver's order.
// Fails with the `ResolveError` status ("resolve mail.example.org: Name or
// service not known; check the host name") or, when nothing of `family` is
// left, kUnavailable / kIo naming the family.
absl::StatusOr<std::vector<DialAddress>> ResolveHost(absl::string_view host,
                                                     uint16_t port,
                                                     AddressFamily family);

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

// SocketTransport owns one connected non-blocking TCP socket (closed by the
// destructor). Move-only. Not thread-safe.
class SocketTransport {
 public:
  // Dial resolves `host` (or takes `options.addresses` as they are) and
  // connects to its addresses in the order of
  // `OrderDialAddresses` (history and family from `options`), each attempt
  // bounded by `options.connect_timeout`, at most `options.max_addresses`
  // attempts. Every attempt is recorded in `options.dial_history` (if set).
  // Returns the connected socket, or the typed error of the last attempt
  // (`ConnectError`: kUnavailable/kIo, or kDeadlineExceeded/kTimeout when
  // every attempt timed out; `ResolveError`; kInvalidArgument for an empty
  // host).
  static absl::StatusOr<std::unique_ptr<SocketTransport>> Dial(
      const ClientOptions& options);

  // ConnectTo connects to the single numeric `address` with `timeout` (no
  // DNS, no history). Errors as `Dial`, with `host` in the message.
  static absl::StatusOr<std::unique_ptr<SocketTransport>> ConnectTo(
      absl::string_view host, const DialAddress& address, Duration timeout);

  SocketTransport(SocketTransport&&) = delete;
  SocketTransport& operator=(SocketTransport&&) = delete;
  ~SocketTransport();

  // fd is the socket descriptor (still owned by this object).
  int fd() const { return fd_; }
  // peer is the connected address.
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

  // Read reads what is available into `buffer` without blocking. Fails
  // with `IoError` on a socket error.
  absl::StatusOr<SocketReadResult> Read(absl::Span<char> buffer);

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
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_BLOCKING_SOCKET_TRANSPORT_H_
