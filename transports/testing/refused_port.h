// RefusedLoopbackPort: a 127.0.0.1 TCP port that refuses connections for
// as long as the object lives. Test-only.
//
// "Bind port 0, read the port, close the socket" gives a port that is free
// only for a moment: another process (a parallel test run) may bind it
// before the test connects, and an outgoing connection may even pick it as
// its own source port and connect to itself. This class keeps the socket
// bound without listening instead: nothing else can bind the port or use it
// as a source port, and a connect to it gets a RST (ECONNREFUSED) at once.

#ifndef SMTP_TRANSPORTS_TESTING_REFUSED_PORT_H_
#define SMTP_TRANSPORTS_TESTING_REFUSED_PORT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace smtpcore {

class RefusedLoopbackPort {
 public:
  // Reserve binds a TCP socket to 127.0.0.1:0 (no SO_REUSEADDR, no listen).
  // Fails with the errno text.
  static absl::StatusOr<RefusedLoopbackPort> Reserve();

  RefusedLoopbackPort(RefusedLoopbackPort&& other) noexcept;
  RefusedLoopbackPort& operator=(RefusedLoopbackPort&& other) noexcept;
  RefusedLoopbackPort(const RefusedLoopbackPort&) = delete;
  RefusedLoopbackPort& operator=(const RefusedLoopbackPort&) = delete;
  // ~RefusedLoopbackPort closes the socket: the port is free again.
  ~RefusedLoopbackPort();

  // port is the reserved port.
  uint16_t port() const { return port_; }

 private:
  RefusedLoopbackPort(int fd, uint16_t port) : fd_(fd), port_(port) {}

  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_REFUSED_PORT_H_
