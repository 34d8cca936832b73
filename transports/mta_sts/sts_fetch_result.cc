#include "transports/mta_sts/sts_fetch_result.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "route/dns_name.h"

namespace smtpcore {

std::string PolicyHostFor(absl::string_view domain) {
  return absl::StrCat("mta-sts.", NormalizeDomain(domain));
}

}  // namespace smtpcore
