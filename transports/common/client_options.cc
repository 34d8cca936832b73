#include "transports/common/client_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace smtpcore {

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

}  // namespace smtpcore
