#include "core/delivery_precheck.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

// MeterOptions: the DATA encoding (dots stuffed, line endings normalised,
// end-of-data marker), so that the meter also counts the dots the encoder
// will insert (`DataSliceBound`). Its output less the stuffed dots and the
// 3 octets of ".\r\n" is the RFC 1870 message size: the CRLF that ends an
// unterminated last line (or the LF that completes a final CR) belongs to
// the message, as BDAT sends it too. Bare line endings are counted, never
// refused: the policy is the precheck's to apply.
constexpr uint64_t kEndMarkerOctets = 3;  // ".\r\n"

DotStufferOptions MeterOptions() {
  DotStufferOptions o;
  o.stuff_dots = true;
  o.terminator = true;
  o.normalize = true;
  o.line_endings = LineEndingPolicy::kNormalize;
  return o;
}

// WireAddress decides how `address` goes to a server without SMTPUTF8
// (RFC 6531 §3.2: nothing but ASCII there): unchanged when ASCII; with
// its domain's A-label form when only the domain is not ASCII; refused
// otherwise. `what` names the address in messages ("recipient").
absl::StatusOr<std::string> WireAddress(const std::string& address,
                                        absl::string_view what,
                                        const IdnaConverter* idna) {
  if (IsAscii(address)) return address;
  const size_t at = address.rfind('@');
  const absl::string_view local =
      at == std::string::npos ? absl::string_view(address)
                              : absl::string_view(address).substr(0, at);
  if (!IsAscii(local)) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kNeedsSmtpUtf8,
                     absl::StrCat(what, " <", address,
                                  "> has a non-ASCII local part, which only "
                                  "a server offering SMTPUTF8 accepts "
                                  "(RFC 6531)"));
  }
  if (idna == nullptr || !*idna) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kNeedsSmtpUtf8,
                     absl::StrCat(what, " <", address,
                                  "> has a non-ASCII domain and the server "
                                  "does not offer SMTPUTF8 (RFC 6531); no "
                                  "IDNA conversion is configured"));
  }
  const absl::string_view domain = absl::string_view(address).substr(at + 1);
  absl::StatusOr<std::string> ascii = (*idna)(domain);
  if (!ascii.ok()) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kInvalidArgument,
                     absl::StrCat(what, " <", address, ">: ",
                                  ascii.status().message()));
  }
  if (ascii->empty() || !IsAscii(*ascii)) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kInvalidArgument,
                     absl::StrCat(what, " <", address,
                                  ">: the IDNA conversion gave no ASCII "
                                  "domain"));
  }
  return absl::StrCat(local, "@", *ascii);
}

}  // namespace

BodyMeter::BodyMeter() : stuffer_(MeterOptions()) {}

void BodyMeter::Add(const absl::Cord& chunk) {
  if (complete_) return;
  // Cannot fail: no reject policy is set and the meter is not finished.
  for (absl::string_view piece : chunk.Chunks()) {
    stuffer_.Measure(piece).IgnoreError();
    ++chunks_;
  }
}

void BodyMeter::Finish() {
  if (complete_) return;
  complete_ = true;
  stuffer_.Finish(nullptr);
}

BodyFacts BodyMeter::facts() const {
  const DotStufferStats& stats = stuffer_.stats();
  BodyFacts f;
  f.input_size = stats.input_bytes;
  f.wire_size = stuffer_.FinishedOutputBytes() - stats.dots_stuffed -
                kEndMarkerOctets;
  f.bare_line_endings = stats.bare_cr + stats.bare_lf;
  f.eight_bit = stats.eight_bit;
  f.dots_stuffed = stats.dots_stuffed;
  f.chunks = chunks_;
  f.complete = complete_;
  return f;
}

BodyFacts FactsOfEncoding(const EncodedBody& encoded) {
  const DotStufferOptions& o = encoded.options();
  const DotStufferStats stats = encoded.FinishedStats();
  BodyFacts f;
  f.input_size = stats.input_bytes;
  // DATA: as BodyMeter::facts. BDAT: the finished output is the message.
  f.wire_size = o.stuff_dots && o.terminator
                    ? stats.output_bytes - stats.dots_stuffed - kEndMarkerOctets
                    : stats.output_bytes;
  f.bare_line_endings = stats.bare_cr + stats.bare_lf;
  f.eight_bit = stats.eight_bit;
  f.dots_stuffed = stats.dots_stuffed;
  f.chunks = encoded.chunks();
  f.complete = true;
  return f;
}

uint64_t DataSliceBound(const BodyFacts& facts, bool data) {
  const uint64_t insertions =
      facts.bare_line_endings + (data ? facts.dots_stuffed : 0);
  return 2 * insertions + facts.chunks + 1;
}

bool UsesBdat(const Envelope& envelope, const PrecheckContext& context) {
  return envelope.mail.body == BodyType::kBinaryMime ||
         (context.chunking && context.capabilities->chunking());
}

absl::StatusOr<TransferPlan> PrecheckDelivery(const Envelope& envelope,
                                              const BodyFacts& body,
                                              const PrecheckContext& context) {
  const Capabilities& caps = *context.capabilities;
  TransferPlan plan;
  MailParams& mail = plan.mail;
  mail = envelope.mail;
  plan.from = envelope.from;
  for (const Recipient& r : envelope.recipients) {
    plan.recipients.push_back(r.address);
  }
  // SMTPUTF8 (RFC 6531 §3.4): UTF-8 addresses need the extension; without
  // it, A-label domains where possible (see the header comment).
  bool utf8 = !IsAscii(envelope.from);
  for (const Recipient& r : envelope.recipients) {
    if (!IsAscii(r.address)) utf8 = true;
  }
  if (caps.smtputf8()) {
    if (utf8) mail.smtputf8 = true;
  } else if (mail.smtputf8) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kNeedsSmtpUtf8,
                     "SMTPUTF8 requested, but the server does not offer "
                     "SMTPUTF8 (RFC 6531)");
  } else if (utf8) {
    absl::StatusOr<std::string> from =
        WireAddress(envelope.from, "sender", context.idna);
    if (!from.ok()) return from.status();
    plan.from = *std::move(from);
    for (size_t i = 0; i < envelope.recipients.size(); ++i) {
      absl::StatusOr<std::string> to = WireAddress(
          envelope.recipients[i].address, "recipient", context.idna);
      if (!to.ok()) return to.status();
      plan.recipients[i] = *std::move(to);
    }
  }
  // BODY= (RFC 6152, RFC 3030). A streamed body is judged by the chunks
  // received so far (Session::AppendBody refuses later 8-bit chunks if MAIL
  // then went out without BODY=8BITMIME).
  if (mail.body == BodyType::kBinaryMime) {
    if (!caps.binary_mime() || !caps.chunking() || !context.chunking) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kNeedsBinaryMime,
                       "binary body, but the server does not offer "
                       "BINARYMIME and CHUNKING (RFC 3030)");
    }
    plan.binary = true;
  } else if (body.eight_bit || mail.body == BodyType::k8BitMime) {
    if (!caps.eight_bit_mime()) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kNeeds8BitMime,
                       "8-bit body, but the server does not offer 8BITMIME "
                       "(RFC 6152)");
    }
    mail.body = BodyType::k8BitMime;
  } else if (!mail.body.has_value() && context.streamed &&
             caps.eight_bit_mime()) {
    mail.body = BodyType::k8BitMime;  // unknown content: the safe label
  }
  // Bare CR/LF under LineEndingPolicy::kReject: refused here, before MAIL,
  // rather than by the DATA/BDAT submit after MAIL and RCPT went out. A
  // BINARYMIME body is sent as is (RFC 3030 §3), so it has no bare line
  // endings to refuse.
  if (!plan.binary && context.line_endings == LineEndingPolicy::kReject &&
      body.bare_line_endings > 0) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kBareLineEnding,
                     absl::StrCat("body has ", body.bare_line_endings,
                                  " bare CR or LF (line_endings is reject)"));
  }
  plan.use_bdat = UsesBdat(envelope, context);
  // SIZE (RFC 1870): declare and pre-check. RFC 1870 §3 counts the octets
  // transmitted after the 354, CRLF pairs included, but not the final "."
  // or the stuffed dots: each bare CR or LF that is normalised to CRLF adds
  // one, and so do the two octets of the CRLF that ends a last line without
  // one: DATA sends it before the "." (the end-of-data marker is then
  // "\r\n.\r\n") and BDAT appends it to the LAST chunk, so that both store
  // the same message (BodyFacts::wire_size counts all of that). A
  // BINARYMIME body goes out unchanged. Streamed bodies are not known yet:
  // SIZE only if the envelope sets it.
  if (caps.size_advertised()) {
    if (!mail.size.has_value() && !context.streamed) {
      mail.size = plan.binary ? body.input_size : body.wire_size;
    }
    absl::optional<uint64_t> limit = caps.size_limit();
    if (mail.size.has_value() && limit.has_value() && *mail.size > *limit) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kMessageTooLarge,
                       absl::StrCat("message of ", *mail.size,
                                    " octets exceeds the server's SIZE limit "
                                    "of ",
                                    *limit, " (RFC 1870)"));
    }
  } else {
    mail.size.reset();
  }
  // REQUIRETLS (RFC 8689 §4.1; §4.2.1: only over TLS whose certificate
  // was verified, by PKIX or DANE).
  if (mail.requiretls &&
      (!context.tls || !context.tls_verified || !caps.requiretls())) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kNeedsRequireTls,
                     !context.tls || context.tls_verified
                         ? "REQUIRETLS needs TLS and a server offering "
                           "REQUIRETLS (RFC 8689)"
                         : "REQUIRETLS needs TLS with a verified certificate "
                           "(PKIX or DANE; RFC 8689 §4.2.1), not "
                           "unverified TLS");
  }
  // DSN parameters only to servers that offer DSN (RFC 3461 §4).
  if (!caps.dsn()) {
    mail.ret.reset();
    mail.envid.reset();
    plan.strip_dsn = true;
  }
  // The parameters added here, and A-label domains (longer than their
  // UTF-8 form), must still fit the line limit.
  std::string line;
  absl::Status s = SerializeCommand(MailFrom{plan.from, mail}, &line);
  if (!s.ok()) return s;
  for (size_t i = 0; i < envelope.recipients.size(); ++i) {
    if (plan.recipients[i] == envelope.recipients[i].address) continue;
    s = SerializeCommand(
        RcptTo{plan.recipients[i], envelope.recipients[i].params}, &line);
    if (!s.ok()) return s;
  }
  return plan;
}

}  // namespace smtpcore
