#include "tools/mx_config.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "transports/dns/resolver_options.h"

namespace smtpcore {
namespace cli {

absl::StatusOr<RouteResolverOptions> MakeRouteResolverOptions(
    const MxFlags& flags, const std::string& ca_file) {
  RouteResolverOptions o;
  if (!flags.dns_server.empty()) {
    absl::Status s = ParseResolverAddress(flags.dns_server, &o.dns);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--dns-server: ", s.message()));
    }
  }
  for (const auto& [flag, path] :
       {std::pair<const char*, const std::string*>{"--trust-anchor",
                                                   &flags.trust_anchor},
        {"--ca-file", &ca_file}}) {
    if (!path->empty() && access(path->c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read ", flag, " ", *path));
    }
  }
  o.dns.trust_anchor_file = flags.trust_anchor;
  o.port = flags.port;
  o.sts.port = flags.mta_sts_port;
  o.sts.ca_file = ca_file;
  return o;
}

}  // namespace cli
}  // namespace smtpcore
