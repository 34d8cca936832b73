#include "tools/flags.h"

#include <algorithm>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace cli {
namespace {

const FlagSpec* FindSpec(absl::Span<const FlagSpec> specs,
                         absl::string_view name) {
  for (const FlagSpec& s : specs) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// EditDistance is the Levenshtein distance, for "did you mean" hints.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Suggestion(absl::Span<const FlagSpec> specs,
                       absl::string_view name) {
  const char* best = nullptr;
  size_t best_distance = 3;  // suggest only close matches
  for (const FlagSpec& s : specs) {
    const size_t d = EditDistance(name, s.name);
    if (d < best_distance) {
      best_distance = d;
      best = s.name;
    }
  }
  if (best == nullptr) return "";
  return absl::StrCat(" (did you mean --", best, "?)");
}

}  // namespace

bool ParsedFlags::has(absl::string_view name) const {
  return values_.find(name) != values_.end();
}

std::string ParsedFlags::value(absl::string_view name,
                               absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> ParsedFlags::values(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

absl::StatusOr<ParsedFlags> ParseFlags(absl::Span<const FlagSpec> specs,
                                       absl::Span<const std::string> args,
                                       bool allow_positional) {
  ParsedFlags out;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-' || arg == "-") {
      if (!allow_positional) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument '", arg, "'"));
      }
      out.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      out.values_["help"];
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown option ", arg, " (options are spelled --name)"));
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    absl::string_view name = body;
    bool has_inline_value = false;
    absl::string_view inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      inline_value = body.substr(eq + 1);
      has_inline_value = true;
    }
    const FlagSpec* spec = FindSpec(specs, name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown option --", name, Suggestion(specs, name)));
    }
    if (out.has(spec->name) && !spec->repeatable) {
      return absl::InvalidArgumentError(
          absl::StrCat("option --", spec->name, " given more than once"));
    }
    std::vector<std::string>& slot = out.values_[spec->name];
    if (spec->value_name == nullptr) {
      if (has_inline_value) {
        return absl::InvalidArgumentError(
            absl::StrCat("option --", spec->name, " takes no value"));
      }
      // Booleans record an empty value so a repetition is detected.
      slot.push_back("");
      continue;
    }
    if (has_inline_value) {
      slot.emplace_back(inline_value);
      continue;
    }
    if (i + 1 >= args.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "option --", spec->name, " needs a value (", spec->value_name, ")"));
    }
    slot.push_back(args[++i]);
  }
  return out;
}

std::string FormatFlagHelp(absl::Span<const FlagSpec> specs) {
  size_t width = 0;
  std::vector<std::string> heads;
  heads.reserve(specs.size());
  for (const FlagSpec& s : specs) {
    std::string head = absl::StrCat("--", s.name);
    if (s.value_name != nullptr) absl::StrAppend(&head, " ", s.value_name);
    width = std::max(width, head.size());
    heads.push_back(std::move(head));
  }
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    absl::StrAppend(&out, "  ", heads[i],
                    std::string(width - heads[i].size() + 2, ' '),
                    specs[i].help, "\n");
  }
  return out;
}

}  // namespace cli
}  // namespace smtpcore
