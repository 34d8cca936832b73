#include "transports/common/dial_history.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

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

}  // namespace

std::string DialAddress::ToString() const {
  if (family == AF_INET6) return absl::StrCat("[", ip, "]:", port);
  return absl::StrCat(ip, ":", port);
}

bool DialAddress::is_loopback() const {
  if (family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&sockaddr);
    return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
  }
  if (family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&sockaddr);
    if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      return sin6->sin6_addr.s6_addr[12] == 127;
    }
  }
  return false;
}

absl::StatusOr<DialAddress> MakeDialAddress(absl::string_view ip,
                                            uint16_t port) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
    ip = ip.substr(1, ip.size() - 2);
  }
  std::string text(ip);
  DialAddress address;
  address.port = port;
  auto* sin = reinterpret_cast<sockaddr_in*>(&address.sockaddr);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&address.sockaddr);
  if (inet_pton(AF_INET, text.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    address.family = AF_INET;
    address.sockaddr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    address.family = AF_INET6;
    address.sockaddr_len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("not a numeric IP address: \"", text, "\""));
  }
  // Canonical text form ("::1" for "0:0::1").
  char buffer[INET6_ADDRSTRLEN] = {};
  const void* raw = address.family == AF_INET
                        ? static_cast<const void*>(&sin->sin_addr)
                        : static_cast<const void*>(&sin6->sin6_addr);
  if (inet_ntop(address.family, raw, buffer, sizeof(buffer)) != nullptr) {
    address.ip = buffer;
  } else {
    address.ip = text;
  }
  return address;
}

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
                         int family, DialOutcome outcome) {
  hosts_[HostKey(host)].push_back(DialAttempt{std::string(ip), family,
                                              outcome});
}

void DialHistory::UpdateLast(absl::string_view host, absl::string_view ip,
                             DialOutcome outcome) {
  auto it = hosts_.find(HostKey(host));
  if (it == hosts_.end()) return;
  for (size_t i = it->second.size(); i > 0; --i) {
    if (it->second[i - 1].ip == ip) {
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

std::vector<DialAddress> OrderDialAddresses(
    absl::string_view host, absl::Span<const DialAddress> addresses,
    const DialHistory* history, AddressFamily family) {
  // Split by family, keeping the resolver's order and dropping duplicates.
  std::vector<DialAddress> v4, v6;
  std::vector<std::string> seen;
  int first_family = AF_UNSPEC;
  for (const DialAddress& a : addresses) {
    if (std::find(seen.begin(), seen.end(), a.ip) != seen.end()) continue;
    if (a.family == AF_INET && family != AddressFamily::kIpv6Only) {
      v4.push_back(a);
    } else if (a.family == AF_INET6 && family != AddressFamily::kIpv4Only) {
      v6.push_back(a);
    } else {
      continue;
    }
    seen.push_back(a.ip);
    if (first_family == AF_UNSPEC) first_family = a.family;
  }

  absl::Span<const DialAttempt> attempts;
  if (history != nullptr) attempts = history->attempts(host);
  if (!attempts.empty()) {
    const DialAttempt& last = attempts.back();
    int other = last.family == AF_INET ? AF_INET6 : AF_INET;
    // Rule 4: after a failure the other family first, else the same one.
    int preferred =
        last.outcome == DialOutcome::kConnected ? last.family : other;
    if ((preferred == AF_INET && !v4.empty()) ||
        (preferred == AF_INET6 && !v6.empty())) {
      first_family = preferred;
    }
    // Rule 5; the stable sort keeps the resolver's order among equals.
    auto by_recency = [&](const DialAddress& a, const DialAddress& b) {
      return KeyFor(attempts, a.ip) < KeyFor(attempts, b.ip);
    };
    std::stable_sort(v4.begin(), v4.end(), by_recency);
    std::stable_sort(v6.begin(), v6.end(), by_recency);
  }

  // Rule 2: interleave, starting with `first_family`.
  const std::vector<DialAddress>& a = first_family == AF_INET6 ? v6 : v4;
  const std::vector<DialAddress>& b = first_family == AF_INET6 ? v4 : v6;
  std::vector<DialAddress> out;
  out.reserve(a.size() + b.size());
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) out.push_back(a[i]);
    if (i < b.size()) out.push_back(b[i]);
  }
  return out;
}

}  // namespace smtpcore
