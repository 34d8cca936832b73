// mta_sts_fuzzer: the MTA-STS record and policy parsers (route/
// mta_sts_record.h, route/mta_sts_policy.h) and the MX pattern rule.
//
// Input layout: byte 0 picks the target (0: TXT record, 1: policy file,
// 2: pattern + host separated by the first '\n'); bytes 1.. are the text.
//
// Invariants checked (abort on violation):
//   - nothing crashes or reads outside the input;
//   - a parsed record's id is 1..32 letters and digits;
//   - a parsed policy has max_age in 0..kStsMaxAgeLimit, at least one mx
//     unless its mode is none, and its PolicyStrings, joined with CRLF,
//     parse back to the same mode, mx list and max_age;
//   - every exact mx pattern of a parsed policy matches itself, and a
//     wildcard "*.rest" matches "a.rest" but not "rest";
//   - MatchStsMxPattern never matches an empty host.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "route/mta_sts_policy.h"
#include "route/mta_sts_record.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "mta_sts_fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view in(reinterpret_cast<const char*>(data) + 1,
                             size - 1);
  switch (data[0] % 3) {
    case 0: {
      absl::StatusOr<smtpcore::StsRecord> r = smtpcore::ParseStsRecord(in);
      if (r.ok()) {
        Check(!r->id.empty() && r->id.size() <= 32, "id size");
        for (char c : r->id) {
          Check(absl::ascii_isalnum(static_cast<unsigned char>(c)),
                "id character");
        }
      }
      break;
    }
    case 1: {
      absl::StatusOr<smtpcore::StsPolicy> p = smtpcore::ParseStsPolicy(in);
      if (!p.ok()) break;
      Check(p->max_age >= 0 && p->max_age <= smtpcore::kStsMaxAgeLimit,
            "max_age out of range");
      Check(p->mode == smtpcore::StsMode::kNone || !p->mx.empty(),
            "no mx outside mode none");
      absl::StatusOr<smtpcore::StsPolicy> back = smtpcore::ParseStsPolicy(
          absl::StrJoin(p->PolicyStrings(), "\r\n"));
      Check(back.ok(), "PolicyStrings do not parse back");
      Check(back->mode == p->mode && back->mx == p->mx &&
                back->max_age == p->max_age,
            "policy round trip changed it");
      for (const std::string& m : p->mx) {
        if (absl::StartsWith(m, "*.")) {
          const std::string rest = m.substr(2);
          Check(smtpcore::MatchStsMxPattern(m, "a." + rest), "wildcard");
          Check(!smtpcore::MatchStsMxPattern(m, rest), "wildcard bare");
        } else {
          Check(smtpcore::MatchStsMxPattern(m, m), "exact pattern");
        }
      }
      break;
    }
    case 2: {
      size_t nl = in.find('\n');
      absl::string_view pattern = in.substr(0, nl);
      absl::string_view host =
          nl == absl::string_view::npos ? absl::string_view() : in.substr(nl + 1);
      const bool m = smtpcore::MatchStsMxPattern(pattern, host);
      if (host.empty()) Check(!m, "empty host matched");
      break;
    }
  }
  return 0;
}
