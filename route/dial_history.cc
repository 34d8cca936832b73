#include "route/dial_history.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

constexpr absl::string_view kHeader = "smtpcore-dial-history 1";

std::string HostKey(absl::string_view host) {
  return absl::AsciiStrToLower(host);
}

// SortKey orders the addresses of one family (rule 5): category 0 for an
// address whose last attempt connected, 1 for one never dialed, 2 for one
// whose last attempt failed; then recency (connected: most recent first;
// failed: most recent last; never dialed: resolver order, via stable sort).
struct SortKey {
  int category;
  int recency;
  bool operator<(const SortKey& other) const {
    if (category != other.category) return category < other.category;
    return recency < other.recency;
  }
};

SortKey KeyFor(absl::Span<const DialAttempt> attempts, absl::string_view ip) {
  for (size_t i = attempts.size(); i > 0; --i) {
    const DialAttempt& a = attempts[i - 1];
    if (a.ip != ip) continue;
    int age = static_cast<int>(attempts.size() - i);  // 0 = most recent
    if (a.outcome == DialOutcome::kConnected) return SortKey{0, age};
    return SortKey{2, -age};
  }
  return SortKey{1, 0};
}

absl::optional<DialOutcome> OutcomeFromName(absl::string_view name) {
  for (DialOutcome o : {DialOutcome::kConnectFailed, DialOutcome::kConnected,
                        DialOutcome::kSessionFailed}) {
    if (DialOutcomeName(o) == name) return o;
  }
  return absl::nullopt;
}

}  // namespace

absl::string_view DialOutcomeName(DialOutcome outcome) {
  switch (outcome) {
    case DialOutcome::kConnectFailed:
      return "connect_failed";
    case DialOutcome::kConnected:
      return "connected";
    case DialOutcome::kSessionFailed:
      return "session_failed";
  }
  return "unknown";
}

void DialHistory::Record(absl::string_view host, absl::string_view ip,
                         DialOutcome outcome) {
  absl::optional<IpAddress> parsed = ParseIpAddress(ip);
  if (!parsed.has_value()) return;
  std::vector<DialAttempt>& list = hosts_[HostKey(host)];
  list.push_back(DialAttempt{parsed->ToString(), parsed->family, outcome});
  if (list.size() > kMaxAttemptsPerHost) {
    list.erase(list.begin(), list.end() - kMaxAttemptsPerHost);
  }
}

void DialHistory::UpdateLast(absl::string_view host, absl::string_view ip,
                             DialOutcome outcome) {
  auto it = hosts_.find(HostKey(host));
  if (it == hosts_.end()) return;
  absl::optional<IpAddress> parsed = ParseIpAddress(ip);
  std::string key = parsed.has_value() ? parsed->ToString() : std::string(ip);
  for (size_t i = it->second.size(); i > 0; --i) {
    if (it->second[i - 1].ip == key) {
      it->second[i - 1].outcome = outcome;
      return;
    }
  }
}

absl::Span<const DialAttempt> DialHistory::attempts(
    absl::string_view host) const {
  auto it = hosts_.find(HostKey(host));
  if (it == hosts_.end()) return {};
  return it->second;
}

const DialAttempt* DialHistory::last(absl::string_view host) const {
  auto it = hosts_.find(HostKey(host));
  if (it == hosts_.end() || it->second.empty()) return nullptr;
  return &it->second.back();
}

std::string DialHistory::Serialize() const {
  std::string out = absl::StrCat(kHeader, "\n");
  for (const auto& [host, list] : hosts_) {
    for (const DialAttempt& a : list) {
      absl::StrAppend(&out, host, " ", a.ip, " ", DialOutcomeName(a.outcome),
                      "\n");
    }
  }
  return out;
}

absl::StatusOr<DialHistory> DialHistory::Parse(absl::string_view text) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty() || absl::StripAsciiWhitespace(lines[0]) != kHeader) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("dial history: first line must be \"",
                                   kHeader, "\""));
  }
  DialHistory history;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(
        absl::StripAsciiWhitespace(lines[i]), ' ', absl::SkipEmpty());
    absl::optional<IpAddress> ip;
    absl::optional<DialOutcome> outcome;
    if (f.size() == 3) {
      ip = ParseIpAddress(f[1]);
      outcome = OutcomeFromName(f[2]);
    }
    if (!ip.has_value() || !outcome.has_value()) {
      return LocalError(
          ErrorDetail::kInvalidArgument,
          absl::StrCat("dial history line ", i + 1,
                       ": want \"HOST IP OUTCOME\" with a numeric IP and "
                       "an outcome (connect_failed, connected, "
                       "session_failed)"));
    }
    history.Record(f[0], f[1], *outcome);
  }
  return history;
}

std::vector<size_t> OrderIpAddressIndices(
    absl::string_view host, absl::Span<const IpAddress> addresses,
    const DialHistory* history, AddressFamily family) {
  // Split by family, keeping the resolver's order and dropping duplicates.
  std::vector<size_t> v4, v6;
  std::vector<std::string> texts(addresses.size());
  std::vector<std::string> seen;
  bool have_first = false;
  IpFamily first_family = IpFamily::kV4;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const IpAddress& a = addresses[i];
    texts[i] = a.ToString();
    if (std::find(seen.begin(), seen.end(), texts[i]) != seen.end()) continue;
    if (a.family == IpFamily::kV4 && family != AddressFamily::kIpv6Only) {
      v4.push_back(i);
    } else if (a.family == IpFamily::kV6 &&
               family != AddressFamily::kIpv4Only) {
      v6.push_back(i);
    } else {
      continue;
    }
    seen.push_back(texts[i]);
    if (!have_first) {
      have_first = true;
      first_family = a.family;
    }
  }

  absl::Span<const DialAttempt> attempts;
  if (history != nullptr) attempts = history->attempts(host);
  if (!attempts.empty()) {
    const DialAttempt& last = attempts.back();
    IpFamily other =
        last.family == IpFamily::kV4 ? IpFamily::kV6 : IpFamily::kV4;
    // Rule 4: after a failure the other family first, else the same one.
    IpFamily preferred =
        last.outcome == DialOutcome::kConnected ? last.family : other;
    if ((preferred == IpFamily::kV4 && !v4.empty()) ||
        (preferred == IpFamily::kV6 && !v6.empty())) {
      first_family = preferred;
    }
    // Rule 5; the stable sort keeps the resolver's order among equals.
    auto by_recency = [&](size_t a, size_t b) {
      return KeyFor(attempts, texts[a]) < KeyFor(attempts, texts[b]);
    };
    std::stable_sort(v4.begin(), v4.end(), by_recency);
    std::stable_sort(v6.begin(), v6.end(), by_recency);
  }

  // Rule 2: interleave, starting with `first_family`.
  const std::vector<size_t>& a = first_family == IpFamily::kV6 ? v6 : v4;
  const std::vector<size_t>& b = first_family == IpFamily::kV6 ? v4 : v6;
  std::vector<size_t> out;
  out.reserve(a.size() + b.size());
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) out.push_back(a[i]);
    if (i < b.size()) out.push_back(b[i]);
  }
  return out;
}

std::vector<IpAddress> OrderIpAddresses(absl::string_view host,
                                        absl::Span<const IpAddress> addresses,
                                        const DialHistory* history,
                                        AddressFamily family) {
  std::vector<IpAddress> out;
  for (size_t i : OrderIpAddressIndices(host, addresses, history, family)) {
    out.push_back(addresses[i]);
  }
  return out;
}

}  // namespace smtpcore
