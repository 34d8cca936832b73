#include "tests/transcript_runner.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/errors.h"
#include "tests/transcript_extensions.h"
#include "transports/testing/fake_plain_mechanism.h"
#include "transports/testing/session_recorder.h"

namespace smtpcore {
namespace internal {
namespace {

absl::Status MetaError(absl::string_view where, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
}

absl::Status Expect(const MetaValue& v, MetaValue::Type type,
                    absl::string_view where) {
  if (v.type == type) return absl::OkStatus();
  MetaValue want;
  want.type = type;
  return MetaError(where, absl::StrCat("expected ", want.TypeName(), ", got ",
                                       v.TypeName()));
}

absl::Status GetBool(const MetaValue& v, absl::string_view where, bool* out) {
  absl::Status s = Expect(v, MetaValue::Type::kBool, where);
  if (s.ok()) *out = v.boolean;
  return s;
}

absl::Status GetString(const MetaValue& v, absl::string_view where,
                       std::string* out) {
  absl::Status s = Expect(v, MetaValue::Type::kString, where);
  if (s.ok()) *out = v.string;
  return s;
}

template <typename Int>
absl::Status GetInt(const MetaValue& v, absl::string_view where, Int* out) {
  absl::Status s = Expect(v, MetaValue::Type::kInteger, where);
  if (!s.ok()) return s;
  if (v.integer < 0) return MetaError(where, "must not be negative");
  *out = static_cast<Int>(v.integer);
  return absl::OkStatus();
}

absl::Status GetStrings(const MetaValue& v, absl::string_view where,
                        std::vector<std::string>* out) {
  absl::Status s = Expect(v, MetaValue::Type::kArray, where);
  if (!s.ok()) return s;
  for (const MetaValue& item : v.array) {
    std::string str;
    s = GetString(item, where, &str);
    if (!s.ok()) return s;
    out->push_back(std::move(str));
  }
  return absl::OkStatus();
}

absl::Status ApplyTimeouts(const MetaValue& v, Timeouts* t) {
  absl::Status s = Expect(v, MetaValue::Type::kObject, "options.timeouts");
  if (!s.ok()) return s;
  for (const auto& member : v.object) {
    std::string where = absl::StrCat("options.timeouts.", member.first);
    int64_t seconds = 0;
    s = GetInt(member.second, where, &seconds);
    if (!s.ok()) return s;
    Duration d = absl::Seconds(seconds);
    const std::string& k = member.first;
    if (k == "greeting") {
      t->greeting = d;
    } else if (k == "mail") {
      t->mail = d;
    } else if (k == "rcpt") {
      t->rcpt = d;
    } else if (k == "data_init") {
      t->data_init = d;
    } else if (k == "data_block") {
      t->data_block = d;
    } else if (k == "data_termination") {
      t->data_termination = d;
    } else if (k == "tls_handshake") {
      t->tls_handshake = d;
    } else if (k == "auth") {
      t->auth = d;
    } else if (k == "other") {
      t->other = d;
    } else {
      return MetaError(where, "unknown timer stage");
    }
  }
  return absl::OkStatus();
}

using Message = TranscriptMessage;

absl::Status ParseMessage(const MetaValue& v, size_t index, Message* out) {
  std::string where = absl::StrCat("messages[", index, "]");
  absl::Status s = Expect(v, MetaValue::Type::kObject, where);
  if (!s.ok()) return s;
  bool have_from = false, have_to = false, have_body = false;
  for (const auto& member : v.object) {
    const std::string& k = member.first;
    const MetaValue& value = member.second;
    std::string w = absl::StrCat(where, ".", k);
    if (k == "from") {
      s = GetString(value, w, &out->envelope.from);
      have_from = true;
    } else if (k == "to") {
      std::vector<std::string> to;
      s = GetStrings(value, w, &to);
      for (std::string& a : to) out->envelope.AddRecipient(std::move(a));
      have_to = true;
    } else if (k == "body") {
      s = Expect(value, MetaValue::Type::kString, w);
      if (s.ok()) out->chunks.push_back(value.string);
      have_body = true;
    } else if (k == "chunks") {
      s = Expect(value, MetaValue::Type::kArray, w);
      if (!s.ok()) return s;
      for (const MetaValue& chunk : value.array) {
        s = Expect(chunk, MetaValue::Type::kString, w);
        if (!s.ok()) return s;
        out->chunks.push_back(chunk.string);
      }
      out->streamed = true;
      have_body = true;
    } else if (k == "size") {
      uint64_t size = 0;
      s = GetInt(value, w, &size);
      out->envelope.mail.size = size;
    } else if (k == "body_type") {
      std::string type;
      s = GetString(value, w, &type);
      if (type == "7bit") {
        out->envelope.mail.body = BodyType::k7Bit;
      } else if (type == "8bitmime") {
        out->envelope.mail.body = BodyType::k8BitMime;
      } else if (type == "binarymime") {
        out->envelope.mail.body = BodyType::kBinaryMime;
      } else if (s.ok()) {
        s = MetaError(w, "must be 7bit, 8bitmime or binarymime");
      }
    } else if (k == "smtputf8") {
      s = GetBool(value, w, &out->envelope.mail.smtputf8);
    } else if (k == "requiretls") {
      s = GetBool(value, w, &out->envelope.mail.requiretls);
    } else if (k == "ret") {
      std::string ret;
      s = GetString(value, w, &ret);
      if (ret == "full") {
        out->envelope.mail.ret = DsnRet::kFull;
      } else if (ret == "hdrs") {
        out->envelope.mail.ret = DsnRet::kHdrs;
      } else if (s.ok()) {
        s = MetaError(w, "must be full or hdrs");
      }
    } else if (k == "envid") {
      std::string envid;
      s = GetString(value, w, &envid);
      out->envelope.mail.envid = envid;
    } else {
      s = MetaError(w, "unknown message key");
    }
    if (!s.ok()) return s;
  }
  if (!have_from || !have_to || !have_body) {
    return MetaError(where, "needs from, to and body (or chunks)");
  }
  return absl::OkStatus();
}

// ExternalCord wraps `bytes` without copying, so the core's zero-copy paths
// are exercised (ASan sees any use after the case ends).
absl::Cord ExternalCord(absl::string_view bytes) {
  if (bytes.empty()) return absl::Cord();
  return absl::MakeCordFromExternal(bytes, [](absl::string_view) {});
}

absl::Status CheckOutcome(const absl::Status& status,
                          const std::string& expect_error) {
  if (expect_error.empty()) return status;
  if (status.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("returned OK, expected ", expect_error));
  }
  absl::string_view got = ErrorDetailName(GetErrorDetail(status));
  if (got != expect_error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "failed with ", got, " (", status.ToString(), "), expected ",
        expect_error));
  }
  return absl::OkStatus();
}

std::string EventsDiff(const std::vector<std::string>& expected,
                       const std::vector<std::string>& actual) {
  size_t i = 0;
  while (i < expected.size() && i < actual.size() &&
         expected[i] == actual[i]) {
    ++i;
  }
  std::string out = absl::StrCat("events differ at index ", i, "\n");
  absl::StrAppend(&out, "  expected:\n");
  for (size_t k = 0; k < expected.size(); ++k) {
    absl::StrAppend(&out, k == i ? "  > " : "    ", expected[k], "\n");
  }
  absl::StrAppend(&out, "  actual:\n");
  for (size_t k = 0; k < actual.size(); ++k) {
    absl::StrAppend(&out, k == i ? "  > " : "    ", actual[k], "\n");
  }
  return out;
}

}  // namespace

std::vector<TranscriptMode> TranscriptModes(const TranscriptCase& c) {
  std::vector<TranscriptMode> modes;
  modes.push_back({"whole", ScriptOptions()});
  if (c.split == "all") {
    size_t total = 0;
    for (const TranscriptStep& s : c.steps) {
      if (s.kind == TranscriptStepKind::kServer) total += s.bytes.size();
    }
    for (size_t at = 1; at < total; ++at) {
      TranscriptMode m{absl::StrCat("split@", at), ScriptOptions()};
      m.script.feed = ScriptFeed::kSplitAt;
      m.script.split_at = at;
      modes.push_back(m);
    }
    TranscriptMode bytes{"bytes", ScriptOptions()};
    bytes.script.feed = ScriptFeed::kByteByByte;
    modes.push_back(bytes);
  }
  TranscriptMode record{"record", ScriptOptions()};
  record.record = true;
  if (RecorderSupports(c)) modes.push_back(record);
  for (size_t w : {size_t{1}, size_t{7}}) {
    TranscriptMode m{absl::StrCat("write", w), ScriptOptions()};
    m.script.max_write = w;
    m.script.max_slices = w == 1 ? 1 : 3;
    modes.push_back(m);
  }
  return modes;
}

absl::StatusOr<SessionOptions> SessionOptionsFromMeta(
    const MetaValue& options) {
  SessionOptions o;
  o.ehlo_domain = "client.example.org";
  o.tls_mode = TlsMode::kNone;
  absl::Status s = Expect(options, MetaValue::Type::kObject, "options");
  if (!s.ok()) return s;
  for (const auto& member : options.object) {
    const std::string& k = member.first;
    const MetaValue& v = member.second;
    std::string w = absl::StrCat("options.", k);
    bool extension = false;  // lmtp, idna, oauth
    s = ApplyExtensionOption(k, v, &o, &extension);
    if (!s.ok()) return s;
    if (extension) continue;
    if (k == "ehlo_domain") {
      s = GetString(v, w, &o.ehlo_domain);
    } else if (k == "force_helo") {
      s = GetBool(v, w, &o.force_helo);
    } else if (k == "tls") {
      std::string mode;
      s = GetString(v, w, &mode);
      if (mode == "none") {
        o.tls_mode = TlsMode::kNone;
      } else if (mode == "opportunistic") {
        o.tls_mode = TlsMode::kOpportunistic;
      } else if (mode == "required") {
        o.tls_mode = TlsMode::kRequired;
      } else if (mode == "implicit") {
        o.tls_mode = TlsMode::kImplicit;
      } else if (s.ok()) {
        s = MetaError(w, "must be none, opportunistic, required or implicit");
      }
    } else if (k == "auth") {
      s = Expect(v, MetaValue::Type::kObject, w);
      if (!s.ok()) return s;
      std::string user, password;
      for (const auto& a : v.object) {
        if (a.first == "user") {
          s = GetString(a.second, w + ".user", &user);
        } else if (a.first == "password") {
          s = GetString(a.second, w + ".password", &password);
        } else {
          s = MetaError(w, absl::StrCat("unknown key ", a.first));
        }
        if (!s.ok()) return s;
      }
      o.auth = [user, password](const Capabilities& caps,
                                const TlsInfo*) -> std::unique_ptr<SaslMechanism> {
        if (!caps.has_auth_mechanism("PLAIN")) return nullptr;
        return std::make_unique<FakePlainMechanism>(user, password);
      };
    } else if (k == "allow_insecure_auth") {
      s = GetBool(v, w, &o.allow_insecure_auth);
    } else if (k == "max_auth_challenges") {
      s = GetInt(v, w, &o.max_auth_challenges);
    } else if (k == "chunking") {
      s = GetBool(v, w, &o.chunking);
    } else if (k == "pipelining") {
      s = GetBool(v, w, &o.pipelining);
    } else if (k == "ignore") {
      s = GetStrings(v, w, &o.capability_filter.ignore);
    } else if (k == "force") {
      std::vector<std::string> force;
      s = GetStrings(v, w, &force);
      for (const std::string& f : force) {
        std::vector<std::string> words =
            absl::StrSplit(f, ' ', absl::SkipEmpty());
        if (words.empty()) return MetaError(w, "empty keyword");
        Capability cap;
        cap.keyword = absl::AsciiStrToUpper(words[0]);
        cap.params.assign(words.begin() + 1, words.end());
        o.capability_filter.force.push_back(std::move(cap));
      }
    } else if (k == "timeouts") {
      s = ApplyTimeouts(v, &o.timeouts);
    } else if (k == "max_reply_size") {
      s = GetInt(v, w, &o.reply_limits.max_reply_size);
    } else if (k == "max_reply_lines") {
      s = GetInt(v, w, &o.reply_limits.max_lines);
    } else if (k == "max_reply_line_length") {
      s = GetInt(v, w, &o.reply_limits.max_line_length);
    } else if (k == "line_endings") {
      std::string policy;
      s = GetString(v, w, &policy);
      if (policy == "normalize") {
        o.line_endings = LineEndingPolicy::kNormalize;
      } else if (policy == "reject") {
        o.line_endings = LineEndingPolicy::kReject;
      } else if (s.ok()) {
        s = MetaError(w, "must be normalize or reject");
      }
    } else if (k == "trace") {
      s = GetBool(v, w, &o.trace);
    } else if (k == "reply_events") {
      s = GetBool(v, w, &o.reply_events);
    } else if (k == "max_transactions_per_delivery") {
      s = GetInt(v, w, &o.max_transactions_per_delivery);
    } else {
      s = MetaError(w, "unknown option");
    }
    if (!s.ok()) return s;
  }
  return o;
}

// RunOn plays `c` against `session`, a Session or a SessionRecorder (same
// methods), and fills `run`.
template <typename Target>
void RunOn(const TranscriptCase& c, const TranscriptMode& mode,
           const std::vector<Message>& messages, Target& session,
           TranscriptRun& run) {
  size_t next_message = 0;
  Script script;
  for (const TranscriptStep& step : c.steps) {
    switch (step.kind) {
      case TranscriptStepKind::kServer:
        script.Server(step.bytes);
        break;
      case TranscriptStepKind::kClient:
        script.ExpectClient(step.bytes);
        break;
      case TranscriptStepKind::kEof:
        script.ServerEof();
        break;
      case TranscriptStepKind::kAdvance:
        script.Advance(step.duration);
        break;
      case TranscriptStepKind::kDeadline:
        script.ExpectDeadline(step.no_deadline
                                  ? absl::optional<Duration>()
                                  : absl::optional<Duration>(step.duration));
        break;
      case TranscriptStepKind::kTlsEstablished:
        script.TlsEstablished();
        break;
      case TranscriptStepKind::kTlsFailed:
        script.TlsFailed(
            MakeError(absl::StatusCode::kUnavailable,
                      ErrorDetail::kTlsHandshake, "fake handshake failure"));
        break;
      case TranscriptStepKind::kAction: {
        const std::string& verb = step.words[0];
        std::string expect = step.expect_error;
        std::string description = absl::StrJoin(step.words, " ");
        if (!expect.empty()) absl::StrAppend(&description, " => ", expect);
        if (verb == "deliver") {
          size_t index = next_message;
          if (step.words.size() > 2 ||
              (step.words.size() == 2 &&
               !absl::SimpleAtoi(step.words[1], &index))) {
            run.status = absl::InvalidArgumentError(
                absl::StrCat(c.file, ":", step.line, ": A: deliver [index]"));
            return;
          }
          if (index >= messages.size()) {
            run.status = absl::InvalidArgumentError(absl::StrCat(
                c.file, ":", step.line, ": no message ", index));
            return;
          }
          next_message = index + 1;
          const Message* m = &messages[index];
          script.Call(description, [&session, m, expect](Instant now) {
            if (!m->streamed) {
              absl::Cord body =
                  m->chunks.empty() ? absl::Cord() : ExternalCord(m->chunks[0]);
              return CheckOutcome(
                  session.Deliver(m->envelope, std::move(body), now).status(),
                  expect);
            }
            absl::StatusOr<DeliveryId> id =
                session.StartDelivery(m->envelope, now);
            if (!id.ok()) return CheckOutcome(id.status(), expect);
            for (size_t i = 0; i < m->chunks.size(); ++i) {
              absl::Status s =
                  session.AppendBody(*id, ExternalCord(m->chunks[i]),
                                     i + 1 == m->chunks.size(), now);
              if (!s.ok()) return CheckOutcome(s, expect);
            }
            if (m->chunks.empty()) {
              absl::Status s = session.AppendBody(*id, absl::Cord(), true, now);
              if (!s.ok()) return CheckOutcome(s, expect);
            }
            return CheckOutcome(absl::OkStatus(), expect);
          });
        } else if (verb == "close" && step.words.size() == 1) {
          script.Call(description, [&session, expect](Instant now) {
            return CheckOutcome(session.Close(now), expect);
          });
        } else if (verb == "abort" && step.words.size() == 1) {
          script.Call(description, [&session, expect](Instant now) {
            session.Abort(MakeError(absl::StatusCode::kUnavailable,
                                    ErrorDetail::kIo, "fake I/O error"),
                          now);
            return CheckOutcome(absl::OkStatus(), expect);
          });
        } else if (IsExtensionAction(verb)) {
          std::vector<std::string> words = step.words;
          script.Call(description, [&session, words, expect](Instant now) {
            return CheckOutcome(RunExtensionAction(session, words, now),
                                expect);
          });
        } else {
          run.status = absl::InvalidArgumentError(absl::StrCat(
              c.file, ":", step.line, ": unknown action \"",
              absl::StrJoin(step.words, " "),
              "\" (deliver [i], close, abort, noop, vrfy, expn, help, "
              "etrn)"));
          return;
        }
        break;
      }
    }
    script.Label(absl::StrCat(c.file, ":", step.line));
  }

  ScriptEndpointFor<Target> endpoint(&session);
  ScriptTransport transport(&endpoint, mode.script);
  run.status = transport.Run(script);
  run.events = transport.events();
  run.client_bytes = transport.client_bytes();
  if (run.status.ok() && run.events != c.events) {
    run.status = absl::FailedPreconditionError(EventsDiff(c.events, run.events));
  }
}

absl::StatusOr<std::vector<TranscriptMessage>> MessagesFromMeta(
    const MetaValue& messages) {
  std::vector<TranscriptMessage> out(messages.array.size());
  for (size_t i = 0; i < out.size(); ++i) {
    absl::Status s = ParseMessage(messages.array[i], i, &out[i]);
    if (!s.ok()) return s;
  }
  return out;
}

TranscriptRun RunTranscript(const TranscriptCase& c,
                            const TranscriptMode& mode) {
  TranscriptRun run;
  absl::StatusOr<SessionOptions> options = SessionOptionsFromMeta(c.options);
  if (!options.ok()) {
    run.status = options.status();
    return run;
  }
  absl::StatusOr<std::vector<Message>> parsed = MessagesFromMeta(c.messages);
  if (!parsed.ok()) {
    run.status = parsed.status();
    return run;
  }
  std::vector<Message> messages = *std::move(parsed);

  if (!mode.record) {
    Session session(*options, mode.script.start);
    RunOn(c, mode, messages, session, run);
    return run;
  }
  // Record the run, then replay the trace against a fresh session: it must
  // reproduce every output (transports/testing/session_recorder.h).
  SessionRecorder recorder(*options, mode.script.start);
  RunOn(c, mode, messages, recorder, run);
  if (!run.status.ok()) return run;
  ReplayOptions replay;
  replay.auth = options->auth;
  absl::Status replayed = ReplaySession(recorder.trace(), replay);
  if (!replayed.ok()) {
    run.status = absl::FailedPreconditionError(absl::StrCat(
        "replay of the recorded trace diverged: ", replayed.ToString(),
        "\ntrace:\n", recorder.trace()));
  }
  return run;
}

absl::Status CheckTranscript(const TranscriptCase& c) {
  for (const TranscriptMode& mode : TranscriptModes(c)) {
    TranscriptRun run = RunTranscript(c, mode);
    if (!run.status.ok()) {
      return absl::Status(run.status.code(),
                          absl::StrCat(c.Label(), " mode ", mode.name, ": ",
                                       run.status.message()));
    }
  }
  return absl::OkStatus();
}

std::string TestNameFor(const TranscriptCase& c) {
  std::string stem = c.file;
  if (absl::EndsWith(stem, ".md")) stem.resize(stem.size() - 3);
  std::string name = absl::StrCat(stem, "_", c.name);
  for (char& ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

}  // namespace internal
}  // namespace smtpcore
