// BlockingClient: the synchronous SMTP client. One object is one connection:
// Connect (resolve, dial, greeting, EHLO, STARTTLS, AUTH), then any number
// of Deliver calls, then Close (QUIT). It is the reference driver of the
// sans-I/O core: a poll() loop moving bytes between a `SocketTransport`
// (transports/socket: TCP or a Unix-domain socket, optionally through a
// SOCKS5 or HTTP CONNECT proxy, from a chosen source address),
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
#include <variant>
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
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/dial_history.h"
#include "transports/common/greeting_diagnosis.h"
#include "transports/common/tls_pump.h"
#include "transports/common/transport_error.h"
#include "transports/socket/socket_transport.h"

namespace smtpcore {

// BlockingClient is one SMTP connection driven synchronously. Create it with
// `Connect`. Method categories:
//   construction  Connect
//   operations    Deliver (repeatable), Vrfy, Expn, Help, Etrn, Close
//   getters       capabilities, tls_info, peer, host, session, usable,
//                 close_status
class BlockingClient {
 public:
  // Connect dials as `options` say (transports/socket/socket_dialer.h:
  // TCP addresses in order, a Unix-domain socket, a source address, a
  // proxy), runs the session until it is ready (greeting, EHLO/HELO/LHLO,
  // STARTTLS or implicit TLS per `options.session.tls_mode`, AUTH when
  // configured) and returns the client. When the server drops the
  // connection after the session's AUTH retry (an OAuth token refresh,
  // `ClientOptions::reconnect_after_auth_retry`), it dials once more and
  // starts over with a new session. Fails with the typed error as a status
  // (`ErrorFromStatus(status)` restores the `SmtpError`): connect and
  // resolve errors (kIo / kTimeout), bad options (kInvalidArgument), proxy
  // refusals (kProxy*), a refused greeting (code 421/554), TLS failures
  // (kTlsHandshake, kTlsVerification, kNeedsStartTls), AUTH failures
  // (kAuthFailed, kNeedsAuth, kInsecureAuth), timeouts.
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

  // Vrfy, Expn, Help and Etrn send VRFY <argument> (RFC 5321 §4.1.1.6),
  // EXPN <argument> (§4.1.1.7), HELP [<topic>] (§4.1.1.8, "" for plain
  // HELP) or ETRN <node> (RFC 1985) and block until the reply, returned as
  // the session's typed event (core/event.h, core/service_reply.h: the
  // outcome of each reply code). ETRN to a server that does not list ETRN
  // returns an EtrnDone with kNotOffered without sending anything. Errors:
  // the argument refused locally (kInvalidArgument / kControlCharacter,
  // kLineTooLong; the connection stays usable), or the connection failed
  // before the reply (its typed error, e.g. kServiceClosing for a 421;
  // `usable()` is false afterwards), or kFailedPrecondition / kBroken or
  // kClosed on a connection already unusable.
  absl::StatusOr<VrfyDone> Vrfy(std::string argument);
  absl::StatusOr<ExpnDone> Expn(std::string argument);
  absl::StatusOr<HelpDone> Help(std::string topic);
  absl::StatusOr<EtrnDone> Etrn(std::string node);

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
  // peer is the address that was dialed and connected: the proxy's when
  // one was used, the path for a Unix-domain socket.
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
  // reconnected is true when Connect dialed a second time after the server
  // dropped the connection during the AUTH retry.
  bool reconnected() const { return reconnected_; }

 private:
  BlockingClient(ClientOptions options,
                 std::unique_ptr<SocketTransport> socket, Instant now);

  // ConnectOnce dials and runs one session until ready or over; the client
  // is returned either way (check `ready_`), or the dial error.
  static absl::StatusOr<std::unique_ptr<BlockingClient>> ConnectOnce(
      const ClientOptions& options);
  // WaitForRequest runs until the reply to request `id` arrived and returns
  // its event, or the connection's failure.
  template <typename DoneEvent>
  absl::StatusOr<DoneEvent> WaitForRequest(absl::StatusOr<RequestId> id);

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
  bool auth_retried_ = false;  // AuthRetry seen
  bool reconnected_ = false;
  absl::optional<SmtpError> failure_;
  // greeting_prefix_: the first plaintext bytes, to recognise a TLS server
  // (DiagnoseGreetingFailure).
  GreetingPrefix greeting_prefix_;
  std::map<DeliveryId, DeliveryOutcome> outcomes_;
  std::map<RequestId, Event> request_replies_;
  std::vector<IoSlice> slices_;
  std::vector<char> read_buffer_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_BLOCKING_BLOCKING_CLIENT_H_
