#include "transports/common/dial_history.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace smtpcore {

std::string DialAddress::ToString() const {
  if (family == AF_UNIX) return absl::StrCat("unix:", ip);
  if (family == AF_INET6) return absl::StrCat("[", ip, "]:", port);
  return absl::StrCat(ip, ":", port);
}

bool DialAddress::is_loopback() const {
  if (family == AF_UNIX) return true;
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

absl::StatusOr<DialAddress> MakeUnixDialAddress(absl::string_view path) {
  DialAddress address;
  auto* sun = reinterpret_cast<sockaddr_un*>(&address.sockaddr);
  if (path.empty() || path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("bad Unix-domain socket path");
  }
  if (path.size() >= sizeof(sun->sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Unix-domain socket path too long (", path.size(), " octets, at most ",
        sizeof(sun->sun_path) - 1, "): ", path));
  }
  sun->sun_family = AF_UNIX;
  std::memcpy(sun->sun_path, path.data(), path.size());
  sun->sun_path[path.size()] = '\0';
  address.ip = std::string(path);
  address.family = AF_UNIX;
  address.sockaddr_len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

std::vector<DialAddress> OrderDialAddresses(
    absl::string_view host, absl::Span<const DialAddress> addresses,
    const DialHistory* history, AddressFamily family) {
  // Addresses that do not parse (never made by MakeDialAddress) are kept
  // out, like unknown families.
  std::vector<IpAddress> ips;
  std::vector<size_t> index;
  for (size_t i = 0; i < addresses.size(); ++i) {
    absl::optional<IpAddress> ip = ParseIpAddress(addresses[i].ip);
    if (!ip.has_value()) continue;
    ips.push_back(*ip);
    index.push_back(i);
  }
  std::vector<DialAddress> out;
  for (size_t i : OrderIpAddressIndices(host, ips, history, family)) {
    out.push_back(addresses[index[i]]);
  }
  return out;
}

}  // namespace smtpcore
