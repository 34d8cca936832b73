#include "route/mta_sts_policy.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "route/dns_name.h"

namespace smtpcore {
namespace {

absl::Status Invalid(absl::string_view why) {
  return LocalError(ErrorDetail::kInvalidArgument,
                    absl::StrCat("MTA-STS policy: ", why));
}

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

absl::string_view StsModeName(StsMode mode) {
  switch (mode) {
    case StsMode::kNone:
      return "none";
    case StsMode::kTesting:
      return "testing";
    case StsMode::kEnforce:
      return "enforce";
  }
  return "?";
}

bool MatchStsMxPattern(absl::string_view pattern, absl::string_view host) {
  const std::string p = NormalizeDomain(pattern);
  const std::string h = NormalizeDomain(host);
  if (p.empty() || h.empty()) return false;
  if (absl::StartsWith(p, "*.")) {
    const absl::string_view rest = absl::string_view(p).substr(2);
    size_t dot = h.find('.');
    if (dot == std::string::npos || dot == 0) return false;
    return absl::string_view(h).substr(dot + 1) == rest;
  }
  return p == h;
}

bool StsPolicy::MatchesMx(absl::string_view host) const {
  for (const std::string& pattern : mx) {
    if (MatchStsMxPattern(pattern, host)) return true;
  }
  return false;
}

std::vector<std::string> StsPolicy::PolicyStrings() const {
  std::vector<std::string> out = {"version: STSv1",
                                  absl::StrCat("mode: ", StsModeName(mode))};
  for (const std::string& m : mx) out.push_back(absl::StrCat("mx: ", m));
  out.push_back(absl::StrCat("max_age: ", max_age));
  return out;
}

absl::StatusOr<StsPolicy> ParseStsPolicy(absl::string_view body) {
  if (body.size() > kStsMaxPolicySize) {
    return Invalid(absl::StrCat("larger than ", kStsMaxPolicySize, " octets"));
  }
  StsPolicy policy;
  bool have_version = false, have_mode = false, have_max_age = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return Invalid(absl::StrCat("line ", line_number, " is not \"key: value\""));
    }
    absl::string_view key = line.substr(0, colon);
    absl::string_view value = Trim(line.substr(colon + 1));
    for (char c : line) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 && c != '\t') {
        return Invalid(absl::StrCat("line ", line_number, " has a control character"));
      }
    }
    if (key == "version") {
      if (have_version) return Invalid("version twice");
      if (value != "STSv1") return Invalid("version is not STSv1");
      have_version = true;
    } else if (key == "mode") {
      if (have_mode) return Invalid("mode twice");
      if (value == "enforce") {
        policy.mode = StsMode::kEnforce;
      } else if (value == "testing") {
        policy.mode = StsMode::kTesting;
      } else if (value == "none") {
        policy.mode = StsMode::kNone;
      } else {
        return Invalid(absl::StrCat("unknown mode \"", value, "\""));
      }
      have_mode = true;
    } else if (key == "max_age") {
      if (have_max_age) return Invalid("max_age twice");
      int64_t v = 0;
      bool digits = !value.empty() && value.size() <= 10;
      for (char c : value) {
        digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
      }
      if (!digits || !absl::SimpleAtoi(value, &v)) {
        return Invalid("max_age is not a number of at most 10 digits");
      }
      policy.max_age = v > kStsMaxAgeLimit ? kStsMaxAgeLimit : v;
      have_max_age = true;
    } else if (key == "mx") {
      absl::string_view host = value;
      if (absl::StartsWith(host, "*.")) host.remove_prefix(2);
      if (!IsValidDomain(host) || host.find('_') != absl::string_view::npos) {
        return Invalid(absl::StrCat("bad mx pattern \"", value, "\""));
      }
      policy.mx.push_back(NormalizeDomain(value));
    }
    // Other keys: extensions, ignored (RFC 8461 §3.2).
  }
  if (!have_version) return Invalid("no version");
  if (!have_mode) return Invalid("no mode");
  if (!have_max_age) return Invalid("no max_age");
  if (policy.mode != StsMode::kNone && policy.mx.empty()) {
    return Invalid("no mx (required unless mode is none)");
  }
  return policy;
}

}  // namespace smtpcore
