// SaslExchange: the SMTP side of one AUTH exchange (RFC 4954) around a
// `SaslMechanism` (core/sasl_mechanism.h). Used by `Connection`; public so
// tests and other front ends can drive it alone.
//
// What it owns: base64 coding, SASL-IR ("AUTH MECH ir", "=" for an empty
// initial response, §4), the fallback when "AUTH MECH ir" would exceed the
// command line limit (send "AUTH MECH", answer the first empty 334 with the
// initial response, §4 and RFC 4422 §5), the bounded 334 loop
// (kTooManyChallenges), "*" to cancel when the mechanism fails or the
// challenge is not base64 (§4), and the outcome: 235 -> OK (after the
// mechanism's Finish), anything else -> kAuthFailed; after such a refusal
// (not a 421, not a cancel) the mechanism may be asked to renew its
// credentials for one retry (`renew_on_refusal`).
//
// Secrets: lines produced here are returned to the caller for sending and
// never appear in statuses or in `TraceLine` output.

#ifndef SMTP_CORE_SASL_EXCHANGE_H_
#define SMTP_CORE_SASL_EXCHANGE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/command.h"
#include "core/reply.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// kMaxAuthResponseLine bounds one client response line in the 334 loop,
// CRLF included (RFC 4954 §4: 12288 octets).
inline constexpr size_t kMaxAuthResponseLine = 12288;

// SaslExchange runs one AUTH exchange. Not copyable; owns the mechanism.
class SaslExchange {
 public:
  // SaslExchange takes ownership of `mechanism` (must not be null) and
  // allows at most `max_challenges` 334 replies. With `renew_on_refusal`,
  // OnFinal calls the mechanism's RenewCredentials after a refusal.
  SaslExchange(std::unique_ptr<SaslMechanism> mechanism, int max_challenges,
               bool renew_on_refusal = false);
  ~SaslExchange();

  SaslExchange(const SaslExchange&) = delete;
  SaslExchange& operator=(const SaslExchange&) = delete;

  // Start calls the mechanism's `Start(tls)` and `InitialResponse()` and
  // appends the AUTH command line (CRLF included) to `*out`. If the line
  // with the initial response would exceed `max_line_length`, it writes
  // "AUTH MECH" and keeps the response for the first 334. Errors:
  // kFailedPrecondition / kAuthMechanism if Start fails; kInvalidArgument /
  // kControlCharacter if the mechanism name is bad. `*out` is unchanged on
  // error.
  absl::Status Start(const TlsInfo* tls, size_t max_line_length,
                     std::string* out);

  // Step is what to do after a 334: send `line` (CRLF included; "*\r\n" to
  // cancel). If `cancelled`, `error` says why (kTooManyChallenges,
  // kBadChallenge, kAuthMechanism) and the server's next reply ends the
  // exchange (normally 501).
  struct Step {
    std::string line;
    bool cancelled = false;
    absl::Status error;
  };

  // OnChallenge handles one 334 `reply` and returns the line to send.
  Step OnChallenge(const ReplyView& reply);

  // OnFinal handles the final (non-334) reply. Returns OK on 235 when the
  // mechanism's Finish accepts; kAuthMechanism if Finish fails; the cancel
  // reason after a cancel; otherwise kPermissionDenied (5xx) or
  // kUnavailable (4xx) with detail kAuthFailed. The message names the
  // mechanism and the reply code, never a payload. Finish gets the 235's
  // additional data with success, decoded: the first line's text after the
  // enhanced code when it is a single strict base64 token, else "" (RFC 4954
  // §4; the exact rule is in sasl_exchange.cc).
  absl::Status OnFinal(const ReplyView& reply);

  // mechanism_name returns the mechanism's name (valid while this lives).
  absl::string_view mechanism_name() const;
  // credentials_renewed is true when OnFinal saw a refusal (4xx/5xx, not
  // 421, no cancel), `renew_on_refusal` was set and the mechanism's
  // RenewCredentials returned true: one more exchange may succeed.
  bool credentials_renewed() const { return credentials_renewed_; }
  // challenges returns how many 334 replies were handled.
  int challenges() const { return challenges_; }

 private:
  std::unique_ptr<SaslMechanism> mechanism_;
  int max_challenges_;
  bool renew_on_refusal_;
  bool credentials_renewed_ = false;
  int challenges_ = 0;
  // deferred_initial_: initial response waiting for the first 334 (the
  // line limit fallback).
  absl::optional<std::string> deferred_initial_;
  absl::Status cancel_reason_;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_SASL_EXCHANGE_H_
