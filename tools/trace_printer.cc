#include "tools/trace_printer.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr absl::string_view kCyan = "\033[36m";
constexpr absl::string_view kGreen = "\033[32m";
constexpr absl::string_view kYellow = "\033[33m";
constexpr absl::string_view kReset = "\033[0m";

std::string TlsLine(const TlsInfo& info) {
  std::string line = absl::StrCat("* TLS established: ", info.version, ", ",
                                  info.cipher, ", ");
  if (info.verified) {
    absl::StrAppend(&line, "certificate verified");
    if (!info.server_name.empty()) {
      absl::StrAppend(&line, " for ", info.server_name);
    }
  } else {
    absl::StrAppend(&line, "certificate NOT verified");
    if (!info.verify_error.empty()) {
      absl::StrAppend(&line, " (", info.verify_error, ")");
    }
  }
  return line;
}

}  // namespace

std::string TracePrinter::FormatEvent(const Event& event,
                                      absl::string_view auth_user) {
  if (const auto* t = std::get_if<Trace>(&event)) {
    return absl::StrCat(t->from_client ? "C: " : "S: ", t->line, "\n");
  }
  if (const auto* t = std::get_if<TlsEstablished>(&event)) {
    return absl::StrCat(TlsLine(t->info), "\n");
  }
  if (const auto* a = std::get_if<Authenticated>(&event)) {
    if (auth_user.empty()) {
      return absl::StrCat("* authenticated with ", a->mechanism, "\n");
    }
    return absl::StrCat("* authenticated as ", auth_user, " with ",
                        a->mechanism, "\n");
  }
  return "";
}

void TracePrinter::OnEvent(const Event& event) {
  const std::string text = FormatEvent(event, auth_user_);
  if (text.empty()) return;
  absl::string_view color = kYellow;
  if (const auto* t = std::get_if<Trace>(&event)) {
    color = t->from_client ? kCyan : kGreen;
  }
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(0, text.size() - 1),
                      '\n')) {
    Line(color, line);
  }
  std::fflush(out_);
}

void TracePrinter::Info(absl::string_view text) {
  Line(kYellow, absl::StrCat("* ", text));
  std::fflush(out_);
}

void TracePrinter::Line(absl::string_view color, absl::string_view text) {
  if (color_) {
    std::fprintf(out_, "%.*s%.*s%.*s\n", static_cast<int>(color.size()),
                 color.data(), static_cast<int>(text.size()), text.data(),
                 static_cast<int>(kReset.size()), kReset.data());
  } else {
    std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
  }
}

}  // namespace cli
}  // namespace smtpcore
