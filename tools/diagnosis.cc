#include "tools/diagnosis.h"

#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace cli {
namespace {

bool Is(const absl::optional<EnhancedCode>& e, int klass, int subject,
        int detail) {
  return e.has_value() && e->klass == klass && e->subject == subject &&
         e->detail == detail;
}

}  // namespace

std::string ExplainReply(int code,
                         const absl::optional<EnhancedCode>& enhanced) {
  if (Is(enhanced, 5, 7, 139) || Is(enhanced, 5, 7, 57)) {
    return "the provider has disabled basic authentication (password AUTH) "
           "for this account: sign in with OAuth 2.0 instead (--oauth-token, "
           "or oauth_token_eval in the profile)";
  }
  if (Is(enhanced, 5, 7, 8)) {
    return "the user name or password is wrong; providers with two-step "
           "sign-in (Gmail, iCloud, Yahoo, Outlook) need an app password "
           "here, not the account password";
  }
  if (Is(enhanced, 5, 7, 9)) {
    return "the provider wants an app password (or a stronger AUTH "
           "mechanism) for this account: create one in the account's "
           "security settings";
  }
  if (code == 530 && (Is(enhanced, 5, 7, 0) || !enhanced.has_value())) {
    return "the server wants STARTTLS or AUTH before mail: use --tls "
           "starttls and --user with a password (or a profile that has "
           "them)";
  }
  if ((code == 421 || code == 432 || code == 454) &&
      (Is(enhanced, 4, 7, 0) || Is(enhanced, 4, 4, 5) ||
       Is(enhanced, 4, 3, 2))) {
    return "the server is throttling this client: retry later, with fewer "
           "connections at a time (smtpc bulk: lower --concurrency)";
  }
  return "";
}

std::string DiagnoseError(const SmtpError& error, uint16_t port,
                          bool implicit_tls) {
  if (error.cause == ErrorDetail::kTlsPeerPlaintext) {
    return absl::StrCat(
        "the server answered in plaintext SMTP, so port ", port,
        " does not use implicit TLS: use --tls starttls (usually port 587)");
  }
  if (error.cause == ErrorDetail::kTlsPeerExpectsTls) {
    return absl::StrCat("port ", port,
                        " seems to expect TLS from the first byte (implicit "
                        "TLS, RFC 8314): use --tls implicit");
  }
  if (error.cause == ErrorDetail::kTimeout &&
      error.command == CommandKind::kGreeting && !implicit_tls) {
    return absl::StrCat("no greeting from port ", port,
                        ": if it uses implicit TLS (like 465), use --tls "
                        "implicit");
  }
  if (error.command == CommandKind::kMailFrom && error.code == 0 &&
      (error.cause == ErrorDetail::kInvalidArgument ||
       error.cause == ErrorDetail::kControlCharacter ||
       error.cause == ErrorDetail::kLineTooLong)) {
    // Refused locally before MAIL was sent (core/command.h validation).
    return "the sender address is malformed, so MAIL FROM was not sent and "
           "the recipients were not sent; check --from (or the profile's "
           "from)";
  }
  if (error.command == CommandKind::kMailFrom && error.code >= 400) {
    std::string out =
        "the server refused the sender (MAIL FROM): the recipients were not "
        "sent; check --from (or the profile's from) and that this account "
        "may send as it";
    const std::string more = ExplainReply(error.code, error.enhanced);
    if (!more.empty()) absl::StrAppend(&out, "; ", more);
    return out;
  }
  return ExplainReply(error.code, error.enhanced);
}

}  // namespace cli
}  // namespace smtpcore
