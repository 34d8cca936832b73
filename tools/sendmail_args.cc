#include "tools/sendmail_args.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {
namespace {

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// StripAngles turns "<a@b>" into "a@b" and "<>" into "".
std::string StripAngles(absl::string_view address) {
  address = absl::StripAsciiWhitespace(address);
  if (absl::StartsWith(address, "<") && absl::EndsWith(address, ">")) {
    address = address.substr(1, address.size() - 2);
  }
  return std::string(address);
}

// Flags that take a value (as the next argument or attached: -fADDR).
bool TakesValue(char c) {
  switch (c) {
    case 'f': case 'r': case 'F': case 'N': case 'R': case 'V': case 'a':
    case 'C': case 'B': case 'h': case 'L': case 'O': case 'X': case 'A':
      return true;
    default:
      return false;
  }
}

// Value-less flags that may be grouped ("-ti").
bool IsGroupable(char c) {
  return c == 't' || c == 'i' || c == 'v' || c == 'm' || c == 'n' ||
         c == 'U' || c == 'G';
}

absl::Status ApplyValue(char flag, const std::string& value,
                        SendmailArgs* out) {
  switch (flag) {
    case 'f':
    case 'r':
      out->from = StripAngles(value);
      return absl::OkStatus();
    case 'F':
      out->full_name = value;
      return absl::OkStatus();
    case 'N': {
      absl::StatusOr<uint8_t> n = ParseDsnNotify(value);
      if (!n.ok()) {
        return Usage(absl::StrCat("-N: ", n.status().message()));
      }
      out->dsn_notify = *n;
      return absl::OkStatus();
    }
    case 'R': {
      const std::string v = absl::AsciiStrToLower(value);
      if (v == "full") {
        out->dsn_ret = DsnRet::kFull;
      } else if (v == "hdrs") {
        out->dsn_ret = DsnRet::kHdrs;
      } else {
        return Usage(absl::StrCat("-R must be full or hdrs, not '", value,
                                  "'"));
      }
      return absl::OkStatus();
    }
    case 'V':
      out->envid = value;
      return absl::OkStatus();
    case 'a':
      out->account = value;
      return absl::OkStatus();
    case 'C':
      out->config = value;
      return absl::OkStatus();
    default:  // -B, -h, -L, -O, -X, -A: accepted, no effect
      return absl::OkStatus();
  }
}

void ApplyGroupable(char c, SendmailArgs* out) {
  if (c == 't') out->read_recipients = true;
  if (c == 'i') out->ignore_dots = true;
  if (c == 'v') out->trace = true;
  // -m, -n, -U, -G: no effect.
}

}  // namespace

absl::StatusOr<SendmailArgs> ParseSendmailArgs(
    absl::Span<const std::string> args) {
  SendmailArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      for (++i; i < args.size(); ++i) out.recipients.push_back(args[i]);
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      out.recipients.push_back(a);
      continue;
    }
    if (absl::StartsWith(a, "--")) {
      absl::string_view name = absl::string_view(a).substr(2);
      std::string value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != absl::string_view::npos) {
        value = std::string(name.substr(eq + 1));
        name = name.substr(0, eq);
        has_value = true;
      }
      if (name == "help" || name == "version" || name == "read-recipients") {
        if (has_value) return Usage(absl::StrCat("--", name, " takes no value"));
        if (name == "help") out.help = true;
        if (name == "version") out.version = true;
        if (name == "read-recipients") out.read_recipients = true;
        continue;
      }
      if (name == "account" || name == "config" || name == "from") {
        if (!has_value) {
          if (i + 1 >= args.size()) {
            return Usage(absl::StrCat("option --", name, " needs a value"));
          }
          value = args[++i];
        }
        const char flag = name == "account" ? 'a' : name == "config" ? 'C' : 'f';
        if (absl::Status s = ApplyValue(flag, value, &out); !s.ok()) return s;
        continue;
      }
      return Usage(absl::StrCat("unknown option ", a));
    }
    const char c = a[1];
    if (c == 'o') {
      // -oi; every other -oX is a legacy sendmail option: ignored.
      if (a == "-oi") out.ignore_dots = true;
      continue;
    }
    if (c == 'b') {
      if (a == "-bm") continue;
      return Usage(absl::StrCat(a, " is not supported (smtpc sendmail only "
                                "sends a message: -bm)"));
    }
    if (c == 'e' || c == 'q') continue;  // -e* error modes, -q* queue runs
    if (TakesValue(c)) {
      std::string value;
      if (a.size() > 2) {
        value = a.substr(2);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Usage(absl::StrCat("option ", a, " needs a value"));
      }
      if (absl::Status s = ApplyValue(c, value, &out); !s.ok()) return s;
      continue;
    }
    bool grouped = true;
    for (size_t j = 1; j < a.size(); ++j) grouped = grouped && IsGroupable(a[j]);
    if (!grouped) return Usage(absl::StrCat("unknown option ", a));
    for (size_t j = 1; j < a.size(); ++j) ApplyGroupable(a[j], &out);
  }
  return out;
}

}  // namespace cli
}  // namespace smtpcore
