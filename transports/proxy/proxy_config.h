// ProxyConfig: which proxy a client connection goes through, and the
// parser of the proxy URLs users write (`smtpc --proxy`, the C ABI):
//
//   socks5://[user:password@]host[:port]    SOCKS5 (RFC 1928), username/
//                                           password auth (RFC 1929) when
//                                           credentials are given; port
//                                           1080 by default (RFC 1928 §3)
//   socks5h://...                           the same (curl's spelling for
//                                           "the proxy resolves the name")
//   http://[user:password@]host:port        HTTP CONNECT (RFC 9110 §9.3.6)
//                                           with Basic proxy credentials
//                                           (RFC 9110 §11.7.1, RFC 7617);
//                                           the port is required
//
// The destination's name is always resolved by the proxy (SOCKS5 ATYP
// X'03', RFC 1928 §5; the CONNECT authority): a name the client cannot
// resolve, or resolves differently, still works, and no DNS query leaves
// the client. User and password may be percent-encoded (RFC 3986 §2.1) so
// they can hold ':' or '@'. Pure: no sockets, no DNS.

#ifndef SMTP_TRANSPORTS_PROXY_PROXY_CONFIG_H_
#define SMTP_TRANSPORTS_PROXY_PROXY_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// ProxyKind is the proxy protocol.
enum class ProxyKind : uint8_t {
  kNone,         // connect directly
  kSocks5,       // RFC 1928 (+ RFC 1929)
  kHttpConnect,  // RFC 9110 §9.3.6
};

// ProxyKindName returns "none", "socks5" or "http".
absl::string_view ProxyKindName(ProxyKind kind);

// kSocks5DefaultPort is the port a socks5:// URL without one uses.
inline constexpr uint16_t kSocks5DefaultPort = 1080;

// ProxyConfig says how to reach the proxy. A value type. `kind` kNone (the
// default) means no proxy; then the other fields are ignored.
struct ProxyConfig {
  ProxyKind kind = ProxyKind::kNone;
  // host is the proxy: a name (resolved by the client) or an IP literal
  // without brackets.
  std::string host;
  uint16_t port = 0;
  // username and password authenticate to the proxy (RFC 1929 for SOCKS5,
  // Basic for HTTP). Empty username: no authentication offered. Secrets:
  // never printed (see `ToString`).
  std::string username;
  std::string password;

  // enabled is true unless `kind` is kNone.
  bool enabled() const { return kind != ProxyKind::kNone; }
  // ToString returns "socks5://host:port" or "http://[::1]:port", with
  // "user@" when a username is set and never the password. "" for kNone.
  std::string ToString() const;
};

// ParseProxyUrl parses one of the URL forms in the file comment. Fails
// with kInvalidArgument and a message naming the problem (unknown scheme,
// missing host, bad or missing port, a path or query, bad percent
// encoding, a user or password over 255 octets for SOCKS5 (RFC 1929 §2),
// control characters).
absl::StatusOr<ProxyConfig> ParseProxyUrl(absl::string_view url);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_PROXY_PROXY_CONFIG_H_
