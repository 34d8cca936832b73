// Domain names as the route layer compares them: ASCII, lower case, without
// the trailing root dot. Internationalised names arrive as A-labels
// ("xn--..."); converting U-labels is the caller's business.

#ifndef SMTP_ROUTE_DNS_NAME_H_
#define SMTP_ROUTE_DNS_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace smtpcore {

// NormalizeDomain lower-cases ASCII letters and drops one trailing ".".
// Never fails (validity is `IsValidDomain`'s question).
std::string NormalizeDomain(absl::string_view name);

// IsValidDomain is true when `name` (normalised or not) is a DNS host or
// service name this layer accepts (RFC 1035 §2.3.4 sizes): 1..253 octets,
// labels of 1..63 octets made of letters, digits, '-' and '_' (service
// labels such as "_25._tcp" and "_mta-sts"), no label starting or ending
// with '-'. Never fails.
bool IsValidDomain(absl::string_view name);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DNS_NAME_H_
