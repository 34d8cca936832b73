#include "route/host_addresses.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {

HostAddressesStep GatherHostAddresses(absl::string_view host,
                                      const DnsAnswerSet& answers,
                                      const DialHistory* history,
                                      AddressFamily family) {
  HostAddressesStep step;
  const DnsAnswer* a = answers.Find(host, DnsType::kA);
  const DnsAnswer* aaaa = answers.Find(host, DnsType::kAaaa);
  if (a == nullptr) step.needed.push_back({std::string(host), DnsType::kA});
  if (aaaa == nullptr) {
    step.needed.push_back({std::string(host), DnsType::kAaaa});
  }
  if (!step.needed.empty()) return step;
  step.steps = {MakeDnsStep(*a), MakeDnsStep(*aaaa)};

  for (const DnsAnswer* x : {a, aaaa}) {
    if (x->security == DnsSecurity::kBogus) {
      step.error = MakeError(
          absl::StatusCode::kUnavailable, ErrorDetail::kDnssecBogus,
          absl::StrCat("DNSSEC validation failed for ", x->question.ToString(),
                       x->error.empty() ? "" : ": ", x->error,
                       " (temporary)"));
      return step;
    }
  }
  if (a->rcode == DnsRcode::kNxDomain && aaaa->rcode == DnsRcode::kNxDomain) {
    step.error = MakeError(absl::StatusCode::kNotFound,
                           ErrorDetail::kNoSuchDomain,
                           absl::StrCat("host ", host, " does not exist"));
    return step;
  }
  HostAddresses h;
  h.host = std::string(host);
  h.steps = step.steps;
  std::vector<IpAddress> all;
  bool failed = false;
  for (const DnsAnswer* x : {a, aaaa}) {
    if (x->rcode == DnsRcode::kServFail) {
      failed = true;
      continue;
    }
    if (!x->canonical_name.empty() && x->canonical_name != host &&
        h.canonical.empty()) {
      h.canonical = x->canonical_name;
    }
    for (const IpAddress& ip : x->addresses) all.push_back(ip);
  }
  if (all.empty()) {
    step.error = MakeError(
        failed ? absl::StatusCode::kUnavailable : absl::StatusCode::kNotFound,
        failed ? ErrorDetail::kDnsTemporary : ErrorDetail::kNoSuchDomain,
        failed ? absl::StrCat("address lookup of ", host,
                              " failed (temporary)")
               : absl::StrCat("host ", host, " has no A or AAAA record"));
    return step;
  }
  if (failed) {
    h.warnings.push_back(absl::StrCat(
        "one address lookup of ", host, " failed; using the other family"));
  }
  if (!h.canonical.empty()) {
    h.warnings.push_back(absl::StrCat(
        host, " is a CNAME for ", h.canonical,
        " (RFC 5321 §5.1: an MX target should not be an alias); tolerated"));
  }
  h.secure = !failed && a->secure() && aaaa->secure();
  h.ips = OrderIpAddresses(host, all, history, family);
  if (h.ips.empty()) {
    step.error = MakeError(
        absl::StatusCode::kNotFound, ErrorDetail::kNoSuchDomain,
        absl::StrCat("host ", host, " has no address of the allowed family"));
    return step;
  }
  step.addresses = std::move(h);
  return step;
}

}  // namespace smtpcore
