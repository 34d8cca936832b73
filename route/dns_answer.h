// DNS answers as data: what the route layer's decisions take as input. A
// resolver adapter (transports/dns/) fills them in from a validating
// resolver; tests write them by hand or record them.
//
// Every answer carries its DNSSEC status as the validator judged it (RFC
// 4033 §5 terms): secure (a chain of trust to an anchor), insecure (provably
// unsigned), or bogus (signed but failing validation). Where mox trusts a
// resolver's AD bit, our adapter validates itself (libunbound), so
// `kSecure` here means "validated in this process".

#ifndef SMTP_ROUTE_DNS_ANSWER_H_
#define SMTP_ROUTE_DNS_ANSWER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "route/ip_address.h"
#include "route/tlsa.h"

namespace smtpcore {

// DnsType is a query type this layer asks for (RFC 1035 §3.2.2 numbers).
enum class DnsType : uint16_t {
  kA = 1,
  kCname = 5,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
  kTlsa = 52,
};

// DnsTypeName returns "A", "CNAME", "MX", "TXT", "AAAA" or "TLSA".
absl::string_view DnsTypeName(DnsType type);

// DnsSecurity is the DNSSEC status of an answer.
enum class DnsSecurity : uint8_t {
  kInsecure,  // not signed (or not validated): usable, proves nothing
  kSecure,    // validated: a chain of trust from a configured anchor
  kBogus,     // signed but failing validation: an attack or a broken zone
};

// DnsSecurityName returns "insecure", "secure" or "bogus".
absl::string_view DnsSecurityName(DnsSecurity security);

// DnsRcode is the outcome of a query.
enum class DnsRcode : uint8_t {
  kNoError,   // the name exists; records may still be empty (NODATA)
  kNxDomain,  // the name does not exist (RFC 1035 rcode 3)
  kServFail,  // no answer: SERVFAIL, timeout, refused, network error
};

// DnsRcodeName returns "noerror", "nxdomain" or "servfail".
absl::string_view DnsRcodeName(DnsRcode rcode);

// DnsQuestion is one (name, type) query. `name` is normalised
// (route/dns_name.h). Ordered, so it can key a map.
struct DnsQuestion {
  std::string name;
  DnsType type = DnsType::kA;

  // ToString returns "example.org MX".
  std::string ToString() const;
  bool operator==(const DnsQuestion& o) const {
    return type == o.type && name == o.name;
  }
  bool operator<(const DnsQuestion& o) const {
    return std::make_pair(name, type) < std::make_pair(o.name, o.type);
  }
};

// MxRecord is one MX record (RFC 1035 §3.3.9). `host` is normalised; "" is
// the root, i.e. a null MX target "." (RFC 7505).
struct MxRecord {
  uint16_t preference = 0;
  std::string host;
};

// DnsAnswer is the answer to one DnsQuestion. A value type.
struct DnsAnswer {
  DnsQuestion question;
  DnsRcode rcode = DnsRcode::kNoError;
  DnsSecurity security = DnsSecurity::kInsecure;
  // canonical_name is the owner of the records when the resolver followed
  // CNAMEs to get them (normalised); empty when it did not.
  std::string canonical_name;
  // error is the resolver's explanation for kServFail or kBogus ("" else).
  std::string error;
  // Records of the question's type; only the matching vector is filled.
  std::vector<MxRecord> mx;
  std::vector<IpAddress> addresses;  // A or AAAA
  std::vector<std::string> cnames;   // CNAME targets, normalised
  std::vector<std::string> txt;      // each TXT record, strings concatenated
  std::vector<TlsaRecord> tlsa;

  // has_records is true when a record of the question's type is present.
  bool has_records() const;
  // secure is `security == DnsSecurity::kSecure`.
  bool secure() const { return security == DnsSecurity::kSecure; }
  // Summary returns one line for reports: "noerror secure: 10 mx1.example,
  // 20 mx2.example", "nxdomain insecure", "servfail: <error>".
  std::string Summary() const;
};

// DnsAnswerSet holds the answers gathered so far for one route decision,
// keyed by question. A value type.
class DnsAnswerSet {
 public:
  // Add stores `answer` (its question normalised), replacing an earlier
  // answer to the same question.
  void Add(DnsAnswer answer);
  // Find returns the answer to (`name`, `type`), or nullptr. Valid until the
  // next Add.
  const DnsAnswer* Find(absl::string_view name, DnsType type) const;
  // size is the number of answers held.
  size_t size() const { return answers_.size(); }
  // answers exposes every answer in question order.
  const std::map<DnsQuestion, DnsAnswer>& answers() const { return answers_; }

 private:
  std::map<DnsQuestion, DnsAnswer> answers_;
};

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DNS_ANSWER_H_
