// Command: the SMTP commands a client sends (RFC 5321 §4.1 and extensions),
// as plain value types, plus their validating serializer.
//
// Rule: nothing reaches the wire unchecked. `SerializeCommand` refuses, before
// anything is queued,
//  - CR, LF, NUL, any other C0 control or DEL in any argument (command
//    injection / SMTP smuggling; kInvalidArgument / kControlCharacter),
//  - '<' or '>' inside a path, a space in a domain, an ESMTP keyword or value
//    outside its RFC 5321 §4.1.2 syntax (kInvalidArgument / kInvalidArgument),
//  - a line over the limit, 512 octets including CRLF by default
//    (RFC 5321 §4.5.3.1.4; kInvalidArgument / kLineTooLong).
// Non-ASCII (UTF-8) bytes are allowed in paths; whether the peer accepts them
// (SMTPUTF8, RFC 6531) is the session's business, not the serializer's.

#ifndef SMTP_CORE_COMMAND_H_
#define SMTP_CORE_COMMAND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

class EncodedBody;  // core/encoded_body.h

// kMaxCommandLineLength is the RFC 5321 §4.5.3.1.4 limit on a command line,
// CRLF included.
inline constexpr size_t kMaxCommandLineLength = 512;

// CommandId identifies one submitted command on a `Connection`: ids start at
// 1 and increase by one per successful `Submit`; 0 is never used.
using CommandId = uint64_t;

// CommandKind names a command (and, for replies and errors, the greeting).
enum class CommandKind : uint8_t {
  kGreeting,  // not a command: the server's opening reply
  kEhlo,
  kHelo,
  kStartTls,
  kAuth,
  kMailFrom,
  kRcptTo,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kExpn,
  kHelp,
  kEtrn,
  kLhlo,  // LMTP's EHLO (RFC 2033 §4.1)
};

// CommandKindName returns the verb as used in event strings: "GREETING",
// "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT", "RSET",
// "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "ETRN", "LHLO". Never fails.
absl::string_view CommandKindName(CommandKind kind);

// BodyType is the MAIL FROM BODY= parameter (RFC 6152, RFC 3030).
enum class BodyType : uint8_t {
  k7Bit,        // BODY=7BIT
  k8BitMime,    // BODY=8BITMIME (needs 8BITMIME)
  kBinaryMime,  // BODY=BINARYMIME (needs BINARYMIME and CHUNKING)
};

// DsnRet is the DSN RET= parameter (RFC 3461 §4.3).
enum class DsnRet : uint8_t { kFull, kHdrs };

// DsnNotify are the RCPT NOTIFY= flags (RFC 3461 §4.1). kNotifyNever must
// not be combined with the others (SerializeCommand refuses it).
enum DsnNotify : uint8_t {
  kNotifyDefault = 0,  // no NOTIFY parameter
  kNotifySuccess = 1 << 0,
  kNotifyFailure = 1 << 1,
  kNotifyDelay = 1 << 2,
  kNotifyNever = 1 << 3,
};

// EsmtpParam is one extra "KEYWORD[=value]" parameter, sent verbatim after
// validation (keyword: ALPHA/DIGIT then ALPHA/DIGIT/'-'; value: printable
// non-space ASCII or UTF-8 except '='). An empty value sends "KEYWORD".
struct EsmtpParam {
  std::string keyword;
  std::string value;
};

// MailParams are the MAIL FROM ESMTP parameters, serialized in this order:
// SIZE, BODY, SMTPUTF8, REQUIRETLS, RET, ENVID, then `extra`.
struct MailParams {
  absl::optional<uint64_t> size;       // SIZE=n (RFC 1870)
  absl::optional<BodyType> body;       // BODY= (RFC 6152 / RFC 3030)
  bool smtputf8 = false;               // SMTPUTF8 (RFC 6531)
  bool requiretls = false;             // REQUIRETLS (RFC 8689)
  absl::optional<DsnRet> ret;          // RET=FULL|HDRS (RFC 3461)
  // envid is the raw DSN envelope id; it is xtext-encoded on the wire
  // (RFC 3461 §4, §4.4). Must be printable ASCII.
  absl::optional<std::string> envid;
  std::vector<EsmtpParam> extra;
};

// RcptParams are the RCPT TO ESMTP parameters: NOTIFY, ORCPT, then `extra`.
struct RcptParams {
  uint8_t notify = kNotifyDefault;  // DsnNotify bits
  // orcpt is the original recipient address; sent as "ORCPT=rfc822;" +
  // xtext(orcpt) (RFC 3461 §4.2). Must be printable ASCII.
  absl::optional<std::string> orcpt;
  std::vector<EsmtpParam> extra;
};

// Ehlo is "EHLO domain" (RFC 5321 §4.1.1.1); `domain` may be an address
// literal like "[192.0.2.1]".
struct Ehlo {
  std::string domain;
};

// Lhlo is "LHLO domain", the LMTP greeting (RFC 2033 §4.1): EHLO's syntax
// and reply (the server's extensions), for an LMTP server, which must not
// be sent EHLO or HELO.
struct Lhlo {
  std::string domain;
};

// Helo is "HELO domain", the pre-ESMTP greeting.
struct Helo {
  std::string domain;
};

// StartTls is "STARTTLS" (RFC 3207).
struct StartTls {};

// Auth starts an RFC 4954 exchange with `mechanism`, which the connection
// owns from `Submit` on. The connection does the base64 coding, the 334
// loop, SASL-IR and the 512-octet fallback (see core/sasl_exchange.h).
struct Auth {
  std::unique_ptr<SaslMechanism> mechanism;
  // renew_on_refusal: when the server refuses the exchange, ask the
  // mechanism to renew its credentials (SaslMechanism::RenewCredentials);
  // the outcome is reported in AuthFailed::credentials_renewed.
  bool renew_on_refusal = false;
};

// MailFrom is "MAIL FROM:<reverse_path> params". `reverse_path` has no angle
// brackets; empty means the null reverse-path "<>".
struct MailFrom {
  std::string reverse_path;
  MailParams params;
};

// RcptTo is "RCPT TO:<forward_path> params" (no angle brackets in the path).
struct RcptTo {
  std::string forward_path;
  RcptParams params;
};

// Data is "DATA" followed, after the server's 354, by `body` dot-stuffed and
// CRLF-normalised (core/dot_stuffer.h) and the end-of-data marker. The body
// is never copied: slices point into the Cord's chunks (zero-copy when the
// caller built it with `absl::MakeCordFromExternal`). With `more_body`, the
// caller streams further chunks with `Connection::AppendBody`; the marker is
// sent after the chunk flagged `last`. `slice_hint`, when not 0, is the
// number of slices the encoding of `body` is expected to take (a capacity
// hint: core/delivery_precheck.h DataSliceBound); it changes no byte sent.
// `encoded`, when set, is the whole body already encoded for DATA
// (core/encoded_body.h: dots stuffed, end-of-data marker to come): the
// connection takes its slices instead of encoding `body`, which must then be
// empty, with `more_body` false (Connection::Submit lists the errors). The
// EncodedBody is spent by a successful Submit.
struct Data {
  absl::Cord body;
  bool more_body = false;
  uint64_t slice_hint = 0;
  std::shared_ptr<EncodedBody> encoded = nullptr;
};

// Bdat is one "BDAT size [LAST]" chunk (RFC 3030) followed by `chunk`.
// `size` is computed by the connection after encoding. With `normalize`
// (default) bare CR/LF become CRLF, state carrying across the chunks of one
// message; `normalize = false` sends the bytes untouched (BINARYMIME).
// No dot-stuffing, no terminator. `slice_hint` as for `Data` (a capacity
// hint for the encoding of `chunk`, 0 for none). `encoded`, when set, is a
// whole message already encoded for BDAT (core/encoded_body.h: no stuffing,
// normalised as `normalize` says): only as the one chunk of a message, with
// `last` set and `chunk` empty; spent by a successful Submit.
struct Bdat {
  absl::Cord chunk;
  bool last = false;
  bool normalize = true;
  uint64_t slice_hint = 0;
  std::shared_ptr<EncodedBody> encoded = nullptr;
};

// Rset is "RSET" (RFC 5321 §4.1.1.5).
struct Rset {};

// Noop is "NOOP [string]".
struct Noop {
  std::string argument;
};

// Quit is "QUIT".
struct Quit {};

// Vrfy is "VRFY string".
struct Vrfy {
  std::string argument;
};

// Expn is "EXPN string".
struct Expn {
  std::string argument;
};

// Help is "HELP [string]".
struct Help {
  std::string argument;
};

// Etrn is "ETRN node" (RFC 1985); node may start with '@' or '#'.
struct Etrn {
  std::string node;
};

// Command is any command a client can submit. Move-only (because of `Auth`).
using Command = std::variant<Ehlo, Helo, StartTls, Auth, MailFrom, RcptTo,
                             Data, Bdat, Rset, Noop, Quit, Vrfy, Expn, Help,
                             Etrn, Lhlo>;

// KindOf returns the CommandKind of `command`.
CommandKind KindOf(const Command& command);

// SerializeCommand validates `command` and appends its line, CRLF included,
// to `*out`. For `Auth` it writes "AUTH <name>" without an initial response
// (see `SerializeAuth`); for `Data` "DATA"; for `Bdat` it refuses (the size
// depends on encoding: use `SerializeBdat`). On error (kInvalidArgument with
// detail kControlCharacter, kLineTooLong or kInvalidArgument) `*out` is left
// unchanged. `max_line_length` includes CRLF.
absl::Status SerializeCommand(const Command& command, std::string* out,
                              size_t max_line_length = kMaxCommandLineLength);

// SerializeAuth appends "AUTH <mechanism>[ <initial_response>]\r\n";
// `initial_response` is already base64 (or "="). Refuses like
// `SerializeCommand`; `*out` is unchanged on error.
absl::Status SerializeAuth(absl::string_view mechanism,
                           absl::optional<absl::string_view> initial_response,
                           std::string* out,
                           size_t max_line_length = kMaxCommandLineLength);

// SerializeBdat appends "BDAT <size>[ LAST]\r\n". Never fails.
void SerializeBdat(uint64_t size, bool last, std::string* out);

// XtextEncode returns `text` xtext-encoded (RFC 3461 §4): '+', '=', and
// bytes outside 33..126 become "+XX" (upper-case hex).
std::string XtextEncode(absl::string_view text);

// ValidateArgument returns kInvalidArgument/kControlCharacter if `text`
// contains CR, LF, NUL, another C0 control or DEL; OK otherwise. `what`
// names the argument in the message (never its value: it may be secret).
absl::Status ValidateArgument(absl::string_view text, absl::string_view what);

// IsAscii returns true if every byte of `text` is below 0x80.
bool IsAscii(absl::string_view text);

// CommandDebugString returns the command line as a trace would show it, no
// CRLF, with secrets redacted ("AUTH PLAIN <redacted>") and bodies
// summarized ("DATA <body 1234 bytes>"). Never fails.
std::string CommandDebugString(const Command& command);

}  // namespace smtpcore

#endif  // SMTP_CORE_COMMAND_H_
