#include "transports/testing/refused_port.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {

absl::StatusOr<RefusedLoopbackPort> RefusedLoopbackPort::Reserve() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", error));
  }
  return RefusedLoopbackPort(fd, ntohs(address.sin_port));
}

RefusedLoopbackPort::RefusedLoopbackPort(RefusedLoopbackPort&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

RefusedLoopbackPort& RefusedLoopbackPort::operator=(
    RefusedLoopbackPort&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

RefusedLoopbackPort::~RefusedLoopbackPort() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace smtpcore
