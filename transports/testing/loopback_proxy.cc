#include "transports/testing/loopback_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

bool SendAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// ReadExact reads exactly `n` bytes into `out`.
bool ReadExact(int fd, size_t n, std::string* out) {
  out->clear();
  while (out->size() < n) {
    char buffer[512];
    ssize_t got = recv(fd, buffer, std::min(sizeof(buffer), n - out->size()), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out->append(buffer, static_cast<size_t>(got));
  }
  return true;
}

// ConnectTo connects a blocking socket to `ip`:`port`; -1 on failure.
int ConnectTo(const std::string& ip, uint16_t port) {
  sockaddr_storage storage = {};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    return -1;
  }
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Resolve maps a destination host to an IP: names go to 127.0.0.1.
std::string Resolve(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
      inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    return host;
  }
  return "127.0.0.1";
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoopbackProxy>> LoopbackProxy::Start(
    LoopbackProxyOptions options) {
  std::unique_ptr<LoopbackProxy> proxy(new LoopbackProxy(std::move(options)));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 64) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", error));
  }
  socklen_t len = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  proxy->listen_fd_ = fd;
  proxy->port_ = ntohs(address.sin_port);
  proxy->accept_thread_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

LoopbackProxy::LoopbackProxy(LoopbackProxyOptions options)
    : options_(std::move(options)) {}

LoopbackProxy::~LoopbackProxy() { Stop(); }

void LoopbackProxy::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

std::vector<std::string> LoopbackProxy::destinations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return destinations_;
}

std::vector<std::string> LoopbackProxy::auth_attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auth_attempts_;
}

int LoopbackProxy::Track(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    close(fd);
    return -1;
  }
  fds_.push_back(fd);
  return fd;
}

void LoopbackProxy::Untrack(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  close(fd);
}

void LoopbackProxy::AcceptLoop() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void LoopbackProxy::Serve(int fd) {
  std::string host;
  uint16_t port = 0;
  bool ok = false;
  std::string success;  // what to send once connected
  std::string bytes;
  if (options_.kind == LoopbackProxyKind::kSocks5) {
    // Greeting: VER NMETHODS METHODS.
    std::string methods;
    if (ReadExact(fd, 2, &bytes) && bytes[0] == 5 &&
        ReadExact(fd, static_cast<uint8_t>(bytes[1]), &methods)) {
      const char want = options_.username.empty() ? 0x00 : 0x02;
      if (methods.find(want) == std::string::npos) {
        SendAll(fd, std::string("\x05\xff", 2));
      } else if (SendAll(fd, std::string{'\x05', want})) {
        bool authorised = true;
        if (want == 0x02) {
          std::string user, pass;
          authorised = false;
          if (ReadExact(fd, 2, &bytes) &&
              ReadExact(fd, static_cast<uint8_t>(bytes[1]), &user) &&
              ReadExact(fd, 1, &bytes) &&
              ReadExact(fd, static_cast<uint8_t>(bytes[0]), &pass)) {
            {
              std::lock_guard<std::mutex> lock(mu_);
              auth_attempts_.push_back(absl::StrCat(user, ":", pass));
            }
            authorised =
                user == options_.username && pass == options_.password;
            SendAll(fd, std::string{'\x01', authorised ? '\x00' : '\x01'});
          }
        }
        // Request: VER CMD RSV ATYP ADDR PORT.
        if (authorised && ReadExact(fd, 4, &bytes)) {
          const uint8_t atyp = static_cast<uint8_t>(bytes[3]);
          std::string address;
          bool parsed = false;
          if (atyp == 1 && ReadExact(fd, 4, &address)) {
            char text[INET_ADDRSTRLEN] = {};
            inet_ntop(AF_INET, address.data(), text, sizeof(text));
            host = text;
            parsed = true;
          } else if (atyp == 4 && ReadExact(fd, 16, &address)) {
            char text[INET6_ADDRSTRLEN] = {};
            inet_ntop(AF_INET6, address.data(), text, sizeof(text));
            host = text;
            parsed = true;
          } else if (atyp == 3 && ReadExact(fd, 1, &bytes) &&
                     ReadExact(fd, static_cast<uint8_t>(bytes[0]), &host)) {
            parsed = true;
          }
          if (parsed && ReadExact(fd, 2, &bytes)) {
            port = static_cast<uint16_t>(
                (static_cast<uint8_t>(bytes[0]) << 8) |
                static_cast<uint8_t>(bytes[1]));
            ok = true;
            success = std::string("\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00",
                                  10);
          }
        }
      }
    }
  } else {
    // HTTP: read the request header.
    std::string header;
    char c;
    while (header.size() < 8192 && !absl::EndsWith(header, "\r\n\r\n")) {
      ssize_t n = recv(fd, &c, 1, 0);
      if (n <= 0) break;
      header.push_back(c);
    }
    absl::string_view line(header);
    line = line.substr(0, line.find("\r\n"));
    if (absl::StartsWith(line, "CONNECT ")) {
      absl::string_view target = line.substr(8);
      target = target.substr(0, target.find(' '));
      const size_t colon = target.rfind(':');
      uint32_t p = 0;
      if (colon != absl::string_view::npos &&
          absl::SimpleAtoi(target.substr(colon + 1), &p)) {
        host = std::string(target.substr(0, colon));
        if (absl::StartsWith(host, "[")) host = host.substr(1, host.size() - 2);
        port = static_cast<uint16_t>(p);
        ok = true;
        success = "HTTP/1.1 200 Connection established\r\n\r\n";
      }
      if (ok && !options_.username.empty()) {
        const std::string expected = absl::StrCat(
            "Proxy-Authorization: Basic ",
            absl::Base64Escape(
                absl::StrCat(options_.username, ":", options_.password)),
            "\r\n");
        if (header.find(expected) == std::string::npos) {
          ok = false;
          SendAll(fd, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                      "Proxy-Authenticate: Basic realm=\"test\"\r\n"
                      "Content-Length: 0\r\n\r\n");
        }
      }
    }
  }
  if (ok) {
    const bool v6 = host.find(':') != std::string::npos;
    std::lock_guard<std::mutex> lock(mu_);
    destinations_.push_back(
        absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", port));
  }
  if (ok && options_.refuse_with != 0) {
    if (options_.kind == LoopbackProxyKind::kSocks5) {
      SendAll(fd, std::string{'\x05', static_cast<char>(options_.refuse_with),
                              '\x00', '\x01', '\0', '\0', '\0', '\0', '\0',
                              '\0'});
    } else {
      SendAll(fd, absl::StrCat("HTTP/1.1 ", options_.refuse_with,
                               " Refused by the test\r\n"
                               "Content-Length: 0\r\n\r\n"));
    }
    ok = false;
  }
  int server = -1;
  if (ok) {
    server = ConnectTo(Resolve(host), port);
    if (server < 0) {
      SendAll(fd, options_.kind == LoopbackProxyKind::kSocks5
                      ? std::string("\x05\x05\x00\x01\0\0\0\0\0\0", 10)
                      : std::string("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
      ok = false;
    }
  }
  if (ok && server >= 0 && SendAll(fd, success) && Track(server) >= 0) {
    Relay(fd, server);
    Untrack(server);
  } else if (server >= 0) {
    close(server);
  }
  Untrack(fd);
}

void LoopbackProxy::Relay(int client, int server) {
  pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  char buffer[16384];
  for (;;) {
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = recv(fds[i].fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        // One side closed: pass the FIN on and stop relaying.
        shutdown(fds[1 - i].fd, SHUT_WR);
        return;
      }
      if (!SendAll(fds[1 - i].fd, absl::string_view(buffer, n))) return;
    }
  }
}

}  // namespace smtpcore
