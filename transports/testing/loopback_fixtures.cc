#include "transports/testing/loopback_fixtures.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace smtpcore {

std::unique_ptr<LoopbackServer> StartLoopbackServer(
    LoopbackServerOptions options) {
  absl::StatusOr<std::unique_ptr<LoopbackServer>> server =
      LoopbackServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

ClientOptions LoopbackClientOptions(uint16_t port) {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.session.tls_mode = TlsMode::kNone;
  options.connect_timeout = absl::Seconds(5);
  return options;
}

Envelope ThreeRecipients() {
  Envelope envelope;
  envelope.from = "alice@example.org";
  envelope.AddRecipient("bob@example.org")
      .AddRecipient("nobody@example.org")
      .AddRecipient("carol@example.org");
  return envelope;
}

uint16_t UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  socklen_t len = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace smtpcore
