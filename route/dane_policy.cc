#include "route/dane_policy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

void AddName(std::vector<std::string>* names, const std::string& name) {
  if (name.empty()) return;
  if (std::find(names->begin(), names->end(), name) == names->end()) {
    names->push_back(name);
  }
}

}  // namespace

absl::string_view DaneStateName(DaneState state) {
  switch (state) {
    case DaneState::kNotApplicable:
      return "not_applicable";
    case DaneState::kRequired:
      return "required";
    case DaneState::kUnusable:
      return "unusable";
  }
  return "?";
}

DaneStep DecideDane(const Destinations& destinations,
                    const Destination& destination,
                    const HostAddresses& addresses, uint16_t port,
                    const DnsAnswerSet& answers) {
  DaneStep step;
  DanePolicy p;
  // Rule 1.
  if (destination.ip.has_value()) {
    p.reason = "the destination is an IP address: no TLSA base domain";
    step.policy = p;
    return step;
  }
  if (!addresses.secure) {
    p.reason = absl::StrCat("address records of ", destination.host,
                            " are not DNSSEC-secure: no TLSA lookup (RFC "
                            "7672 §2.2.2)");
    step.policy = p;
    return step;
  }
  // Rule 2 (a secure A/AAAA answer validated the CNAME chain with it).
  std::vector<std::string> bases;
  if (!addresses.canonical.empty()) bases.push_back(addresses.canonical);
  bases.push_back(destination.host);

  for (const std::string& base : bases) {
    const std::string qname = TlsaQueryName(base, port);
    const DnsAnswer* tlsa = answers.Find(qname, DnsType::kTlsa);
    if (tlsa == nullptr) {
      step.needed.push_back({qname, DnsType::kTlsa});
      return step;
    }
    step.steps.push_back(MakeDnsStep(*tlsa));
    p.steps = step.steps;
    // Rule 3.
    if (tlsa->security == DnsSecurity::kBogus) {
      step.error = MakeError(
          absl::StatusCode::kUnavailable, ErrorDetail::kDnssecBogus,
          absl::StrCat("TLSA lookup of ", qname,
                       " failed DNSSEC validation", tlsa->error.empty() ? "" : ": ",
                       tlsa->error,
                       " (temporary; never delivered without DANE, RFC 7672 "
                       "§2.2.1)"));
      return step;
    }
    if (tlsa->rcode == DnsRcode::kServFail) {
      step.error = MakeError(
          absl::StatusCode::kUnavailable, ErrorDetail::kDnsTemporary,
          absl::StrCat("TLSA lookup of ", qname, " failed",
                       tlsa->error.empty() ? "" : ": ", tlsa->error,
                       " (temporary, RFC 7672 §2.2.1)"));
      return step;
    }
    if (!tlsa->secure()) {
      p.reason = absl::StrCat("TLSA at ", qname,
                              " is not DNSSEC-secure: ignored");
      step.policy = p;
      return step;
    }
    if (tlsa->tlsa.empty()) continue;  // securely denied: next base domain
    p.base_domain = base;
    for (const TlsaRecord& r : tlsa->tlsa) {
      std::string why = TlsaUnusableReason(r);
      if (why.empty()) {
        p.records.push_back(r);
      } else {
        p.unusable.push_back(absl::StrCat(r.ToString(), ": ", why));
      }
    }
    // Rule 4.
    AddName(&p.names, base);
    AddName(&p.names, destination.host);
    if (destinations.secure) {
      AddName(&p.names, destinations.expanded_domain);
      AddName(&p.names, destinations.next_hop.domain);
    }
    if (p.records.empty()) {
      p.state = DaneState::kUnusable;
      p.reason = absl::StrCat("secure TLSA at ", qname,
                              " but no usable record: TLS required, "
                              "certificate not authenticated (RFC 7672 §2.2)");
    } else {
      p.state = DaneState::kRequired;
      p.reason = absl::StrCat("secure TLSA at ", qname, ": ",
                              p.records.size(), " usable record(s)");
    }
    step.policy = p;
    return step;
  }
  p.reason = absl::StrCat("no TLSA records for ", destination.host,
                          " (securely denied)");
  step.policy = p;
  return step;
}

}  // namespace smtpcore
