// Delivery precheck: the pure decision, made once per delivery just before
// its first MAIL, of how a message goes on the wire to this server, or why
// it cannot. No connection, no I/O: capabilities, the envelope and facts
// about the body in; the MAIL parameters and the transfer command out.
//
// Refusals (kInvalidArgument with the ErrorDetail named; nothing is sent and
// the connection stays usable; the session reports them as DeliveryFailed):
//   kNeedsSmtpUtf8    a non-ASCII address without SMTPUTF8 (RFC 6531 §3.4):
//                     a non-ASCII local part always; a non-ASCII domain
//                     only when no IDNA converter is given (see below)
//   kInvalidArgument  a non-ASCII domain that the converter refuses (no
//                     valid A-label form), without SMTPUTF8
//   kNeedsBinaryMime  BODY=BINARYMIME without BINARYMIME + CHUNKING, or with
//                     chunking turned off (RFC 3030 §3)
//   kNeeds8BitMime    an 8-bit body (or BODY=8BITMIME) without 8BITMIME
//                     (RFC 6152 §3)
//   kBareLineEnding   a bare CR or LF under LineEndingPolicy::kReject
//   kMessageTooLarge  SIZE over the server's announced limit (RFC 1870 §3;
//                     the size counted after CRLF normalisation)
//   kNeedsRequireTls  REQUIRETLS without TLS, over TLS whose certificate
//                     was not verified (PKIX or DANE), or without the
//                     extension (RFC 8689 §4.1, §4.2.1)
//   kLineTooLong, kControlCharacter  the MAIL line with the added
//                     parameters no longer serialises (core/command.h)
// Adjustments: BODY and SMTPUTF8 are added when needed, SIZE is declared
// when the server offers SIZE and the size is known (dropped otherwise), and
// DSN parameters are dropped when the server lacks DSN (RFC 3461 §4).
//
// Internationalised addresses (RFC 6531, RFC 5890): with SMTPUTF8 they go
// out in UTF-8, as given, with the SMTPUTF8 parameter. Without it, an
// address whose local part is ASCII and whose domain is not is sent with
// the domain's A-label form from `PrecheckContext::idna` ("anna@bücher.example"
// -> "anna@xn--bcher-kva.example"); a non-ASCII local part has no ASCII
// form and is refused (kNeedsSmtpUtf8). The addresses to send are in
// `TransferPlan`; results and events keep the caller's form.

#ifndef SMTP_CORE_DELIVERY_PRECHECK_H_
#define SMTP_CORE_DELIVERY_PRECHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "core/capabilities.h"
#include "core/command.h"
#include "core/delivery.h"
#include "core/dot_stuffer.h"
#include "core/encoded_body.h"
#include "core/idna_converter.h"

namespace smtpcore {

// BodyFacts is what the precheck needs to know about a body. A value type.
struct BodyFacts {
  // input_size: octets as given (the SIZE of a BINARYMIME body).
  uint64_t input_size = 0;
  // wire_size: the RFC 1870 §3 size after CRLF normalisation, with the CRLF
  // that ends an unterminated last line (DATA and BDAT store the same
  // bytes); only meaningful when `complete`.
  uint64_t wire_size = 0;
  // bare_line_endings: bare CRs and LFs so far (a final CR counts once the
  // body is complete).
  uint64_t bare_line_endings = 0;
  // eight_bit: some octet >= 0x80.
  bool eight_bit = false;
  // dots_stuffed: line-leading dots that DATA doubles (RFC 5321 §4.5.2).
  uint64_t dots_stuffed = 0;
  // chunks: the Cord chunks counted (not octets).
  uint64_t chunks = 0;
  // complete: every octet of the body is known.
  bool complete = false;
};

// DataSliceBound bounds the IoSlices `DotStuffer::EncodeCord` plus `Finish`
// produce for a complete body with `facts` under DATA (`data`) or BDAT: each
// insertion point (a stuffed dot, a CR or LF added to a bare line ending)
// splits a run and adds a slice, each chunk ends a run, and Finish adds at
// most one. A capacity hint (`Data::slice_hint`), never a limit.
uint64_t DataSliceBound(const BodyFacts& facts, bool data);

// BodyMeter gathers BodyFacts chunk by chunk with a count-only DotStuffer in
// DATA mode (the same code that later encodes the body, so the precheck and
// the wire agree by construction; the RFC 1870 size is its output less the
// stuffed dots and the end-of-data marker). A value type; copy it to try a
// chunk. core/body_meter_memo.h measures a reused body once. The delivery
// flow uses it for streamed and BINARYMIME bodies only: a complete body is
// encoded once instead and its facts read from the encoding
// (`FactsOfEncoding`).
class BodyMeter {
 public:
  BodyMeter();

  // Add counts `chunk` (not retained). Never fails.
  void Add(const absl::Cord& chunk);
  // Finish marks the body complete: a final CR is bare. Idempotent; no Add
  // after it.
  void Finish();
  // facts returns what was counted so far.
  BodyFacts facts() const;

 private:
  DotStuffer stuffer_;
  uint64_t chunks_ = 0;
  bool complete_ = false;
};

// FactsOfEncoding returns the BodyFacts of a complete body from its
// encoding (core/encoded_body.h), as a BodyMeter would count them, so that
// a body encoded for the transfer need not be measured in a second pass:
// for DATA (dots stuffed, terminator) every field equals the BodyMeter's;
// for a normalising BDAT encoding too, except `dots_stuffed`, which is 0
// (BDAT stuffs nothing). `wire_size` is meaningless for a pass-through
// (BINARYMIME) encoding, whose size is `input_size`. `complete` is true.
// Pure; `encoded` is borrowed for the call and must not be spent.
BodyFacts FactsOfEncoding(const EncodedBody& encoded);

// PrecheckContext is what the precheck knows of the session and the server.
// Borrows `capabilities` for the duration of the call.
struct PrecheckContext {
  const Capabilities* capabilities = nullptr;  // required
  bool tls = false;       // TLS is active on the connection
  // tls_verified: the server's certificate was verified (PKIX or DANE;
  // TlsInfo::verified). REQUIRETLS needs it (RFC 8689 §4.2.1).
  bool tls_verified = false;
  bool chunking = true;   // SessionOptions::chunking (BDAT allowed)
  LineEndingPolicy line_endings = LineEndingPolicy::kNormalize;
  // streamed: the body arrives with Session::AppendBody; its size is only
  // declared when the envelope sets it, and an unknown content is labelled
  // 8BITMIME when the server offers it.
  bool streamed = false;
  // idna converts non-ASCII domains to A-labels for a server without
  // SMTPUTF8 (core/idna_converter.h); nullptr or empty: no conversion, such
  // addresses are refused. Borrowed for the call.
  const IdnaConverter* idna = nullptr;
};

// TransferPlan is how one delivery goes to this server. A value type.
struct TransferPlan {
  // from and recipients are the paths to send (recipients in envelope
  // order): the envelope's, with A-label domains where converted.
  std::string from;
  std::vector<std::string> recipients;
  MailParams mail;         // the parameters MAIL FROM carries
  bool use_bdat = false;   // BDAT (CHUNKING) rather than DATA
  bool binary = false;     // BINARYMIME: the body is sent unchanged
  bool strip_dsn = false;  // drop NOTIFY/ORCPT from every RCPT (no DSN)
};

// UsesBdat is true when `envelope` goes to this server with BDAT rather
// than DATA: a BINARYMIME body, or CHUNKING offered and allowed. It depends
// on neither the body nor anything that can refuse the delivery, so a
// caller can choose the body's encoding before the precheck;
// `PrecheckDelivery` sets `TransferPlan::use_bdat` to the same value.
bool UsesBdat(const Envelope& envelope, const PrecheckContext& context);

// PrecheckDelivery decides the TransferPlan of `envelope` with a body
// described by `body`, or returns the refusal (see the file comment). Pure:
// the same inputs give the same answer.
absl::StatusOr<TransferPlan> PrecheckDelivery(const Envelope& envelope,
                                              const BodyFacts& body,
                                              const PrecheckContext& context);

}  // namespace smtpcore

#endif  // SMTP_CORE_DELIVERY_PRECHECK_H_
