// BlockingClient: the synchronous SMTP client. One object is one connection:
// Connect (resolve, dial, greeting, EHLO, STARTTLS, AUTH), then any number
// of Deliver calls, then Close (QUIT). It is the reference driver of the
// sans-I/O core: a poll() loop moving bytes between a `SocketTransport`,
// an optional `TlsPump` (transports/common/tls_pump.h: STARTTLS after
// `TlsUpgradeRequired`, or implicit TLS before the greeting) and a
// `Session`, arming its deadline from `Session::NextDeadline()`.
//
// Example (README):
//   ClientOptions options;
//   options.host = "mail.example.org";
//   options.port = 587;
//   options.session.tls_mode = TlsMode::kRequired;
//   auto client = BlockingClient::Connect(options);
//   if (!client.ok()) return ErrorFromStatus(client.status()).Message();
//   Envelope envelope;
//   envelope.from = "alice@example.org";
//   envelope.AddRecipient("bob@example.org").AddRecipient("carol@example.org");
//   DeliveryOutcome outcome = (*client)->Deliver(envelope, absl::Cord(message));
//   for (const RecipientResult& r : outcome.result.recipients) { ... }
//   (*client)->Close();
//
// Not thread-safe: one thread drives a client. Every call blocks at most
// until the session's current stage deadline (core/timers.h; per-stage, so
// a slow but progressing body upload is not cut off).

#ifndef SMTP_TRANSPORTS_BLOCKING_BLOCKING_CLIENT_H_
#define SMTP_TRANSPORTS_BLOCKING_BLOCKING_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "core/capabilities.h"
#include "core/delivery.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/sasl_mechanism.h"
#include "core/session.h"
#include "transports/blocking/socket_transport.h"
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/dial_history.h"
#include "transports/common/tls_pump.h"
#include "transports/common/transport_error.h"

namespace smtpcore {

// BlockingClient is one SMTP connection driven synchronously. Create it with
// `Connect`. Method categories:
//   construction  Connect
//   operations    Deliver (repeatable), Close
//   getters       capabilities, tls_info, peer, host, session, usable,
//                 close_status
class BlockingClient {
 public:
  // Connect dials `options.host` (see SocketTransport::Dial), runs the
  // session until it is ready (greeting, EHLO/HELO, STARTTLS or implicit
  // TLS per `options.session.tls_mode`, AUTH when configured) and returns
  // the client. Fails with the typed error as a status
  // (`ErrorFromStatus(status)` restores the `SmtpError`): connect and
  // resolve errors (kIo / kTimeout), a refused greeting (code 421/554),
  // TLS failures (kTlsHandshake, kTlsVerification, kNeedsStartTls), AUTH
  // failures (kAuthFailed, kNeedsAuth, kInsecureAuth), timeouts.
  static absl::StatusOr<std::unique_ptr<BlockingClient>> Connect(
      ClientOptions options);

  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // ~BlockingClient closes the socket at once, without QUIT when `Close`
  // was not called (the server sees an EOF).
  ~BlockingClient();

  // Deliver sends one message (`body`: RFC 5322 bytes, not copied; bare LF
  // or CR are normalised to CRLF per `options.session.line_endings`) to the
  // envelope's recipients and blocks until the outcome: per-recipient
  // results, and `error` when the delivery failed (see DeliveryOutcome). A
  // failure of the connection itself also ends here as the outcome's error
  // (kTimeout, kConnectionClosed, kServiceClosing, kIo, ...); after it,
  // `usable()` is false and later calls fail with cause kBroken. Local
  // refusals (bad address, kMessageTooLarge, kNeeds8BitMime...) leave the
  // connection usable.
  DeliveryOutcome Deliver(Envelope envelope, absl::Cord body);

  // Close sends QUIT, waits for the 221 (or EOF) within the session's
  // deadline, sends a TLS close_notify when TLS is on and closes the socket.
  // Returns OK, or the typed error status of the session (also when it had
  // failed before). Idempotent: later calls return the same status.
  absl::Status Close();

  // capabilities are the server's current EHLO capabilities.
  const Capabilities& capabilities() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return session_->capabilities();
  }
  // tls_info describes the TLS session, or is nullptr without TLS.
  const TlsInfo* tls_info() const;
  // peer is the address that was dialed and connected.
  const DialAddress& peer() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return socket_->peer();
  }
  // host is `ClientOptions::host` as given.
  const std::string& host() const { return options_.host; }
  // session gives read access to the protocol state (greeting, state, ...).
  const Session& session() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return *session_;
  }
  // usable is true while more messages can be delivered.
  bool usable() const;
  // close_status is OK while usable or after a clean Close, else the typed
  // error status of the failure.
  absl::Status close_status() const;

 private:
  BlockingClient(ClientOptions options,
                 std::unique_ptr<SocketTransport> socket, Instant now);

  // RunUntil drives I/O until `done()` is true or the session is over.
  template <typename Done>
  void RunUntil(Done done);
  void DrainEvents(Instant now);
  void StartTls(Instant now);
  void FlushPlaintext(Instant now);
  bool FlushCiphertext(Instant now);
  void ReadInput(Instant now);
  void FailIo(SmtpError error, Instant now);
  void FinishSocket();

  ClientOptions options_;
  std::unique_ptr<SocketTransport> socket_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<TlsPump> tls_;  // borrows *session_; active once TLS starts
  bool ready_ = false;
  bool closed_ = false;         // ConnectionClosed seen
  bool socket_done_ = false;    // socket closed by us
  bool read_eof_ = false;
  absl::optional<SmtpError> failure_;
  std::map<DeliveryId, DeliveryOutcome> outcomes_;
  std::vector<IoSlice> slices_;
  std::vector<char> read_buffer_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_BLOCKING_BLOCKING_CLIENT_H_
