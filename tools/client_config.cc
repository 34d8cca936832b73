#include "tools/client_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idna/idna.h"
#include "sasl/select.h"

namespace smtpcore {
namespace cli {

absl::StatusOr<std::string> ReadFileForFlag(absl::string_view flag,
                                            const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read --", flag, " ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<ClientConfig> MakeClientConfig(const ConnectionFlags& flags) {
  ClientConfig config;
  ClientOptions& o = config.options;
  o.host = flags.server.host;
  o.port = flags.server.port;
  o.unix_socket = flags.server.unix_path;
  o.session.ehlo_domain = flags.ehlo;
  o.session.tls_mode = SessionTlsMode(flags.tls);
  o.session.pipelining = flags.pipelining;
  o.session.chunking = flags.chunking;
  o.session.timeouts = CappedTimeouts(flags.timeout);
  o.session.allow_insecure_auth = flags.allow_plaintext_auth;
  // Unicode domains as A-labels for servers without SMTPUTF8, and the EHLO
  // name always (UTS #46, libidn2).
  o.session.idna = IdnaToAsciiConverter();
  if (flags.timeout.has_value()) {
    o.connect_timeout = std::min(o.connect_timeout, *flags.timeout);
  }

  TlsOptions& tls = o.tls;
  tls.role = TlsRole::kClient;
  if (!flags.ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadFileForFlag("ca-file", flags.ca_file);
    if (!pem.ok()) return pem.status();
    tls.ca_pem = *std::move(pem);
  }
  tls.insecure = flags.insecure || (flags.tls == TlsChoice::kOpportunistic &&
                                    flags.ca_file.empty());
  if (!flags.client_cert.empty()) {
    absl::StatusOr<std::string> cert =
        ReadFileForFlag("client-cert", flags.client_cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key =
        ReadFileForFlag("client-key", flags.client_key);
    if (!key.ok()) return key.status();
    tls.certificate_chain_pem = *std::move(cert);
    tls.private_key_pem = *std::move(key);
  }

  if (!flags.user.empty()) {
    SaslCredentials creds;
    creds.username = flags.user;
    creds.password = flags.password;
    creds.oauth_token = flags.oauth_token;
    creds.host = flags.server.host;
    creds.port = flags.server.port;
    std::vector<std::string> preference = flags.auth_mechanisms;
    std::shared_ptr<std::string> note = config.auth_note;
    o.session.auth = [creds, preference, note](
                         const Capabilities& capabilities,
                         const TlsInfo* tls_info)
        -> std::unique_ptr<SaslMechanism> {
      absl::StatusOr<std::unique_ptr<SaslMechanism>> m = SelectSaslMechanism(
          creds, capabilities.auth_mechanisms(), tls_info, preference);
      if (!m.ok()) {
        *note = std::string(m.status().message());
        return nullptr;
      }
      return *std::move(m);
    };
  }
  return config;
}

}  // namespace cli
}  // namespace smtpcore
