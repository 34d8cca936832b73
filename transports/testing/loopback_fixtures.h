// Loopback fixtures: the setup shared by the transport tests that talk to a
// LoopbackServer on 127.0.0.1 (transports/blocking, transports/libuv).
// Test-only: the helpers report failures through gtest's EXPECT macros.

#ifndef SMTP_TRANSPORTS_TESTING_LOOPBACK_FIXTURES_H_
#define SMTP_TRANSPORTS_TESTING_LOOPBACK_FIXTURES_H_

#include <cstdint>
#include <memory>

#include "core/delivery.h"
#include "transports/common/client_options.h"
#include "transports/testing/loopback_server.h"

namespace smtpcore {

// StartLoopbackServer starts a LoopbackServer with `options` and returns
// it (the caller owns it; destroying it stops the server). On failure it
// records a non-fatal gtest failure with the status and returns nullptr.
std::unique_ptr<LoopbackServer> StartLoopbackServer(
    LoopbackServerOptions options);

// LoopbackClientOptions returns client options for a plain (TlsMode::kNone)
// connection to 127.0.0.1:`port` with a 5 second connect timeout. Never
// fails.
ClientOptions LoopbackClientOptions(uint16_t port);

// ThreeRecipients returns an envelope from alice@example.org to
// bob@example.org, nobody@example.org and carol@example.org, in that order.
// Never fails.
Envelope ThreeRecipients();

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_LOOPBACK_FIXTURES_H_
