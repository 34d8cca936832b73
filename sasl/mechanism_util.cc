#include "sasl/mechanism_util.h"

#include <string>

#include "core/errors.h"

namespace smtpcore {
namespace internal {

absl::Status MechanismError(absl::string_view message) {
  return ProtocolError(ErrorDetail::kAuthMechanism, message);
}

absl::Status MechanismPreconditionError(absl::string_view message) {
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   ErrorDetail::kAuthMechanism, message);
}

std::string EscapeSaslName(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace internal
}  // namespace smtpcore
