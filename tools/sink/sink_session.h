// SinkSession: the server side of one SMTP connection of the embedded
// loopback sink (`smtpc demo`, `smtpc sink`, end-to-end tests), sans I/O.
//
// Bytes from the client go in with `Receive`; replies come out of
// `PendingOutput`/`ConsumeOutput`; finished messages come out of
// `TakeMessages`. The driver (tools/sink/sink_server.h) moves the bytes and
// runs TLS; this class never touches a socket, a clock or TLS.
//
// What it implements (minimal but correct):
//   greeting 220; EHLO (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING,
//   DSN, ENHANCEDSTATUSCODES, STARTTLS when the driver can do TLS, AUTH
//   PLAIN LOGIN when users are configured and TLS is active - or always
//   with `auth_requires_tls = false`); HELO; STARTTLS (RFC 3207); AUTH
//   PLAIN and LOGIN with SASL-IR, "=" and "*" (RFC 4954); MAIL/RCPT with
//   SIZE, BODY, SMTPUTF8, RET, ENVID, NOTIFY, ORCPT, AUTH parameters; DATA
//   with dot un-stuffing (RFC 5321 §4.5.2); BDAT (RFC 3030); RSET, NOOP,
//   VRFY, HELP, QUIT. Every reply has an RFC 3463 enhanced code.
//
// Rules:
//  1. Pipelining (RFC 2920): input is processed strictly in order, one
//     command line at a time; all replies to one `Receive` are appended in
//     order. A command line must end in CRLF; a bare LF is part of the line
//     (so "NOOP\nRSET\r\n" is one unknown command).
//  2. STARTTLS: after the 220, input that was already received is
//     discarded (RFC 3207 §4.2 and the CVE-2011-0411 injection class), and
//     the session waits for `OnTlsEstablished`, which forgets EHLO, AUTH
//     and the transaction.
//  3. DATA: the body is read line by line (CRLF-delimited), a leading dot
//     is removed, "." alone ends it. Bytes are recorded exactly as
//     un-stuffed; a bare CR or LF inside a line is kept (and counted in
//     `ReceivedMessage::bare_line_endings`) so tests see what a client sent.
//  4. BDAT: exactly the announced octets are read, whatever they contain;
//     after a failed BDAT further BDATs of the transaction get 503 (their
//     data is still consumed) until RSET or a new MAIL.
//  5. Recipients whose local part starts with "reject" get 550 5.1.1 and
//     those starting with "tempfail" 450 4.2.1; senders (MAIL FROM) alike
//     get 553 5.7.1 and 450 4.1.8 (test hooks, documented in the demo's
//     help).
//  6. Limits: command lines up to 2048 octets (longer: 500 5.5.6, the line
//     is skipped), messages up to `max_message_size` (SIZE= larger: 552
//     5.3.4 at MAIL; a longer body is read and discarded, then 552 5.3.4),
//     `max_recipients` per transaction (then 452 4.5.3).
//
// Not thread-safe.

#ifndef SMTP_TOOLS_SINK_SINK_SESSION_H_
#define SMTP_TOOLS_SINK_SINK_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace smtpcore {
namespace cli {

// SinkOptions configures a SinkSession (copied).
struct SinkOptions {
  // hostname is the server's name in the greeting and EHLO reply.
  std::string hostname = "sink.smtpc.test";
  // tls_available: the driver can run TLS (advertise STARTTLS).
  bool tls_available = false;
  // users are the accepted (user name, password) pairs for AUTH.
  std::vector<std::pair<std::string, std::string>> users;
  // auth_requires_tls: offer and accept AUTH only over TLS (RFC 4954 §4).
  bool auth_requires_tls = true;
  // max_message_size is the SIZE limit announced and enforced.
  uint64_t max_message_size = 32 << 20;
  // max_recipients per transaction.
  size_t max_recipients = 100;
  // smtputf8: advertise SMTPUTF8 (off: non-ASCII paths get 553, as from a
  // server without it; tests of the client's A-label conversion).
  bool smtputf8 = true;
};

// ReceivedMessage is one accepted message. Owns its data.
struct ReceivedMessage {
  // id is the sink-wide sequence number (also in the 250 reply).
  uint64_t id = 0;
  std::string helo;         // the EHLO/HELO argument
  bool esmtp = false;       // EHLO (not HELO)
  bool tls = false;         // received over TLS
  std::string auth_user;    // authenticated user, "" if none
  std::string mail_from;    // reverse-path without <>
  std::vector<std::string> mail_params;  // "SIZE=123", "BODY=8BITMIME", ...
  // recipients are the accepted forward-paths, in order; rcpt_params the
  // parameters of each.
  std::vector<std::string> recipients;
  std::vector<std::vector<std::string>> rcpt_params;
  bool chunking = false;    // BDAT was used (else DATA)
  std::string data;         // the message bytes, un-stuffed
  // bare_line_endings counts bare CR or LF bytes inside DATA lines.
  size_t bare_line_endings = 0;
};

// SinkSession is one server connection's protocol state (see the file
// comment). Method categories:
//   inputs   Receive, ReceiveEof, OnTlsEstablished
//   outputs  PendingOutput, ConsumeOutput, TakeMessages
//   getters  tls_requested, tls_active, closed, authenticated_user
class SinkSession {
 public:
  // SinkSession queues the 220 greeting. Messages are numbered from
  // `*message_counter` (incremented per message; drivers pass a sink-wide
  // counter that must outlive the session), or from 1 when it is null.
  explicit SinkSession(SinkOptions options,
                       uint64_t* message_counter = nullptr);

  SinkSession(const SinkSession&) = delete;
  SinkSession& operator=(const SinkSession&) = delete;

  // Receive processes client bytes (all of them, rule 1). Ignored after
  // QUIT, and while waiting for the TLS handshake (rule 2). Never fails:
  // protocol errors are answered with 5xx replies.
  void Receive(absl::string_view bytes);

  // ReceiveEof notes that the client closed its side; an unfinished
  // transaction is dropped. After it `closed()` is true.
  void ReceiveEof();

  // OnTlsEstablished tells that the driver finished the TLS handshake after
  // `tls_requested()`; the session restarts (no greeting is sent).
  void OnTlsEstablished();

  // PendingOutput returns reply bytes to send; valid until the next
  // non-const call. ConsumeOutput drops the first `n` of them.
  absl::string_view PendingOutput() const;
  void ConsumeOutput(size_t n);

  // TakeMessages returns the messages completed since the last call.
  std::vector<ReceivedMessage> TakeMessages();

  // tls_requested is true from the 220 to STARTTLS until OnTlsEstablished:
  // the driver must send PendingOutput in plaintext and start TLS.
  bool tls_requested() const { return state_ == State::kTlsPending; }
  bool tls_active() const { return tls_active_; }
  // closed is true after QUIT's 221 (send PendingOutput, then close) or
  // after ReceiveEof.
  bool closed() const { return state_ == State::kClosed; }
  const std::string& authenticated_user() const { return auth_user_; }
  // next_message_id is the id the next message will get.
  uint64_t next_message_id() const { return *counter_; }

 private:
  enum class State {
    kCommand,     // reading command lines
    kData,        // reading a DATA body
    kBdat,        // reading BDAT octets
    kAuth,        // waiting for a SASL response line
    kTlsPending,  // 220 to STARTTLS sent; waiting for the handshake
    kClosed,
  };
  enum class AuthStep { kPlain, kLoginUser, kLoginPassword };

  void Reply(absl::string_view line);
  void ProcessCommand(absl::string_view line);
  void ProcessData();
  void ProcessBdat();
  bool ProcessLines();
  void ProcessAuthLine(absl::string_view line);
  void FinishBdatChunk();
  void FinishMessage(bool chunking);
  void ResetTransaction();
  bool CheckAuthPlain(absl::string_view decoded);
  bool CheckUser(absl::string_view user, absl::string_view password) const;

  void DoEhlo(absl::string_view arg, bool esmtp);
  void DoStartTls(absl::string_view arg);
  void DoAuth(absl::string_view arg);
  void DoMail(absl::string_view arg);
  void DoRcpt(absl::string_view arg);
  void DoData(absl::string_view arg);
  void DoBdat(absl::string_view arg);

  SinkOptions options_;
  State state_ = State::kCommand;
  std::string in_;        // unprocessed input
  size_t in_offset_ = 0;  // consumed prefix of `in_`
  std::string out_;
  size_t out_offset_ = 0;
  bool skipping_long_line_ = false;

  // Session state.
  std::string helo_;
  bool esmtp_ = false;
  bool tls_active_ = false;
  std::string auth_user_;
  AuthStep auth_step_ = AuthStep::kPlain;
  std::string login_user_;

  // Transaction state.
  bool in_transaction_ = false;
  bool smtputf8_ = false;
  std::string mail_from_;
  std::vector<std::string> mail_params_;
  std::vector<std::string> recipients_;
  std::vector<std::vector<std::string>> rcpt_params_;
  std::string data_;
  bool data_line_start_ = true;  // DATA: the next byte starts a line
  size_t bare_line_endings_ = 0;
  bool too_big_ = false;
  // BDAT state.
  uint64_t bdat_remaining_ = 0;
  bool bdat_last_ = false;
  bool bdat_discard_ = false;  // consume the chunk, then reply `bdat_error_`
  std::string bdat_error_;
  bool bdat_started_ = false;
  bool bdat_failed_ = false;

  uint64_t own_counter_ = 1;
  uint64_t* counter_;
  std::vector<ReceivedMessage> done_;
};

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SINK_SINK_SESSION_H_
