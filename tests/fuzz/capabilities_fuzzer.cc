// capabilities_fuzzer: the EHLO capability parser (core/capabilities.h).
//
// Input layout:
//   byte 0  bit 0: the rest is server bytes, parsed by ReplyParser, and
//           every complete reply goes through Capabilities::Parse; else the
//           rest is split on LF into keyword lines for ParseLines.
//           bits 1-2: the filter: none, ignore the first keyword seen,
//           force "PIPELINING" and "SIZE 1000", or both.
//   bytes 1..
//
// Invariants (abort on violation):
//   - keywords are unique, non-empty, upper case, start with a letter or
//     digit and hold no space; parameters are non-empty and hold no space;
//   - has() and params() agree with all(); AUTH mechanisms are upper case
//     and unique;
//   - parsing is idempotent: rendering every capability back as a line
//     ("KEYWORD p1 p2") and parsing again gives the same capabilities;
//   - an ignored keyword is absent unless forced (then it has the forced
//     parameters), a forced one present;
//   - the typed accessors (SIZE, LIMITS, DELIVERBY, MT-PRIORITY, ToString)
//     never crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/capabilities.h"
#include "core/reply_parser.h"

namespace {

using smtpcore::Capabilities;
using smtpcore::Capability;
using smtpcore::CapabilityFilter;

[[noreturn]] void Violation(const char* what, const std::string& detail) {
  std::fprintf(stderr, "capabilities_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool SameEntries(const Capabilities& a, const Capabilities& b) {
  if (a.all().size() != b.all().size()) return false;
  for (size_t i = 0; i < a.all().size(); ++i) {
    if (a.all()[i].keyword != b.all()[i].keyword ||
        a.all()[i].params != b.all()[i].params) {
      return false;
    }
  }
  return true;
}

void Check(const Capabilities& caps, const CapabilityFilter& filter) {
  std::vector<std::string> seen;
  for (const Capability& c : caps.all()) {
    if (c.keyword.empty()) Violation("empty keyword", caps.ToString());
    if (absl::AsciiStrToUpper(c.keyword) != c.keyword) {
      Violation("keyword not upper case", c.keyword);
    }
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c.keyword[0]))) {
      Violation("keyword starts with a non-alphanumeric", c.keyword);
    }
    if (c.keyword.find(' ') != std::string::npos) {
      Violation("space in keyword", c.keyword);
    }
    for (const std::string& s : seen) {
      if (s == c.keyword) Violation("duplicate keyword", c.keyword);
    }
    seen.push_back(c.keyword);
    for (const std::string& p : c.params) {
      if (p.empty() || p.find(' ') != std::string::npos) {
        Violation("bad parameter", c.keyword + " [" + p + "]");
      }
    }
    if (!caps.has(c.keyword) || !caps.has(absl::AsciiStrToLower(c.keyword))) {
      Violation("has() disagrees with all()", c.keyword);
    }
    const std::vector<std::string>* params = caps.params(c.keyword);
    if (params == nullptr || *params != c.params) {
      Violation("params() disagrees with all()", c.keyword);
    }
  }
  std::vector<std::string> mechs = caps.auth_mechanisms();
  for (size_t i = 0; i < mechs.size(); ++i) {
    if (absl::AsciiStrToUpper(mechs[i]) != mechs[i]) {
      Violation("AUTH mechanism not upper case", mechs[i]);
    }
    for (size_t j = 0; j < i; ++j) {
      if (mechs[i] == mechs[j]) Violation("duplicate AUTH mechanism", mechs[i]);
    }
    if (!caps.has_auth_mechanism(absl::AsciiStrToLower(mechs[i]))) {
      Violation("has_auth_mechanism disagrees", mechs[i]);
    }
  }
  // An ignored keyword is absent, unless forced: then it has the forced
  // parameters (the server's are replaced). A forced keyword is present.
  for (const std::string& k : filter.ignore) {
    const Capability* forced = nullptr;
    for (const Capability& f : filter.force) {
      if (absl::EqualsIgnoreCase(k, f.keyword)) forced = &f;
    }
    if (forced == nullptr && caps.has(k)) {
      Violation("ignored keyword present", k);
    }
    if (forced != nullptr &&
        (caps.params(k) == nullptr || *caps.params(k) != forced->params)) {
      Violation("ignored and forced keyword without the forced params", k);
    }
  }
  for (const Capability& f : filter.force) {
    if (!caps.has(f.keyword)) Violation("forced keyword absent", f.keyword);
  }
  // Typed accessors: no crash, sane values.
  (void)caps.size_limit();
  (void)caps.limits();
  (void)caps.deliverby();
  (void)caps.mt_priority();
  (void)caps.ToString();

  // Idempotence: render and parse again (no filter: it was applied).
  std::vector<std::string> lines;
  for (const Capability& c : caps.all()) {
    std::string line = c.keyword;
    for (const std::string& p : c.params) line += " " + p;
    lines.push_back(line);
  }
  std::vector<absl::string_view> views(lines.begin(), lines.end());
  Capabilities again = Capabilities::ParseLines(views);
  if (!SameEntries(caps, again)) {
    Violation("not idempotent", caps.ToString() + " -> " + again.ToString());
  }
}

CapabilityFilter PickFilter(uint8_t option, absl::string_view first_keyword) {
  CapabilityFilter filter;
  if ((option & 1) != 0 && !first_keyword.empty()) {
    filter.ignore.push_back(std::string(first_keyword));
  }
  if ((option & 2) != 0) {
    filter.force.push_back(Capability{"PIPELINING", {}});
    filter.force.push_back(Capability{"SIZE", {"1000"}});
  }
  return filter;
}

// FirstKeyword returns the first word of the first line that could be a
// keyword line, for the "ignore" filter.
std::string FirstKeyword(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() > 4) line.remove_prefix(4);  // "250-" in reply mode
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!words.empty()) {
      return std::string(absl::StripAsciiWhitespace(words[0]));
    }
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t option = data[0];
  absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  CapabilityFilter filter = PickFilter(option >> 1, FirstKeyword(text));
  if ((option & 1) != 0) {
    smtpcore::ReplyParser parser{smtpcore::ReplyLimits()};
    while (!text.empty()) {
      smtpcore::ReplyView reply;
      smtpcore::ParseResult r = parser.Parse(text, &reply);
      if (r.status != smtpcore::ParseStatus::kComplete) break;
      text.remove_prefix(r.consumed);
      Check(Capabilities::Parse(reply, filter), filter);
    }
    return 0;
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  Check(Capabilities::ParseLines(lines, filter), filter);
  return 0;
}
