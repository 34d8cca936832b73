#include "route/tls_report.h"

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace smtpcore {
namespace {

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", u);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string QuoteList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quote(v[i]);
  }
  return out + "]";
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

bool SameFailure(const TlsFailure& a, const TlsFailure& b) {
  return std::tie(a.type, a.sending_mta_ip, a.receiving_mx_hostname,
                  a.receiving_mx_helo, a.receiving_ip,
                  a.additional_information, a.failure_reason_code) ==
         std::tie(b.type, b.sending_mta_ip, b.receiving_mx_hostname,
                  b.receiving_mx_helo, b.receiving_ip,
                  b.additional_information, b.failure_reason_code);
}

}  // namespace

absl::string_view TlsResultTypeName(TlsResultType type) {
  switch (type) {
    case TlsResultType::kStartTlsNotSupported:
      return "starttls-not-supported";
    case TlsResultType::kCertificateHostMismatch:
      return "certificate-host-mismatch";
    case TlsResultType::kCertificateExpired:
      return "certificate-expired";
    case TlsResultType::kCertificateNotTrusted:
      return "certificate-not-trusted";
    case TlsResultType::kValidationFailure:
      return "validation-failure";
    case TlsResultType::kTlsaInvalid:
      return "tlsa-invalid";
    case TlsResultType::kDnssecInvalid:
      return "dnssec-invalid";
    case TlsResultType::kDaneRequired:
      return "dane-required";
    case TlsResultType::kStsPolicyFetchError:
      return "sts-policy-fetch-error";
    case TlsResultType::kStsPolicyInvalid:
      return "sts-policy-invalid";
    case TlsResultType::kStsWebpkiInvalid:
      return "sts-webpki-invalid";
  }
  return "?";
}

TlsResultType TlsResultTypeForPkixError(absl::string_view verify_error) {
  const std::string e = absl::AsciiStrToLower(verify_error);
  auto has = [&](absl::string_view s) {
    return e.find(std::string(s)) != std::string::npos;
  };
  if (has("hostname mismatch") || has("ip address mismatch") ||
      has("host mismatch")) {
    return TlsResultType::kCertificateHostMismatch;
  }
  if (has("expired")) return TlsResultType::kCertificateExpired;
  if (has("issuer") || has("self signed") || has("self-signed") ||
      has("first certificate") || has("untrusted") || has("not trusted")) {
    return TlsResultType::kCertificateNotTrusted;
  }
  return TlsResultType::kValidationFailure;
}

bool TlsReportPolicy::operator<(const TlsReportPolicy& o) const {
  return std::tie(domain, type, strings, mx_hosts) <
         std::tie(o.domain, o.type, o.strings, o.mx_hosts);
}

TlsReportPolicy TlsReportPolicyFor(const DeliveryPlan& plan,
                                   const DeliveryAttempt& attempt) {
  TlsReportPolicy p;
  if (attempt.policy == TlsPolicy::kDane ||
      attempt.policy == TlsPolicy::kDaneUnusable) {
    p.type = "tlsa";
    for (const TlsaRecord& r : attempt.tlsa) p.strings.push_back(r.ToString());
    p.domain = attempt.names.empty() ? attempt.host : attempt.names.front();
    p.mx_hosts = {attempt.host};
    return p;
  }
  p.domain = plan.next_hop.domain.empty() ? plan.next_hop.ToString()
                                          : plan.next_hop.domain;
  if (plan.sts_policy.has_value()) {
    p.type = "sts";
    p.strings = plan.sts_policy->PolicyStrings();
    p.mx_hosts = plan.sts_policy->mx;
    return p;
  }
  p.type = "no-policy-found";
  return p;
}

void TlsReportAggregator::AddSuccess(const TlsReportPolicy& policy,
                                     int64_t count) {
  entries_[policy].successes += count;
}

void TlsReportAggregator::AddFailure(const TlsReportPolicy& policy,
                                     const TlsFailure& failure) {
  Entry& e = entries_[policy];
  for (Counted& c : e.failures) {
    if (SameFailure(c.failure, failure)) {
      ++c.count;
      return;
    }
  }
  e.failures.push_back(Counted{failure, 1});
}

std::vector<std::string> TlsReportAggregator::Domains() const {
  std::vector<std::string> out;
  for (const auto& [policy, entry] : entries_) {
    if (out.empty() || out.back() != policy.domain) {
      out.push_back(policy.domain);
    }
  }
  return out;
}

std::string TlsReportAggregator::ToJson(const TlsReportMeta& meta,
                                        absl::string_view domain) const {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"organization-name\": ",
                  Quote(meta.organization_name), ",\n");
  absl::StrAppend(&out, "  \"date-range\": {\n    \"start-datetime\": ",
                  Quote(Rfc3339(meta.start)),
                  ",\n    \"end-datetime\": ", Quote(Rfc3339(meta.end)),
                  "\n  },\n");
  absl::StrAppend(&out, "  \"contact-info\": ", Quote(meta.contact_info),
                  ",\n");
  absl::StrAppend(&out, "  \"report-id\": ", Quote(meta.report_id), ",\n");
  absl::StrAppend(&out, "  \"policies\": [");
  bool first = true;
  for (const auto& [policy, entry] : entries_) {
    if (policy.domain != domain) continue;
    int64_t failed = 0;
    for (const Counted& c : entry.failures) failed += c.count;
    absl::StrAppend(&out, first ? "\n" : ",\n");
    first = false;
    absl::StrAppend(&out, "    {\n      \"policy\": {\n",
                    "        \"policy-type\": ", Quote(policy.type), ",\n",
                    "        \"policy-string\": ", QuoteList(policy.strings),
                    ",\n", "        \"policy-domain\": ", Quote(policy.domain));
    if (!policy.mx_hosts.empty()) {
      absl::StrAppend(&out, ",\n        \"mx-host\": ",
                      QuoteList(policy.mx_hosts));
    }
    absl::StrAppend(&out, "\n      },\n      \"summary\": {\n",
                    "        \"total-successful-session-count\": ",
                    entry.successes, ",\n",
                    "        \"total-failure-session-count\": ", failed,
                    "\n      }");
    if (!entry.failures.empty()) {
      absl::StrAppend(&out, ",\n      \"failure-details\": [");
      for (size_t i = 0; i < entry.failures.size(); ++i) {
        const TlsFailure& f = entry.failures[i].failure;
        absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "        {\n",
                        "          \"result-type\": ",
                        Quote(TlsResultTypeName(f.type)));
        auto field = [&](absl::string_view name, const std::string& v) {
          if (!v.empty()) {
            absl::StrAppend(&out, ",\n          \"", name, "\": ", Quote(v));
          }
        };
        field("sending-mta-ip", f.sending_mta_ip);
        field("receiving-mx-hostname", f.receiving_mx_hostname);
        field("receiving-mx-helo", f.receiving_mx_helo);
        field("receiving-ip", f.receiving_ip);
        absl::StrAppend(&out, ",\n          \"failed-session-count\": ",
                        entry.failures[i].count);
        field("additional-information", f.additional_information);
        field("failure-reason-code", f.failure_reason_code);
        absl::StrAppend(&out, "\n        }");
      }
      absl::StrAppend(&out, "\n      ]");
    }
    absl::StrAppend(&out, "\n    }");
  }
  absl::StrAppend(&out, first ? "]\n" : "\n  ]\n", "}\n");
  return out;
}

}  // namespace smtpcore
