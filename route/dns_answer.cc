#include "route/dns_answer.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "route/dns_name.h"

namespace smtpcore {

absl::string_view DnsTypeName(DnsType type) {
  switch (type) {
    case DnsType::kA:
      return "A";
    case DnsType::kCname:
      return "CNAME";
    case DnsType::kMx:
      return "MX";
    case DnsType::kTxt:
      return "TXT";
    case DnsType::kAaaa:
      return "AAAA";
    case DnsType::kTlsa:
      return "TLSA";
  }
  return "?";
}

absl::string_view DnsSecurityName(DnsSecurity security) {
  switch (security) {
    case DnsSecurity::kInsecure:
      return "insecure";
    case DnsSecurity::kSecure:
      return "secure";
    case DnsSecurity::kBogus:
      return "bogus";
  }
  return "?";
}

absl::string_view DnsRcodeName(DnsRcode rcode) {
  switch (rcode) {
    case DnsRcode::kNoError:
      return "noerror";
    case DnsRcode::kNxDomain:
      return "nxdomain";
    case DnsRcode::kServFail:
      return "servfail";
  }
  return "?";
}

std::string DnsQuestion::ToString() const {
  return absl::StrCat(name, " ", DnsTypeName(type));
}

bool DnsAnswer::has_records() const {
  switch (question.type) {
    case DnsType::kA:
    case DnsType::kAaaa:
      return !addresses.empty();
    case DnsType::kCname:
      return !cnames.empty();
    case DnsType::kMx:
      return !mx.empty();
    case DnsType::kTxt:
      return !txt.empty();
    case DnsType::kTlsa:
      return !tlsa.empty();
  }
  return false;
}

std::string DnsAnswer::Summary() const {
  std::string out = std::string(DnsRcodeName(rcode));
  if (rcode != DnsRcode::kServFail) {
    absl::StrAppend(&out, " ", DnsSecurityName(security));
  }
  if (!error.empty()) absl::StrAppend(&out, ": ", error);
  std::vector<std::string> items;
  for (const MxRecord& m : mx) {
    items.push_back(absl::StrCat(m.preference, " ", m.host.empty() ? "." : m.host));
  }
  for (const IpAddress& a : addresses) items.push_back(a.ToString());
  for (const std::string& c : cnames) items.push_back(c);
  for (const std::string& t : txt) items.push_back(absl::StrCat("\"", t, "\""));
  for (const TlsaRecord& t : tlsa) items.push_back(t.ToString());
  if (!items.empty()) absl::StrAppend(&out, ": ", absl::StrJoin(items, ", "));
  if (!canonical_name.empty() && canonical_name != question.name) {
    absl::StrAppend(&out, " (via CNAME ", canonical_name, ")");
  }
  return out;
}

void DnsAnswerSet::Add(DnsAnswer answer) {
  answer.question.name = NormalizeDomain(answer.question.name);
  DnsQuestion q = answer.question;
  answers_[q] = std::move(answer);
}

const DnsAnswer* DnsAnswerSet::Find(absl::string_view name,
                                    DnsType type) const {
  auto it = answers_.find(DnsQuestion{NormalizeDomain(name), type});
  return it == answers_.end() ? nullptr : &it->second;
}

}  // namespace smtpcore
