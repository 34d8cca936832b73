#include "core/capabilities.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace smtpcore {
namespace {

bool IsKeywordStart(char ch) { return absl::ascii_isalnum(ch); }

void AddUnique(std::vector<std::string>* params, std::string value) {
  for (const std::string& p : *params) {
    if (p == value) return;
  }
  params->push_back(std::move(value));
}

absl::optional<uint32_t> ParseU32(absl::string_view text) {
  uint32_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return absl::nullopt;
  if (text.empty() || !absl::ascii_isdigit(text[0])) return absl::nullopt;
  return value;
}

}  // namespace

Capabilities Capabilities::Parse(const ReplyView& ehlo_reply,
                                 const CapabilityFilter& filter) {
  Capabilities caps;
  bool first = true;
  for (absl::string_view line : ehlo_reply.lines()) {
    if (first) {  // the server's domain and greeting text
      first = false;
      continue;
    }
    caps.Add(line);
  }
  caps.Apply(filter);
  return caps;
}

Capabilities Capabilities::ParseLines(
    absl::Span<const absl::string_view> lines, const CapabilityFilter& filter) {
  Capabilities caps;
  for (absl::string_view line : lines) caps.Add(line);
  caps.Apply(filter);
  return caps;
}

void Capabilities::Add(absl::string_view line) {
  line = absl::StripTrailingAsciiWhitespace(line);
  if (line.empty() || !IsKeywordStart(line[0])) {
    ++ignored_lines_;
    return;
  }
  std::vector<absl::string_view> words =
      // RFC 5321 §4.1.1.1: ehlo-param is %d33-126, so any ASCII white
      // space separates (a HTAB must not end up inside a parameter, e.g. an
      // AUTH mechanism "PLAIN\t").
      absl::StrSplit(line, absl::ByAnyChar(" \t\v\f\r\n"),
                     absl::SkipEmpty());
  std::string keyword = absl::AsciiStrToUpper(words[0]);
  std::vector<std::string> params;
  if (absl::StartsWith(keyword, "AUTH=")) {
    // Pre-standard "AUTH=PLAIN LOGIN" (RFC 2554 drafts): merge into AUTH.
    std::string first_mech = keyword.substr(5);
    keyword = "AUTH";
    if (!first_mech.empty()) params.push_back(first_mech);
  }
  for (size_t i = 1; i < words.size(); ++i) {
    params.emplace_back(words[i]);
  }
  if (keyword == "AUTH") {
    for (std::string& p : params) p = absl::AsciiStrToUpper(p);
  }
  for (Capability& c : entries_) {
    if (c.keyword == keyword) {
      for (std::string& p : params) {
        if (keyword == "AUTH") {
          AddUnique(&c.params, std::move(p));
        } else {
          c.params.push_back(std::move(p));
        }
      }
      return;
    }
  }
  if (keyword == "AUTH") {
    std::vector<std::string> unique;
    for (std::string& p : params) AddUnique(&unique, std::move(p));
    params = std::move(unique);
  }
  entries_.push_back(Capability{std::move(keyword), std::move(params)});
}

void Capabilities::Apply(const CapabilityFilter& filter) {
  for (const std::string& ignore : filter.ignore) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (absl::EqualsIgnoreCase(it->keyword, ignore)) {
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const Capability& force : filter.force) {
    if (force.keyword.empty() || has(force.keyword)) continue;
    entries_.push_back(
        Capability{absl::AsciiStrToUpper(force.keyword), force.params});
  }
}

const Capability* Capabilities::Find(absl::string_view keyword) const {
  for (const Capability& c : entries_) {
    if (absl::EqualsIgnoreCase(c.keyword, keyword)) return &c;
  }
  return nullptr;
}

bool Capabilities::has(absl::string_view keyword) const {
  return Find(keyword) != nullptr;
}

const std::vector<std::string>* Capabilities::params(
    absl::string_view keyword) const {
  const Capability* c = Find(keyword);
  return c == nullptr ? nullptr : &c->params;
}

absl::optional<uint64_t> Capabilities::size_limit() const {
  const Capability* c = Find("SIZE");
  if (c == nullptr || c->params.empty()) return absl::nullopt;
  const std::string& text = c->params[0];
  uint64_t value = 0;
  if (text.empty() || !absl::ascii_isdigit(text[0]) ||
      !absl::SimpleAtoi(text, &value) || value == 0) {
    return absl::nullopt;
  }
  return value;
}

std::vector<std::string> Capabilities::auth_mechanisms() const {
  const Capability* c = Find("AUTH");
  if (c == nullptr) return {};
  return c->params;
}

bool Capabilities::has_auth_mechanism(absl::string_view name) const {
  const Capability* c = Find("AUTH");
  if (c == nullptr) return false;
  for (const std::string& m : c->params) {
    if (absl::EqualsIgnoreCase(m, name)) return true;
  }
  return false;
}

SmtpLimits Capabilities::limits() const {
  SmtpLimits limits;
  const Capability* c = Find("LIMITS");
  if (c == nullptr) return limits;
  // RFC 9422 §4: "LIMITS" SP limit-name "=" value *(SP ...); names are
  // case-insensitive; unknown names are ignored.
  for (const std::string& p : c->params) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(p, absl::MaxSplits('=', 1));
    absl::optional<uint32_t> value = ParseU32(kv.second);
    if (!value.has_value() || *value == 0) continue;
    if (absl::EqualsIgnoreCase(kv.first, "MAILMAX")) {
      limits.mailmax = value;
    } else if (absl::EqualsIgnoreCase(kv.first, "RCPTMAX")) {
      limits.rcptmax = value;
    } else if (absl::EqualsIgnoreCase(kv.first, "RCPTDOMAINMAX")) {
      limits.rcptdomainmax = value;
    }
  }
  return limits;
}

absl::optional<int64_t> Capabilities::deliverby() const {
  const Capability* c = Find("DELIVERBY");
  if (c == nullptr) return absl::nullopt;
  if (c->params.empty()) return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(c->params[0], &value) || value < 0) return 0;
  return value;
}

absl::optional<std::string> Capabilities::mt_priority() const {
  const Capability* c = Find("MT-PRIORITY");
  if (c == nullptr) return absl::nullopt;
  if (c->params.empty()) return std::string();
  return c->params[0];
}

std::string Capabilities::ToString() const {
  std::string out;
  for (const Capability& c : entries_) {
    if (!out.empty()) out.push_back(' ');
    out.append(c.keyword);
    if (!c.params.empty()) {
      out.push_back('=');
      out.append(absl::StrJoin(c.params, ","));
    }
  }
  return out;
}

}  // namespace smtpcore
