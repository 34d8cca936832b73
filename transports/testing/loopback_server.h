// LoopbackServer: a minimal SMTP server on 127.0.0.1 for the transport
// tests (blocking and libuv). Test-only; not a sink for users (the `smtpc
// demo` sink lives in tools/).
//
// It accepts on 127.0.0.1:0 in a thread and serves every connection in its
// own thread with blocking I/O, one command line at a time (so PIPELINING
// clients see their replies in order). It speaks just enough SMTP:
// EHLO/HELO, STARTTLS (TlsLayer in server mode) or implicit TLS, AUTH PLAIN
// (any credentials), MAIL, RCPT (refusing configured addresses with
// 550 5.1.1), DATA (dot-unstuffed), BDAT, RSET, NOOP, QUIT. Everything
// received is recorded for assertions. `hook` lets a test replace any reply
// (e.g. 421 on the second MAIL of the first connection), `silent` makes it
// accept connections and never answer (timeout tests).
//
// Thread-safe accessors; `Stop` (or the destructor) closes every connection
// and joins the threads.

#ifndef SMTP_TRANSPORTS_TESTING_LOOPBACK_SERVER_H_
#define SMTP_TRANSPORTS_TESTING_LOOPBACK_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {

// LoopbackTls says whether and how the loopback server offers TLS.
enum class LoopbackTls { kNone, kStartTls, kImplicit };

// LoopbackContext tells a `LoopbackHook` where a command arrived.
struct LoopbackContext {
  int connection = 0;    // 0-based index of the accepted connection
  int mail_count = 0;    // MAIL commands on this connection, this one included
  bool tls = false;      // the connection is under TLS
};

// kLoopbackCloseWithoutReply, returned by a `LoopbackHook`, makes the server
// close the connection instead of replying (a server that dies or drops an
// idle client).
inline constexpr char kLoopbackCloseWithoutReply[] = "<close without reply>";

// LoopbackHook may return a reply to send instead of the default one for
// `command_line` (no final CRLF; "421 ..." also closes the connection;
// `kLoopbackCloseWithoutReply` closes it without a reply), or nullopt to
// keep the default. `command_line` is "" for the greeting and "."
// for the reply after the DATA body. Runs on the connection's thread.
using LoopbackHook = std::function<absl::optional<std::string>(
    const LoopbackContext& context, absl::string_view command_line)>;

// LoopbackServerOptions configures a LoopbackServer.
struct LoopbackServerOptions {
  std::string hostname = "mx.loopback.test";
  LoopbackTls tls = LoopbackTls::kNone;
  // certificate is the server's leaf (PEM chain + key); required with TLS.
  PemCertificate certificate;
  // extensions are advertised in the EHLO reply (STARTTLS is added while
  // not under TLS when `tls` is kStartTls). Defaults: PIPELINING, 8BITMIME,
  // ENHANCEDSTATUSCODES, AUTH PLAIN.
  std::vector<std::string> extensions = {"PIPELINING", "8BITMIME",
                                         "ENHANCEDSTATUSCODES", "AUTH PLAIN"};
  // reject_recipients get "550 5.1.1 <addr>: no such user" to RCPT.
  std::vector<std::string> reject_recipients;
  // silent: accept connections and never send a byte.
  bool silent = false;
  LoopbackHook hook;
  // unix_path, when set, makes the server listen on a Unix-domain socket at
  // this path (created by Start, removed by Stop) instead of 127.0.0.1.
  std::string unix_path;
  // lmtp: answer LHLO like EHLO and, after the end of data, send one reply
  // per accepted recipient (RFC 2033 §4.2): "250 2.0.0 <rcpt> delivered",
  // or the hook's reply for the command line "." + the recipient
  // (".bob@example.org").
  bool lmtp = false;
};

// LoopbackMessage is one message the server accepted (250 after data).
struct LoopbackMessage {
  int connection = 0;
  std::string mail_from;                // reverse-path without brackets
  std::vector<std::string> recipients;  // accepted forward-paths
  std::string data;                     // dot-unstuffed, CRLF lines
  bool tls = false;
};

// LoopbackServer serves on 127.0.0.1 until stopped.
class LoopbackServer {
 public:
  // Start binds 127.0.0.1:0 (or `unix_path`) and starts accepting. Fails
  // with the errno text if the socket cannot be bound.
  static absl::StatusOr<std::unique_ptr<LoopbackServer>> Start(
      LoopbackServerOptions options);

  ~LoopbackServer();

  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // port is the bound TCP port (0 on a Unix-domain socket).
  uint16_t port() const { return port_; }

  // Stop closes the listening socket and every connection, and joins the
  // threads. Idempotent.
  void Stop();

  // connections counts accepted connections so far.
  int connections() const;
  // peer_ips returns the client address of each accepted connection, in
  // order ("127.0.0.2"; "unix" on a Unix-domain socket).
  std::vector<std::string> peer_ips() const;
  // messages returns copies of the accepted messages, in acceptance order.
  std::vector<LoopbackMessage> messages() const;
  // commands returns the command lines received on connection `index` (no
  // CRLF; AUTH payloads included: test data only).
  std::vector<std::string> commands(int index) const;
  // all_commands returns every command line of every connection, in order
  // of connection, each prefixed "<index>: ".
  std::vector<std::string> all_commands() const;

 private:
  class Conn;

  explicit LoopbackServer(LoopbackServerOptions options);
  void AcceptLoop();
  void Serve(int fd, int index);
  void RecordCommand(int index, std::string line);
  void RecordMessage(LoopbackMessage message);

  LoopbackServerOptions options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread accept_thread_;

  mutable std::mutex mu_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;  // open connection descriptors
  int accepted_ = 0;
  std::vector<std::string> peer_ips_;
  std::vector<std::vector<std::string>> commands_;
  std::vector<LoopbackMessage> messages_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_LOOPBACK_SERVER_H_
