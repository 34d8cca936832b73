#include "transports/common/pool_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/delivery.h"
#include "core/errors.h"

namespace smtpcore {

absl::string_view RetireReasonName(RetireReason reason) {
  switch (reason) {
    case RetireReason::kNone:
      return "none";
    case RetireReason::kServiceClosing:
      return "service-closing";
    case RetireReason::kFailed:
      return "failed";
    case RetireReason::kMaxMessages:
      return "max-messages";
    case RetireReason::kIdle:
      return "idle";
  }
  return "none";
}

RetireReason RetireAfterMessage(const PoolPolicyOptions& options,
                                const ConnectionFacts& facts) {
  if (facts.got_421) return RetireReason::kServiceClosing;
  if (!facts.usable) return RetireReason::kFailed;
  if (options.max_messages_per_connection > 0 &&
      facts.messages >= options.max_messages_per_connection) {
    return RetireReason::kMaxMessages;
  }
  return RetireReason::kNone;
}

absl::optional<Instant> IdleDeadline(const PoolPolicyOptions& options,
                                     const ConnectionFacts& facts) {
  if (!facts.idle || options.idle_timeout <= absl::ZeroDuration()) {
    return absl::nullopt;
  }
  return facts.idle_since + options.idle_timeout;
}

RetireReason RetireIfIdle(const PoolPolicyOptions& options,
                          const ConnectionFacts& facts, Instant now) {
  absl::optional<Instant> due = IdleDeadline(options, facts);
  return due.has_value() && now >= *due ? RetireReason::kIdle
                                        : RetireReason::kNone;
}

bool IsServiceClosing(const SmtpError& error) {
  return error.code == 421 || error.cause == ErrorDetail::kServiceClosing;
}

namespace {

bool AtGreetingOrLogin(CommandKind command) {
  switch (command) {
    case CommandKind::kGreeting:
    case CommandKind::kEhlo:
    case CommandKind::kHelo:
    case CommandKind::kLhlo:
    case CommandKind::kAuth:
      return true;
    default:
      return false;
  }
}

bool LineSaysTooMany(absl::string_view line) {
  return absl::StrContains(absl::AsciiStrToLower(line), "too many");
}

bool SaysTooMany(const SmtpError& error) {
  if (LineSaysTooMany(error.first_line)) return true;
  for (const std::string& line : error.further_lines) {
    if (LineSaysTooMany(line)) return true;
  }
  return false;
}

}  // namespace

bool IsTooManyConnections(const SmtpError& error) {
  if (error.permanent || !AtGreetingOrLogin(error.command)) return false;
  switch (error.code) {
    case 421:
    case 454:
      if (error.enhanced.has_value() && error.enhanced->klass == 4 &&
          ((error.enhanced->subject == 7 && error.enhanced->detail == 0) ||
           (error.enhanced->subject == 3 && error.enhanced->detail == 2))) {
        return true;
      }
      return SaysTooMany(error);
    case 450:
    case 451:
    case 452:
      return SaysTooMany(error);
    default:
      return false;
  }
}

bool RetryAllowed(const DeliveryOutcome& outcome, int attempts) {
  if (outcome.ok() || attempts != 1) return false;
  const SmtpError& error = *outcome.error;
  if (error.permanent) return false;
  switch (error.cause) {
    case ErrorDetail::kServiceClosing:
    case ErrorDetail::kConnectionClosed:
    case ErrorDetail::kIo:
    case ErrorDetail::kTimeout:
    case ErrorDetail::kBroken:
    case ErrorDetail::kClosed:
      break;
    default:
      return false;
  }
  for (const RecipientResult& r : outcome.result.recipients) {
    switch (r.status) {
      case RecipientStatus::kDelivered:
      case RecipientStatus::kRejected:
      case RecipientStatus::kUnknown:
        return false;
      case RecipientStatus::kPending:
      case RecipientStatus::kDeferred:
        break;
    }
  }
  return true;
}

DestinationConcurrency::DestinationConcurrency(
    const PoolPolicyOptions& options)
    : max_(std::max(1, options.max_connections)),
      backoff_(options.busy_backoff) {}

void DestinationConcurrency::OnTooMany(int working, Instant now) {
  if (backoff_ <= absl::ZeroDuration()) return;
  int to = std::clamp(working, 0, max_);
  if (lowered(now)) to = std::min(to, lowered_to_);
  lowered_to_ = to;
  until_ = now + backoff_;
}

int DestinationConcurrency::Limit(Instant now) const {
  return lowered(now) ? lowered_to_ : max_;
}

bool DestinationConcurrency::lowered(Instant now) const {
  return until_.has_value() && now < *until_;
}

}  // namespace smtpcore
