// Service replies: the typed results of the commands a `Session` runs for
// its caller outside any mail transaction (core/session.h): VRFY and EXPN
// (RFC 5321 §3.5, §4.1.1.6, §4.1.1.7), HELP (§4.1.1.8) and ETRN (RFC 1985).
// Pure functions of the server's reply: no connection, no state.
//
// VRFY and EXPN reply codes (RFC 5321 §3.5.1-§3.5.3, §4.2.2) and their
// `LookupOutcome`:
//   250  kFound          the address is valid; VRFY: one mailbox, EXPN: one
//                        line per member of the list ("User Name <box>" or
//                        "<box>")
//   251  kWillForward    "User not local; will forward to <forward-path>":
//                        the server will take the mail and forward it
//   252  kCannotVerify   "Cannot VRFY user, but will accept message and
//                        attempt delivery" (§3.5.3): no answer either way,
//                        the usual reply of servers that disable VRFY
//   550  kNotFound       no such mailbox (or, for EXPN, not a list)
//   551  kNotLocal       "User not local; please try <forward-path>": send
//                        to that address instead
//   553  kAmbiguous      several mailboxes match; the possibilities, when
//                        listed, are the entries (§3.5.1)
//   500, 502  kNotImplemented  the command is not recognised or disabled
//   other 4xx  kTemporary, other 5xx  kRefused (501 syntax, 504, ...)
//
// ETRN reply codes (RFC 1985 §5) and their `EtrnOutcome`:
//   250  kQueueStarted    "OK, queuing for node <x> started"
//   251  kNoMessages      "OK, no messages waiting for node <x>"
//   252  kPendingStarted  "OK, pending messages for node <x> started"
//   253  kPendingCount    "OK, <n> pending messages for node <x> started"
//                         (`pending_messages` is n when the text has it)
//   458  kUnableToQueue   "Unable to queue messages for node <x>"
//   459  kNodeNotAllowed  "Node <x> not allowed: <reason>"
//   500, 501  kSyntaxError  "Syntax Error" / "Syntax Error in Parameters"
//   502  kNotImplemented
//   other 4xx  kTemporary, other 5xx  kRefused
//   (no reply) kNotOffered  the server did not list ETRN in its EHLO
//                           reply, so the session did not send it
//
// HELP replies (RFC 5321 §4.1.1.8, §4.2.2): 211 system status, 214 help
// text (the lines are the result), 500/502 not implemented, 504 no help on
// that topic.

#ifndef SMTP_CORE_SERVICE_REPLY_H_
#define SMTP_CORE_SERVICE_REPLY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/reply.h"

namespace smtpcore {

// RequestId identifies one Session::Vrfy/Expn/Help/Etrn call; ids start at
// 1 and increase by one per accepted call on a session; 0 is never used.
using RequestId = uint64_t;

// MailboxEntry is one line of a VRFY or EXPN reply naming a mailbox, e.g.
// "Fred Smith <fred@example.org>" (RFC 5321 §3.5.2). Owns its strings.
struct MailboxEntry {
  // text is the line's text without the enhanced status code.
  std::string text;
  // name is the text before the '<', trimmed: a user name in 250 and 553
  // lines ("Fred Smith"), the server's words in 251/551 lines; may be "".
  std::string name;
  // mailbox is what is between '<' and '>', or the whole text when it is a
  // single word containing '@' (servers that omit the brackets).
  std::string mailbox;
};

// ParseMailboxEntry reads one line's `text` (enhanced code already
// removed). Returns nullopt when the line names no mailbox (e.g.
// "Ambiguous; Possibilities are"). Never fails otherwise.
absl::optional<MailboxEntry> ParseMailboxEntry(absl::string_view text);

// LookupOutcome is what a VRFY or EXPN reply says (see the file comment).
enum class LookupOutcome : uint8_t {
  kFound,           // 250
  kWillForward,     // 251
  kCannotVerify,    // 252
  kNotFound,        // 550
  kNotLocal,        // 551
  kAmbiguous,       // 553
  kNotImplemented,  // 500, 502
  kTemporary,       // other 4xx
  kRefused,         // other 5xx
};

// LookupOutcomeName returns "found", "will_forward", "cannot_verify",
// "not_found", "not_local", "ambiguous", "not_implemented", "temporary" or
// "refused".
absl::string_view LookupOutcomeName(LookupOutcome outcome);

// LookupResult is the typed result of VRFY or EXPN. A value type.
struct LookupResult {
  LookupOutcome outcome = LookupOutcome::kRefused;
  // entries are the reply's lines that name a mailbox, in order: the
  // mailbox (VRFY 250), the list members (EXPN 250), the forward-path (251,
  // 551), the possibilities (553). Empty for the other outcomes.
  std::vector<MailboxEntry> entries;
};

// ParseLookupReply classifies a VRFY or EXPN `reply` and parses its
// entries. Never fails.
LookupResult ParseLookupReply(const ReplyView& reply);

// HelpOutcome is what a HELP reply says.
enum class HelpOutcome : uint8_t {
  kHelp,            // 2xx (211 system status, 214 help message)
  kNotImplemented,  // 500, 502
  kUnknownTopic,    // 504 (no help on the argument)
  kTemporary,       // other 4xx
  kRefused,         // other 5xx
};

// HelpOutcomeName returns "help", "not_implemented", "unknown_topic",
// "temporary" or "refused".
absl::string_view HelpOutcomeName(HelpOutcome outcome);

// HelpResult is the typed result of HELP. A value type.
struct HelpResult {
  HelpOutcome outcome = HelpOutcome::kRefused;
  // lines are the text of every reply line, enhanced codes removed.
  std::vector<std::string> lines;
};

// ParseHelpReply classifies a HELP `reply` and keeps its lines. Never fails.
HelpResult ParseHelpReply(const ReplyView& reply);

// EtrnOutcome is what an ETRN reply says (see the file comment).
enum class EtrnOutcome : uint8_t {
  kQueueStarted,     // 250
  kNoMessages,       // 251
  kPendingStarted,   // 252
  kPendingCount,     // 253
  kUnableToQueue,    // 458
  kNodeNotAllowed,   // 459
  kSyntaxError,      // 500, 501
  kNotImplemented,   // 502
  kTemporary,        // other 4xx
  kRefused,          // other 5xx
  kNotOffered,       // not sent: the server does not list ETRN
};

// EtrnOutcomeName returns "queue_started", "no_messages",
// "pending_started", "pending_count", "unable_to_queue",
// "node_not_allowed", "syntax_error", "not_implemented", "temporary",
// "refused" or "not_offered".
absl::string_view EtrnOutcomeName(EtrnOutcome outcome);

// EtrnResult is the typed result of ETRN. A value type.
struct EtrnResult {
  EtrnOutcome outcome = EtrnOutcome::kRefused;
  // pending_messages is <n> of a 253 reply, when its text has a number.
  absl::optional<uint64_t> pending_messages;
};

// ParseEtrnReply classifies an ETRN `reply`. Never fails.
EtrnResult ParseEtrnReply(const ReplyView& reply);

// ReplyLineTexts returns the text of each line of `reply` with its RFC 3463
// enhanced code removed (RFC 2034 §4 prefixes every line when the first
// has one). Never fails.
std::vector<std::string> ReplyLineTexts(const ReplyView& reply);

}  // namespace smtpcore

#endif  // SMTP_CORE_SERVICE_REPLY_H_
