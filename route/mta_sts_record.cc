#include "route/mta_sts_record.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/errors.h"
#include "route/dns_name.h"

namespace smtpcore {
namespace {

absl::Status Invalid(absl::string_view why) {
  return LocalError(ErrorDetail::kInvalidArgument,
                    absl::StrCat("MTA-STS record: ", why));
}

absl::string_view StripSpaces(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

absl::StatusOr<StsRecord> ParseStsRecord(absl::string_view text) {
  std::vector<absl::string_view> fields = absl::StrSplit(text, ';');
  // A trailing ";" leaves an empty last field; allowed (RFC 8461 §3.1
  // grammar: sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]).
  if (!fields.empty() && StripSpaces(fields.back()).empty()) fields.pop_back();
  if (fields.empty() || StripSpaces(fields[0]) != "v=STSv1") {
    return Invalid("must start with \"v=STSv1\"");
  }
  StsRecord record;
  bool have_id = false;
  std::vector<std::string> keys;
  for (size_t i = 1; i < fields.size(); ++i) {
    absl::string_view f = StripSpaces(fields[i]);
    size_t eq = f.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return Invalid(absl::StrCat("field \"", f, "\" is not key=value"));
    }
    std::string key(f.substr(0, eq));
    absl::string_view value = f.substr(eq + 1);
    for (const std::string& k : keys) {
      if (k == key) return Invalid(absl::StrCat("field \"", key, "\" twice"));
    }
    keys.push_back(key);
    if (key == "v") return Invalid("\"v\" twice");
    if (key == "id") {
      if (value.empty() || value.size() > 32) {
        return Invalid("id must be 1 to 32 letters or digits");
      }
      for (char c : value) {
        if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
          return Invalid("id must be 1 to 32 letters or digits");
        }
      }
      record.id = std::string(value);
      have_id = true;
    }
  }
  if (!have_id) return Invalid("no id field");
  return record;
}

std::string StsRecordName(absl::string_view domain) {
  return absl::StrCat("_mta-sts.", NormalizeDomain(domain));
}

absl::optional<StsRecord> SelectStsRecord(const std::vector<std::string>& txt,
                                          std::string* why) {
  std::vector<const std::string*> candidates;
  for (const std::string& t : txt) {
    if (absl::StartsWith(t, "v=STSv1")) candidates.push_back(&t);
  }
  std::string reason;
  absl::optional<StsRecord> out;
  if (candidates.empty()) {
    reason = "no v=STSv1 TXT record";
  } else if (candidates.size() > 1) {
    reason = "more than one v=STSv1 TXT record (RFC 8461 §3.1: no policy)";
  } else {
    absl::StatusOr<StsRecord> r = ParseStsRecord(*candidates[0]);
    if (r.ok()) {
      out = *r;
    } else {
      reason = std::string(r.status().message());
    }
  }
  if (why != nullptr) *why = reason;
  return out;
}

}  // namespace smtpcore
