// MxConfig: the MX flags (tools/options.h MxFlags) turned into the route
// resolver's options (transports/blocking/route_resolver.h): DNS forwarder
// and trust anchor, SMTP and MTA-STS ports, the CA file for PKIX.

#ifndef SMTP_TOOLS_MX_CONFIG_H_
#define SMTP_TOOLS_MX_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "tools/options.h"
#include "transports/blocking/route_resolver.h"

namespace smtpcore {
namespace cli {

// MakeRouteResolverOptions builds the options for `flags`, with `ca_file`
// ("" for the system store) for MTA-STS fetches. Fails with
// kInvalidArgument (a usage error) for a bad --dns-server or an unreadable
// --trust-anchor / --ca-file.
absl::StatusOr<RouteResolverOptions> MakeRouteResolverOptions(
    const MxFlags& flags, const std::string& ca_file);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_MX_CONFIG_H_
