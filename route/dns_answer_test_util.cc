#include "route/dns_answer_test_util.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "route/ip_address.h"
#include "route/tlsa.h"

namespace smtpcore {
namespace testing_dns {

namespace {
DnsAnswer Base(absl::string_view name, DnsType type, DnsSecurity security) {
  DnsAnswer a;
  a.question = DnsQuestion{std::string(name), type};
  a.security = security;
  return a;
}
}  // namespace

DnsAnswer NoData(absl::string_view name, DnsType type, DnsSecurity security) {
  return Base(name, type, security);
}

DnsAnswer NxDomain(absl::string_view name, DnsType type,
                   DnsSecurity security) {
  DnsAnswer a = Base(name, type, security);
  a.rcode = DnsRcode::kNxDomain;
  return a;
}

DnsAnswer ServFail(absl::string_view name, DnsType type) {
  DnsAnswer a = Base(name, type, kInsec);
  a.rcode = DnsRcode::kServFail;
  a.error = "timed out";
  return a;
}

DnsAnswer Bogus(absl::string_view name, DnsType type) {
  DnsAnswer a = Base(name, type, DnsSecurity::kBogus);
  a.error = "signature expired";
  return a;
}

DnsAnswer Mx(absl::string_view name,
             std::initializer_list<std::pair<int, std::string>> records,
             DnsSecurity security) {
  DnsAnswer a = Base(name, DnsType::kMx, security);
  for (const auto& [pref, host] : records) {
    a.mx.push_back(MxRecord{static_cast<uint16_t>(pref), host});
  }
  return a;
}

DnsAnswer Cname(absl::string_view name, absl::string_view target,
                DnsSecurity security) {
  DnsAnswer a = Base(name, DnsType::kCname, security);
  a.cnames.push_back(std::string(target));
  return a;
}

DnsAnswer Addresses(absl::string_view name, DnsType type,
                    std::initializer_list<const char*> ips,
                    DnsSecurity security, absl::string_view canonical) {
  DnsAnswer a = Base(name, type, security);
  for (const char* ip : ips) a.addresses.push_back(*ParseIpAddress(ip));
  a.canonical_name = std::string(canonical);
  return a;
}

DnsAnswer Tlsa(absl::string_view qname,
               std::initializer_list<const char*> records,
               DnsSecurity security) {
  DnsAnswer a = Base(qname, DnsType::kTlsa, security);
  for (const char* r : records) a.tlsa.push_back(*ParseTlsaText(r));
  return a;
}

DnsAnswer Txt(absl::string_view name, std::initializer_list<const char*> txt,
              DnsSecurity security) {
  DnsAnswer a = Base(name, DnsType::kTxt, security);
  for (const char* t : txt) a.txt.push_back(t);
  return a;
}

void AddHost(DnsAnswerSet& set, absl::string_view host, const char* v4,
             DnsSecurity security) {
  set.Add(Addresses(host, DnsType::kA, {v4}, security));
  set.Add(NoData(host, DnsType::kAaaa, security));
  if (security == kSec) {
    set.Add(NxDomain(TlsaQueryName(host, 25), DnsType::kTlsa, kSec));
  }
}

}  // namespace testing_dns
}  // namespace smtpcore
