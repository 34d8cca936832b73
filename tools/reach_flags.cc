#include "tools/reach_flags.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "transports/common/client_options.h"

namespace smtpcore {
namespace cli {
namespace {

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

const FlagSpec kReachFlags[] = {SMTPC_REACH_FLAG_SPECS};

bool IsNumericIp(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace

absl::string_view QuitAfterName(QuitAfter stage) {
  switch (stage) {
    case QuitAfter::kNone: return "";
    case QuitAfter::kConnect: return "connect";
    case QuitAfter::kGreeting: return "greeting";
    case QuitAfter::kEhlo: return "ehlo";
    case QuitAfter::kTls: return "tls";
    case QuitAfter::kAuth: return "auth";
    case QuitAfter::kMail: return "mail";
    case QuitAfter::kRcpt: return "rcpt";
  }
  return "";
}

absl::StatusOr<QuitAfter> ParseQuitAfter(absl::string_view text) {
  const std::string v = absl::AsciiStrToLower(text);
  if (v == "connect") return QuitAfter::kConnect;
  if (v == "greeting" || v == "banner") return QuitAfter::kGreeting;
  if (v == "ehlo" || v == "helo" || v == "lhlo" || v == "first-helo") {
    return QuitAfter::kEhlo;
  }
  if (v == "tls" || v == "starttls") return QuitAfter::kTls;
  if (v == "auth") return QuitAfter::kAuth;
  if (v == "mail" || v == "from") return QuitAfter::kMail;
  if (v == "rcpt" || v == "to") return QuitAfter::kRcpt;
  return Usage(absl::StrCat(
      "--quit-after must be connect, greeting, ehlo, tls, auth, mail or "
      "rcpt, not '",
      text, "'"));
}

absl::Span<const FlagSpec> ReachFlagSpecs() { return kReachFlags; }

absl::Status ParseReachFlags(const ParsedFlags& f, absl::string_view unix_path,
                             bool with_quit_after, ReachFlags* out) {
  out->lmtp = f.has("lmtp");
  if (f.has("proxy")) {
    absl::StatusOr<ProxyConfig> proxy = ParseProxyUrl(f.value("proxy"));
    if (!proxy.ok()) {
      return Usage(absl::StrCat("--proxy: ", proxy.status().message()));
    }
    out->proxy = *std::move(proxy);
    out->proxy_display = out->proxy.ToString();
  }
  if (f.has("local-address")) {
    out->local_address = f.value("local-address");
    if (!IsNumericIp(out->local_address)) {
      return Usage(absl::StrCat("--local-address must be a numeric IP, not '",
                                out->local_address, "'"));
    }
  }
  if (!unix_path.empty() &&
      (out->proxy.enabled() || !out->local_address.empty())) {
    return Usage(
        "--proxy and --local-address do not go with --server unix:PATH");
  }
  if (with_quit_after && f.has("quit-after")) {
    absl::StatusOr<QuitAfter> q = ParseQuitAfter(f.value("quit-after"));
    if (!q.ok()) return q.status();
    out->quit_after = *q;
  }
  return absl::OkStatus();
}

void ApplyReachFlags(const ReachFlags& flags, absl::string_view unix_path,
                     ClientOptions* options) {
  options->unix_socket = std::string(unix_path);
  options->local_address = flags.local_address;
  options->proxy = flags.proxy;
  options->session.lmtp = flags.lmtp;
}

}  // namespace cli
}  // namespace smtpcore
