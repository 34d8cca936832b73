// StepClient: one SMTP conversation driven a command at a time, for the
// CLI's diagnostics (`smtpc probe`, `smtpc send --quit-after`), where a
// person wants to see each step and stop after any of them. It drives the
// low-level `Connection` (core/connection.h) directly, over a socket from
// transports/socket (TCP, a Unix-domain socket, a proxy, a source address)
// and a TlsLayer (transports/tls) for STARTTLS or implicit TLS, blocking
// with poll(). Deliveries use BlockingClient, not this.
//
// Each step submits one command (or, for `Greeting`, none), runs I/O until
// its final reply and returns it: a reply of any code is a result, not an
// error (the caller judges it); the errors are the connection's own
// (timeout, EOF, TLS failure, protocol error, local refusal of the command)
// as typed statuses (`ErrorFromStatus`). After an error the connection is
// unusable; `Quit` then only closes the socket.
//
// Not thread-safe. The clock is `MonotonicNow`.

#ifndef SMTP_TOOLS_STEP_CLIENT_H_
#define SMTP_TOOLS_STEP_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/capabilities.h"
#include "core/command.h"
#include "core/connection.h"
#include "core/reply.h"
#include "core/sasl_mechanism.h"
#include "transports/common/client_options.h"
#include "transports/common/greeting_diagnosis.h"
#include "transports/socket/socket_transport.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace cli {

// StepClient is one connection. See the file comment.
class StepClient {
 public:
  // Dial connects as `options` say (transports/socket/socket_dialer.h) and
  // prepares the connection (`options.session`: timeouts, trace, limits,
  // pipelining off, insecure AUTH as BlockingClient allows it). Nothing is
  // read yet. `options.on_event` receives the connection's events (Trace
  // lines for --trace). Errors: the dialer's.
  static absl::StatusOr<std::unique_ptr<StepClient>> Dial(
      const ClientOptions& options);

  ~StepClient();
  StepClient(const StepClient&) = delete;
  StepClient& operator=(const StepClient&) = delete;

  // StartImplicitTls runs the TLS handshake before the greeting (port 465);
  // errors: kTlsHandshake, kTlsVerification, connection errors.
  absl::Status StartImplicitTls();
  // Greeting waits for the server's opening reply.
  absl::StatusOr<Reply> Greeting();
  // Hello sends EHLO (LHLO with `options.session.lmtp`) with
  // `options.session.ehlo_domain`; on a 500-504 to EHLO it sends HELO
  // (RFC 5321 §4.1.4) and returns that reply. `capabilities()` then holds
  // what the server listed.
  absl::StatusOr<Reply> Hello();
  // StartTls sends STARTTLS; on 220 it runs the handshake (server name and
  // verification from `options.tls`) and returns the 220. A refusal is
  // returned as the reply, with no handshake. After it, send Hello again.
  absl::StatusOr<Reply> StartTls();
  // Authenticate runs AUTH with `mechanism` and returns the final reply
  // (235, or 535 ...). A local refusal (kInsecureAuth, the mechanism
  // failing) is an error.
  absl::StatusOr<Reply> Authenticate(std::unique_ptr<SaslMechanism> mechanism);
  // Mail and Rcpt send MAIL FROM / RCPT TO and return the reply.
  absl::StatusOr<Reply> Mail(MailFrom command);
  absl::StatusOr<Reply> Rcpt(RcptTo command);
  // Quit sends QUIT when the connection still works, waits for the reply
  // (or EOF), sends a TLS close_notify and closes the socket. Returns the
  // 221 (or an empty reply when none came). Idempotent.
  absl::StatusOr<Reply> Quit();
  // Close closes the socket without QUIT (after `--quit-after connect`).
  void Close();

  const Capabilities& capabilities() const {
    return connection_->capabilities();
  }
  // tls_info is the TLS session, nullptr without TLS.
  const TlsInfo* tls_info() const { return connection_->tls(); }
  // peer is the connected address (the proxy's when one is used).
  const DialAddress& peer() const { return socket_->peer(); }

 private:
  StepClient(ClientOptions options, std::unique_ptr<SocketTransport> socket);

  // RunUntil runs I/O until `done()` or the connection failed; returns the
  // failure.
  template <typename Done>
  absl::Status RunUntil(Done done);
  // Step submits `command` and waits for its final reply.
  absl::StatusOr<Reply> Step(Command command);
  absl::Status Handshake();
  void DrainEvents();
  absl::Status Flush();
  absl::Status ReadSome();
  absl::Status Failed() const;

  ClientOptions options_;
  std::unique_ptr<SocketTransport> socket_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<TlsLayer> tls_;
  bool tls_reported_ = false;
  bool closed_ = false;      // ConnectionClosed seen
  absl::Status failure_;
  bool socket_closed_ = false;
  absl::optional<Reply> greeting_;
  // greeting_prefix_: the first plaintext bytes, to recognise a TLS server
  // (DiagnoseGreetingFailure).
  GreetingPrefix greeting_prefix_;
  CommandId waiting_for_ = 0;
  absl::optional<Reply> reply_;  // the reply to `waiting_for_`
  bool upgrade_required_ = false;
  // auth_error_ is a local AUTH failure (the mechanism's own error, too
  // many challenges), not the server's refusal.
  absl::Status auth_error_;
  std::vector<IoSlice> slices_;
  std::string read_buffer_;
};

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_STEP_CLIENT_H_
