// SMTP TLS reporting (RFC 8460): the results of TLS negotiations gathered per
// policy, written as the RFC 8460 §4 JSON report for a date range. Sending
// the report (RFC 8460 §3: mail or HTTPS to the "_smtp._tls" rua) is the
// caller's business. Pure: times are inputs.
//
// A policy is what the sender applied (RFC 8460 §4.4): "sts" (the MTA-STS
// policy of the recipient domain; policy-domain = that domain), "tlsa"
// (DANE: the TLSA records; policy-domain = the TLSA base domain, the MX
// host, as mox does) or "no-policy-found" (recipient domain). Each session
// counts once: a success, or a failure with its result type (§4.3).

#ifndef SMTP_ROUTE_TLS_REPORT_H_
#define SMTP_ROUTE_TLS_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "route/delivery_plan.h"

namespace smtpcore {

// TlsResultType is an RFC 8460 §4.3 result type.
enum class TlsResultType : uint8_t {
  // Negotiation failures (§4.3.1).
  kStartTlsNotSupported,
  kCertificateHostMismatch,
  kCertificateExpired,
  kCertificateNotTrusted,
  kValidationFailure,
  // Policy failures (§4.3.2, §4.3.3).
  kTlsaInvalid,
  kDnssecInvalid,
  kDaneRequired,
  kStsPolicyFetchError,
  kStsPolicyInvalid,
  kStsWebpkiInvalid,
};

// TlsResultTypeName returns the RFC name ("starttls-not-supported", ...).
absl::string_view TlsResultTypeName(TlsResultType type);

// TlsResultTypeForPkixError maps a certificate verification error text (as
// BoringSSL's X509_verify_cert_error_string writes it, e.g. in
// TlsInfo::verify_error) to the RFC 8460 §4.3.1 type: a host name mismatch,
// an expired certificate, an untrusted chain (unknown issuer, self-signed),
// else validation-failure.
TlsResultType TlsResultTypeForPkixError(absl::string_view verify_error);

// TlsReportPolicy identifies one applied policy. A value type; ordered.
struct TlsReportPolicy {
  std::string type;                  // "sts", "tlsa" or "no-policy-found"
  std::vector<std::string> strings;  // policy-string lines / TLSA records
  std::string domain;                // policy-domain
  std::vector<std::string> mx_hosts; // mx-host (sts: the policy's patterns)

  bool operator<(const TlsReportPolicy& o) const;
};

// TlsReportPolicyFor returns the policy that `attempt` of `plan` applied:
// "tlsa" for DANE (records and base name), "sts" when an MTA-STS policy
// applied (enforce or testing), else "no-policy-found" for the recipient
// domain.
TlsReportPolicy TlsReportPolicyFor(const DeliveryPlan& plan,
                                   const DeliveryAttempt& attempt);

// TlsFailure is one failed session's details (RFC 8460 §4.4
// "failure-details"); empty strings are left out of the JSON.
struct TlsFailure {
  TlsResultType type = TlsResultType::kValidationFailure;
  std::string sending_mta_ip;
  std::string receiving_mx_hostname;
  std::string receiving_mx_helo;
  std::string receiving_ip;
  std::string additional_information;  // a URI (RFC 8460 §4.4)
  std::string failure_reason_code;     // free text, e.g. the TLS error
};

// TlsReportMeta is the report's header (RFC 8460 §4.4).
struct TlsReportMeta {
  std::string organization_name;
  std::string contact_info;
  std::string report_id;
  absl::Time start;
  absl::Time end;
};

// TlsReportAggregator counts sessions per policy. Thread-compatible.
class TlsReportAggregator {
 public:
  // AddSuccess counts `count` successful sessions under `policy`.
  void AddSuccess(const TlsReportPolicy& policy, int64_t count = 1);
  // AddFailure counts one failed session under `policy`; failures with the
  // same details are merged ("failed-session-count").
  void AddFailure(const TlsReportPolicy& policy, const TlsFailure& failure);

  // Domains returns the policy domains seen, sorted.
  std::vector<std::string> Domains() const;

  // ToJson writes the RFC 8460 §4.4 report of `domain`'s policies (every
  // policy whose policy-domain is `domain`), with `meta`'s header and the
  // date range in RFC 3339 UTC. Never fails; an unknown domain gives a
  // report with no policies.
  std::string ToJson(const TlsReportMeta& meta,
                     absl::string_view domain) const;

  // empty is true before anything was added.
  bool empty() const { return entries_.empty(); }

 private:
  struct Counted {
    TlsFailure failure;
    int64_t count = 0;
  };
  struct Entry {
    int64_t successes = 0;
    std::vector<Counted> failures;
  };
  std::map<TlsReportPolicy, Entry> entries_;
};

}  // namespace smtpcore

#endif  // SMTP_ROUTE_TLS_REPORT_H_
