#include "core/service_reply.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace smtpcore {

std::vector<std::string> ReplyLineTexts(const ReplyView& reply) {
  std::vector<std::string> out;
  for (absl::string_view line : reply.lines()) {
    EnhancedCode code;
    size_t used = 0;
    // Only a code of the reply's own class is an enhanced code (RFC 3463
    // §2); "2.0 beta" in a help text is text.
    if (ParseEnhancedCode(line, &code, &used) &&
        code.klass == reply.code() / 100) {
      line.remove_prefix(used);
    }
    out.emplace_back(line);
  }
  return out;
}

absl::optional<MailboxEntry> ParseMailboxEntry(absl::string_view text) {
  MailboxEntry entry;
  entry.text = std::string(text);
  size_t open = text.find('<');
  if (open != absl::string_view::npos) {
    size_t close = text.find('>', open + 1);
    if (close == absl::string_view::npos) return absl::nullopt;
    entry.name = std::string(absl::StripAsciiWhitespace(text.substr(0, open)));
    entry.mailbox = std::string(text.substr(open + 1, close - open - 1));
    return entry;
  }
  absl::string_view word = absl::StripAsciiWhitespace(text);
  if (word.empty() || word.find(' ') != absl::string_view::npos ||
      word.find('@') == absl::string_view::npos) {
    return absl::nullopt;
  }
  entry.mailbox = std::string(word);
  return entry;
}

absl::string_view LookupOutcomeName(LookupOutcome outcome) {
  switch (outcome) {
    case LookupOutcome::kFound: return "found";
    case LookupOutcome::kWillForward: return "will_forward";
    case LookupOutcome::kCannotVerify: return "cannot_verify";
    case LookupOutcome::kNotFound: return "not_found";
    case LookupOutcome::kNotLocal: return "not_local";
    case LookupOutcome::kAmbiguous: return "ambiguous";
    case LookupOutcome::kNotImplemented: return "not_implemented";
    case LookupOutcome::kTemporary: return "temporary";
    case LookupOutcome::kRefused: return "refused";
  }
  return "unknown";
}

LookupResult ParseLookupReply(const ReplyView& reply) {
  LookupResult result;
  const int code = reply.code();
  switch (code) {
    case 250: result.outcome = LookupOutcome::kFound; break;
    case 251: result.outcome = LookupOutcome::kWillForward; break;
    case 252: result.outcome = LookupOutcome::kCannotVerify; break;
    case 550: result.outcome = LookupOutcome::kNotFound; break;
    case 551: result.outcome = LookupOutcome::kNotLocal; break;
    case 553: result.outcome = LookupOutcome::kAmbiguous; break;
    case 500:
    case 502: result.outcome = LookupOutcome::kNotImplemented; break;
    default:
      result.outcome = code >= 400 && code < 500 ? LookupOutcome::kTemporary
                                                 : LookupOutcome::kRefused;
      break;
  }
  switch (result.outcome) {
    case LookupOutcome::kFound:
    case LookupOutcome::kWillForward:
    case LookupOutcome::kNotLocal:
    case LookupOutcome::kAmbiguous:
      for (const std::string& text : ReplyLineTexts(reply)) {
        if (absl::optional<MailboxEntry> e = ParseMailboxEntry(text)) {
          result.entries.push_back(*std::move(e));
        }
      }
      break;
    default:
      break;
  }
  return result;
}

absl::string_view HelpOutcomeName(HelpOutcome outcome) {
  switch (outcome) {
    case HelpOutcome::kHelp: return "help";
    case HelpOutcome::kNotImplemented: return "not_implemented";
    case HelpOutcome::kUnknownTopic: return "unknown_topic";
    case HelpOutcome::kTemporary: return "temporary";
    case HelpOutcome::kRefused: return "refused";
  }
  return "unknown";
}

HelpResult ParseHelpReply(const ReplyView& reply) {
  HelpResult result;
  const int code = reply.code();
  if (code >= 200 && code < 300) {
    result.outcome = HelpOutcome::kHelp;
  } else if (code == 500 || code == 502) {
    result.outcome = HelpOutcome::kNotImplemented;
  } else if (code == 504) {
    result.outcome = HelpOutcome::kUnknownTopic;
  } else if (code >= 400 && code < 500) {
    result.outcome = HelpOutcome::kTemporary;
  } else {
    result.outcome = HelpOutcome::kRefused;
  }
  result.lines = ReplyLineTexts(reply);
  return result;
}

absl::string_view EtrnOutcomeName(EtrnOutcome outcome) {
  switch (outcome) {
    case EtrnOutcome::kQueueStarted: return "queue_started";
    case EtrnOutcome::kNoMessages: return "no_messages";
    case EtrnOutcome::kPendingStarted: return "pending_started";
    case EtrnOutcome::kPendingCount: return "pending_count";
    case EtrnOutcome::kUnableToQueue: return "unable_to_queue";
    case EtrnOutcome::kNodeNotAllowed: return "node_not_allowed";
    case EtrnOutcome::kSyntaxError: return "syntax_error";
    case EtrnOutcome::kNotImplemented: return "not_implemented";
    case EtrnOutcome::kTemporary: return "temporary";
    case EtrnOutcome::kRefused: return "refused";
    case EtrnOutcome::kNotOffered: return "not_offered";
  }
  return "unknown";
}

EtrnResult ParseEtrnReply(const ReplyView& reply) {
  EtrnResult result;
  const int code = reply.code();
  switch (code) {
    case 250: result.outcome = EtrnOutcome::kQueueStarted; break;
    case 251: result.outcome = EtrnOutcome::kNoMessages; break;
    case 252: result.outcome = EtrnOutcome::kPendingStarted; break;
    case 253: result.outcome = EtrnOutcome::kPendingCount; break;
    case 458: result.outcome = EtrnOutcome::kUnableToQueue; break;
    case 459: result.outcome = EtrnOutcome::kNodeNotAllowed; break;
    case 500:
    case 501: result.outcome = EtrnOutcome::kSyntaxError; break;
    case 502: result.outcome = EtrnOutcome::kNotImplemented; break;
    default:
      result.outcome = code >= 400 && code < 500 ? EtrnOutcome::kTemporary
                                                 : EtrnOutcome::kRefused;
      break;
  }
  if (result.outcome == EtrnOutcome::kPendingCount) {
    // "OK, <n> pending messages for node <x> started": the first word that
    // is a number.
    for (absl::string_view word :
         absl::StrSplit(reply.message(), ' ', absl::SkipEmpty())) {
      uint64_t n = 0;
      if (absl::SimpleAtoi(word, &n)) {
        result.pending_messages = n;
        break;
      }
    }
  }
  return result;
}

}  // namespace smtpcore
