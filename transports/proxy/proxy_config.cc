#include "transports/proxy/proxy_config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

absl::Status Bad(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("proxy URL '", url, "': ", why));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// PercentDecode decodes RFC 3986 §2.1 escapes; false on a bad escape or a
// decoded control character.
bool PercentDecode(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    out->push_back(c);
  }
  return true;
}

}  // namespace

absl::string_view ProxyKindName(ProxyKind kind) {
  switch (kind) {
    case ProxyKind::kNone: return "none";
    case ProxyKind::kSocks5: return "socks5";
    case ProxyKind::kHttpConnect: return "http";
  }
  return "none";
}

std::string ProxyConfig::ToString() const {
  if (kind == ProxyKind::kNone) return "";
  const bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(ProxyKindName(kind), "://",
                      username.empty() ? "" : absl::StrCat(username, "@"),
                      v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
}

absl::StatusOr<ProxyConfig> ParseProxyUrl(absl::string_view url) {
  ProxyConfig config;
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return Bad(url, "expected socks5://HOST[:PORT] or http://HOST:PORT");
  }
  const std::string scheme =
      absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (scheme == "socks5" || scheme == "socks5h") {
    config.kind = ProxyKind::kSocks5;
  } else if (scheme == "http") {
    config.kind = ProxyKind::kHttpConnect;
  } else {
    return Bad(url, absl::StrCat("unknown scheme '", scheme,
                                 "' (socks5, socks5h or http)"));
  }
  absl::string_view rest = url.substr(scheme_end + 3);
  if (absl::EndsWith(rest, "/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != absl::string_view::npos) {
    return Bad(url, "a proxy URL has no path, query or fragment");
  }
  const size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    absl::string_view user = userinfo.substr(0, colon);
    absl::string_view pass = colon == absl::string_view::npos
                                 ? absl::string_view()
                                 : userinfo.substr(colon + 1);
    if (!PercentDecode(user, &config.username) ||
        !PercentDecode(pass, &config.password)) {
      return Bad(url, "bad percent-encoding or control character in the "
                      "credentials");
    }
    if (config.username.empty()) return Bad(url, "empty user name");
    if (config.kind == ProxyKind::kSocks5 &&
        (config.username.size() > 255 || config.password.size() > 255)) {
      return Bad(url, "SOCKS5 user name and password are at most 255 octets "
                      "each (RFC 1929 §2)");
    }
  }
  absl::string_view host = rest;
  absl::string_view port;
  bool has_port = false;
  if (absl::StartsWith(rest, "[")) {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) return Bad(url, "missing ']'");
    host = rest.substr(1, close - 1);
    absl::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad(url, "expected ':PORT' after ']'");
      port = after.substr(1);
      has_port = true;
    }
  } else if (const size_t colon = rest.rfind(':');
             colon != absl::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return Bad(url, "no proxy host");
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '[' || c == ']' ||
        c == '@' || (c == ':' && !absl::StartsWith(rest, "["))) {
      return Bad(url, "bad proxy host");
    }
  }
  config.host = std::string(host);
  if (has_port) {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(port, &p) || p == 0 || p > 65535) {
      return Bad(url, absl::StrCat("bad port '", port, "' (1-65535)"));
    }
    config.port = static_cast<uint16_t>(p);
  } else if (config.kind == ProxyKind::kSocks5) {
    config.port = kSocks5DefaultPort;
  } else {
    return Bad(url, "an http:// proxy needs a port (http://HOST:PORT)");
  }
  return config;
}

}  // namespace smtpcore
