// Errors: canonical `absl::Status` codes at the API boundary, with a precise
// `ErrorDetail` attached as a payload.
//
// Mapping (design contract, tested in errors_test.cc):
//   kFailedPrecondition  API called in the wrong state (local misuse).
//   kInvalidArgument     CR/LF/NUL/C0 in a command argument, over-long line,
//                        message needs an extension the server lacks, ...
//   kResourceExhausted   a configured limit was hit (reply too large, ...).
//   kDataLoss            the peer broke the protocol: malformed reply,
//                        multi-line code mismatch, STARTTLS injection.
//   kUnavailable         the peer closed the connection (EOF, 421).
//   kDeadlineExceeded    a per-stage timer fired.
//   kPermissionDenied    authentication failed, or refused by policy.
//   kUnauthenticated     TLS verification failed.
//
// Local errors (misuse, bad arguments) leave a connection unchanged and
// usable. Remote errors (kDataLoss, kUnavailable, kDeadlineExceeded) mark it
// broken: every later call fails with kFailedPrecondition/kBroken.

#ifndef SMTP_CORE_ERRORS_H_
#define SMTP_CORE_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// ErrorDetail names precisely what went wrong. It travels as a payload of the
// `absl::Status` (see `GetErrorDetail`). Values are stable: they are exported
// through the C ABI. Append only.
enum class ErrorDetail : int {
  kNone = 0,
  // Local misuse and bad input (connection stays usable).
  kWrongState = 1,          // call not allowed in the current state
  kInvalidArgument = 2,     // generic bad argument
  kControlCharacter = 3,    // CR, LF, NUL or other C0 control in an argument
  kLineTooLong = 4,         // a command line would exceed 512 octets
  kMessageTooLarge = 5,     // SIZE pre-check against the server's limit
  kNeeds8BitMime = 6,       // 8-bit body, server lacks 8BITMIME
  kNeedsSmtpUtf8 = 7,       // UTF-8 address, server lacks SMTPUTF8
  kNeedsRequireTls = 8,     // REQUIRETLS asked, not offered or not over TLS
  kNeedsBinaryMime = 9,     // binary body, server lacks BINARYMIME/CHUNKING
  kNeedsStartTls = 10,      // STARTTLS required, not offered
  kNeedsAuth = 11,          // AUTH requested, not offered / no mechanism
  kBareLineEnding = 12,     // body has bare CR/LF and policy is kReject
  kInsecureAuth = 13,       // credentials would be sent without TLS
  // Limits (kResourceExhausted).
  kReplyLineTooLong = 20,
  kReplyTooManyLines = 21,
  kReplyTooLarge = 22,
  kTooManyChallenges = 23,  // SASL 334 loop exceeded its bound
  // Remote protocol errors (kDataLoss): the connection is broken.
  kMalformedReply = 30,     // not "ddd[ -]text CRLF"
  kReplyCodeMismatch = 31,  // lines of one multi-line reply disagree
  kUnexpectedReply = 32,    // a reply nothing was waiting for
  kStartTlsInjection = 33,  // plaintext after the 220 to STARTTLS
  kBadChallenge = 34,       // 334 payload is not valid base64, etc.
  // Peer went away (kUnavailable).
  kConnectionClosed = 40,   // EOF from the peer
  kServiceClosing = 41,     // 421 from the peer
  kIo = 42,                 // transport error (set by adapters)
  // Timers (kDeadlineExceeded).
  kTimeout = 50,
  // TLS (set by transports/tls).
  kTlsHandshake = 60,
  kTlsVerification = 61,
  kTlsRequired = 62,        // TLS mode required but not possible
  kTlsPeerPlaintext = 63,   // implicit TLS, but the server answered in
                            // plaintext SMTP ("220 ..."): a STARTTLS or
                            // plain port
  kTlsPeerExpectsTls = 64,  // plaintext or STARTTLS, but no greeting came
                            // within the short window used on port 465:
                            // the port expects implicit TLS
  // SASL.
  kAuthFailed = 70,         // 535 and friends
  kAuthMechanism = 71,      // the mechanism rejected the server's data
  // Connection state.
  kBroken = 80,             // earlier remote error; connection unusable
  kClosed = 81,             // Close()/QUIT already done
  // Server refused (for the high-level flow's typed result).
  kRejected = 90,           // a 4xx/5xx reply ended the operation
  // Routing to the Internet (route/: RFC 5321 §5.1, RFC 7505, RFC 7672,
  // RFC 8461).
  kNullMx = 100,            // the domain accepts no mail: null MX (RFC 7505)
  kNoSuchDomain = 101,      // the domain (or MX host) does not exist (NXDOMAIN)
  kDnsTemporary = 102,      // a DNS lookup failed (SERVFAIL, timeout)
  kDnssecBogus = 103,       // a signed DNS answer failed DNSSEC validation
  kMtaStsMismatch = 104,    // MX host not allowed by an enforced MTA-STS policy
  // Proxies (transports/proxy: SOCKS5 RFC 1928 §6 reply codes, RFC 1929
  // username/password, HTTP CONNECT RFC 9110 §9.3.6 status codes). The
  // SMTP server was never reached.
  kProxyFailure = 110,             // SOCKS5 X'01' general failure; HTTP 5xx
  kProxyNotAllowed = 111,          // SOCKS5 X'02' not allowed by ruleset; 403
  kProxyNetworkUnreachable = 112,  // SOCKS5 X'03'
  kProxyHostUnreachable = 113,     // SOCKS5 X'04'; HTTP 502/503 (name or
                                   // host not reachable from the proxy)
  kProxyConnectionRefused = 114,   // SOCKS5 X'05'
  kProxyTimeout = 115,             // SOCKS5 X'06' TTL expired; HTTP 504
  kProxyCommandNotSupported = 116, // SOCKS5 X'07'; HTTP 405, 501
  kProxyAddressNotSupported = 117, // SOCKS5 X'08' address type
  kProxyAuthRequired = 118,        // SOCKS5 method X'FF'; HTTP 407, none sent
  kProxyAuthFailed = 119,          // RFC 1929 status != 0; HTTP 407 after
                                   // credentials were sent
  kProxyProtocol = 120,            // malformed or unexpected proxy reply
};

// ErrorDetailName returns a stable lowercase name ("start_tls_injection") for
// `detail`, for logs, JSON and the C ABI. Never fails; unknown values give
// "unknown".
absl::string_view ErrorDetailName(ErrorDetail detail);

// MakeError returns a non-OK status with `code`, `message` and `detail` as
// payload. `code` must not be `absl::StatusCode::kOk`.
absl::Status MakeError(absl::StatusCode code, ErrorDetail detail,
                       absl::string_view message);

// GetErrorDetail returns the `ErrorDetail` carried by `status`, `kNone` for
// OK or for a status made elsewhere.
ErrorDetail GetErrorDetail(const absl::Status& status);

// Convenience constructors with the canonical code for each family.
absl::Status LocalError(ErrorDetail detail, absl::string_view message);
absl::Status WrongStateError(absl::string_view message);
absl::Status ProtocolError(ErrorDetail detail, absl::string_view message);

}  // namespace smtpcore

#endif  // SMTP_CORE_ERRORS_H_
