#include "route/destinations.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/dns_name.h"

namespace smtpcore {
namespace {

// SplitMix64: a tiny deterministic generator (no global state), enough to
// shuffle equal MX preferences reproducibly from a seed.
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

absl::Status DnsError(const DnsAnswer& answer) {
  const std::string q = answer.question.ToString();
  if (answer.security == DnsSecurity::kBogus) {
    return MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kDnssecBogus,
                     absl::StrCat("DNSSEC validation failed for ", q,
                                  answer.error.empty() ? "" : ": ",
                                  answer.error,
                                  " (temporary: the zone or the path to it "
                                  "is broken or under attack)"));
  }
  if (answer.rcode == DnsRcode::kNxDomain) {
    return MakeError(absl::StatusCode::kNotFound, ErrorDetail::kNoSuchDomain,
                     absl::StrCat("domain ", answer.question.name,
                                  " does not exist (NXDOMAIN)"));
  }
  return MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kDnsTemporary,
                   absl::StrCat("DNS lookup of ", q, " failed",
                                answer.error.empty() ? "" : ": ",
                                answer.error, " (temporary)"));
}

bool Usable(const DnsAnswer& a) {
  return a.rcode == DnsRcode::kNoError && a.security != DnsSecurity::kBogus;
}

}  // namespace

std::string NextHop::ToString() const {
  if (!ip.has_value()) return domain;
  if (ip->family == IpFamily::kV6) return absl::StrCat("[IPv6:", ip->ToString(), "]");
  return absl::StrCat("[", ip->ToString(), "]");
}

absl::StatusOr<NextHop> ParseNextHop(absl::string_view text,
                                     const IdnaConverter& idna) {
  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
  if (!ascii) {
    if (!idna) {
      return LocalError(
          ErrorDetail::kInvalidArgument,
          absl::StrCat("\"", text,
                       "\" is an internationalised domain: give its "
                       "A-label form (xn--...) or an IDNA converter"));
    }
    absl::StatusOr<std::string> a_label = idna(text);
    if (!a_label.ok()) {
      return LocalError(ErrorDetail::kInvalidArgument,
                        std::string(a_label.status().message()));
    }
    return ParseNextHop(*a_label, nullptr);
  }
  NextHop hop;
  if (!text.empty() && text.front() == '[') {
    if (text.size() < 3 || text.back() != ']') {
      return LocalError(ErrorDetail::kInvalidArgument,
                        absl::StrCat("bad address literal \"", text, "\""));
    }
    absl::string_view inner = text.substr(1, text.size() - 2);
    bool v6 = false;
    if (absl::StartsWithIgnoreCase(inner, "IPv6:")) {
      inner.remove_prefix(5);
      v6 = true;
    }
    absl::optional<IpAddress> ip = ParseIpAddress(inner);
    if (!ip.has_value() || (ip->family == IpFamily::kV6) != v6) {
      return LocalError(
          ErrorDetail::kInvalidArgument,
          absl::StrCat("bad address literal \"", text,
                       "\" (want [192.0.2.1] or [IPv6:2001:db8::1], RFC "
                       "5321 §4.1.3)"));
    }
    hop.ip = *ip;
    return hop;
  }
  if (ParseIpAddress(text).has_value()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("\"", text,
                                   "\" is an IP address: write it as an "
                                   "address literal, [", text, "]"));
  }
  if (!IsValidDomain(text)) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("\"", text, "\" is not a valid domain"));
  }
  hop.domain = NormalizeDomain(text);
  return hop;
}

DnsStep MakeDnsStep(const DnsAnswer& answer) {
  return DnsStep{answer.question, answer.rcode, answer.security,
                 answer.Summary()};
}

DestinationsStep GatherDestinations(const NextHop& next_hop,
                                    const DnsAnswerSet& answers,
                                    uint64_t seed) {
  DestinationsStep step;
  Destinations d;
  d.next_hop = next_hop;
  if (next_hop.ip.has_value()) {  // rule 1
    Destination dest;
    dest.host = next_hop.ip->ToString();
    dest.ip = next_hop.ip;
    d.hosts.push_back(dest);
    step.destinations = std::move(d);
    return step;
  }

  // Rule 2: CNAMEs, asking for the CNAME and the MX of each name at once.
  std::string name = next_hop.domain;
  std::vector<std::string> seen = {name};
  bool secure = true;
  bool first = true;
  const DnsAnswer* mx = nullptr;
  for (int hops = 0;; ++hops) {
    const DnsAnswer* cname = answers.Find(name, DnsType::kCname);
    const DnsAnswer* mx_here = answers.Find(name, DnsType::kMx);
    if (cname == nullptr || mx_here == nullptr) {
      if (cname == nullptr) step.needed.push_back({name, DnsType::kCname});
      if (mx_here == nullptr) step.needed.push_back({name, DnsType::kMx});
      return step;
    }
    if (!Usable(*cname)) {
      step.steps.push_back(MakeDnsStep(*cname));
      step.error = DnsError(*cname);
      return step;
    }
    if (cname->cnames.empty()) {
      mx = mx_here;
      break;
    }
    step.steps.push_back(MakeDnsStep(*cname));
    if (first) d.original_secure = cname->secure();
    first = false;
    secure = secure && cname->secure();
    const std::string& target = cname->cnames.front();
    if (hops + 1 > kMaxCnameChain ||
        std::find(seen.begin(), seen.end(), target) != seen.end()) {
      step.error = MakeError(
          absl::StatusCode::kUnavailable, ErrorDetail::kDnsTemporary,
          absl::StrCat("CNAME chain from ", next_hop.domain,
                       " loops or is longer than ", kMaxCnameChain,
                       " (temporary)"));
      return step;
    }
    seen.push_back(target);
    name = target;
  }

  // Rule 3.
  step.steps.push_back(MakeDnsStep(*mx));
  if (!Usable(*mx)) {
    step.error = DnsError(*mx);
    return step;
  }
  if (first) d.original_secure = mx->secure();
  secure = secure && mx->secure();
  d.expanded_domain = name;
  d.secure = secure;

  // Rule 4.
  std::vector<MxRecord> records;
  for (const MxRecord& r : mx->mx) {
    if (r.host.empty()) continue;
    records.push_back(r);
  }
  if (!mx->mx.empty() && records.empty()) {
    step.error = MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorDetail::kNullMx,
        absl::StrCat(next_hop.domain,
                     " accepts no mail: it publishes a null MX (RFC 7505)"));
    return step;
  }
  if (records.size() != mx->mx.size()) {
    d.warnings.push_back(absl::StrCat(
        name, " mixes a null MX with other MX records (RFC 7505 §3 forbids "
              "it); the null MX is ignored"));
  }

  if (records.empty()) {  // rule 5
    Destination dest;
    dest.host = next_hop.domain;
    dest.implicit = true;
    d.hosts.push_back(dest);
    d.steps = step.steps;
    step.destinations = std::move(d);
    return step;
  }

  // Rule 6: sort by preference, shuffle equal ones, drop duplicates.
  uint64_t state = seed;
  std::vector<std::pair<uint64_t, MxRecord>> keyed;
  for (const MxRecord& r : records) keyed.push_back({NextRandom(&state), r});
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    if (a.second.preference != b.second.preference) {
      return a.second.preference < b.second.preference;
    }
    if (a.first != b.first) return a.first < b.first;
    return a.second.host < b.second.host;
  });
  d.have_mx = true;
  for (const auto& [key, r] : keyed) {
    bool dup = false;
    for (const Destination& h : d.hosts) dup = dup || h.host == r.host;
    if (dup) continue;
    Destination dest;
    dest.host = r.host;
    dest.preference = r.preference;
    if (absl::optional<IpAddress> ip = ParseIpAddress(r.host)) {  // rule 7
      dest.ip = ip;
      dest.host = ip->ToString();
      d.warnings.push_back(absl::StrCat(
          "MX target ", r.host,
          " is an IP address (RFC 5321 §5.1 wants a host name); tolerated"));
    }
    d.hosts.push_back(dest);
  }
  d.steps = step.steps;
  step.destinations = std::move(d);
  return step;
}

}  // namespace smtpcore
