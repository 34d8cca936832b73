#include "transports/common/client_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/ip_address.h"
#include "transports/common/transport_error.h"

namespace smtpcore {
namespace {

absl::Status Invalid(std::string what) {
  return TransportError(ErrorDetail::kInvalidArgument, std::move(what))
      .ToStatus();
}

}  // namespace

uint16_t EffectivePort(const ClientOptions& options) {
  if (options.port != 0) return options.port;
  return options.session.tls_mode == TlsMode::kImplicit ? kSubmissionsPort
                                                        : kSmtpPort;
}

absl::string_view HostWithoutBrackets(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool IsIpLiteral(absl::string_view host) {
  std::string text(HostWithoutBrackets(host));
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, text.c_str(), &a4) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &a6) == 1;
}

TlsOptions MakeClientTlsOptions(const ClientOptions& options) {
  TlsOptions tls = options.tls;
  tls.role = TlsRole::kClient;
  if (tls.server_name.empty()) {
    tls.server_name = std::string(HostWithoutBrackets(options.host));
  }
  return tls;
}

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (!options.unix_socket.empty()) {
    if (options.proxy.enabled()) {
      return Invalid("a Unix-domain socket cannot be reached through a proxy");
    }
    if (!options.local_address.empty()) {
      return Invalid("a local address cannot be used with a Unix-domain "
                     "socket");
    }
    absl::StatusOr<DialAddress> a = MakeUnixDialAddress(options.unix_socket);
    if (!a.ok()) return Invalid(std::string(a.status().message()));
    return absl::OkStatus();
  }
  if (!options.local_address.empty()) {
    absl::optional<IpAddress> ip =
        ParseIpAddress(HostWithoutBrackets(options.local_address));
    if (!ip.has_value()) {
      return Invalid(absl::StrCat("local address '", options.local_address,
                                  "' is not a numeric IP address"));
    }
    if ((ip->family == IpFamily::kV4 &&
         options.family == AddressFamily::kIpv6Only) ||
        (ip->family == IpFamily::kV6 &&
         options.family == AddressFamily::kIpv4Only)) {
      return Invalid(absl::StrCat("local address ", options.local_address,
                                  " is not of the address family asked for"));
    }
  }
  if (options.proxy.enabled() &&
      (options.proxy.host.empty() || options.proxy.port == 0)) {
    return Invalid("the proxy needs a host and a port");
  }
  return absl::OkStatus();
}

std::string ProxyDestination(const ClientOptions& options) {
  if (!options.addresses.empty()) {
    return std::string(HostWithoutBrackets(options.addresses.front()));
  }
  return std::string(HostWithoutBrackets(options.host));
}

bool PeerIsLocal(const ClientOptions& options, const DialAddress& peer) {
  if (!options.unix_socket.empty()) return true;
  if (options.proxy.enabled()) {
    absl::optional<IpAddress> ip = ParseIpAddress(ProxyDestination(options));
    return ip.has_value() && ip->is_loopback();
  }
  return peer.is_loopback();
}

AddressFamily LocalAddressFamily(const ClientOptions& options) {
  if (options.local_address.empty()) return options.family;
  absl::optional<IpAddress> ip =
      ParseIpAddress(HostWithoutBrackets(options.local_address));
  if (!ip.has_value()) return options.family;
  return ip->family == IpFamily::kV4 ? AddressFamily::kIpv4Only
                                     : AddressFamily::kIpv6Only;
}

}  // namespace smtpcore
