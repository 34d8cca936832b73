// dns_rdata_fuzzer: the route layer's DNS parsers (route/dns_rdata.h,
// route/tlsa.h) on arbitrary bytes.
//
// Input layout: byte 0 picks the parser (MX, CNAME, A/AAAA, TXT, TLSA
// rdata, TLSA presentation text), bytes 1.. are its input.
//
// Invariants checked (abort on violation):
//   - no parser reads outside its input (ASan) or crashes;
//   - a parsed MX/CNAME name is lower case, has no empty label and no '.'
//     inside a label, and is at most 253 octets;
//   - a parsed TLSA record prints (ToString) to text that parses back to
//     the same record, and its usability verdict is stable;
//   - a parsed TXT record is never longer than its rdata.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "route/dns_rdata.h"
#include "route/tlsa.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "dns_rdata_fuzzer: %s\n", what);
    std::abort();
  }
}

void CheckName(const std::string& name) {
  Check(name.size() <= 253, "name longer than 253");
  Check(name == absl::AsciiStrToLower(name), "name not lower case");
  Check(name.find("..") == std::string::npos, "empty label");
  Check(name.empty() || (name.front() != '.' && name.back() != '.'),
        "leading or trailing dot");
}

void CheckTlsa(const smtpcore::TlsaRecord& r) {
  absl::StatusOr<smtpcore::TlsaRecord> back =
      smtpcore::ParseTlsaText(r.ToString());
  if (r.data.empty()) {
    Check(!back.ok(), "empty data printed and parsed");
    return;
  }
  Check(back.ok(), "TLSA ToString does not parse back");
  Check(*back == r, "TLSA round trip changed the record");
  Check(smtpcore::IsUsableTlsaForSmtp(*back) ==
            smtpcore::IsUsableTlsaForSmtp(r),
        "usability changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view in(reinterpret_cast<const char*>(data) + 1,
                             size - 1);
  switch (data[0] % 6) {
    case 0: {
      absl::StatusOr<smtpcore::MxRecord> mx = smtpcore::ParseMxRdata(in);
      if (mx.ok()) CheckName(mx->host);
      break;
    }
    case 1: {
      absl::StatusOr<std::string> c = smtpcore::ParseCnameRdata(in);
      if (c.ok()) CheckName(*c);
      break;
    }
    case 2: {
      absl::StatusOr<smtpcore::IpAddress> a = smtpcore::ParseAddressRdata(in);
      if (a.ok()) {
        absl::optional<smtpcore::IpAddress> back =
            smtpcore::ParseIpAddress(a->ToString());
        Check(back.has_value() && *back == *a, "IP text round trip");
      }
      break;
    }
    case 3: {
      absl::StatusOr<std::string> t = smtpcore::ParseTxtRdata(in);
      if (t.ok()) Check(t->size() < in.size(), "TXT longer than its rdata");
      break;
    }
    case 4: {
      absl::StatusOr<smtpcore::TlsaRecord> r = smtpcore::ParseTlsaRdata(in);
      if (r.ok()) CheckTlsa(*r);
      break;
    }
    case 5: {
      absl::StatusOr<smtpcore::TlsaRecord> r = smtpcore::ParseTlsaText(in);
      if (r.ok()) CheckTlsa(*r);
      break;
    }
  }
  return 0;
}
