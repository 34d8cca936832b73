// The MTA-STS policy file (RFC 8461 §3.2) and its MX matching rule (§4.1).
// Pure; fuzzed by //tests/fuzz:mta_sts_fuzzer. Fetching it is
// transports/mta_sts/'s job; caching it is route/mta_sts_cache.h's.

#ifndef SMTP_ROUTE_MTA_STS_POLICY_H_
#define SMTP_ROUTE_MTA_STS_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// StsMode is a policy's mode (RFC 8461 §5).
enum class StsMode : uint8_t {
  kNone,     // the domain withdraws its policy
  kTesting,  // report failures (RFC 8460), deliver anyway
  kEnforce,  // deliver only over PKIX-verified TLS to a matching MX
};

// StsModeName returns "none", "testing" or "enforce".
absl::string_view StsModeName(StsMode mode);

// kStsMaxAgeLimit is the largest max_age honoured, in seconds (RFC 8461
// §3.2: "up to 31557600"); larger values are capped to it.
inline constexpr int64_t kStsMaxAgeLimit = 31557600;

// kStsMaxPolicySize bounds the policy body (RFC 8461 §3.3 suggests 64 KiB).
inline constexpr size_t kStsMaxPolicySize = 64 * 1024;

// StsPolicy is a parsed policy. A value type.
struct StsPolicy {
  StsMode mode = StsMode::kNone;
  // mx are the patterns ("mail.example.com", "*.example.net"), normalised.
  std::vector<std::string> mx;
  // max_age in seconds, already capped at kStsMaxAgeLimit.
  int64_t max_age = 0;

  // MatchesMx is true when `host` matches one of `mx` (`MatchStsMxPattern`).
  bool MatchesMx(absl::string_view host) const;
  // PolicyStrings returns the lines a TLSRPT report quotes (RFC 8460 §4.4
  // "policy-string"): "version: STSv1", "mode: ...", "mx: ..." each,
  // "max_age: ...".
  std::vector<std::string> PolicyStrings() const;
};

// ParseStsPolicy parses a policy body. Rules (RFC 8461 §3.2): lines "key:
// value" ended by LF or CRLF, spaces around the value ignored; "version"
// must be "STSv1"; "mode" one of enforce, testing, none; "max_age" a
// decimal of at most 10 digits (capped); "mx" repeated, at least one unless
// mode is none, each a host name or "*." + host name; unknown keys are
// ignored; version, mode and max_age appear exactly once. Bodies over
// kStsMaxPolicySize are refused. Fails with kInvalidArgument naming the
// problem.
absl::StatusOr<StsPolicy> ParseStsPolicy(absl::string_view body);

// MatchStsMxPattern: `pattern` matches `host` exactly (case-insensitive,
// trailing dot ignored), or `pattern` is "*.rest" and `host` is one label
// followed by ".rest" (RFC 8461 §4.1: the wildcard covers exactly the
// left-most label).
bool MatchStsMxPattern(absl::string_view pattern, absl::string_view host);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_MTA_STS_POLICY_H_
