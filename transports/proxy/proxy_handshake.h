// ProxyHandshake: the client side of a proxy's tunnel set-up, sans I/O. A
// transport connects to the proxy, runs this until `done()`, and only then
// starts what it would have started on a direct connection (implicit TLS,
// or the SMTP session whose STARTTLS then runs inside the tunnel):
//
//   handshake = ProxyHandshake::Create(config, "mail.example.org", 25);
//   loop:
//     write(handshake.PendingOutput()); handshake.ConsumeOutput(n_written);
//     n = read(...); status = handshake.Receive(bytes)  (or ReceiveEof())
//     if (!status.ok()) -> close; the typed error is ErrorFromStatus(status)
//     if (handshake.done()) -> feed handshake.TakeLeftover() to the session
//
// SOCKS5 (RFC 1928), byte for byte:
//   C: 05 01 00                      version 5, one method: no auth (§3)
//      05 02 00 02                   ... or two: no auth, username/password
//                                    when credentials are configured
//   S: 05 MM                         the method chosen; X'FF' refuses all
//   C: 01 ULEN USER PLEN PASS        RFC 1929 §2, when MM is X'02'
//   S: 01 SS                         SS X'00' success (X'05' as the first
//                                    byte is accepted too: some servers
//                                    answer with the SOCKS version)
//   C: 05 01 00 AT ADDR PORT         CONNECT (§4): AT X'03' and a length-
//                                    prefixed name, resolved by the proxy
//                                    (§5); X'01'/X'04' for IP literals
//   S: 05 RR 00 AT BND.ADDR BND.PORT RR X'00' succeeded, else the refusal
//                                    (§6; transports/proxy/proxy_error.h)
// HTTP CONNECT (RFC 9110 §9.3.6; RFC 9112 §3.2.3 authority form):
//   C: CONNECT host:port HTTP/1.1\r\n
//      Host: host:port\r\n
//      Proxy-Authorization: Basic base64(user:password)\r\n  (credentials)
//      \r\n
//   S: HTTP/1.1 200 Connection established\r\n ... \r\n\r\n
//   Any 2xx opens the tunnel; anything else is a typed refusal. The header
//   block is limited to 16 KiB; a body is never read.
//
// Bytes the proxy sends after the end of its reply already belong to the
// tunnel (the SMTP server's greeting, or TLS records): `TakeLeftover`
// returns them, to be given to the session or TLS layer first.
//
// Errors are `SmtpError::ToStatus()` statuses (transports/proxy/
// proxy_error.h for the details; EOF before the reply is complete is
// kConnectionClosed); after an error the handshake is failed for good and
// every later input returns the same status. A copyable value; not
// thread-safe. Never reads a clock: the transport bounds the whole
// handshake with its connect timeout.

#ifndef SMTP_TRANSPORTS_PROXY_PROXY_HANDSHAKE_H_
#define SMTP_TRANSPORTS_PROXY_PROXY_HANDSHAKE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "transports/proxy/proxy_config.h"

namespace smtpcore {

// ProxyHandshakeStage is where a ProxyHandshake is.
enum class ProxyHandshakeStage : uint8_t {
  kMethod,    // SOCKS5: greeting sent, waiting for the chosen method
  kAuth,      // SOCKS5: RFC 1929 request sent, waiting for its status
  kConnect,   // SOCKS5 CONNECT or HTTP CONNECT sent, waiting for the reply
  kDone,      // the tunnel is open
  kFailed,    // refused or broken; see status()
};

// ProxyHandshakeStageName returns "method", "auth", "connect", "done" or
// "failed".
absl::string_view ProxyHandshakeStageName(ProxyHandshakeStage stage);

// ProxyHandshake runs one tunnel set-up. See the file comment.
class ProxyHandshake {
 public:
  // kMaxHttpHeaderBytes bounds the CONNECT reply's header block.
  static constexpr size_t kMaxHttpHeaderBytes = 16 * 1024;

  // Create prepares the handshake through `proxy` (kind kSocks5 or
  // kHttpConnect) to `host` (a name, or an IP literal with or without
  // brackets) port `port`, with the first request already queued in
  // `PendingOutput`. Fails (kInvalidArgument / kInvalidArgument) for kind
  // kNone, an empty host, port 0, a name over 255 octets (SOCKS5, RFC 1928
  // §5), control characters or spaces in the host, or SOCKS5 credentials
  // over 255 octets (RFC 1929 §2).
  static absl::StatusOr<ProxyHandshake> Create(const ProxyConfig& proxy,
                                               absl::string_view host,
                                               uint16_t port);

  // --- outputs ---------------------------------------------------------

  // PendingOutput is what to write to the proxy now (may be empty). Valid
  // until the next non-const call.
  absl::string_view PendingOutput() const;
  // ConsumeOutput drops the first `n` bytes of PendingOutput (`n` larger
  // than what is pending is clamped).
  void ConsumeOutput(size_t n);

  // --- inputs ----------------------------------------------------------

  // Receive processes bytes from the proxy. OK: more input is needed, or
  // the handshake is `done()` (bytes after the reply are kept for
  // `TakeLeftover`). Otherwise the typed error; the handshake is failed.
  // Bytes given after `done()` are appended to the leftover.
  absl::Status Receive(absl::string_view bytes);
  // ReceiveEof reports that the proxy closed the connection: an error
  // (kConnectionClosed) unless the handshake is already done (then OK).
  absl::Status ReceiveEof();

  // --- getters ---------------------------------------------------------

  ProxyHandshakeStage stage() const { return stage_; }
  bool done() const { return stage_ == ProxyHandshakeStage::kDone; }
  // status is OK unless failed.
  const absl::Status& status() const { return status_; }
  // reply_code is the last reply's code: the SOCKS5 REP field or the HTTP
  // status; -1 before the CONNECT reply.
  int reply_code() const { return reply_code_; }
  // bound_address is the SOCKS5 BND.ADDR:BND.PORT of a successful reply
  // ("192.0.2.1:40000", "[2001:db8::1]:40000" or "name:port"); empty for
  // HTTP or before.
  const std::string& bound_address() const { return bound_address_; }
  // TakeLeftover returns (and forgets) the bytes received after the end of
  // the proxy's reply: they belong to the tunnel.
  std::string TakeLeftover();

 private:
  ProxyHandshake() = default;

  absl::Status Process();
  absl::Status ProcessSocksMethod();
  absl::Status ProcessSocksAuth();
  absl::Status ProcessSocksReply();
  absl::Status ProcessHttpReply();
  void QueueSocksConnect();
  absl::Status Fail(absl::Status status);
  std::string Target() const;

  ProxyConfig proxy_;
  std::string host_;  // without brackets
  uint16_t port_ = 0;
  ProxyHandshakeStage stage_ = ProxyHandshakeStage::kMethod;
  absl::Status status_;
  std::string out_;
  size_t out_consumed_ = 0;
  std::string in_;
  int reply_code_ = -1;
  std::string bound_address_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_PROXY_PROXY_HANDSHAKE_H_
