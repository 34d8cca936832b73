#include "tests/session_checker.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/dot_stuffer_test_util.h"
#include "transports/testing/escape_bytes.h"

namespace smtpcore {
namespace internal {
namespace {

// kMaxLine is the longest command line, CRLF included (RFC 5321
// §4.5.3.1.4); AUTH continuation lines may be longer (RFC 4954 §4).
constexpr size_t kMaxLine = 512;
constexpr size_t kMaxAuthLine = 12288;

// GroupEnd: commands after which nothing may be sent before their reply
// (core/connection.h rule 3).
bool GroupEnd(CommandKind kind) {
  switch (kind) {
    case CommandKind::kMailFrom:
    case CommandKind::kRcptTo:
    case CommandKind::kRset:
    case CommandKind::kBdat:
      return false;
    default:
      return true;
  }
}

// VerbKind maps a command line to its kind; false for an unknown verb.
bool VerbKind(absl::string_view line, CommandKind* kind) {
  std::string upper = absl::AsciiStrToUpper(line.substr(0, 10));
  absl::string_view u = upper;
  struct Verb {
    absl::string_view prefix;
    CommandKind kind;
  };
  static constexpr Verb kVerbs[] = {
      {"EHLO ", CommandKind::kEhlo},      {"HELO ", CommandKind::kHelo},
      {"MAIL FROM:", CommandKind::kMailFrom},
      {"RCPT TO:", CommandKind::kRcptTo}, {"BDAT ", CommandKind::kBdat},
      {"AUTH ", CommandKind::kAuth},      {"VRFY ", CommandKind::kVrfy},
      {"EXPN ", CommandKind::kExpn},      {"ETRN ", CommandKind::kEtrn},
  };
  for (const Verb& v : kVerbs) {
    if (absl::StartsWith(u, v.prefix)) {
      *kind = v.kind;
      return true;
    }
  }
  static constexpr Verb kAlone[] = {
      {"STARTTLS", CommandKind::kStartTls}, {"DATA", CommandKind::kData},
      {"RSET", CommandKind::kRset},         {"NOOP", CommandKind::kNoop},
      {"QUIT", CommandKind::kQuit},         {"HELP", CommandKind::kHelp},
  };
  for (const Verb& v : kAlone) {
    if (upper == v.prefix || absl::StartsWith(u, absl::StrCat(v.prefix, " "))) {
      *kind = v.kind;
      return true;
    }
  }
  return false;
}

// Decoded returns the body as it must arrive: line endings repaired and a
// final CRLF added to an unterminated last line (core/dot_stuffer.h).
std::string Decoded(absl::string_view body) {
  std::string out = test_util::RefNormalize(body);
  if (!out.empty() && !absl::EndsWith(out, "\r\n")) out.append("\r\n");
  return out;
}

bool Positive(int code) { return code >= 200 && code < 300; }

}  // namespace

void SessionChecker::Fail(std::string what) {
  if (!violation_.empty()) return;
  violation_ = absl::StrCat(what, " (client wire offset ", wire_offset_, ")");
}

void SessionChecker::ExpectBody(absl::string_view body) {
  bodies_.insert(Decoded(body));
  raw_bodies_.insert(std::string(body));  // BINARYMIME: BDAT passes it as is
}

void SessionChecker::OnDeliver(DeliveryId id, const Envelope& envelope) {
  if (deliveries_.count(id) != 0) {
    Fail(absl::StrCat("delivery id ", id, " returned twice"));
    return;
  }
  std::vector<std::string>& addresses = deliveries_[id];
  for (const Recipient& r : envelope.recipients) {
    addresses.push_back(r.address);
  }
}

// --- Events -----------------------------------------------------------------

void SessionChecker::OnEvent(const Event& event) {
  if (closed_) {
    Fail(absl::StrCat("event after ConnectionClosed: ", EventToString(event)));
    return;
  }
  if (const auto* r = std::get_if<ReplyReceived>(&event)) {
    const int code = r->reply.code();
    switch (r->kind) {
      case CommandKind::kData: {
        DataReplies& d = data_[r->id];
        if (d.first == 0) {
          d.first = code;
          if (code == 354) d.lone_dot = rcpt_accepted_ == 0;
        }
        if (code != 354) {
          d.final = code;
          rcpt_accepted_ = 0;
          ++replies_[r->kind];
          end_unanswered_ = false;
        }
        return;
      }
      case CommandKind::kBdat:
        if (replies_[r->kind] + 1 >= lines_[CommandKind::kBdat]) {
          end_unanswered_ = false;  // the last BDAT sent got its reply
        }
        break;
      case CommandKind::kMailFrom:
        rcpt_accepted_ = 0;
        mail_codes_.push_back(code);
        break;
      case CommandKind::kRcptTo:
        if (Positive(code)) ++rcpt_accepted_;
        break;
      case CommandKind::kRset:
        rcpt_accepted_ = 0;
        break;
      default:
        break;
    }
    ++replies_[r->kind];
    return;
  }
  if (const auto* d = std::get_if<DeliveryDone>(&event)) {
    CheckResult(d->delivery, d->result, /*done=*/true);
    return;
  }
  if (const auto* f = std::get_if<DeliveryFailed>(&event)) {
    CheckResult(f->delivery, f->result, /*done=*/false);
    CheckUnknown(f->delivery, f->result, f->error.cause);
    return;
  }
  if (const auto* c = std::get_if<ConnectionClosed>(&event)) {
    closed_ = true;
    if (failed_with_delivered_ && c->status.ok()) {
      Fail("DeliveryFailed with delivered recipients, but the connection "
           "closed cleanly");
    }
  }
}

void SessionChecker::CheckResult(DeliveryId id, const DeliveryResult& result,
                                 bool done) {
  auto it = deliveries_.find(id);
  if (it == deliveries_.end()) {
    Fail(absl::StrCat("outcome for unknown delivery ", id));
    return;
  }
  if (!finished_.insert(id).second) {
    Fail(absl::StrCat("second outcome for delivery ", id));
    return;
  }
  results_[id] = result;
  const std::vector<std::string>& addresses = it->second;
  if (result.recipients.size() != addresses.size()) {
    Fail(absl::StrCat("delivery ", id, ": ", result.recipients.size(),
                      " results for ", addresses.size(), " recipients"));
    return;
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    const RecipientResult& rr = result.recipients[i];
    if (rr.address != addresses[i]) {
      Fail(absl::StrCat("delivery ", id, ": result ", i, " is for ",
                        rr.address, ", not ", addresses[i]));
      return;
    }
    switch (rr.status) {
      case RecipientStatus::kPending:
        Fail(absl::StrCat("delivery ", id, ": recipient ", rr.address,
                          " left pending"));
        return;
      case RecipientStatus::kUnknown:
        // Only the whole message sent without a final reply makes an
        // unknown outcome, for a recipient RCPT accepted or did not answer.
        if (rr.rcpt_reply.code() != 0 && !Positive(rr.rcpt_reply.code())) {
          Fail(absl::StrCat("delivery ", id, ": ", rr.address,
                            " unknown after RCPT got ", rr.rcpt_reply.code()));
          return;
        }
        if (rr.data_reply.code() != 0) {
          Fail(absl::StrCat("delivery ", id, ": ", rr.address,
                            " unknown although the data got a reply"));
          return;
        }
        break;
      case RecipientStatus::kDelivered:
        if (!Positive(rr.rcpt_reply.code()) ||
            !Positive(rr.data_reply.code())) {
          Fail(absl::StrCat("delivery ", id, ": ", rr.address,
                            " delivered without 2xx to RCPT and data (",
                            rr.rcpt_reply.code(), ", ", rr.data_reply.code(),
                            ")"));
          return;
        }
        break;
      default:
        break;
    }
  }
  if (done && result.delivered() == 0) {
    Fail(absl::StrCat("delivery ", id, ": DeliveryDone with none delivered"));
  }
  // DeliveryFailed keeps recipients delivered in earlier transactions only
  // when the connection then failed (core/event.h).
  if (!done && result.delivered() > 0) failed_with_delivered_ = true;
}

void SessionChecker::EndOfDataSent(bool answered) {
  // The final reply may be in already: a server can answer a command in
  // the same read as the reply that released it.
  end_unanswered_ = !answered;
}

void SessionChecker::CheckUnknown(DeliveryId id, const DeliveryResult& result,
                                  ErrorDetail cause) {
  if (!end_unanswered_ || cause == ErrorDetail::kServiceClosing) {
    if (result.unknown() > 0 && cause == ErrorDetail::kServiceClosing) {
      Fail(absl::StrCat("delivery ", id, ": unknown outcome after a 421"));
    }
    return;
  }
  end_unanswered_ = false;
  // The replies are FIFO: this transaction's MAIL reply, if any, is
  // mail_codes_[txn_mail_index_], and its RCPT replies follow the
  // txn_rcpt_base_ earlier ones.
  const bool mail_refused = mail_codes_.size() > txn_mail_index_ &&
                            !Positive(mail_codes_[txn_mail_index_]);
  const size_t rcpt_lines = lines_[CommandKind::kRcptTo] - txn_rcpt_base_;
  const size_t rcpt_answered =
      replies_[CommandKind::kRcptTo] > txn_rcpt_base_
          ? replies_[CommandKind::kRcptTo] - txn_rcpt_base_
          : 0;
  const bool may_have =
      !mail_refused && (rcpt_accepted_ > 0 || rcpt_answered < rcpt_lines);
  if (may_have && result.unknown() == 0) {
    Fail(absl::StrCat("delivery ", id,
                      ": the whole message was sent, no final reply came, "
                      "yet no recipient is unknown"));
  } else if (!may_have && result.unknown() > 0) {
    Fail(absl::StrCat("delivery ", id,
                      ": unknown outcome although no recipient can have "
                      "the message"));
  }
}

void SessionChecker::Finish() {
  if (!closed_) Fail("Finish before ConnectionClosed");
  for (const auto& d : deliveries_) {
    if (finished_.count(d.first) == 0) {
      Fail(absl::StrCat("delivery ", d.first, " got no outcome"));
    }
  }
  if (mode_ == Mode::kCommand && !line_.empty()) {
    // An unfinished command line is fine only if the connection broke.
  }
}

// --- Wire -------------------------------------------------------------------

bool SessionChecker::Answered(CommandKind kind, size_t index) const {
  auto it = replies_.find(kind);
  return it != replies_.end() && it->second > index;
}

const SessionChecker::DataReplies* SessionChecker::DataAt(size_t index) const {
  // DATA ids grow in submission order, which is the wire order.
  if (index >= data_.size()) return nullptr;
  auto it = data_.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(index));
  return &it->second;
}

void SessionChecker::OnClientBytes(absl::string_view bytes) {
  if (bytes.empty() || !ok()) return;
  if (closed_) {
    Fail(absl::StrCat("client wrote ", bytes.size(),
                      " bytes after ConnectionClosed"));
    return;
  }
  while (!bytes.empty() && ok()) {
    if (after_data_) {
      // The first byte after DATA: the reply to DATA decides what it is.
      after_data_ = false;
      const DataReplies* d = DataAt(data_lines_ - 1);
      if (d == nullptr || d->first == 0) {
        Fail("client sent bytes after DATA before any reply to it");
        return;
      }
      if (d->first == 354) {
        mode_ = Mode::kDataBody;
        body_.clear();
        body_scan_ = 0;
      }
      // Otherwise DATA was refused: commands follow, never body lines.
    }
    switch (mode_) {
      case Mode::kQuit:
        Fail(absl::StrCat("client sent \"", EscapeBytes(bytes.substr(0, 40)),
                          "\" after QUIT"));
        return;
      case Mode::kBdatPayload: {
        size_t n = static_cast<size_t>(
            std::min<uint64_t>(bdat_left_, bytes.size()));
        bdat_payload_.append(bytes.data(), n);
        bdat_left_ -= n;
        wire_offset_ += n;
        bytes.remove_prefix(n);
        if (bdat_left_ == 0) {
          mode_ = Mode::kCommand;
          if (bdat_last_) {
            EndOfDataSent(replies_[CommandKind::kBdat] >=
                          lines_[CommandKind::kBdat]);
            if (bodies_.count(bdat_payload_) == 0 &&
                raw_bodies_.count(bdat_payload_) == 0) {
              Fail(absl::StrCat("BDAT payload \"",
                                EscapeBytes(bdat_payload_.substr(0, 80)),
                                "\" is not an expected body"));
              return;
            }
            bdat_payload_.clear();
          }
        }
        break;
      }
      case Mode::kDataBody: {
        size_t before = body_.size();
        body_.append(bytes.data(), bytes.size());
        // The first end-of-data marker ends the body: ".\r\n" first, or
        // "\r\n.\r\n".
        size_t end = absl::string_view::npos;
        if (absl::StartsWith(body_, ".\r\n")) {
          end = 3;
        } else {
          size_t from = body_scan_ >= 4 ? body_scan_ - 4 : 0;
          size_t at = body_.find("\r\n.\r\n", from);
          if (at != std::string::npos) end = at + 5;
        }
        body_scan_ = body_.size();
        if (end == absl::string_view::npos) {
          wire_offset_ += bytes.size();
          return;
        }
        size_t used = end - before;
        wire_offset_ += used;
        bytes.remove_prefix(used);
        std::string decoded, why;
        if (!test_util::RefUnstuff(absl::string_view(body_).substr(0, end),
                                   &decoded, &why)) {
          Fail(absl::StrCat("DATA body does not decode: ", why));
          return;
        }
        const DataReplies* d = DataAt(data_lines_ - 1);
        const bool lone_dot_ok = d != nullptr && d->lone_dot;
        if (!(decoded.empty() && lone_dot_ok) &&
            bodies_.count(decoded) == 0) {
          Fail(absl::StrCat("DATA body ends early or differs: \"",
                            EscapeBytes(decoded.substr(0, 80)), "\" (",
                            decoded.size(), " bytes)"));
          return;
        }
        if (decoded.empty() != lone_dot_ok && lone_dot_ok) {
          Fail("a body was sent although no RCPT was accepted");
          return;
        }
        if (!lone_dot_ok && d != nullptr) EndOfDataSent(d->final != 0);
        mode_ = Mode::kCommand;
        body_.clear();
        // The next command needs DATA's final reply.
        blocked_ = true;
        blocked_kind_ = CommandKind::kData;
        blocked_index_ = data_lines_ - 1;
        break;
      }
      case Mode::kCommand: {
        size_t lf = bytes.find('\n');
        size_t take = lf == absl::string_view::npos ? bytes.size() : lf + 1;
        line_.append(bytes.data(), take);
        wire_offset_ += take;
        bytes.remove_prefix(take);
        if (line_.size() > kMaxAuthLine) {
          Fail("command line longer than 12288 octets");
          return;
        }
        if (lf == absl::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          Fail(absl::StrCat("command line with a bare LF: \"",
                            EscapeBytes(line_.substr(0, 80)), "\""));
          return;
        }
        std::string line = line_.substr(0, line_.size() - 2);
        line_.clear();
        if (line.find('\r') != std::string::npos) {
          Fail(absl::StrCat("command line with a bare CR: \"",
                            EscapeBytes(line.substr(0, 80)), "\""));
          return;
        }
        CommandLine(line);
        break;
      }
    }
  }
}

void SessionChecker::CommandLine(absl::string_view line) {
  if (line == "*") {
    // Cancelling the exchange after a 334 (RFC 4954 §4): only between AUTH
    // and the next command. (Whether the final reply was already in when
    // it was queued cannot be told from here: a server may send a 334 and
    // its final reply in one read.)
    if (!in_auth_) Fail("\"*\" outside an AUTH exchange");
    return;
  }
  in_auth_ = false;
  if (blocked_) {
    bool answered = false;
    if (blocked_kind_ == CommandKind::kData) {
      const DataReplies* d = DataAt(blocked_index_);
      answered = d != nullptr && d->final != 0;
    } else {
      answered = Answered(blocked_kind_, blocked_index_);
    }
    if (!answered) {
      Fail(absl::StrCat("client sent \"", EscapeBytes(line.substr(0, 60)),
                        "\" before the reply to ",
                        CommandKindName(blocked_kind_)));
      return;
    }
    blocked_ = false;
  }
  CommandKind kind;
  if (!VerbKind(line, &kind)) {
    Fail(absl::StrCat("not a command line: \"", EscapeBytes(line.substr(0, 60)),
                      "\""));
    return;
  }
  if (kind != CommandKind::kAuth && line.size() + 2 > kMaxLine) {
    Fail(absl::StrCat("command line of ", line.size() + 2, " octets"));
    return;
  }
  size_t index = lines_[kind]++;
  if (GroupEnd(kind)) {
    blocked_ = true;
    blocked_kind_ = kind;
    blocked_index_ = index;
  }
  switch (kind) {
    case CommandKind::kAuth:
      in_auth_ = true;
      break;
    case CommandKind::kQuit:
      mode_ = Mode::kQuit;
      break;
    case CommandKind::kData:
      ++data_lines_;
      after_data_ = true;
      break;
    case CommandKind::kMailFrom:
      bdat_payload_.clear();
      txn_mail_index_ = index;
      txn_rcpt_base_ = lines_[CommandKind::kRcptTo];
      break;
    case CommandKind::kBdat: {
      std::vector<absl::string_view> words =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint64_t size = 0;
      if (words.size() < 2 || words.size() > 3 ||
          !absl::SimpleAtoi(words[1], &size) ||
          (words.size() == 3 && words[2] != "LAST")) {
        Fail(absl::StrCat("bad BDAT line \"", EscapeBytes(line), "\""));
        return;
      }
      bdat_left_ = size;
      bdat_last_ = words.size() == 3;
      if (size > 0) {
        mode_ = Mode::kBdatPayload;
      } else if (bdat_last_) {
        if (bodies_.count(bdat_payload_) == 0 &&
            raw_bodies_.count(bdat_payload_) == 0) {
          Fail("empty BDAT LAST ends a body that is not expected");
          return;
        }
        bdat_payload_.clear();
        EndOfDataSent(replies_[CommandKind::kBdat] >=
                      lines_[CommandKind::kBdat]);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace internal
}  // namespace smtpcore
