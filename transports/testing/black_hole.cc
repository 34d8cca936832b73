#include "transports/testing/black_hole.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

// StartConnect begins a non-blocking connect to `address`; the socket, or
// -1. `*done` tells whether it completed already.
int StartConnect(const sockaddr_in& address, bool* done) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&address),
                   sizeof(address));
  if (rc != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  *done = rc == 0;
  return fd;
}

// WaitConnected polls `fd` for the end of its connect; true when it
// connected within `ms`.
bool WaitConnected(int fd, int ms) {
  pollfd p = {fd, POLLOUT, 0};
  int rc;
  do {
    rc = poll(&p, 1, ms);
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0) return false;
  int error = 0;
  socklen_t len = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  return error == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlackHoleListener>> BlackHoleListener::Start(
    const std::string& ip, uint16_t port) {
  std::unique_ptr<BlackHoleListener> hole(new BlackHoleListener());
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", ip));
  }
  hole->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (hole->listen_fd_ < 0) return absl::InternalError(strerror(errno));
  if (bind(hole->listen_fd_, reinterpret_cast<sockaddr*>(&address),
           sizeof(address)) != 0 ||
      listen(hole->listen_fd_, 0) != 0) {
    return absl::UnavailableError(
        absl::StrCat("bind/listen ", ip, ":", port, ": ", strerror(errno)));
  }
  socklen_t len = sizeof(address);
  getsockname(hole->listen_fd_, reinterpret_cast<sockaddr*>(&address), &len);
  hole->ip_ = ip;
  hole->port_ = ntohs(address.sin_port);
  // The filler: it completes (the queue has room for one) and then sits in
  // the accept queue forever.
  bool done = false;
  hole->filler_fd_ = StartConnect(address, &done);
  if (hole->filler_fd_ < 0 ||
      (!done && !WaitConnected(hole->filler_fd_, 10000))) {
    return absl::InternalError("the filler connection did not complete");
  }
  // The probe must not complete: its SYN is dropped. A generous wait: an
  // answer, if the kernel gave one, would come at once on loopback.
  int probe = StartConnect(address, &done);
  if (probe < 0) return absl::InternalError(strerror(errno));
  const bool answered = done || WaitConnected(probe, 200);
  close(probe);
  if (answered) {
    return absl::FailedPreconditionError(
        "the kernel completed a connect to a full accept queue; this machine "
        "cannot black-hole SYNs this way");
  }
  return hole;
}

BlackHoleListener::~BlackHoleListener() {
  if (filler_fd_ >= 0) close(filler_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

}  // namespace smtpcore
