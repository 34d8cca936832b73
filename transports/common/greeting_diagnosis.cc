#include "transports/common/greeting_diagnosis.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/smtp_error.h"
#include "transports/common/transport_error.h"

namespace smtpcore {

bool LooksLikeTlsRecord(absl::string_view bytes) {
  if (bytes.size() < 2) return false;
  const unsigned char type = static_cast<unsigned char>(bytes[0]);
  const unsigned char major = static_cast<unsigned char>(bytes[1]);
  return (type == 0x16 || type == 0x15) && major == 0x03;
}

bool ExpectsImplicitTls(const ClientOptions& options) {
  if (!options.unix_socket.empty()) return false;
  if (options.session.tls_mode == TlsMode::kImplicit) return false;
  const uint16_t port = EffectivePort(options);
  return std::find(options.implicit_tls_ports.begin(),
                   options.implicit_tls_ports.end(),
                   port) != options.implicit_tls_ports.end();
}

void ApplyImplicitTlsGreetingWindow(ClientOptions* options) {
  if (!ExpectsImplicitTls(*options)) return;
  options->session.timeouts.greeting =
      std::min(options->session.timeouts.greeting,
               options->implicit_tls_greeting_window);
}

void GreetingPrefix::Record(absl::string_view bytes) {
  const size_t n = std::min(kSize - size_, bytes.size());
  std::copy_n(bytes.data(), n, bytes_ + size_);
  size_ += n;
}

absl::Status DiagnoseGreetingFailure(const absl::Status& status,
                                     const ClientOptions& options,
                                     const GreetingPrefix& prefix) {
  if (status.ok()) return status;
  if (options.session.tls_mode != TlsMode::kImplicit &&
      LooksLikeTlsRecord(prefix.view())) {
    SmtpError out = TransportError(
        ErrorDetail::kTlsPeerExpectsTls,
        absl::StrCat("the server on port ", EffectivePort(options),
                     " answered with TLS bytes, not an SMTP greeting: the "
                     "port expects implicit TLS (RFC 8314)"));
    out.permanent = true;
    return out.ToStatus();
  }
  if (ExpectsImplicitTls(options)) {
    return DiagnoseSilentImplicitTlsPort(status, EffectivePort(options));
  }
  return status;
}

}  // namespace smtpcore
