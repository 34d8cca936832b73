#include "tools/steps_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"
#include "tools/json_writer.h"
#include "tools/send_report.h"

namespace smtpcore {
namespace cli {
namespace {

std::string CapabilityText(const Capability& c) {
  if (c.params.empty()) return c.keyword;
  return absl::StrCat(c.keyword, " ", absl::StrJoin(c.params, " "));
}

void WriteCapabilities(JsonWriter& w, const absl::optional<Capabilities>& c) {
  if (!c.has_value()) {
    w.Null();
    return;
  }
  w.BeginArray();
  for (const Capability& one : c->all()) w.String(CapabilityText(one));
  w.EndArray();
}

void WriteReply(JsonWriter& w, const Reply& reply) {
  if (reply.code() == 0) {
    w.Null();
  } else {
    w.String(ReplyLine(reply));
  }
}

double Millis(Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string TextCapabilities(const Capabilities& c) {
  std::string out;
  for (const Capability& one : c.all()) {
    absl::StrAppend(&out, "    ", CapabilityText(one), "\n");
  }
  if (out.empty()) out = "    (none)\n";
  return out;
}

}  // namespace

std::string StepsReportToJson(const StepsReportContext& context,
                              const StepsOutcome& o) {
  JsonWriter w;
  w.BeginObject();
  w.Key("command");
  w.String(context.command);
  w.Key("server");
  w.String(context.server);
  w.Key("peer");
  if (o.peer.empty()) {
    w.Null();
  } else {
    w.String(o.peer);
  }
  if (!context.quit_after.empty()) {
    w.Key("quit_after");
    w.String(context.quit_after);
  }
  w.Key("banner");
  WriteReply(w, o.banner);
  w.Key("capabilities_before_tls");
  WriteCapabilities(w, o.capabilities_before_tls);
  w.Key("capabilities_after_tls");
  WriteCapabilities(w, o.capabilities_after_tls);
  w.Key("tls");
  if (o.tls.has_value()) {
    const TlsInfo& t = *o.tls;
    w.BeginObject();
    w.Key("version");
    w.String(t.version);
    w.Key("cipher");
    w.String(t.cipher);
    w.Key("subject");
    w.String(t.peer_subject);
    w.Key("issuer");
    w.String(t.peer_issuer);
    w.Key("not_after");
    w.String(t.peer_not_after);
    w.Key("verified");
    w.Bool(t.verified);
    w.Key("verify_error");
    if (t.verified || t.verify_error.empty()) {
      w.Null();
    } else {
      w.String(t.verify_error);
    }
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("auth");
  if (o.auth_mechanism.empty()) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("mechanism");
    w.String(o.auth_mechanism);
    w.Key("user");
    w.String(context.user);
    w.Key("ok");
    w.Bool(o.auth_reply.code() == 235);
    w.Key("reply");
    WriteReply(w, o.auth_reply);
    w.EndObject();
  }
  w.Key("rcpt");
  w.BeginArray();
  for (const Reply& r : o.rcpt_replies) w.String(ReplyLine(r));
  w.EndArray();
  w.Key("steps");
  w.BeginArray();
  for (const StepRecord& s : o.steps) {
    w.BeginObject();
    w.Key("name");
    w.String(s.name);
    w.Key("ok");
    w.Bool(s.ok);
    w.Key("reply");
    WriteReply(w, s.reply);
    w.Key("ms");
    w.Double(Millis(s.elapsed));
    w.EndObject();
  }
  w.EndArray();
  w.Key("status");
  w.String(ExitStatusName(o.exit));
  w.Key("exit");
  w.Int(static_cast<int>(o.exit));
  w.Key("error");
  if (o.error.has_value()) {
    const SmtpError& e = *o.error;
    w.BeginObject();
    w.Key("kind");
    w.String(ErrorDetailName(e.cause));
    w.Key("permanent");
    w.Bool(IsPermanentExit(o.exit));
    w.Key("code");
    if (e.code == 0) {
      w.Null();
    } else {
      w.Int(e.code);
    }
    w.Key("command");
    w.String(ErrorCommandName(e.command));
    w.Key("line");
    w.String(ErrorLine(e));
    w.Key("message");
    w.String(e.Message());
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return w.str();
}

std::string StepsReportToText(const StepsReportContext& context,
                              const StepsOutcome& o) {
  std::string out;
  absl::StrAppend(&out, "server:    ", context.server);
  if (!o.peer.empty()) absl::StrAppend(&out, " (", o.peer, ")");
  absl::StrAppend(&out, "\n");
  if (o.banner.code() != 0) {
    absl::StrAppend(&out, "banner:    ", ReplyLine(o.banner), "\n");
  }
  if (o.capabilities_before_tls.has_value()) {
    absl::StrAppend(&out, "capabilities",
                    o.capabilities_after_tls.has_value() ? " before TLS" : "",
                    ":\n", TextCapabilities(*o.capabilities_before_tls));
  }
  if (o.tls.has_value()) {
    const TlsInfo& t = *o.tls;
    absl::StrAppend(&out, "tls:       ", t.version, " ", t.cipher, "\n");
    absl::StrAppend(&out, "  subject: ", t.peer_subject, "\n");
    absl::StrAppend(&out, "  issuer:  ", t.peer_issuer, "\n");
    absl::StrAppend(&out, "  expires: ", t.peer_not_after, "\n");
    absl::StrAppend(&out, "  verified: ",
                    t.verified ? "yes"
                               : absl::StrCat("no (", t.verify_error.empty()
                                                          ? "not checked"
                                                          : t.verify_error,
                                              ")"),
                    "\n");
  }
  if (o.capabilities_after_tls.has_value()) {
    absl::StrAppend(&out, "capabilities after TLS:\n",
                    TextCapabilities(*o.capabilities_after_tls));
  }
  if (!o.auth_mechanism.empty()) {
    absl::StrAppend(&out, "auth:      ", o.auth_mechanism, " as ",
                    context.user, ": ",
                    o.auth_reply.code() == 235 ? "ok" : "failed",
                    o.auth_reply.code() != 0
                        ? absl::StrCat(" (", ReplyLine(o.auth_reply), ")")
                        : "",
                    "\n");
  }
  absl::StrAppend(&out, "steps:\n");
  for (const StepRecord& s : o.steps) {
    absl::StrAppend(&out, absl::StrFormat("  %-9s %9.1f ms  %s%s\n", s.name,
                                          Millis(s.elapsed),
                                          s.ok ? "" : "FAILED ",
                                          ReplyLine(s.reply)));
  }
  absl::StrAppend(&out, "result:    ", ExitStatusName(o.exit));
  if (!context.quit_after.empty()) {
    absl::StrAppend(&out, " (quit after ", context.quit_after, ")");
  }
  absl::StrAppend(&out, "\n");
  return out;
}

}  // namespace cli
}  // namespace smtpcore
