#include "tools/sink/sink_session.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"

namespace smtpcore {
namespace cli {
namespace {

// kMaxCommandLine bounds a command line without its CRLF. RFC 5321
// §4.5.3.1.4 requires 512 octets; AUTH lines with SASL-IR and ESMTP
// parameters may be longer (RFC 4954 §4 raises the limit to 12288 for AUTH;
// we stay generous but bounded).
constexpr size_t kMaxCommandLine = 2048;

// kCompactThreshold: drop consumed input once this much has accumulated.
constexpr size_t kCompactThreshold = 64 * 1024;

bool IsAscii(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
}

bool HasControl(absl::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// ParsePath parses "<path> params..." after "FROM:" / "TO:" (spaces after
// the colon are tolerated, as most servers do). Returns false on bad syntax.
bool ParsePath(absl::string_view arg, std::string* path,
               std::vector<std::string>* params) {
  arg = absl::StripLeadingAsciiWhitespace(arg);
  if (!absl::StartsWith(arg, "<")) return false;
  const size_t close = arg.find('>');
  if (close == absl::string_view::npos) return false;
  *path = std::string(arg.substr(1, close - 1));
  absl::string_view rest = arg.substr(close + 1);
  if (!rest.empty() && rest[0] != ' ') return false;
  for (absl::string_view p : absl::StrSplit(rest, ' ', absl::SkipEmpty())) {
    params->emplace_back(p);
  }
  return true;
}

// SplitParam splits "KEY=value" into upper-case key and value.
std::pair<std::string, std::string> SplitParam(absl::string_view param) {
  const size_t eq = param.find('=');
  if (eq == absl::string_view::npos) {
    return {absl::AsciiStrToUpper(param), ""};
  }
  return {absl::AsciiStrToUpper(param.substr(0, eq)),
          std::string(param.substr(eq + 1))};
}

std::string LocalPart(absl::string_view address) {
  const size_t at = address.rfind('@');
  return absl::AsciiStrToLower(
      at == absl::string_view::npos ? address : address.substr(0, at));
}

}  // namespace

SinkSession::SinkSession(SinkOptions options, uint64_t* message_counter)
    : options_(std::move(options)),
      counter_(message_counter != nullptr ? message_counter : &own_counter_) {
  Reply(absl::StrCat("220 ", options_.hostname,
                     " ESMTP smtpc demo sink ready"));
}

void SinkSession::Reply(absl::string_view line) {
  out_.append(line.data(), line.size());
  out_.append("\r\n");
}

absl::string_view SinkSession::PendingOutput() const {
  return absl::string_view(out_).substr(out_offset_);
}

void SinkSession::ConsumeOutput(size_t n) {
  out_offset_ = std::min(out_.size(), out_offset_ + n);
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
  }
}

std::vector<ReceivedMessage> SinkSession::TakeMessages() {
  std::vector<ReceivedMessage> out;
  out.swap(done_);
  return out;
}

void SinkSession::ReceiveEof() {
  ResetTransaction();
  state_ = State::kClosed;
  in_.clear();
  in_offset_ = 0;
}

void SinkSession::OnTlsEstablished() {
  if (state_ != State::kTlsPending) return;
  tls_active_ = true;
  state_ = State::kCommand;
  in_.clear();
  in_offset_ = 0;
}

void SinkSession::Receive(absl::string_view bytes) {
  if (state_ == State::kClosed || state_ == State::kTlsPending) return;
  in_.append(bytes.data(), bytes.size());
  bool progress = true;
  while (progress && in_offset_ < in_.size()) {
    switch (state_) {
      case State::kCommand:
      case State::kAuth:
        progress = ProcessLines();
        break;
      case State::kData: {
        const size_t before = in_offset_;
        const State s = state_;
        ProcessData();
        progress = in_offset_ != before || state_ != s;
        break;
      }
      case State::kBdat: {
        const size_t before = in_offset_;
        ProcessBdat();
        progress = in_offset_ != before;
        break;
      }
      case State::kTlsPending:
      case State::kClosed:
        // Rule 2: what follows STARTTLS (or QUIT) is discarded.
        in_.clear();
        in_offset_ = 0;
        return;
    }
  }
  if (state_ == State::kTlsPending || state_ == State::kClosed) {
    in_.clear();
    in_offset_ = 0;
    return;
  }
  if (in_offset_ == in_.size()) {
    in_.clear();
    in_offset_ = 0;
  } else if (in_offset_ >= kCompactThreshold) {
    in_.erase(0, in_offset_);
    in_offset_ = 0;
  }
}

// ProcessLines handles one complete command (or SASL response) line.
// Returns false when more input is needed.
bool SinkSession::ProcessLines() {
  const size_t crlf = in_.find("\r\n", in_offset_);
  if (crlf == std::string::npos) {
    const size_t pending = in_.size() - in_offset_;
    if (skipping_long_line_) {
      // Keep a trailing CR: it may start the CRLF that ends the line.
      const size_t keep = in_.back() == '\r' ? 1 : 0;
      in_offset_ = in_.size() - keep;
      return false;
    }
    if (pending > kMaxCommandLine + 1) {
      Reply("500 5.5.6 Line too long");
      skipping_long_line_ = true;
      state_ = State::kCommand;
      const size_t keep = in_.back() == '\r' ? 1 : 0;
      in_offset_ = in_.size() - keep;
    }
    return false;
  }
  absl::string_view line(in_.data() + in_offset_, crlf - in_offset_);
  in_offset_ = crlf + 2;
  if (skipping_long_line_) {
    skipping_long_line_ = false;
    return true;
  }
  if (line.size() > kMaxCommandLine) {
    Reply("500 5.5.6 Line too long");
    state_ = State::kCommand;
    return true;
  }
  // Copy: the handlers may append to `in_` indirectly (never), but they
  // may clear it (STARTTLS); keep the line alive regardless.
  const std::string copy(line);
  if (state_ == State::kAuth) {
    ProcessAuthLine(copy);
  } else {
    ProcessCommand(copy);
  }
  return true;
}

void SinkSession::ProcessCommand(absl::string_view line) {
  const size_t space = line.find(' ');
  const std::string verb = absl::AsciiStrToUpper(line.substr(0, space));
  absl::string_view arg =
      space == absl::string_view::npos ? "" : line.substr(space + 1);
  arg = absl::StripTrailingAsciiWhitespace(arg);

  if (verb.empty()) {
    Reply("500 5.5.2 Syntax error: empty command");
  } else if (verb == "EHLO") {
    DoEhlo(arg, true);
  } else if (verb == "HELO") {
    DoEhlo(arg, false);
  } else if (verb == "STARTTLS") {
    DoStartTls(arg);
  } else if (verb == "AUTH") {
    DoAuth(arg);
  } else if (verb == "MAIL") {
    DoMail(arg);
  } else if (verb == "RCPT") {
    DoRcpt(arg);
  } else if (verb == "DATA") {
    DoData(arg);
  } else if (verb == "BDAT") {
    DoBdat(arg);
  } else if (verb == "RSET") {
    if (!arg.empty()) {
      Reply("501 5.5.4 Syntax: RSET");
      return;
    }
    ResetTransaction();
    Reply("250 2.0.0 OK");
  } else if (verb == "NOOP") {
    Reply("250 2.0.0 OK");
  } else if (verb == "VRFY") {
    Reply("252 2.5.0 Cannot VRFY user, but will accept message");
  } else if (verb == "HELP") {
    Reply(
        "214 2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT "
        "RSET NOOP VRFY HELP QUIT");
  } else if (verb == "QUIT") {
    Reply(absl::StrCat("221 2.0.0 ", options_.hostname, " closing connection"));
    ResetTransaction();
    state_ = State::kClosed;
  } else {
    Reply("500 5.5.2 Command not recognized");
  }
}

void SinkSession::DoEhlo(absl::string_view arg, bool esmtp) {
  if (arg.empty() || HasControl(arg)) {
    Reply(esmtp ? "501 5.5.4 Syntax: EHLO domain"
                : "501 5.5.4 Syntax: HELO domain");
    return;
  }
  ResetTransaction();
  helo_ = std::string(arg);
  esmtp_ = esmtp;
  if (!esmtp) {
    Reply(absl::StrCat("250 ", options_.hostname));
    return;
  }
  std::vector<std::string> lines = {
      absl::StrCat(options_.hostname, " greets ", arg),
      "PIPELINING",
      absl::StrCat("SIZE ", options_.max_message_size),
      "8BITMIME",
      "SMTPUTF8",
      "CHUNKING",
      "DSN",
      "ENHANCEDSTATUSCODES",
  };
  if (!options_.smtputf8) {
    lines.erase(std::find(lines.begin(), lines.end(), "SMTPUTF8"));
  }
  if (options_.tls_available && !tls_active_) lines.push_back("STARTTLS");
  if (!options_.users.empty() &&
      (tls_active_ || !options_.auth_requires_tls)) {
    lines.push_back("AUTH PLAIN LOGIN");
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    Reply(absl::StrCat("250", i + 1 == lines.size() ? " " : "-", lines[i]));
  }
}

void SinkSession::DoStartTls(absl::string_view arg) {
  if (!arg.empty()) {
    Reply("501 5.5.4 Syntax: STARTTLS");
  } else if (!options_.tls_available) {
    Reply("502 5.5.1 STARTTLS not available");
  } else if (tls_active_) {
    Reply("503 5.5.1 TLS already active");
  } else {
    Reply("220 2.0.0 Ready to start TLS");
    // RFC 3207 §4.2: forget everything learned before TLS.
    ResetTransaction();
    helo_.clear();
    esmtp_ = false;
    auth_user_.clear();
    state_ = State::kTlsPending;
  }
}

bool SinkSession::CheckUser(absl::string_view user,
                            absl::string_view password) const {
  for (const auto& u : options_.users) {
    if (u.first == user && u.second == password) return true;
  }
  return false;
}

// CheckAuthPlain verifies "authzid NUL authcid NUL passwd" (RFC 4616 §2).
bool SinkSession::CheckAuthPlain(absl::string_view decoded) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(decoded, absl::ByChar('\0'));
  if (parts.size() != 3) return false;
  if (!parts[0].empty() && parts[0] != parts[1]) return false;
  if (!CheckUser(parts[1], parts[2])) return false;
  auth_user_ = std::string(parts[1]);
  return true;
}

void SinkSession::DoAuth(absl::string_view arg) {
  if (options_.users.empty()) {
    Reply("502 5.5.1 AUTH not available");
    return;
  }
  if (options_.auth_requires_tls && !tls_active_) {
    Reply("538 5.7.11 Encryption required for requested authentication "
          "mechanism");
    return;
  }
  if (!esmtp_) {
    Reply("503 5.5.1 Send EHLO first");
    return;
  }
  if (!auth_user_.empty()) {
    Reply("503 5.5.1 Already authenticated");
    return;
  }
  if (in_transaction_) {
    Reply("503 5.5.1 AUTH not permitted during a mail transaction");
    return;
  }
  std::vector<absl::string_view> words =
      absl::StrSplit(arg, ' ', absl::SkipEmpty());
  if (words.empty() || words.size() > 2) {
    Reply("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
    return;
  }
  const std::string mech = absl::AsciiStrToUpper(words[0]);
  absl::optional<std::string> initial;
  if (words.size() == 2) {
    std::string decoded;
    if (words[1] != "=" && !absl::Base64Unescape(words[1], &decoded)) {
      Reply("501 5.5.2 Invalid base64 in initial response");
      return;
    }
    initial = std::move(decoded);
  }
  if (mech == "PLAIN") {
    if (initial.has_value()) {
      Reply(CheckAuthPlain(*initial)
                ? "235 2.7.0 Authentication successful"
                : "535 5.7.8 Authentication credentials invalid");
      return;
    }
    auth_step_ = AuthStep::kPlain;
    state_ = State::kAuth;
    Reply("334 ");
  } else if (mech == "LOGIN") {
    state_ = State::kAuth;
    if (initial.has_value()) {
      login_user_ = *initial;
      auth_step_ = AuthStep::kLoginPassword;
      Reply("334 UGFzc3dvcmQ6");  // "Password:"
    } else {
      auth_step_ = AuthStep::kLoginUser;
      Reply("334 VXNlcm5hbWU6");  // "Username:"
    }
  } else {
    Reply("504 5.5.4 Unrecognized authentication mechanism");
  }
}

void SinkSession::ProcessAuthLine(absl::string_view line) {
  if (line == "*") {
    state_ = State::kCommand;
    Reply("501 5.7.0 Authentication cancelled");
    return;
  }
  std::string decoded;
  if (!absl::Base64Unescape(line, &decoded)) {
    state_ = State::kCommand;
    Reply("501 5.5.2 Invalid base64 in SASL response");
    return;
  }
  switch (auth_step_) {
    case AuthStep::kPlain:
      state_ = State::kCommand;
      Reply(CheckAuthPlain(decoded)
                ? "235 2.7.0 Authentication successful"
                : "535 5.7.8 Authentication credentials invalid");
      return;
    case AuthStep::kLoginUser:
      login_user_ = std::move(decoded);
      auth_step_ = AuthStep::kLoginPassword;
      Reply("334 UGFzc3dvcmQ6");
      return;
    case AuthStep::kLoginPassword:
      state_ = State::kCommand;
      if (CheckUser(login_user_, decoded)) {
        auth_user_ = login_user_;
        Reply("235 2.7.0 Authentication successful");
      } else {
        Reply("535 5.7.8 Authentication credentials invalid");
      }
      login_user_.clear();
      return;
  }
}

void SinkSession::DoMail(absl::string_view arg) {
  if (helo_.empty()) {
    Reply("503 5.5.1 Send EHLO or HELO first");
    return;
  }
  if (in_transaction_) {
    Reply("503 5.5.1 Nested MAIL command");
    return;
  }
  std::string path;
  std::vector<std::string> params;
  if (!absl::StartsWithIgnoreCase(arg, "FROM:") ||
      !ParsePath(arg.substr(5), &path, &params) || HasControl(path)) {
    Reply("501 5.5.4 Syntax: MAIL FROM:<address>");
    return;
  }
  if (!params.empty() && !esmtp_) {
    Reply("555 5.5.4 MAIL parameters need EHLO");
    return;
  }
  bool utf8 = false;
  for (const std::string& p : params) {
    auto [key, value] = SplitParam(p);
    if (key == "SIZE") {
      uint64_t size = 0;
      if (!absl::SimpleAtoi(value, &size)) {
        Reply("501 5.5.4 Bad SIZE parameter");
        return;
      }
      if (size > options_.max_message_size) {
        Reply("552 5.3.4 Message size exceeds fixed maximum message size");
        return;
      }
    } else if (key == "BODY") {
      const std::string v = absl::AsciiStrToUpper(value);
      if (v != "7BIT" && v != "8BITMIME") {
        Reply("555 5.5.4 Unsupported BODY type");
        return;
      }
    } else if (key == "SMTPUTF8") {
      if (!options_.smtputf8) {
        Reply("555 5.5.4 Unsupported parameter SMTPUTF8");
        return;
      }
      if (!value.empty()) {
        Reply("501 5.5.4 SMTPUTF8 takes no value");
        return;
      }
      utf8 = true;
    } else if (key == "RET") {
      const std::string v = absl::AsciiStrToUpper(value);
      if (v != "FULL" && v != "HDRS") {
        Reply("501 5.5.4 Bad RET parameter");
        return;
      }
    } else if (key == "ENVID" || key == "AUTH") {
      if (value.empty()) {
        Reply(absl::StrCat("501 5.5.4 ", key, " needs a value"));
        return;
      }
    } else {
      Reply(absl::StrCat("555 5.5.4 Unsupported parameter ", key));
      return;
    }
  }
  if (!IsAscii(path) && !utf8) {
    Reply("553 5.6.7 Non-ASCII address requires SMTPUTF8");
    return;
  }
  const std::string local = LocalPart(path);
  if (absl::StartsWith(local, "reject")) {
    Reply(absl::StrCat("553 5.7.1 <", path,
                       ">: Sender address rejected: not owned by user"));
    return;
  }
  if (absl::StartsWith(local, "tempfail")) {
    Reply(absl::StrCat("450 4.1.8 <", path,
                       ">: Sender address rejected: domain not found"));
    return;
  }
  in_transaction_ = true;
  smtputf8_ = utf8;
  mail_from_ = path;
  mail_params_ = std::move(params);
  Reply(absl::StrCat("250 2.1.0 Sender <", path, "> OK"));
}

void SinkSession::DoRcpt(absl::string_view arg) {
  if (!in_transaction_) {
    Reply("503 5.5.1 Need MAIL command");
    return;
  }
  std::string path;
  std::vector<std::string> params;
  if (!absl::StartsWithIgnoreCase(arg, "TO:") ||
      !ParsePath(arg.substr(3), &path, &params) || HasControl(path)) {
    Reply("501 5.5.4 Syntax: RCPT TO:<address>");
    return;
  }
  if (path.empty()) {
    Reply("501 5.1.3 Empty recipient address");
    return;
  }
  for (const std::string& p : params) {
    auto [key, value] = SplitParam(p);
    if (!esmtp_ || (key != "NOTIFY" && key != "ORCPT")) {
      Reply(absl::StrCat("555 5.5.4 Unsupported parameter ", key));
      return;
    }
  }
  if (!IsAscii(path) && !smtputf8_) {
    Reply("553 5.6.7 Non-ASCII address requires SMTPUTF8");
    return;
  }
  if (recipients_.size() >= options_.max_recipients) {
    Reply("452 4.5.3 Too many recipients");
    return;
  }
  const std::string local = LocalPart(path);
  if (absl::StartsWith(local, "reject")) {
    Reply(absl::StrCat("550 5.1.1 <", path,
                       ">: Recipient address rejected: no such user"));
    return;
  }
  if (absl::StartsWith(local, "tempfail")) {
    Reply(absl::StrCat("450 4.2.1 <", path,
                       ">: Mailbox temporarily unavailable, try again later"));
    return;
  }
  recipients_.push_back(path);
  rcpt_params_.push_back(std::move(params));
  Reply(absl::StrCat("250 2.1.5 Recipient <", path, "> OK"));
}

void SinkSession::DoData(absl::string_view arg) {
  if (!arg.empty()) {
    Reply("501 5.5.4 Syntax: DATA");
  } else if (!in_transaction_) {
    Reply("503 5.5.1 Need MAIL command");
  } else if (bdat_started_ || bdat_failed_) {
    Reply("503 5.5.1 DATA not allowed after BDAT in one transaction");
  } else if (recipients_.empty()) {
    Reply("554 5.5.1 No valid recipients");
  } else {
    data_.clear();
    data_line_start_ = true;
    bare_line_endings_ = 0;
    too_big_ = false;
    state_ = State::kData;
    Reply("354 End data with <CR><LF>.<CR><LF>");
  }
}

// ProcessData un-stuffs DATA input (rule 3), streaming: a line may arrive
// in many pieces; only a trailing CR (a possible CRLF start) or a partial
// ".\r\n" at a line start is kept back.
void SinkSession::ProcessData() {
  const char* const base = in_.data();
  size_t pos = in_offset_;
  const size_t end = in_.size();
  auto append = [&](size_t from, size_t to, bool counts_bare) {
    if (counts_bare) {
      for (size_t i = from; i < to; ++i) {
        if (base[i] == '\r' || base[i] == '\n') ++bare_line_endings_;
      }
    }
    if (too_big_) return;
    if (data_.size() + (to - from) > options_.max_message_size) {
      too_big_ = true;
      data_.clear();
      return;
    }
    data_.append(base + from, to - from);
  };
  while (pos < end) {
    if (data_line_start_) {
      if (base[pos] == '.') {
        const size_t avail = end - pos;
        if (avail < 3) {
          // ".", ".\r": maybe the end marker; wait for more.
          if (avail == 1 || base[pos + 1] == '\r') break;
        } else if (base[pos + 1] == '\r' && base[pos + 2] == '\n') {
          in_offset_ = pos + 3;
          state_ = State::kCommand;
          if (too_big_) {
            ResetTransaction();
            Reply("552 5.3.4 Message size exceeds fixed maximum message size");
          } else {
            FinishMessage(/*chunking=*/false);
          }
          return;
        }
        ++pos;  // un-stuff: drop the leading dot
      }
      data_line_start_ = false;
      if (pos >= end) break;
    }
    // Find the CRLF that ends this line.
    size_t p = pos;
    size_t crlf = std::string::npos;
    while (p < end) {
      const void* cr = std::memchr(base + p, '\r', end - p);
      if (cr == nullptr) break;
      const size_t i = static_cast<const char*>(cr) - base;
      if (i + 1 < end && base[i + 1] == '\n') {
        crlf = i;
        break;
      }
      if (i + 1 >= end) break;  // CR at the end: wait for the next byte
      p = i + 1;
    }
    if (crlf == std::string::npos) {
      // No complete line: take everything except a trailing CR.
      const size_t take_end = base[end - 1] == '\r' ? end - 1 : end;
      append(pos, take_end, true);
      pos = take_end;
      break;
    }
    append(pos, crlf, true);
    append(crlf, crlf + 2, false);
    pos = crlf + 2;
    data_line_start_ = true;
  }
  in_offset_ = pos;
}

void SinkSession::DoBdat(absl::string_view arg) {
  std::vector<absl::string_view> words =
      absl::StrSplit(arg, ' ', absl::SkipEmpty());
  uint64_t size = 0;
  bool last = false;
  if (words.empty() || words.size() > 2 || words[0].size() > 19 ||
      !std::all_of(words[0].begin(), words[0].end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(words[0], &size) ||
      (words.size() == 2 && !absl::EqualsIgnoreCase(words[1], "LAST"))) {
    Reply("501 5.5.4 Syntax: BDAT size [LAST]");
    return;
  }
  last = words.size() == 2;
  bdat_discard_ = false;
  bdat_error_.clear();
  if (!in_transaction_) {
    bdat_error_ = "503 5.5.1 Need MAIL command";
  } else if (bdat_failed_) {
    bdat_error_ = "503 5.5.1 Earlier BDAT failed; send RSET";
  } else if (recipients_.empty()) {
    bdat_error_ = "554 5.5.1 No valid recipients";
  }
  if (!bdat_error_.empty()) {
    bdat_discard_ = true;
  } else if (!bdat_started_) {
    bdat_started_ = true;
    data_.clear();
    too_big_ = false;
  }
  bdat_remaining_ = size;
  bdat_last_ = last;
  state_ = State::kBdat;
  if (size == 0) FinishBdatChunk();
}

void SinkSession::ProcessBdat() {
  const size_t avail = in_.size() - in_offset_;
  const size_t n =
      static_cast<size_t>(std::min<uint64_t>(avail, bdat_remaining_));
  if (!bdat_discard_ && !too_big_) {
    if (data_.size() + n > options_.max_message_size) {
      too_big_ = true;
      data_.clear();
    } else {
      data_.append(in_, in_offset_, n);
    }
  }
  in_offset_ += n;
  bdat_remaining_ -= n;
  if (bdat_remaining_ == 0) FinishBdatChunk();
}

void SinkSession::FinishBdatChunk() {
  state_ = State::kCommand;
  if (bdat_discard_) {
    bdat_discard_ = false;
    if (in_transaction_) bdat_failed_ = true;
    Reply(bdat_error_);
    return;
  }
  if (too_big_) {
    ResetTransaction();
    Reply("552 5.3.4 Message size exceeds fixed maximum message size");
    return;
  }
  if (bdat_last_) {
    FinishMessage(/*chunking=*/true);
    return;
  }
  Reply(absl::StrCat("250 2.0.0 ", data_.size(), " octets received"));
}

void SinkSession::FinishMessage(bool chunking) {
  ReceivedMessage m;
  m.id = (*counter_)++;
  m.helo = helo_;
  m.esmtp = esmtp_;
  m.tls = tls_active_;
  m.auth_user = auth_user_;
  m.mail_from = mail_from_;
  m.mail_params = mail_params_;
  m.recipients = recipients_;
  m.rcpt_params = rcpt_params_;
  m.chunking = chunking;
  m.data = std::move(data_);
  m.bare_line_endings = bare_line_endings_;
  const size_t size = m.data.size();
  const uint64_t id = m.id;
  done_.push_back(std::move(m));
  ResetTransaction();
  Reply(absl::StrCat("250 2.0.0 Ok: ", size, " octets queued as ", id));
}

void SinkSession::ResetTransaction() {
  in_transaction_ = false;
  smtputf8_ = false;
  mail_from_.clear();
  mail_params_.clear();
  recipients_.clear();
  rcpt_params_.clear();
  data_.clear();
  data_line_start_ = true;
  bare_line_endings_ = 0;
  too_big_ = false;
  bdat_remaining_ = 0;
  bdat_last_ = false;
  bdat_discard_ = false;
  bdat_error_.clear();
  bdat_started_ = false;
  bdat_failed_ = false;
}

}  // namespace cli
}  // namespace smtpcore
