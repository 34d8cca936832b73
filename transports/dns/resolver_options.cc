#include "transports/dns/resolver_options.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/ip_address.h"

namespace smtpcore {

absl::Status ParseResolverAddress(absl::string_view text,
                                  ResolverOptions* options) {
  absl::string_view host = text;
  absl::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return LocalError(ErrorDetail::kInvalidArgument,
                        absl::StrCat("bad resolver address \"", text, "\""));
    }
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return LocalError(ErrorDetail::kInvalidArgument,
                          absl::StrCat("bad resolver address \"", text, "\""));
      }
      port = rest.substr(1);
    }
  } else if (size_t colon = text.find(':');
             colon != absl::string_view::npos &&
             text.find(':', colon + 1) == absl::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  absl::optional<IpAddress> ip = ParseIpAddress(host);
  if (!ip.has_value()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("resolver address \"", text,
                                   "\" is not a numeric IP[:PORT]"));
  }
  uint32_t p = 53;
  if (!port.empty() && (!absl::SimpleAtoi(port, &p) || p == 0 || p > 65535)) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("bad resolver port in \"", text, "\""));
  }
  options->forward_address = ip->ToString();
  options->forward_port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

}  // namespace smtpcore
