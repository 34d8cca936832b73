// BlackHoleListener: a TCP address on loopback whose connection attempts
// never complete, for Happy Eyeballs and connect-timeout tests. Test-only.
//
// How (Linux, no firewall): a socket listening with backlog 0 that never
// accepts. Its accept queue holds one connection (`Start` makes that one
// itself); once the queue is full the kernel drops every further SYN
// without an answer (tcp_conn_request: "accept queue full" -> drop), so a
// client's connect() stays in SYN_SENT and retransmits until its own
// timeout, exactly like a packet-dropping firewall. Nothing is refused,
// nothing is reset. Checked by `Start`: a probe connect must still be in
// progress after the filler connection completed.

#ifndef SMTP_TRANSPORTS_TESTING_BLACK_HOLE_H_
#define SMTP_TRANSPORTS_TESTING_BLACK_HOLE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace smtpcore {

// BlackHoleListener owns the listening socket and the filler connection;
// the destructor closes them.
class BlackHoleListener {
 public:
  // Start binds `ip`:`port` (a loopback address; port 0 picks one), fills
  // the accept queue and checks that a further connect does not complete
  // at once. Fails with the errno text (EADDRINUSE when the port is taken)
  // or kFailedPrecondition when the kernel answered the probe.
  static absl::StatusOr<std::unique_ptr<BlackHoleListener>> Start(
      const std::string& ip, uint16_t port);

  ~BlackHoleListener();
  BlackHoleListener(const BlackHoleListener&) = delete;
  BlackHoleListener& operator=(const BlackHoleListener&) = delete;

  const std::string& ip() const { return ip_; }
  uint16_t port() const { return port_; }

 private:
  BlackHoleListener() = default;

  std::string ip_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int filler_fd_ = -1;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_BLACK_HOLE_H_
