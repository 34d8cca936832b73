#include "tests/transcript_parser.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace smtpcore {
namespace internal {
namespace {

constexpr absl::string_view kMetaOpen = "<!-- meta=";
constexpr absl::string_view kKnownFailureOpen = "<!-- known_failure:";
constexpr absl::string_view kCommentClose = "-->";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(absl::string_view file, absl::string_view text)
      : file_(file), text_(text) {}

  absl::StatusOr<std::vector<TranscriptCase>> Run() {
    std::vector<absl::string_view> lines = absl::StrSplit(text_, '\n');
    // Fenced block being read: "" when outside any fence.
    std::string fence;
    bool have_smtp = false;
    bool have_events = false;
    std::set<std::string> names;
    for (size_t i = 0; i < lines.size(); ++i) {
      line_ = static_cast<int>(i) + 1;
      absl::string_view line = lines[i];
      absl::ConsumeSuffix(&line, "\r");
      if (!fence.empty()) {
        if (line == "```") {
          fence.clear();
          continue;
        }
        absl::Status status = absl::OkStatus();
        if (fence == "smtp") status = ParseScriptLine(line);
        if (fence == "events" && !line.empty()) {
          current().events.emplace_back(line);
        }
        if (!status.ok()) return status;
        continue;
      }
      if (absl::StartsWith(line, "```")) {
        fence = std::string(absl::StripAsciiWhitespace(line.substr(3)));
        if (fence.empty()) fence = "text";
        if (fence == "smtp" || fence == "events") {
          if (cases_.empty()) return Error("`smtp`/`events` block before ##");
          bool& seen = fence == "smtp" ? have_smtp : have_events;
          if (seen) return Error(absl::StrCat("second `", fence, "` block"));
          seen = true;
        }
        continue;
      }
      if (absl::StartsWith(line, "## ")) {
        absl::Status status = FinishCase(have_smtp, have_events);
        if (!status.ok()) return status;
        have_smtp = have_events = false;
        TranscriptCase c;
        c.file = std::string(file_);
        c.name = std::string(absl::StripAsciiWhitespace(line.substr(3)));
        c.line = line_;
        c.options.type = MetaValue::Type::kObject;
        c.messages.type = MetaValue::Type::kArray;
        if (c.name.empty()) return Error("empty case name");
        if (!names.insert(c.name).second) {
          return Error(absl::StrCat("duplicate case name \"", c.name, "\""));
        }
        cases_.push_back(std::move(c));
        meta_seen_ = false;
        continue;
      }
      if (absl::StartsWith(line, kMetaOpen)) {
        absl::Status status = ParseMetaLine(line);
        if (!status.ok()) return status;
        continue;
      }
      if (absl::StartsWith(line, kKnownFailureOpen)) {
        if (cases_.empty()) return Error("known_failure before ##");
        absl::string_view reason = line.substr(kKnownFailureOpen.size());
        if (!absl::ConsumeSuffix(&reason, kCommentClose)) {
          return Error("known_failure comment must end with --> on its line");
        }
        reason = absl::StripAsciiWhitespace(reason);
        if (reason.empty()) return Error("known_failure needs a reason");
        current().known_failure = std::string(reason);
        continue;
      }
      // Anything else is prose.
    }
    if (!fence.empty()) return Error(absl::StrCat("unclosed ```", fence));
    absl::Status status = FinishCase(have_smtp, have_events);
    if (!status.ok()) return status;
    return std::move(cases_);
  }

 private:
  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", line_, ": ", why));
  }

  TranscriptCase& current() { return cases_.back(); }

  absl::Status FinishCase(bool have_smtp, bool have_events) {
    if (cases_.empty()) return absl::OkStatus();
    if (!have_smtp || !have_events) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_, ":", current().line, ": case \"",
                       current().name, "\" needs one `smtp` and one `events` ",
                       "block"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseMetaLine(absl::string_view line) {
    if (cases_.empty()) return Error("meta before ##");
    if (meta_seen_) return Error("second meta line in one case");
    meta_seen_ = true;
    absl::string_view body = line.substr(kMetaOpen.size());
    if (!absl::ConsumeSuffix(&body, kCommentClose)) {
      return Error("meta comment must end with --> on the same line");
    }
    absl::StatusOr<MetaValue> meta = ParseMeta(body);
    if (!meta.ok()) return Error(meta.status().message());
    if (meta->type != MetaValue::Type::kObject) {
      return Error("meta must be an object");
    }
    TranscriptCase& c = current();
    for (auto& member : meta->object) {
      const std::string& key = member.first;
      MetaValue& value = member.second;
      if (key == "split") {
        if (value.type != MetaValue::Type::kString ||
            (value.string != "all" && value.string != "whole")) {
          return Error("meta split must be \"all\" or \"whole\"");
        }
        c.split = value.string;
      } else if (key == "options") {
        if (value.type != MetaValue::Type::kObject) {
          return Error("meta options must be an object");
        }
        c.options = std::move(value);
      } else if (key == "messages") {
        if (value.type != MetaValue::Type::kArray) {
          return Error("meta messages must be an array");
        }
        c.messages = std::move(value);
      } else {
        return Error(absl::StrCat("unknown meta key \"", key, "\""));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseDurationArg(absl::string_view arg, Duration* out) {
    if (!absl::ConsumePrefix(&arg, "+")) {
      return Error("duration must be written \"+<n><unit>\", e.g. +300s");
    }
    if (!absl::ParseDuration(arg, out) || *out < absl::ZeroDuration()) {
      return Error(absl::StrCat("bad duration \"", arg, "\""));
    }
    return absl::OkStatus();
  }

  absl::Status ParseScriptLine(absl::string_view line) {
    if (line.empty() || absl::StartsWith(line, "#")) return absl::OkStatus();
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return Error("script line needs a \"PREFIX:\"");
    }
    absl::string_view prefix = line.substr(0, colon);
    absl::string_view rest = line.substr(colon + 1);
    TranscriptStep step;
    step.line = line_;
    if (prefix == "S" || prefix == "S~" || prefix == "C" || prefix == "C~") {
      // Exactly one space separates the prefix from the text, so leading
      // spaces of the text itself are kept.
      if (!rest.empty() && !absl::ConsumePrefix(&rest, " ")) {
        return Error("a space must follow the colon");
      }
      if (prefix == "S" && rest == "<EOF>") {
        step.kind = TranscriptStepKind::kEof;
        current().steps.push_back(std::move(step));
        return absl::OkStatus();
      }
      step.kind = prefix[0] == 'S' ? TranscriptStepKind::kServer
                                   : TranscriptStepKind::kClient;
      absl::Status status = UnescapeScriptText(rest, &step.bytes);
      if (!status.ok()) return Error(status.message());
      if (prefix.size() == 1) step.bytes.append("\r\n");
      current().steps.push_back(std::move(step));
      return absl::OkStatus();
    }
    rest = absl::StripAsciiWhitespace(rest);
    if (prefix == "T") {
      step.kind = TranscriptStepKind::kAdvance;
      absl::Status status = ParseDurationArg(rest, &step.duration);
      if (!status.ok()) return status;
    } else if (prefix == "DEADLINE") {
      step.kind = TranscriptStepKind::kDeadline;
      if (rest == "none") {
        step.no_deadline = true;
      } else {
        absl::Status status = ParseDurationArg(rest, &step.duration);
        if (!status.ok()) return status;
      }
    } else if (prefix == "TLS") {
      if (rest == "established") {
        step.kind = TranscriptStepKind::kTlsEstablished;
      } else if (rest == "failed") {
        step.kind = TranscriptStepKind::kTlsFailed;
      } else {
        return Error("TLS: must be \"established\" or \"failed\"");
      }
    } else if (prefix == "A") {
      step.kind = TranscriptStepKind::kAction;
      std::vector<absl::string_view> halves = absl::StrSplit(rest, "=>");
      if (halves.size() > 2) return Error("more than one => in an action");
      if (halves.size() == 2) {
        step.expect_error = std::string(absl::StripAsciiWhitespace(halves[1]));
        if (step.expect_error.empty()) return Error("error name after =>");
      }
      for (absl::string_view word :
           absl::StrSplit(halves[0], ' ', absl::SkipWhitespace())) {
        step.words.emplace_back(word);
      }
      if (step.words.empty()) return Error("A: needs a verb");
    } else {
      return Error(absl::StrCat("unknown script prefix \"", prefix, "\""));
    }
    current().steps.push_back(std::move(step));
    return absl::OkStatus();
  }

  absl::string_view file_;
  absl::string_view text_;
  int line_ = 0;
  bool meta_seen_ = false;
  std::vector<TranscriptCase> cases_;
};

}  // namespace

std::string TranscriptCase::Label() const {
  return absl::StrCat(file, ":", line, " (", name, ")");
}

absl::Status UnescapeScriptText(absl::string_view text, std::string* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (i + 1 >= text.size()) {
      return absl::InvalidArgumentError(
          "lone backslash at the end of the line (write \\\\; use S~:/C~: "
          "to omit the CRLF)");
    }
    char e = text[++i];
    switch (e) {
      case 'r':
        out->push_back('\r');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case 'x': {
        int hi = i + 1 < text.size() ? HexDigit(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return absl::InvalidArgumentError("\\x needs two hex digits");
        }
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("unknown escape \\", std::string(1, e)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TranscriptCase>> ParseTranscript(
    absl::string_view file, absl::string_view text) {
  return Parser(file, text).Run();
}

absl::StatusOr<std::vector<TranscriptCase>> LoadTranscriptDir(
    const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::filesystem::path& p = entry.path();
    if (p.extension() == ".md" && p.filename() != "README.md") {
      paths.push_back(p);
    }
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot list ", dir, ": ", ec.message()));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<TranscriptCase> all;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", p.string()));
    std::stringstream buffer;
    buffer << in.rdbuf();
    absl::StatusOr<std::vector<TranscriptCase>> cases =
        ParseTranscript(p.filename().string(), buffer.str());
    if (!cases.ok()) return cases.status();
    for (auto& c : *cases) all.push_back(std::move(c));
  }
  if (all.empty()) {
    return absl::NotFoundError(absl::StrCat("no transcript cases in ", dir));
  }
  return all;
}

}  // namespace internal
}  // namespace smtpcore
