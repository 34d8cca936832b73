#include "transports/testing/session_recorder.h"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "transports/testing/escape_bytes.h"

namespace smtpcore {
namespace {

constexpr absl::string_view kMagic = "smtpcore-trace 1";

std::string Quote(absl::string_view bytes) {
  return absl::StrCat("\"", EscapeBytes(bytes), "\"");
}

const char* Bit(bool b) { return b ? "1" : "0"; }

std::string StatusFields(const absl::Status& status) {
  return absl::StrCat(static_cast<int>(status.code()), " ",
                      ErrorDetailName(GetErrorDetail(status)), " ",
                      Quote(status.message()));
}

std::string ResultOf(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::StrCat("error ", static_cast<int>(status.code()), " ",
                      ErrorDetailName(GetErrorDetail(status)));
}

std::string DeadlineOf(absl::optional<Instant> deadline) {
  if (!deadline.has_value()) return "deadline=none";
  return absl::StrCat("deadline=", ToMonotonicNanos(*deadline));
}

absl::string_view BodyTypeName(BodyType type) {
  switch (type) {
    case BodyType::k7Bit:
      return "7bit";
    case BodyType::k8BitMime:
      return "8bitmime";
    case BodyType::kBinaryMime:
      return "binarymime";
  }
  return "7bit";
}

std::string EnvelopeFields(const Envelope& e) {
  std::string out = absl::StrCat("from ", Quote(e.from));
  const MailParams& m = e.mail;
  if (m.size.has_value()) absl::StrAppend(&out, " size ", *m.size);
  if (m.body.has_value()) {
    absl::StrAppend(&out, " body_type ", BodyTypeName(*m.body));
  }
  if (m.smtputf8) absl::StrAppend(&out, " smtputf8");
  if (m.requiretls) absl::StrAppend(&out, " requiretls");
  if (m.ret.has_value()) {
    absl::StrAppend(&out, " ret ", *m.ret == DsnRet::kFull ? "full" : "hdrs");
  }
  if (m.envid.has_value()) absl::StrAppend(&out, " envid ", Quote(*m.envid));
  for (const EsmtpParam& p : m.extra) {
    absl::StrAppend(&out, " param ", Quote(p.keyword), " ", Quote(p.value));
  }
  for (const Recipient& r : e.recipients) {
    absl::StrAppend(&out, " rcpt ", Quote(r.address));
    if (r.params.notify != kNotifyDefault) {
      absl::StrAppend(&out, " notify ", static_cast<int>(r.params.notify));
    }
    if (r.params.orcpt.has_value()) {
      absl::StrAppend(&out, " orcpt ", Quote(*r.params.orcpt));
    }
    for (const EsmtpParam& p : r.params.extra) {
      absl::StrAppend(&out, " rparam ", Quote(p.keyword), " ", Quote(p.value));
    }
  }
  return out;
}

std::string TlsFields(const TlsInfo& t) {
  return absl::StrCat(
      "version ", Quote(t.version), " cipher ", Quote(t.cipher),
      " server_name ", Quote(t.server_name), " verified ", Bit(t.verified),
      " verify_error ", Quote(t.verify_error), " cb_type ",
      Quote(t.channel_binding_type), " cb ", Quote(t.channel_binding),
      " client_cert ", Bit(t.client_certificate));
}

void AppendOptions(const SessionOptions& o, std::string* out) {
  auto line = [out](absl::string_view name, absl::string_view value) {
    absl::StrAppend(out, "option ", name, " ", value, "\n");
  };
  line("ehlo_domain", Quote(o.ehlo_domain));
  line("tls_mode", TlsModeName(o.tls_mode));
  line("force_helo", Bit(o.force_helo));
  line("auth", Bit(static_cast<bool>(o.auth)));
  line("allow_insecure_auth", Bit(o.allow_insecure_auth));
  line("max_auth_challenges", absl::StrCat(o.max_auth_challenges));
  line("chunking", Bit(o.chunking));
  line("pipelining", Bit(o.pipelining));
  for (const std::string& k : o.capability_filter.ignore) {
    line("ignore", Quote(k));
  }
  for (const Capability& c : o.capability_filter.force) {
    std::string value = Quote(c.keyword);
    for (const std::string& p : c.params) absl::StrAppend(&value, " ", Quote(p));
    line("force", value);
  }
  const Timeouts& t = o.timeouts;
  const std::pair<absl::string_view, Duration> stages[] = {
      {"greeting", t.greeting},
      {"mail", t.mail},
      {"rcpt", t.rcpt},
      {"data_init", t.data_init},
      {"data_block", t.data_block},
      {"data_termination", t.data_termination},
      {"tls_handshake", t.tls_handshake},
      {"auth", t.auth},
      {"other", t.other},
  };
  for (const auto& s : stages) {
    line("timeout", absl::StrCat(s.first, " ", absl::ToInt64Nanoseconds(s.second)));
  }
  line("max_line_length", absl::StrCat(o.reply_limits.max_line_length));
  line("max_lines", absl::StrCat(o.reply_limits.max_lines));
  line("max_reply_size", absl::StrCat(o.reply_limits.max_reply_size));
  line("line_endings", o.line_endings == LineEndingPolicy::kReject
                           ? "reject"
                           : "normalize");
  line("trace", Bit(o.trace));
  line("reply_events", Bit(o.reply_events));
  line("max_transactions_per_delivery",
       absl::StrCat(o.max_transactions_per_delivery));
}

// --- Parsing --------------------------------------------------------------

struct Token {
  bool quoted = false;
  std::string text;
};

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view line) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    Token token;
    if (line[i] == '"') {
      size_t j = i + 1;
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      if (j >= line.size()) {
        return absl::InvalidArgumentError("unterminated string");
      }
      absl::StatusOr<std::string> text =
          UnescapeBytes(line.substr(i + 1, j - i - 1));
      if (!text.ok()) return text.status();
      token.quoted = true;
      token.text = *std::move(text);
      i = j + 1;
    } else {
      size_t j = line.find(' ', i);
      if (j == absl::string_view::npos) j = line.size();
      token.text = std::string(line.substr(i, j - i));
      i = j;
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// Cursor walks the tokens of one record.
class Cursor {
 public:
  explicit Cursor(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  bool done() const { return pos_ >= tokens_.size(); }
  bool PeekWord(absl::string_view word) const {
    return !done() && !tokens_[pos_].quoted && tokens_[pos_].text == word;
  }
  absl::Status Word(std::string* out) {
    if (done() || tokens_[pos_].quoted) return Bad("word expected");
    *out = tokens_[pos_++].text;
    return absl::OkStatus();
  }
  absl::Status String(std::string* out) {
    if (done() || !tokens_[pos_].quoted) return Bad("string expected");
    *out = tokens_[pos_++].text;
    return absl::OkStatus();
  }
  template <typename Int>
  absl::Status Number(Int* out) {
    std::string word;
    absl::Status s = Word(&word);
    if (!s.ok()) return s;
    if (!absl::SimpleAtoi(word, out)) return Bad("number expected");
    return absl::OkStatus();
  }
  absl::Status Flag(bool* out) {
    std::string word;
    absl::Status s = Word(&word);
    if (!s.ok()) return s;
    if (word != "0" && word != "1") return Bad("0 or 1 expected");
    *out = word == "1";
    return absl::OkStatus();
  }
  absl::Status Expect(absl::string_view word) {
    if (!PeekWord(word)) return Bad(absl::StrCat("\"", word, "\" expected"));
    ++pos_;
    return absl::OkStatus();
  }
  absl::Status End() const {
    return done() ? absl::OkStatus() : Bad("unexpected field");
  }

 private:
  static absl::Status Bad(absl::string_view why) {
    return absl::InvalidArgumentError(why);
  }
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

absl::StatusOr<ErrorDetail> DetailByName(absl::string_view name) {
  for (int i = 0; i <= 255; ++i) {
    ErrorDetail d = static_cast<ErrorDetail>(i);
    if (ErrorDetailName(d) == name) return d;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown detail ", name));
}

absl::StatusOr<absl::Status> ParseStatusFields(Cursor& c) {
  int code = 0;
  std::string detail_name, message;
  absl::Status s = c.Number(&code);
  if (s.ok()) s = c.Word(&detail_name);
  if (s.ok()) s = c.String(&message);
  if (!s.ok()) return s;
  if (code <= 0 || code > 16) return absl::InvalidArgumentError("bad code");
  absl::StatusOr<ErrorDetail> detail = DetailByName(detail_name);
  if (!detail.ok()) return detail.status();
  if (*detail == ErrorDetail::kNone) {
    return absl::Status(static_cast<absl::StatusCode>(code), message);
  }
  return MakeError(static_cast<absl::StatusCode>(code), *detail, message);
}

absl::Status ParseEnvelope(Cursor& c, Envelope* e) {
  absl::Status s = c.Expect("from");
  if (s.ok()) s = c.String(&e->from);
  while (s.ok() && !c.done() && !c.PeekWord("body")) {
    std::string key;
    s = c.Word(&key);
    if (!s.ok()) break;
    MailParams& m = e->mail;
    if (key == "size") {
      uint64_t size = 0;
      s = c.Number(&size);
      m.size = size;
    } else if (key == "body_type") {
      std::string type;
      s = c.Word(&type);
      if (type == "7bit") {
        m.body = BodyType::k7Bit;
      } else if (type == "8bitmime") {
        m.body = BodyType::k8BitMime;
      } else if (type == "binarymime") {
        m.body = BodyType::kBinaryMime;
      } else if (s.ok()) {
        s = absl::InvalidArgumentError("bad body_type");
      }
    } else if (key == "smtputf8") {
      m.smtputf8 = true;
    } else if (key == "requiretls") {
      m.requiretls = true;
    } else if (key == "ret") {
      std::string ret;
      s = c.Word(&ret);
      if (ret != "full" && ret != "hdrs" && s.ok()) {
        s = absl::InvalidArgumentError("bad ret");
      }
      m.ret = ret == "full" ? DsnRet::kFull : DsnRet::kHdrs;
    } else if (key == "envid") {
      std::string envid;
      s = c.String(&envid);
      m.envid = envid;
    } else if (key == "param" || key == "rparam") {
      EsmtpParam p;
      s = c.String(&p.keyword);
      if (s.ok()) s = c.String(&p.value);
      if (key == "param") {
        m.extra.push_back(std::move(p));
      } else if (e->recipients.empty()) {
        s = absl::InvalidArgumentError("rparam before rcpt");
      } else {
        e->recipients.back().params.extra.push_back(std::move(p));
      }
    } else if (key == "rcpt") {
      std::string address;
      s = c.String(&address);
      e->AddRecipient(std::move(address));
    } else if (key == "notify" || key == "orcpt") {
      if (e->recipients.empty()) {
        s = absl::InvalidArgumentError(absl::StrCat(key, " before rcpt"));
      } else if (key == "notify") {
        int notify = 0;
        s = c.Number(&notify);
        e->recipients.back().params.notify = static_cast<uint8_t>(notify);
      } else {
        std::string orcpt;
        s = c.String(&orcpt);
        e->recipients.back().params.orcpt = orcpt;
      }
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("unknown field ", key));
    }
  }
  return s;
}

absl::Status ParseTls(Cursor& c, TlsInfo* t) {
  absl::Status s = c.Expect("version");
  if (s.ok()) s = c.String(&t->version);
  if (s.ok()) s = c.Expect("cipher");
  if (s.ok()) s = c.String(&t->cipher);
  if (s.ok()) s = c.Expect("server_name");
  if (s.ok()) s = c.String(&t->server_name);
  if (s.ok()) s = c.Expect("verified");
  if (s.ok()) s = c.Flag(&t->verified);
  if (s.ok()) s = c.Expect("verify_error");
  if (s.ok()) s = c.String(&t->verify_error);
  if (s.ok()) s = c.Expect("cb_type");
  if (s.ok()) s = c.String(&t->channel_binding_type);
  if (s.ok()) s = c.Expect("cb");
  if (s.ok()) s = c.String(&t->channel_binding);
  if (s.ok()) s = c.Expect("client_cert");
  if (s.ok()) s = c.Flag(&t->client_certificate);
  return s;
}

absl::Status ParseOption(Cursor& c, SessionOptions* o, bool* needs_auth) {
  std::string name;
  absl::Status s = c.Word(&name);
  if (!s.ok()) return s;
  if (name == "ehlo_domain") {
    s = c.String(&o->ehlo_domain);
  } else if (name == "tls_mode") {
    std::string mode;
    s = c.Word(&mode);
    bool found = false;
    for (TlsMode m : {TlsMode::kNone, TlsMode::kOpportunistic,
                      TlsMode::kRequired, TlsMode::kImplicit}) {
      if (TlsModeName(m) == mode) {
        o->tls_mode = m;
        found = true;
      }
    }
    if (s.ok() && !found) s = absl::InvalidArgumentError("bad tls_mode");
  } else if (name == "force_helo") {
    s = c.Flag(&o->force_helo);
  } else if (name == "auth") {
    s = c.Flag(needs_auth);
  } else if (name == "allow_insecure_auth") {
    s = c.Flag(&o->allow_insecure_auth);
  } else if (name == "max_auth_challenges") {
    s = c.Number(&o->max_auth_challenges);
  } else if (name == "chunking") {
    s = c.Flag(&o->chunking);
  } else if (name == "pipelining") {
    s = c.Flag(&o->pipelining);
  } else if (name == "ignore") {
    std::string keyword;
    s = c.String(&keyword);
    o->capability_filter.ignore.push_back(std::move(keyword));
  } else if (name == "force") {
    Capability cap;
    s = c.String(&cap.keyword);
    while (s.ok() && !c.done()) {
      std::string param;
      s = c.String(&param);
      cap.params.push_back(std::move(param));
    }
    o->capability_filter.force.push_back(std::move(cap));
  } else if (name == "timeout") {
    std::string stage;
    int64_t nanos = 0;
    s = c.Word(&stage);
    if (s.ok()) s = c.Number(&nanos);
    Duration d = absl::Nanoseconds(nanos);
    Timeouts& t = o->timeouts;
    Duration* target = stage == "greeting"           ? &t.greeting
                       : stage == "mail"             ? &t.mail
                       : stage == "rcpt"             ? &t.rcpt
                       : stage == "data_init"        ? &t.data_init
                       : stage == "data_block"       ? &t.data_block
                       : stage == "data_termination" ? &t.data_termination
                       : stage == "tls_handshake"    ? &t.tls_handshake
                       : stage == "auth"             ? &t.auth
                       : stage == "other"            ? &t.other
                                                     : nullptr;
    if (target == nullptr) {
      if (s.ok()) s = absl::InvalidArgumentError("bad timer stage");
    } else {
      *target = d;
    }
  } else if (name == "max_line_length") {
    s = c.Number(&o->reply_limits.max_line_length);
  } else if (name == "max_lines") {
    s = c.Number(&o->reply_limits.max_lines);
  } else if (name == "max_reply_size") {
    s = c.Number(&o->reply_limits.max_reply_size);
  } else if (name == "line_endings") {
    std::string policy;
    s = c.Word(&policy);
    if (policy == "reject") {
      o->line_endings = LineEndingPolicy::kReject;
    } else if (policy == "normalize") {
      o->line_endings = LineEndingPolicy::kNormalize;
    } else if (s.ok()) {
      s = absl::InvalidArgumentError("bad line_endings");
    }
  } else if (name == "trace") {
    s = c.Flag(&o->trace);
  } else if (name == "reply_events") {
    s = c.Flag(&o->reply_events);
  } else if (name == "max_transactions_per_delivery") {
    s = c.Number(&o->max_transactions_per_delivery);
  } else {
    s = absl::InvalidArgumentError(absl::StrCat("unknown option ", name));
  }
  if (s.ok()) s = c.End();
  return s;
}

}  // namespace

// --- SessionRecorder ------------------------------------------------------

SessionRecorder::SessionRecorder(SessionOptions options, Instant now)
    : session_(options, now) {
  trace_ = absl::StrCat(kMagic, "\n");
  AppendOptions(session_.options(), &trace_);
  Input(now, "start");
}

void SessionRecorder::Input(Instant now, absl::string_view record) {
  absl::StrAppend(&trace_, "@", ToMonotonicNanos(now), " ", record, "\n");
}

void SessionRecorder::Result(absl::string_view result) {
  absl::StrAppend(&trace_, "= ", result, " ", DeadlineOf(NextDeadline()),
                  "\n");
}

absl::Status SessionRecorder::Receive(absl::string_view bytes, Instant now) {
  Input(now, absl::StrCat("recv ", Quote(bytes)));
  absl::Status status = session_.Receive(bytes, now);
  Result(ResultOf(status));
  return status;
}

absl::Status SessionRecorder::ReceiveEof(Instant now) {
  Input(now, "eof");
  absl::Status status = session_.ReceiveEof(now);
  Result(ResultOf(status));
  return status;
}

void SessionRecorder::HandleTimeout(Instant now) {
  Input(now, "timeout");
  session_.HandleTimeout(now);
  Result("void");
}

absl::Status SessionRecorder::OnTlsEstablished(TlsInfo info, Instant now) {
  Input(now, absl::StrCat("tls_established ", TlsFields(info)));
  absl::Status status = session_.OnTlsEstablished(std::move(info), now);
  Result(ResultOf(status));
  return status;
}

void SessionRecorder::OnTlsFailed(absl::Status status, Instant now) {
  Input(now, absl::StrCat("tls_failed ", StatusFields(status)));
  session_.OnTlsFailed(std::move(status), now);
  Result("void");
}

void SessionRecorder::Abort(absl::Status status, Instant now) {
  Input(now, absl::StrCat("abort ", StatusFields(status)));
  session_.Abort(std::move(status), now);
  Result("void");
}

absl::StatusOr<DeliveryId> SessionRecorder::Deliver(Envelope envelope,
                                                    absl::Cord body,
                                                    Instant now) {
  Input(now, absl::StrCat("deliver ", EnvelopeFields(envelope), " body ",
                          Quote(std::string(body))));
  absl::StatusOr<DeliveryId> id =
      session_.Deliver(std::move(envelope), std::move(body), now);
  Result(id.ok() ? absl::StrCat("ok id=", *id) : ResultOf(id.status()));
  return id;
}

absl::StatusOr<DeliveryId> SessionRecorder::StartDelivery(Envelope envelope,
                                                          Instant now) {
  Input(now, absl::StrCat("start_delivery ", EnvelopeFields(envelope)));
  absl::StatusOr<DeliveryId> id =
      session_.StartDelivery(std::move(envelope), now);
  Result(id.ok() ? absl::StrCat("ok id=", *id) : ResultOf(id.status()));
  return id;
}

absl::Status SessionRecorder::AppendBody(DeliveryId id, absl::Cord chunk,
                                         bool last, Instant now) {
  Input(now, absl::StrCat("append_body ", id, " ", Quote(std::string(chunk)),
                          last ? " last" : " more"));
  absl::Status status = session_.AppendBody(id, std::move(chunk), last, now);
  Result(ResultOf(status));
  return status;
}

absl::Status SessionRecorder::Close(Instant now) {
  Input(now, "close");
  absl::Status status = session_.Close(now);
  Result(ResultOf(status));
  return status;
}

void SessionRecorder::ConsumeTransmit(size_t bytes_written, Instant now) {
  // Read (without consuming) the bytes about to be acknowledged.
  std::string written;
  std::vector<IoSlice> slices(16);
  while (true) {
    size_t n = session_.PollTransmit(absl::MakeSpan(slices));
    written.clear();
    AppendSlices(absl::MakeConstSpan(slices.data(), n), &written);
    if (n < slices.size() || written.size() >= bytes_written) break;
    slices.resize(slices.size() * 2);
  }
  if (written.size() > bytes_written) written.resize(bytes_written);
  Input(now, absl::StrCat("write ", Quote(written)));
  session_.ConsumeTransmit(bytes_written, now);
  Result("void");
}

absl::optional<Event> SessionRecorder::PollEvent() {
  absl::optional<Event> event = session_.PollEvent();
  if (event.has_value()) {
    absl::StrAppend(&trace_, "event ", Quote(EventToString(*event)), "\n");
  }
  return event;
}

// --- ReplaySession --------------------------------------------------------

absl::Status ReplaySession(absl::string_view trace,
                           const ReplayOptions& options) {
  std::vector<absl::string_view> lines = absl::StrSplit(trace, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t index = 0;
  auto malformed = [&index](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("trace line ", index + 1, ": ", why));
  };
  auto diverged = [&index](absl::string_view recorded,
                           absl::string_view replayed) {
    return absl::DataLossError(absl::StrCat(
        "trace line ", index + 1, ": recorded `", recorded,
        "`, replay gave `", replayed, "`"));
  };
  if (lines.empty() || lines[0] != kMagic) {
    return malformed("not a smtpcore-trace 1 file");
  }
  SessionOptions session_options;
  bool needs_auth = false;
  std::unique_ptr<Session> session;
  // expected_result: the "= ..." line the replay computed for the last
  // input; it must be the next line of the trace.
  std::string expected_result;
  for (index = 1; index < lines.size(); ++index) {
    absl::string_view line = lines[index];
    if (!expected_result.empty()) {
      if (line != expected_result) return diverged(line, expected_result);
      expected_result.clear();
      continue;
    }
    absl::StatusOr<std::vector<Token>> tokens = Tokenize(line);
    if (!tokens.ok()) return malformed(tokens.status().message());
    Cursor c(*std::move(tokens));
    std::string head;
    absl::Status s = c.Word(&head);
    if (!s.ok()) return malformed(s.message());
    if (head == "option") {
      if (session != nullptr) return malformed("option after start");
      s = ParseOption(c, &session_options, &needs_auth);
      if (!s.ok()) return malformed(s.message());
      continue;
    }
    if (head == "event") {
      if (session == nullptr) return malformed("event before start");
      std::string recorded;
      s = c.String(&recorded);
      if (s.ok()) s = c.End();
      if (!s.ok()) return malformed(s.message());
      absl::optional<Event> event = session->PollEvent();
      std::string got = event.has_value() ? EventToString(*event)
                                          : std::string("(no event)");
      if (got != recorded) return diverged(recorded, got);
      continue;
    }
    if (head.empty() || head[0] != '@') {
      return malformed(absl::StrCat("unexpected record ", head));
    }
    int64_t nanos = 0;
    if (!absl::SimpleAtoi(absl::string_view(head).substr(1), &nanos)) {
      return malformed("bad time");
    }
    Instant now = InstantFromMonotonicNanos(nanos);
    std::string verb;
    s = c.Word(&verb);
    if (!s.ok()) return malformed(s.message());
    if (verb == "start") {
      if (session != nullptr) return malformed("second start");
      s = c.End();
      if (!s.ok()) return malformed(s.message());
      if (needs_auth) {
        if (!options.auth) {
          return malformed("the trace used an AuthChooser: pass one in "
                           "ReplayOptions::auth");
        }
        session_options.auth = options.auth;
      }
      session = std::make_unique<Session>(session_options, now);
      continue;
    }
    if (session == nullptr) return malformed("input before start");
    std::string result;
    if (verb == "recv") {
      std::string bytes;
      s = c.String(&bytes);
      if (s.ok()) s = c.End();
      if (s.ok()) result = ResultOf(session->Receive(bytes, now));
    } else if (verb == "eof") {
      s = c.End();
      if (s.ok()) result = ResultOf(session->ReceiveEof(now));
    } else if (verb == "timeout") {
      s = c.End();
      if (s.ok()) {
        session->HandleTimeout(now);
        result = "void";
      }
    } else if (verb == "tls_established") {
      TlsInfo info;
      s = ParseTls(c, &info);
      if (s.ok()) s = c.End();
      if (s.ok()) {
        result = ResultOf(session->OnTlsEstablished(std::move(info), now));
      }
    } else if (verb == "tls_failed" || verb == "abort") {
      absl::StatusOr<absl::Status> status = ParseStatusFields(c);
      s = status.status();
      if (s.ok()) s = c.End();
      if (s.ok()) {
        if (verb == "abort") {
          session->Abort(*status, now);
        } else {
          session->OnTlsFailed(*status, now);
        }
        result = "void";
      }
    } else if (verb == "deliver" || verb == "start_delivery") {
      Envelope envelope;
      s = ParseEnvelope(c, &envelope);
      std::string body;
      if (s.ok() && verb == "deliver") {
        s = c.Expect("body");
        if (s.ok()) s = c.String(&body);
      }
      if (s.ok()) s = c.End();
      if (s.ok()) {
        absl::StatusOr<DeliveryId> id =
            verb == "deliver"
                ? session->Deliver(std::move(envelope), absl::Cord(body), now)
                : session->StartDelivery(std::move(envelope), now);
        result = id.ok() ? absl::StrCat("ok id=", *id) : ResultOf(id.status());
      }
    } else if (verb == "append_body") {
      DeliveryId id = 0;
      std::string chunk, last;
      s = c.Number(&id);
      if (s.ok()) s = c.String(&chunk);
      if (s.ok()) s = c.Word(&last);
      if (s.ok() && last != "last" && last != "more") {
        s = absl::InvalidArgumentError("last or more expected");
      }
      if (s.ok()) s = c.End();
      if (s.ok()) {
        result = ResultOf(
            session->AppendBody(id, absl::Cord(chunk), last == "last", now));
      }
    } else if (verb == "close") {
      s = c.End();
      if (s.ok()) result = ResultOf(session->Close(now));
    } else if (verb == "write") {
      std::string recorded;
      s = c.String(&recorded);
      if (s.ok()) s = c.End();
      if (s.ok()) {
        std::vector<IoSlice> slices(16);
        std::string offered;
        while (true) {
          size_t n = session->PollTransmit(absl::MakeSpan(slices));
          offered.clear();
          AppendSlices(absl::MakeConstSpan(slices.data(), n), &offered);
          if (n < slices.size() || offered.size() >= recorded.size()) break;
          slices.resize(slices.size() * 2);
        }
        absl::string_view head_bytes =
            absl::string_view(offered).substr(0, recorded.size());
        if (head_bytes != recorded) {
          return diverged(absl::StrCat("write ", Quote(recorded)),
                          absl::StrCat("write ", Quote(head_bytes)));
        }
        session->ConsumeTransmit(recorded.size(), now);
        result = "void";
      }
    } else {
      return malformed(absl::StrCat("unknown input ", verb));
    }
    if (!s.ok()) return malformed(s.message());
    expected_result =
        absl::StrCat("= ", result, " ", DeadlineOf(session->NextDeadline()));
  }
  if (!expected_result.empty()) {
    return malformed("the trace ends without the result of its last input");
  }
  return absl::OkStatus();
}

}  // namespace smtpcore
