#include "tools/route_command.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/errors.h"
#include "tools/exit_status.h"
#include "tools/flags.h"
#include "tools/mx_config.h"
#include "tools/options.h"
#include "tools/route_report.h"
#include "transports/blocking/route_resolver.h"

namespace smtpcore {
namespace cli {

std::string RouteUsage() {
  return absl::StrCat(
      "Usage: smtpc route DOMAIN [options]\n"
      "\n"
      "Print how mail to DOMAIN would be delivered, without sending: MX "
      "hosts in\norder, their addresses, the TLS policy of each (DANE, "
      "MTA-STS, opportunistic)\nand why, REQUIRETLS eligibility, and the "
      "DNSSEC status of every DNS answer.\n"
      "\n"
      "Options:\n",
      FormatFlagHelp(RouteFlagSpecs()),
      "  --help                 this text\n"
      "\n"
      "Exit status: 0 a route exists, 3 temporary failure (DNS), 4 "
      "permanent\n(null MX, no such domain), 64 usage error.\n");
}

int RunRouteCommand(absl::Span<const std::string> args, const CommandIo& io) {
  absl::StatusOr<RouteFlags> f = ParseRouteFlags(args);
  if (!f.ok()) {
    std::fprintf(io.err,
                 "smtpc route: %s\nTry 'smtpc route --help' for more "
                 "information.\n",
                 std::string(f.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  if (f->help) {
    std::fputs(RouteUsage().c_str(), io.out);
    return 0;
  }
  absl::StatusOr<RouteResolverOptions> options =
      MakeRouteResolverOptions(f->mx, f->ca_file);
  absl::StatusOr<NextHop> hop =
      options.ok() ? ParseDestination(*options, f->mx.domain)
                   : absl::StatusOr<NextHop>(options.status());
  if (!hop.ok()) {
    std::fprintf(io.err, "smtpc route: %s\n",
                 std::string(hop.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  absl::StatusOr<std::unique_ptr<BlockingRouteResolver>> resolver =
      BlockingRouteResolver::Create(*options, nullptr);
  if (!resolver.ok()) {
    std::fprintf(io.err, "smtpc route: %s\n",
                 std::string(resolver.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  RouteReport report;
  report.route = (*resolver)->Resolve(*hop, f->requiretls, nullptr, absl::Now());
  if (f->json) {
    std::fprintf(io.out, "%s\n", RouteReportToJson(report).c_str());
  } else {
    std::fputs(RouteReportToText(report).c_str(), io.out);
  }
  std::fflush(io.out);
  const absl::Status& error = report.route.plan.error;
  if (error.ok()) return 0;
  return static_cast<int>(
      ExitStatusForDetail(GetErrorDetail(error), /*code=*/0));
}

}  // namespace cli
}  // namespace smtpcore
