// The MTA-STS TXT record at "_mta-sts.<domain>" (RFC 8461 §3.1): whether a
// domain has a policy, and its id (a change of id means "fetch the policy
// again"). Pure; fuzzed by //tests/fuzz:mta_sts_fuzzer.

#ifndef SMTP_ROUTE_MTA_STS_RECORD_H_
#define SMTP_ROUTE_MTA_STS_RECORD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace smtpcore {

// StsRecord is a parsed "v=STSv1; id=..." record.
struct StsRecord {
  std::string id;  // 1..32 letters and digits
};

// ParseStsRecord parses one TXT record's text (strings concatenated). Rules
// (RFC 8461 §3.1): fields are "key=value" separated by ";" with optional
// spaces; the first field must be exactly "v=STSv1"; "id" is required, 1..32
// ASCII letters or digits; other fields are extensions and ignored; a field
// may appear once. Fails with kInvalidArgument, naming the problem.
absl::StatusOr<StsRecord> ParseStsRecord(absl::string_view text);

// StsRecordName returns "_mta-sts.<domain>".
std::string StsRecordName(absl::string_view domain);

// SelectStsRecord picks the record among a TXT RRset: records that do not
// start with "v=STSv1" are ignored; exactly one must remain and parse
// (RFC 8461 §3.1: several STS records mean no policy). nullopt when there
// is none or the set is ambiguous or invalid; `why` (optional) then says
// which.
absl::optional<StsRecord> SelectStsRecord(const std::vector<std::string>& txt,
                                          std::string* why);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_MTA_STS_RECORD_H_
