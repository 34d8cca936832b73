#include "transports/socket/socket_dialer.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/common/transport_error.h"
#include "transports/proxy/proxy_handshake.h"

namespace smtpcore {
namespace {

// ConnectResult is one connect attempt: the socket, or the errno of the
// failure (ETIMEDOUT for our own timeout), or a bind failure.
struct ConnectResult {
  int fd = -1;
  int error_number = 0;
  bool bind_failed = false;
};

// ConnectSocket connects a new non-blocking socket to `address` within
// `timeout` (<= 0: no limit), bound to `local` first when set.
ConnectResult ConnectSocket(const DialAddress& address,
                            const DialAddress* local, Duration timeout) {
  ConnectResult result;
  const int protocol = address.family == AF_UNIX ? 0 : IPPROTO_TCP;
  int fd = socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  protocol);
  if (fd < 0) {
    result.error_number = errno;
    return result;
  }
  if (local != nullptr) {
#ifdef IP_BIND_ADDRESS_NO_PORT
    // Let connect() pick the source port: binding the port now would
    // reserve it for every destination (Linux 4.2+; ignored elsewhere).
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#endif
    if (bind(fd, reinterpret_cast<const sockaddr*>(&local->sockaddr),
             local->sockaddr_len) != 0) {
      result.error_number = errno;
      result.bind_failed = true;
      close(fd);
      return result;
    }
  }
  int error_number = 0;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address.sockaddr),
              address.sockaddr_len) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      error_number = errno;
    } else {
      const bool limited = timeout > absl::ZeroDuration();
      const Instant deadline = MonotonicNow() + timeout;
      for (;;) {
        pollfd p = {fd, POLLOUT, 0};
        int wait = limited ? PollTimeoutMs(deadline, MonotonicNow()) : -1;
        int rc = poll(&p, 1, wait);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) {
          error_number = errno;
        } else if (rc == 0) {
          error_number = ETIMEDOUT;
        } else {
          socklen_t len = sizeof(error_number);
          if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error_number, &len) != 0) {
            error_number = errno;
          }
        }
        break;
      }
    }
  }
  if (error_number != 0) {
    close(fd);
    result.error_number = error_number;
    return result;
  }
  if (address.family != AF_UNIX) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  result.fd = fd;
  return result;
}

// DialOrdered connects to the first of `order` that accepts, recording
// each attempt under `history_host` in `history` (may be null). `host` and
// `port` name the target in errors.
absl::StatusOr<std::unique_ptr<SocketTransport>> DialOrdered(
    absl::string_view host, uint16_t port,
    const std::vector<DialAddress>& order, const DialAddress* local,
    Duration timeout, DialHistory* history, absl::string_view history_host) {
  std::vector<std::string> tried;
  int last_errno = EHOSTUNREACH;
  bool all_timed_out = !order.empty();
  for (const DialAddress& address : order) {
    tried.push_back(address.ip);
    ConnectResult r = ConnectSocket(address, local, timeout);
    if (r.bind_failed) {
      return BindError(local->ip, r.error_number).ToStatus();
    }
    if (history != nullptr) {
      history->Record(history_host, address.ip,
                      r.fd >= 0 ? DialOutcome::kConnected
                                : DialOutcome::kConnectFailed);
    }
    if (r.fd >= 0) {
      return SocketTransport::Adopt(r.fd, std::string(host), address);
    }
    if (r.error_number != ETIMEDOUT) {
      all_timed_out = false;
      last_errno = r.error_number;
    }
  }
  // The error names the last non-timeout cause (a refusal says more than a
  // timeout); only when every attempt timed out is it a timeout.
  return ConnectError(host, port, tried,
                      all_timed_out ? ETIMEDOUT : last_errno)
      .ToStatus();
}

// RunProxyHandshake runs `handshake` on `socket` until the tunnel is open,
// bounded by `deadline` (none when unset); the bytes after the proxy's
// reply go back into the socket (`Unread`).
absl::Status RunProxyHandshake(SocketTransport& socket,
                               ProxyHandshake& handshake,
                               absl::optional<Instant> deadline,
                               const ProxyConfig& proxy) {
  char buffer[4096];
  while (!handshake.done()) {
    absl::string_view out = handshake.PendingOutput();
    if (!out.empty()) {
      absl::StatusOr<size_t> n = socket.Write(out);
      if (!n.ok()) return n.status();
      handshake.ConsumeOutput(*n);
    }
    absl::StatusOr<SocketReadiness> ready = socket.Wait(
        /*want_read=*/true, !handshake.PendingOutput().empty(), deadline);
    if (!ready.ok()) return ready.status();
    if (ready->timed_out) {
      return TransportError(
                 ErrorDetail::kTimeout,
                 absl::StrCat("the proxy ", proxy.ToString(),
                              " did not complete its handshake within the "
                              "connect timeout (stage ",
                              ProxyHandshakeStageName(handshake.stage()), ")"))
          .ToStatus();
    }
    if (!ready->readable) continue;
    absl::StatusOr<SocketReadResult> r =
        socket.Read(absl::MakeSpan(buffer, sizeof(buffer)));
    if (!r.ok()) return r.status();
    if (r->would_block) continue;
    absl::Status s = r->eof ? handshake.ReceiveEof()
                            : handshake.Receive(
                                  absl::string_view(buffer, r->size));
    if (!s.ok()) return s;
  }
  std::string leftover = handshake.TakeLeftover();
  if (!leftover.empty()) socket.Unread(leftover);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<DialAddress>> ResolveHost(absl::string_view host,
                                                     uint16_t port,
                                                     AddressFamily family) {
  std::string name(HostWithoutBrackets(host));
  if (name.empty()) {
    return TransportError(ErrorDetail::kInvalidArgument,
                          "no server host name given")
        .ToStatus();
  }
  if (IsIpLiteral(name)) {
    absl::StatusOr<DialAddress> a = MakeDialAddress(name, port);
    if (!a.ok()) return ResolveError(host, a.status().message()).ToStatus();
    return std::vector<DialAddress>{*std::move(a)};
  }
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_family = family == AddressFamily::kIpv4Only   ? AF_INET
                    : family == AddressFamily::kIpv6Only ? AF_INET6
                                                         : AF_UNSPEC;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    std::string detail = rc == EAI_SYSTEM ? std::string(strerror(errno))
                                          : std::string(gai_strerror(rc));
    return ResolveError(host, detail).ToStatus();
  }
  std::vector<DialAddress> out;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    char buffer[INET6_ADDRSTRLEN] = {};
    const void* raw = nullptr;
    if (ai->ai_family == AF_INET) {
      raw = &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
    } else if (ai->ai_family == AF_INET6) {
      raw = &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
    } else {
      continue;
    }
    if (inet_ntop(ai->ai_family, raw, buffer, sizeof(buffer)) == nullptr) {
      continue;
    }
    absl::StatusOr<DialAddress> a = MakeDialAddress(buffer, port);
    if (a.ok()) out.push_back(*std::move(a));
  }
  freeaddrinfo(result);
  if (out.empty()) {
    return TransportError(
               ErrorDetail::kIo,
               absl::StrCat("resolve ", host, ": no ",
                            family == AddressFamily::kIpv4Only   ? "IPv4 "
                            : family == AddressFamily::kIpv6Only ? "IPv6 "
                                                                 : "",
                            "address found; check the host name"))
        .ToStatus();
  }
  return out;
}

absl::StatusOr<std::unique_ptr<SocketTransport>> ConnectSocketTo(
    absl::string_view host, const DialAddress& address, Duration timeout) {
  ConnectResult r = ConnectSocket(address, nullptr, timeout);
  if (r.fd < 0) {
    std::vector<std::string> tried = {address.ip};
    return ConnectError(host, address.port, tried, r.error_number).ToStatus();
  }
  return SocketTransport::Adopt(r.fd, std::string(host), address);
}

absl::StatusOr<std::unique_ptr<SocketTransport>> DialSocket(
    const ClientOptions& options) {
  if (absl::Status s = ValidateClientOptions(options); !s.ok()) return s;
  if (!options.unix_socket.empty()) {
    absl::StatusOr<DialAddress> path = MakeUnixDialAddress(options.unix_socket);
    if (!path.ok()) {
      return TransportError(ErrorDetail::kInvalidArgument,
                            std::string(path.status().message()))
          .ToStatus();
    }
    ConnectResult r = ConnectSocket(*path, nullptr, options.connect_timeout);
    if (r.fd < 0) {
      return TransportError(
                 r.error_number == ETIMEDOUT ? ErrorDetail::kTimeout
                                             : ErrorDetail::kIo,
                 absl::StrCat("connect to ", path->ToString(), ": ",
                              strerror(r.error_number),
                              "; is the server listening on this socket?"))
          .ToStatus();
    }
    return SocketTransport::Adopt(r.fd, options.host, *path);
  }

  absl::optional<DialAddress> local;
  if (!options.local_address.empty()) {
    absl::StatusOr<DialAddress> a = MakeDialAddress(options.local_address, 0);
    if (!a.ok()) {
      return TransportError(ErrorDetail::kInvalidArgument,
                            std::string(a.status().message()))
          .ToStatus();
    }
    local = *std::move(a);
  }
  const AddressFamily family = LocalAddressFamily(options);
  const uint16_t port = EffectivePort(options);

  if (options.proxy.enabled()) {
    const ProxyConfig& proxy = options.proxy;
    absl::StatusOr<std::vector<DialAddress>> resolved =
        ResolveHost(proxy.host, proxy.port, family);
    if (!resolved.ok()) return resolved.status();
    std::vector<DialAddress> order =
        OrderDialAddresses(proxy.host, *resolved, nullptr, family);
    const std::string label = absl::StrCat("proxy ", proxy.host);
    absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
        DialOrdered(label, proxy.port, order, local ? &*local : nullptr,
                    options.connect_timeout, nullptr, "");
    if (!socket.ok()) return socket.status();
    absl::StatusOr<ProxyHandshake> handshake =
        ProxyHandshake::Create(proxy, ProxyDestination(options), port);
    if (!handshake.ok()) return handshake.status();
    absl::optional<Instant> deadline;
    if (options.connect_timeout > absl::ZeroDuration()) {
      deadline = MonotonicNow() + options.connect_timeout;
    }
    if (absl::Status s =
            RunProxyHandshake(**socket, *handshake, deadline, proxy);
        !s.ok()) {
      return s;
    }
    return socket;
  }

  absl::StatusOr<std::vector<DialAddress>> resolved;
  if (options.addresses.empty()) {
    resolved = ResolveHost(options.host, port, family);
  } else {
    resolved.emplace();
    for (const std::string& ip : options.addresses) {
      absl::StatusOr<DialAddress> a = MakeDialAddress(ip, port);
      if (!a.ok()) {
        return TransportError(ErrorDetail::kInvalidArgument,
                              std::string(a.status().message()))
            .ToStatus();
      }
      resolved->push_back(*a);
    }
  }
  if (!resolved.ok()) return resolved.status();
  std::vector<DialAddress> order = OrderDialAddresses(
      options.host, *resolved, options.dial_history, family);
  if (options.max_addresses > 0 &&
      order.size() > static_cast<size_t>(options.max_addresses)) {
    order.resize(options.max_addresses);
  }
  if (order.empty()) {
    return TransportError(
               ErrorDetail::kIo,
               absl::StrCat("no address of ", options.host,
                            " matches the local address ",
                            options.local_address, "'s family"))
        .ToStatus();
  }
  return DialOrdered(options.host, port, order, local ? &*local : nullptr,
                     options.connect_timeout, options.dial_history,
                     options.host);
}

}  // namespace smtpcore
