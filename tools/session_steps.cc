#include "tools/session_steps.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/errors.h"
#include "transports/common/transport_error.h"
#include "transports/socket/socket_transport.h"
#include "tools/step_client.h"

namespace smtpcore {
namespace cli {
namespace {

// Walker holds the state of one RunSteps call.
class Walker {
 public:
  Walker(const ClientOptions& options, const StepsPlan& plan)
      : options_(options), plan_(plan) {}

  StepsOutcome Run() {
    Walk();
    if (client_ != nullptr) {
      if (usable_) {
        const Instant start = MonotonicNow();
        absl::StatusOr<Reply> quit = client_->Quit();
        StepRecord r;
        r.name = "quit";
        r.elapsed = MonotonicNow() - start;
        if (quit.ok()) r.reply = *quit;
        out_.steps.push_back(std::move(r));
      } else {
        client_->Close();
      }
    }
    if (out_.error.has_value() && out_.exit == ExitStatus::kOk) {
      out_.exit = ExitStatusForError(*out_.error);
    }
    return std::move(out_);
  }

 private:
  // Record adds a step; returns false (and sets the error: `cause` for a
  // refusing reply) when `result` is an error or a reply that is not 2xx.
  bool Record(absl::string_view name, Instant start,
              const absl::StatusOr<Reply>& result, CommandKind command,
              ErrorDetail cause = ErrorDetail::kRejected) {
    StepRecord r;
    r.name = std::string(name);
    r.elapsed = MonotonicNow() - start;
    if (!result.ok()) {
      r.ok = false;
      out_.steps.push_back(std::move(r));
      SmtpError e = ErrorFromStatus(result.status());
      out_.error = std::move(e);
      usable_ = false;
      return false;
    }
    r.reply = *result;
    const bool positive = result->view().is_positive();
    r.ok = positive;
    out_.steps.push_back(std::move(r));
    if (!positive) {
      out_.error = SmtpError::FromReply(command, result->view(), cause);
      if (result->code() == 421) usable_ = false;
      return false;
    }
    return true;
  }

  // RecordStatus adds a step without a reply (connect, a handshake).
  bool RecordStatus(absl::string_view name, Instant start,
                    const absl::Status& status) {
    StepRecord r;
    r.name = std::string(name);
    r.elapsed = MonotonicNow() - start;
    r.ok = status.ok();
    out_.steps.push_back(std::move(r));
    if (status.ok()) return true;
    out_.error = ErrorFromStatus(status);
    usable_ = false;
    return false;
  }

  void Fail(SmtpError error) {
    out_.error = std::move(error);
  }

  bool Stop(QuitAfter stage) const {
    return plan_.stop != QuitAfter::kNone && plan_.stop <= stage;
  }

  void Walk() {
    Instant start = MonotonicNow();
    absl::StatusOr<std::unique_ptr<StepClient>> client =
        StepClient::Dial(options_);
    if (!RecordStatus("connect", start, client.status())) return;
    client_ = *std::move(client);
    usable_ = true;
    out_.peer = options_.unix_socket.empty()
                    ? client_->peer().ToString()
                    : absl::StrCat("unix:", options_.unix_socket);

    if (plan_.tls == TlsChoice::kImplicit) {
      start = MonotonicNow();
      absl::Status s = client_->StartImplicitTls();
      if (!RecordStatus("tls", start, s)) return;
      if (client_->tls_info() != nullptr) out_.tls = *client_->tls_info();
    }

    start = MonotonicNow();
    absl::StatusOr<Reply> greeting = client_->Greeting();
    if (greeting.ok()) out_.banner = *greeting;
    if (!Record("greeting", start, greeting, CommandKind::kGreeting)) return;
    // swaks: "connect" and "banner" are the same stop.
    if (Stop(QuitAfter::kGreeting)) return;

    if (!Hello("ehlo")) return;
    out_.capabilities_before_tls = client_->capabilities();
    if (Stop(QuitAfter::kEhlo)) return;

    const bool offered = client_->capabilities().starttls();
    if (plan_.tls == TlsChoice::kStartTls && !offered) {
      Fail(TransportError(ErrorDetail::kNeedsStartTls,
                          "the server does not offer STARTTLS (--tls "
                          "starttls)"));
      return;
    }
    if (plan_.tls == TlsChoice::kStartTls ||
        (plan_.tls == TlsChoice::kOpportunistic && offered)) {
      start = MonotonicNow();
      absl::StatusOr<Reply> tls = client_->StartTls();
      if (tls.ok() && tls->code() != 220 && tls->code() != 421 &&
          plan_.tls == TlsChoice::kOpportunistic) {
        // Opportunistic: a refused STARTTLS leaves the session in plaintext
        // (RFC 3207 §4: the client may go on without TLS).
        StepRecord r;
        r.name = "starttls";
        r.elapsed = MonotonicNow() - start;
        r.reply = *tls;
        r.ok = false;
        out_.steps.push_back(std::move(r));
      } else if (!tls.ok() || tls->code() != 220) {
        Record("starttls", start, tls, CommandKind::kStartTls);
        if (tls.ok()) {
          out_.steps.back().ok = false;
          out_.error = SmtpError::FromReply(CommandKind::kStartTls,
                                            tls->view());
        }
        return;
      } else {
        Record("starttls", start, tls, CommandKind::kStartTls);
        if (client_->tls_info() != nullptr) out_.tls = *client_->tls_info();
        if (!Hello("ehlo_tls")) return;
        out_.capabilities_after_tls = client_->capabilities();
      }
    }
    if (Stop(QuitAfter::kTls)) return;

    if (options_.session.auth) {
      std::unique_ptr<SaslMechanism> mechanism = options_.session.auth(
          client_->capabilities(), client_->tls_info());
      if (mechanism == nullptr) {
        std::string what = "no usable SASL mechanism";
        if (plan_.auth_note != nullptr && !plan_.auth_note->empty()) {
          what = absl::StrCat(what, ": ", *plan_.auth_note);
        }
        Fail(TransportError(ErrorDetail::kNeedsAuth, what));
        return;
      }
      out_.auth_mechanism = std::string(mechanism->name());
      start = MonotonicNow();
      absl::StatusOr<Reply> auth = client_->Authenticate(std::move(mechanism));
      if (auth.ok()) out_.auth_reply = *auth;
      if (!Record("auth", start, auth, CommandKind::kAuth,
                  ErrorDetail::kAuthFailed)) {
        return;
      }
    }
    if (Stop(QuitAfter::kAuth)) return;

    MailFrom mail;
    mail.reverse_path = plan_.from;
    start = MonotonicNow();
    if (!Record("mail", start, client_->Mail(std::move(mail)),
                CommandKind::kMailFrom)) {
      return;
    }
    if (Stop(QuitAfter::kMail)) return;

    for (const std::string& to : plan_.to) {
      RcptTo rcpt;
      rcpt.forward_path = to;
      start = MonotonicNow();
      absl::StatusOr<Reply> reply = client_->Rcpt(std::move(rcpt));
      if (reply.ok()) out_.rcpt_replies.push_back(*reply);
      if (!Record("rcpt", start, reply, CommandKind::kRcptTo)) return;
    }
  }

  bool Hello(absl::string_view name) {
    const Instant start = MonotonicNow();
    absl::StatusOr<Reply> hello = client_->Hello();
    std::string step(name);
    if (options_.session.lmtp) {
      step = name == "ehlo" ? "lhlo" : "lhlo_tls";
    }
    return Record(step, start, hello,
                  options_.session.lmtp ? CommandKind::kLhlo
                                        : CommandKind::kEhlo);
  }

  const ClientOptions& options_;
  const StepsPlan& plan_;
  std::unique_ptr<StepClient> client_;
  bool usable_ = false;
  StepsOutcome out_;
};

}  // namespace

StepsOutcome RunSteps(const ClientOptions& options, const StepsPlan& plan) {
  return Walker(options, plan).Run();
}

}  // namespace cli
}  // namespace smtpcore
