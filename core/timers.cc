#include "core/timers.h"

namespace smtpcore {

absl::string_view TimerStageName(TimerStage stage) {
  switch (stage) {
    case TimerStage::kNone: return "none";
    case TimerStage::kGreeting: return "greeting";
    case TimerStage::kMail: return "mail";
    case TimerStage::kRcpt: return "rcpt";
    case TimerStage::kDataInit: return "data_init";
    case TimerStage::kDataBlock: return "data_block";
    case TimerStage::kDataTermination: return "data_termination";
    case TimerStage::kTlsHandshake: return "tls_handshake";
    case TimerStage::kAuth: return "auth";
    case TimerStage::kOther: return "other";
  }
  return "unknown";
}

Duration Timeouts::For(TimerStage stage) const {
  switch (stage) {
    case TimerStage::kNone: return absl::InfiniteDuration();
    case TimerStage::kGreeting: return greeting;
    case TimerStage::kMail: return mail;
    case TimerStage::kRcpt: return rcpt;
    case TimerStage::kDataInit: return data_init;
    case TimerStage::kDataBlock: return data_block;
    case TimerStage::kDataTermination: return data_termination;
    case TimerStage::kTlsHandshake: return tls_handshake;
    case TimerStage::kAuth: return auth;
    case TimerStage::kOther: return other;
  }
  return other;
}

TimerStage StageForReply(CommandKind kind) {
  switch (kind) {
    case CommandKind::kGreeting: return TimerStage::kGreeting;
    case CommandKind::kMailFrom: return TimerStage::kMail;
    case CommandKind::kRcptTo: return TimerStage::kRcpt;
    case CommandKind::kData: return TimerStage::kDataInit;
    case CommandKind::kBdat: return TimerStage::kDataTermination;
    case CommandKind::kAuth: return TimerStage::kAuth;
    default: return TimerStage::kOther;
  }
}

absl::optional<Instant> StageTimer::Deadline(const Timeouts& timeouts) const {
  if (stage_ == TimerStage::kNone) return absl::nullopt;
  Duration limit = timeouts.For(stage_);
  if (limit <= absl::ZeroDuration() || limit == absl::InfiniteDuration()) {
    return absl::nullopt;
  }
  return since_ + limit;
}

bool StageTimer::Expired(const Timeouts& timeouts, Instant now) const {
  absl::optional<Instant> deadline = Deadline(timeouts);
  return deadline.has_value() && now >= *deadline;
}

}  // namespace smtpcore
