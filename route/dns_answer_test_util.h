// Test helpers: DNS answers written by hand, as a resolver would have
// recorded them, for the route tests (testonly).

#ifndef SMTP_ROUTE_DNS_ANSWER_TEST_UTIL_H_
#define SMTP_ROUTE_DNS_ANSWER_TEST_UTIL_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "route/dns_answer.h"

namespace smtpcore {
namespace testing_dns {

constexpr DnsSecurity kSec = DnsSecurity::kSecure;
constexpr DnsSecurity kInsec = DnsSecurity::kInsecure;

// Empty returns a NOERROR answer without records (NODATA).
DnsAnswer NoData(absl::string_view name, DnsType type,
                 DnsSecurity security = kInsec);
// NxDomain returns an NXDOMAIN answer.
DnsAnswer NxDomain(absl::string_view name, DnsType type,
                   DnsSecurity security = kInsec);
// ServFail returns a failed lookup.
DnsAnswer ServFail(absl::string_view name, DnsType type);
// Bogus returns an answer that failed DNSSEC validation.
DnsAnswer Bogus(absl::string_view name, DnsType type);
DnsAnswer Mx(absl::string_view name,
             std::initializer_list<std::pair<int, std::string>> records,
             DnsSecurity security = kInsec);
DnsAnswer Cname(absl::string_view name, absl::string_view target,
                DnsSecurity security = kInsec);
// Addresses returns an A (IPv4 texts) or AAAA (IPv6 texts) answer;
// `canonical` is the CNAME-expanded owner, if any.
DnsAnswer Addresses(absl::string_view name, DnsType type,
                    std::initializer_list<const char*> ips,
                    DnsSecurity security = kInsec,
                    absl::string_view canonical = "");
// Tlsa returns a TLSA answer from presentation-form records.
DnsAnswer Tlsa(absl::string_view qname,
               std::initializer_list<const char*> records,
               DnsSecurity security = kInsec);
DnsAnswer Txt(absl::string_view name, std::initializer_list<const char*> txt,
              DnsSecurity security = kInsec);

// Host adds secure-or-not A and AAAA answers for `host` (IPv4 `v4`, no
// IPv6) and a secure denial of TLSA at _25._tcp.host when `security` is
// secure.
void AddHost(DnsAnswerSet& set, absl::string_view host, const char* v4,
             DnsSecurity security = kInsec);

}  // namespace testing_dns
}  // namespace smtpcore

#endif  // SMTP_ROUTE_DNS_ANSWER_TEST_UTIL_H_
