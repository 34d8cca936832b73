#include "transports/socket/socket_transport.h"

#include <netinet/in.h>
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

}  // namespace

int PollTimeoutMs(absl::optional<Instant> deadline, Instant now) {
  if (!deadline.has_value()) return -1;
  if (*deadline <= now) return 0;
  Duration left = *deadline - now;
  int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

Instant MonotonicNow() {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return InstantFromMonotonicNanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch)
          .count());
}

SocketTransport::SocketTransport(int fd, std::string host, DialAddress peer)
    : fd_(fd), host_(std::move(host)), peer_(std::move(peer)) {}

std::unique_ptr<SocketTransport> SocketTransport::Adopt(int fd,
                                                       std::string host,
                                                       DialAddress peer) {
  return std::unique_ptr<SocketTransport>(
      new SocketTransport(fd, std::move(host), std::move(peer)));
}

SocketTransport::~SocketTransport() {
  if (fd_ >= 0) close(fd_);
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

void SocketTransport::Unread(absl::string_view bytes) {
  unread_.insert(0, bytes.data(), bytes.size());
}

absl::StatusOr<SocketReadResult> SocketTransport::Read(
    absl::Span<char> buffer) {
  SocketReadResult result;
  if (!unread_.empty()) {
    result.size = std::min(buffer.size(), unread_.size());
    std::memcpy(buffer.data(), unread_.data(), result.size);
    unread_.erase(0, result.size);
    return result;
  }
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
  if (want_read && !unread_.empty()) {
    readiness.readable = true;
    return readiness;
  }
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
