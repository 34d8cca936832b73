#include "transports/testing/loopback_fixtures.h"

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

}  // namespace smtpcore
