#include "transports/blocking/socket_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/common/transport_error.h"

namespace smtpcore {

// The core's IoSlices go to the kernel as iovecs without copying; that is
// only valid if the layouts agree exactly.
static_assert(sizeof(IoSlice) == sizeof(struct iovec),
              "IoSlice must have the size of struct iovec");
static_assert(alignof(IoSlice) == alignof(struct iovec),
              "IoSlice must have the alignment of struct iovec");
static_assert(offsetof(IoSlice, data) == offsetof(struct iovec, iov_base),
              "IoSlice::data must overlay iovec::iov_base");
static_assert(offsetof(IoSlice, size) == offsetof(struct iovec, iov_len),
              "IoSlice::size must overlay iovec::iov_len");
static_assert(sizeof(IoSlice::size) == sizeof(iovec::iov_len),
              "IoSlice::size must have the width of iovec::iov_len");

namespace {

constexpr int kMaxIov = IOV_MAX < 1024 ? IOV_MAX : 1024;

// PollTimeoutMs converts `deadline` into a poll() timeout, rounding up so
// that a wake-up is never early by a fraction of a millisecond.
int PollTimeoutMs(absl::optional<Instant> deadline, Instant now) {
  if (!deadline.has_value()) return -1;
  if (*deadline <= now) return 0;
  Duration left = *deadline - now;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

absl::Status ErrorStatus(const SmtpError& error) { return error.ToStatus(); }

// ConnectSocket connects a new non-blocking socket to `address` within
// `timeout` (<= 0: no limit). Returns 0 and the socket in `*out_fd`, or the
// errno of the failure (ETIMEDOUT for our own timeout).
int ConnectSocket(const DialAddress& address, Duration timeout, int* out_fd) {
  int fd = socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  IPPROTO_TCP);
  if (fd < 0) return errno;
  int error_number = 0;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address.sockaddr),
              address.sockaddr_len) != 0) {
    if (errno != EINPROGRESS) {
      error_number = errno;
    } else {
      bool limited = timeout > absl::ZeroDuration();
      Instant deadline = MonotonicNow() + timeout;
      for (;;) {
        pollfd p = {fd, POLLOUT, 0};
        int wait = limited ? PollTimeoutMs(deadline, MonotonicNow()) : -1;
        int rc = poll(&p, 1, wait);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) {
          error_number = errno;
        } else if (rc == 0) {
          error_number = ETIMEDOUT;
        } else {
          socklen_t len = sizeof(error_number);
          if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error_number, &len) != 0) {
            error_number = errno;
          }
        }
        break;
      }
    }
  }
  if (error_number != 0) {
    close(fd);
    return error_number;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  *out_fd = fd;
  return 0;
}

}  // namespace

Instant MonotonicNow() {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return InstantFromMonotonicNanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch)
          .count());
}

absl::StatusOr<std::vector<DialAddress>> ResolveHost(absl::string_view host,
                                                     uint16_t port,
                                                     AddressFamily family) {
  std::string name(HostWithoutBrackets(host));
  if (name.empty()) {
    return ErrorStatus(TransportError(ErrorDetail::kInvalidArgument,
                                      "no server host name given"));
  }
  if (IsIpLiteral(name)) {
    absl::StatusOr<DialAddress> a = MakeDialAddress(name, port);
    if (!a.ok()) {
      return ErrorStatus(ResolveError(host, a.status().message()));
    }
    return std::vector<DialAddress>{*std::move(a)};
  }
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_family = family == AddressFamily::kIpv4Only   ? AF_INET
                    : family == AddressFamily::kIpv6Only ? AF_INET6
                                                         : AF_UNSPEC;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    std::string detail = rc == EAI_SYSTEM ? std::string(strerror(errno))
                                          : std::string(gai_strerror(rc));
    return ErrorStatus(ResolveError(host, detail));
  }
  std::vector<DialAddress> out;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    char buffer[INET6_ADDRSTRLEN] = {};
    const void* raw = nullptr;
    if (ai->ai_family == AF_INET) {
      raw = &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
    } else if (ai->ai_family == AF_INET6) {
      raw = &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
    } else {
      continue;
    }
    if (inet_ntop(ai->ai_family, raw, buffer, sizeof(buffer)) == nullptr) {
      continue;
    }
    absl::StatusOr<DialAddress> a = MakeDialAddress(buffer, port);
    if (a.ok()) out.push_back(*std::move(a));
  }
  freeaddrinfo(result);
  if (out.empty()) {
    return ErrorStatus(TransportError(
        ErrorDetail::kIo,
        absl::StrCat("resolve ", host, ": no ",
                     family == AddressFamily::kIpv4Only   ? "IPv4 "
                     : family == AddressFamily::kIpv6Only ? "IPv6 "
                                                          : "",
                     "address found; check the host name")));
  }
  return out;
}

SocketTransport::SocketTransport(int fd, std::string host, DialAddress peer)
    : fd_(fd), host_(std::move(host)), peer_(std::move(peer)) {}

SocketTransport::~SocketTransport() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<SocketTransport>> SocketTransport::ConnectTo(
    absl::string_view host, const DialAddress& address, Duration timeout) {
  int fd = -1;
  int error_number = ConnectSocket(address, timeout, &fd);
  if (error_number != 0) {
    std::vector<std::string> tried = {address.ip};
    return ConnectError(host, address.port, tried, error_number).ToStatus();
  }
  return std::unique_ptr<SocketTransport>(
      new SocketTransport(fd, std::string(host), address));
}

absl::StatusOr<std::unique_ptr<SocketTransport>> SocketTransport::Dial(
    const ClientOptions& options) {
  uint16_t port = EffectivePort(options);
  absl::StatusOr<std::vector<DialAddress>> resolved;
  if (options.addresses.empty()) {
    resolved = ResolveHost(options.host, port, options.family);
  } else {
    resolved.emplace();
    for (const std::string& ip : options.addresses) {
      absl::StatusOr<DialAddress> a = MakeDialAddress(ip, port);
      if (!a.ok()) {
        return TransportError(ErrorDetail::kInvalidArgument,
                              std::string(a.status().message()))
            .ToStatus();
      }
      resolved->push_back(*a);
    }
  }
  if (!resolved.ok()) return resolved.status();
  std::vector<DialAddress> order = OrderDialAddresses(
      options.host, *resolved, options.dial_history, options.family);
  if (options.max_addresses > 0 &&
      order.size() > static_cast<size_t>(options.max_addresses)) {
    order.resize(options.max_addresses);
  }
  std::vector<std::string> tried;
  int last_errno = EHOSTUNREACH;
  bool all_timed_out = !order.empty();
  for (const DialAddress& address : order) {
    tried.push_back(address.ip);
    int fd = -1;
    int error_number = ConnectSocket(address, options.connect_timeout, &fd);
    if (options.dial_history != nullptr) {
      options.dial_history->Record(options.host, address.ip,
                                   error_number == 0
                                       ? DialOutcome::kConnected
                                       : DialOutcome::kConnectFailed);
    }
    if (error_number == 0) {
      return std::unique_ptr<SocketTransport>(
          new SocketTransport(fd, options.host, address));
    }
    if (error_number != ETIMEDOUT) {
      all_timed_out = false;
      last_errno = error_number;
    }
  }
  // The error names the last non-timeout cause (a refusal says more than a
  // timeout); only when every attempt timed out is it a timeout.
  return ConnectError(options.host, port, tried,
                      all_timed_out ? ETIMEDOUT : last_errno)
      .ToStatus();
}

absl::StatusOr<size_t> SocketTransport::Writev(
    absl::Span<const IoSlice> slices) {
  if (slices.empty()) return 0;
  msghdr message = {};
  // Zero-copy hand-over: see the static_asserts at the top of this file.
  message.msg_iov = const_cast<struct iovec*>(
      reinterpret_cast<const struct iovec*>(slices.data()));
  message.msg_iovlen = std::min<size_t>(slices.size(), kMaxIov);
  for (;;) {
    ssize_t n = sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return IoError("write", peer_.ToString(), errno).ToStatus();
  }
}

absl::StatusOr<size_t> SocketTransport::Write(absl::string_view bytes) {
  IoSlice slice{bytes.data(), bytes.size()};
  return Writev(absl::MakeConstSpan(&slice, 1));
}

absl::StatusOr<SocketReadResult> SocketTransport::Read(
    absl::Span<char> buffer) {
  SocketReadResult result;
  for (;;) {
    ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      result.size = static_cast<size_t>(n);
      return result;
    }
    if (n == 0) {
      result.eof = true;
      return result;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      result.would_block = true;
      return result;
    }
    return IoError("read", peer_.ToString(), errno).ToStatus();
  }
}

absl::StatusOr<SocketReadiness> SocketTransport::Wait(
    bool want_read, bool want_write, absl::optional<Instant> deadline) {
  SocketReadiness readiness;
  for (;;) {
    pollfd p = {fd_, 0, 0};
    if (want_read) p.events |= POLLIN;
    if (want_write) p.events |= POLLOUT;
    int rc = poll(&p, 1, PollTimeoutMs(deadline, MonotonicNow()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) {
      return IoError("poll", peer_.ToString(), errno).ToStatus();
    }
    if (rc == 0) {
      readiness.timed_out = true;
      return readiness;
    }
    // Errors and hang-ups surface through read()/write().
    short error_bits = POLLERR | POLLHUP;
    readiness.readable =
        (p.revents & POLLIN) != 0 || (want_read && (p.revents & error_bits));
    readiness.writable =
        (p.revents & POLLOUT) != 0 || (want_write && (p.revents & error_bits));
    if (!readiness.readable && !readiness.writable) {
      // POLLERR with only write interest and so on: report both so the
      // caller's next call sees the error.
      readiness.readable = want_read;
      readiness.writable = want_write;
    }
    return readiness;
  }
}

void SocketTransport::ShutdownWrite() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

void SocketTransport::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace smtpcore
