#include "tools/mx_send.h"

#include <uv.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "route/tls_report.h"
#include "tools/client_config.h"
#include "tools/exit_status.h"
#include "tools/mx_config.h"
#include "tools/route_report.h"
#include "tools/send_report.h"
#include "tools/trace_printer.h"
#include "transports/blocking/mx_delivery.h"
#include "transports/libuv/uv_mx_delivery.h"
#include "transports/common/transport_error.h"

namespace smtpcore {
namespace cli {
namespace {

Envelope MxEnvelope(const SendFlags& f) {
  Envelope e;
  e.from = f.from;
  if (f.eight_bit_mime) e.mail.body = BodyType::k8BitMime;
  e.mail.smtputf8 = f.smtputf8;
  e.mail.requiretls = f.requiretls;
  // DSN parameters go only to servers offering DSN: the core drops them
  // otherwise (RFC 3461 §4).
  e.mail.ret = f.dsn_ret;
  e.mail.envid = f.envid;
  for (const std::string& to : f.to) {
    Recipient r;
    r.address = to;
    r.params.notify = f.dsn_notify;
    e.recipients.push_back(std::move(r));
  }
  return e;
}

absl::Status WriteTlsReports(const std::string& path,
                             const TlsReportAggregator& report,
                             const TlsReportMeta& meta) {
  std::string out = "[";
  bool first = true;
  for (const std::string& domain : report.Domains()) {
    TlsReportMeta m = meta;
    m.report_id = absl::StrCat(meta.report_id, ".", domain);
    absl::StrAppend(&out, first ? "\n" : ",\n", report.ToJson(m, domain));
    first = false;
  }
  absl::StrAppend(&out, "]\n");
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out;
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write --tlsrpt-out ", path));
  }
  return absl::OkStatus();
}

}  // namespace

int RunMxSend(const SendFlags& f, std::string message, const CommandIo& io) {
  const absl::Time started = absl::Now();
  absl::StatusOr<ClientConfig> config = MakeClientConfig(f.connection);
  absl::StatusOr<RouteResolverOptions> route =
      config.ok() ? MakeRouteResolverOptions(f.mx, f.connection.ca_file)
                  : absl::StatusOr<RouteResolverOptions>(config.status());
  if (!route.ok()) {
    std::fprintf(io.err, "smtpc send: %s\n",
                 std::string(route.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  MxDeliveryOptions options;
  options.client = config->options;
  options.client.session.trace = f.connection.trace;
  options.client.session.reply_events = true;
  options.route = *route;
  DialHistory history;
  options.dial_history = &history;
  TlsReportAggregator tls_report;
  options.tls_report = &tls_report;

  SendReport report;
  report.tls_mode = "route";
  TracePrinter trace(io.err, /*color=*/false, "");
  options.on_note = [&](const std::string& line) {
    if (f.connection.trace) trace.Info(line);
  };
  options.client.on_event = [&](const Event& event) {
    if (f.connection.trace) trace.OnEvent(event);
    if (const auto* c = std::get_if<CapabilitiesUpdated>(&event)) {
      report.capabilities = c->capabilities;
      report.have_capabilities = true;
    } else if (const auto* r = std::get_if<ReplyReceived>(&event)) {
      if (r->kind == CommandKind::kData) report.body_command = "DATA";
      if (r->kind == CommandKind::kBdat) report.body_command = "BDAT";
    } else if (const auto* t = std::get_if<TransactionComplete>(&event)) {
      report.result = t->reply;
    }
  };

  MxDeliveryResult result;
  if (f.mx.libuv) {
    UvMxDeliveryOptions uv;
    uv.client = std::move(options.client);
    uv.route = std::move(options.route);
    uv.dial_history = options.dial_history;
    uv.tls_report = options.tls_report;
    uv.on_note = std::move(options.on_note);
    uv_loop_t loop;
    uv_loop_init(&loop);
    DeliverToDomainUv(&loop, f.mx.domain, MxEnvelope(f),
                      absl::Cord(std::move(message)), std::move(uv),
                      [&result](MxDeliveryResult r) { result = std::move(r); });
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  } else {
    result = DeliverToDomain(f.mx.domain, MxEnvelope(f),
                             absl::Cord(std::move(message)),
                             std::move(options));
  }
  RouteReport route_report;
  route_report.route = result.route;
  route_report.accepted_attempt = result.accepted_attempt;
  route_report.accepted_ip = result.accepted_ip;
  report.server = f.mx.domain;
  if (result.accepted_attempt.has_value()) {
    const DeliveryAttempt& a =
        result.route.plan.attempts[*result.accepted_attempt];
    report.server = absl::StrCat(a.host, ":", a.port);
    report.peer = absl::StrCat(
        ParseIpAddress(result.accepted_ip).has_value() &&
                ParseIpAddress(result.accepted_ip)->family == IpFamily::kV6
            ? absl::StrCat("[", result.accepted_ip, "]")
            : result.accepted_ip,
        ":", a.port);
    report.tls_mode = std::string(TlsPolicyName(a.policy));
  }
  report.tls = result.tls;
  report.recipients = result.outcome.result.recipients;
  report.error = result.outcome.error;
  report.exit = ExitStatusForDelivery(
      result.outcome.result,
      result.outcome.error.has_value() ? &*result.outcome.error : nullptr);
  report.route = route_report;

  if (!f.mx.tlsrpt_out.empty()) {
    TlsReportMeta meta;
    meta.organization_name = "smtpc";
    meta.contact_info = absl::StrCat("postmaster@", f.connection.ehlo);
    meta.report_id = absl::StrCat(absl::ToUnixSeconds(started), "@smtpc");
    meta.start = started;
    meta.end = absl::Now();
    absl::Status s = WriteTlsReports(f.mx.tlsrpt_out, tls_report, meta);
    if (!s.ok()) {
      std::fprintf(io.err, "smtpc send: %s\n",
                   std::string(s.message()).c_str());
    }
  }

  if (f.json) {
    std::fprintf(io.out, "%s\n", SendReportToJson(report).c_str());
  } else {
    std::fputs(SendReportToText(report).c_str(), io.out);
    if (result.accepted_attempt.has_value() && result.outcome.ok()) {
      std::fprintf(io.out, "accepted by %s %s (TLS policy %s)\n",
                   report.server.c_str(), report.peer->c_str(),
                   report.tls_mode.c_str());
    }
    if (report.error.has_value()) {
      std::fprintf(io.err, "smtpc send: error: %s\n",
                   report.error->Message().c_str());
    }
  }
  std::fflush(io.out);
  return static_cast<int>(report.exit);
}

}  // namespace cli
}  // namespace smtpcore
