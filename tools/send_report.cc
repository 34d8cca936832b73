#include "tools/send_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"
#include "tools/json_writer.h"
#include "tools/route_report.h"

namespace smtpcore {
namespace cli {
namespace {

void WriteOptionalCode(JsonWriter& w, int code) {
  if (code == 0) {
    w.Null();
  } else {
    w.Int(code);
  }
}

void WriteEnhanced(JsonWriter& w, const absl::optional<EnhancedCode>& e) {
  if (e.has_value()) {
    w.String(e->ToString());
  } else {
    w.Null();
  }
}

std::string CapabilityLine(const Capability& c) {
  if (c.params.empty()) return c.keyword;
  return absl::StrCat(c.keyword, " ", absl::StrJoin(c.params, " "));
}

}  // namespace

std::string ReplyText(const Reply& reply) {
  if (reply.code() == 0) return "";
  return std::string(reply.view().message());
}

std::string ReplyLine(const Reply& reply) {
  if (reply.code() == 0) return "";
  return absl::StrCat(reply.code(), " ", reply.view().first_line());
}

std::string ErrorCommandName(CommandKind kind) {
  if (kind == CommandKind::kGreeting) return "CONNECT";
  return std::string(CommandKindName(kind));
}

std::string ErrorLine(const SmtpError& error) {
  if (error.code == 0) return error.Message();
  return absl::StrCat(error.code, " ", error.first_line);
}

std::string SendReportToJson(const SendReport& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("server");
  w.String(r.server);
  w.Key("peer");
  w.OptionalString(r.peer);

  w.Key("tls");
  w.BeginObject();
  w.Key("mode");
  w.String(r.tls_mode);
  w.Key("established");
  w.Bool(r.tls.has_value());
  if (r.tls.has_value()) {
    w.Key("version");
    w.String(r.tls->version);
    w.Key("cipher");
    w.String(r.tls->cipher);
    w.Key("verified");
    w.Bool(r.tls->verified);
    w.Key("verify_error");
    if (r.tls->verified || r.tls->verify_error.empty()) {
      w.Null();
    } else {
      w.String(r.tls->verify_error);
    }
    w.Key("client_certificate");
    w.Bool(r.tls->client_certificate);
  }
  w.EndObject();

  w.Key("capabilities");
  w.BeginArray();
  for (const Capability& c : r.capabilities.all()) w.String(CapabilityLine(c));
  w.EndArray();

  w.Key("auth");
  if (r.auth_mechanism.has_value()) {
    w.BeginObject();
    w.Key("mechanism");
    w.String(*r.auth_mechanism);
    w.Key("user");
    w.String(r.auth_user);
    w.EndObject();
  } else {
    w.Null();
  }

  w.Key("body_command");
  w.OptionalString(r.body_command);

  w.Key("recipients");
  w.BeginArray();
  for (const RecipientResult& rr : r.recipients) {
    w.BeginObject();
    w.Key("address");
    w.String(rr.address);
    w.Key("accepted");
    w.Bool(rr.rcpt_reply.view().is_positive());
    w.Key("status");
    w.String(RecipientOutcomeName(rr));
    w.Key("code");
    WriteOptionalCode(w, rr.rcpt_reply.code());
    w.Key("enhanced_code");
    WriteEnhanced(w, rr.rcpt_reply.enhanced());
    w.Key("text");
    if (rr.rcpt_reply.code() == 0) {
      w.Null();
    } else {
      w.String(ReplyText(rr.rcpt_reply));
    }
    w.EndObject();
  }
  w.EndArray();

  w.Key("result");
  if (r.result.has_value() && r.result->code() != 0) {
    w.BeginObject();
    w.Key("code");
    w.Int(r.result->code());
    w.Key("enhanced_code");
    WriteEnhanced(w, r.result->enhanced());
    w.Key("text");
    w.String(ReplyText(*r.result));
    w.EndObject();
  } else {
    w.Null();
  }

  w.Key("status");
  w.String(ExitStatusName(r.exit));
  w.Key("exit_code");
  w.Int(static_cast<int>(r.exit));

  w.Key("error");
  if (r.error.has_value()) {
    const SmtpError& e = *r.error;
    w.BeginObject();
    w.Key("kind");
    w.String(ErrorDetailName(e.cause));
    w.Key("permanent");
    w.Bool(IsPermanentExit(r.exit));
    w.Key("code");
    WriteOptionalCode(w, e.code);
    w.Key("enhanced_code");
    WriteEnhanced(w, e.enhanced);
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
  if (r.route.has_value()) {
    w.Key("route");
    WriteRouteJson(w, *r.route);
  }
  w.EndObject();
  return w.str();
}

std::string SendReportToText(const SendReport& r) {
  std::string out;
  size_t width = 0;
  for (const RecipientResult& rr : r.recipients) {
    width = std::max(width, rr.address.size());
  }
  for (const RecipientResult& rr : r.recipients) {
    // A refused sender (MAIL) or a delivery that failed before RCPT: the
    // recipient was never offered to the server, it is "not sent", not
    // "rejected" (RecipientNotSent); the error line names the cause.
    const absl::string_view status =
        RecipientNotSent(rr) ? "not sent"
        : rr.status == RecipientStatus::kPending
            ? (rr.rcpt_reply.view().is_positive() ? "accepted" : "not sent")
            : RecipientStatusName(rr.status);
    absl::StrAppend(
        &out,
        absl::StrFormat("%-9s %-*s  %s\n", status, static_cast<int>(width),
                        rr.address,
                        rr.rcpt_reply.code() == 0 ? "-"
                                                  : ReplyLine(rr.rcpt_reply)));
  }
  if (r.result.has_value() && r.result->code() != 0) {
    absl::StrAppend(&out, absl::StrFormat(
                              "%-9s %-*s  %s\n", "message",
                              static_cast<int>(width),
                              r.body_command.value_or("DATA"),
                              ReplyLine(*r.result)));
  }
  for (const RecipientResult& rr : r.recipients) {
    if (rr.status == RecipientStatus::kUnknown) {
      absl::StrAppend(&out, kUnknownOutcomeNote);
      break;
    }
  }
  return out;
}

}  // namespace cli
}  // namespace smtpcore
