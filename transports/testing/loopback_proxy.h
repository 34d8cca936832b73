// LoopbackProxy: a minimal SOCKS5 (RFC 1928, RFC 1929) or HTTP CONNECT
// proxy on 127.0.0.1 for the transport tests. Test-only: the interop tests
// use real proxies (dante or microsocks, tinyproxy; tests/integration).
//
// It accepts in a thread and serves every connection in its own thread with
// blocking I/O: it reads the client's handshake, records the destination as
// sent (a name stays a name), connects to it and relays bytes both ways
// until either side closes. Every destination NAME is resolved to
// 127.0.0.1, the way a proxy with its own DNS would: a test can use names
// the client cannot resolve, proving the proxy resolved them. Any SOCKS5
// destination port or IP is used as given.
//
// `refuse_with` makes it refuse every request with that SOCKS5 reply code
// (X'01'..X'08') or HTTP status, without connecting anywhere.
//
// Thread-safe accessors; `Stop` (or the destructor) closes every
// connection and joins the threads.

#ifndef SMTP_TRANSPORTS_TESTING_LOOPBACK_PROXY_H_
#define SMTP_TRANSPORTS_TESTING_LOOPBACK_PROXY_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace smtpcore {

// LoopbackProxyKind is the protocol the proxy speaks.
enum class LoopbackProxyKind { kSocks5, kHttpConnect };

// LoopbackProxyOptions configures a LoopbackProxy.
struct LoopbackProxyOptions {
  LoopbackProxyKind kind = LoopbackProxyKind::kSocks5;
  // username and password, when username is set, are required: SOCKS5
  // offers only method X'02' (RFC 1929), HTTP wants "Proxy-Authorization:
  // Basic ..." (407 otherwise).
  std::string username;
  std::string password;
  // refuse_with: 0 relays; otherwise the SOCKS5 REP or HTTP status sent to
  // every CONNECT.
  int refuse_with = 0;
};

// LoopbackProxy serves on 127.0.0.1 until stopped.
class LoopbackProxy {
 public:
  // Start binds 127.0.0.1:0 and starts accepting. Fails with the errno text
  // if the socket cannot be bound.
  static absl::StatusOr<std::unique_ptr<LoopbackProxy>> Start(
      LoopbackProxyOptions options);

  ~LoopbackProxy();
  LoopbackProxy(const LoopbackProxy&) = delete;
  LoopbackProxy& operator=(const LoopbackProxy&) = delete;

  uint16_t port() const { return port_; }

  // Stop closes the listening socket and every connection, and joins the
  // threads. Idempotent.
  void Stop();

  // destinations returns the destinations requested so far, as sent:
  // "mx.example.test:25", "192.0.2.1:25", "[::1]:25".
  std::vector<std::string> destinations() const;
  // auth_attempts returns the credentials received, "user:password" each.
  std::vector<std::string> auth_attempts() const;

 private:
  explicit LoopbackProxy(LoopbackProxyOptions options);
  void AcceptLoop();
  void Serve(int fd);
  void Relay(int client, int server);
  int Track(int fd);
  void Untrack(int fd);

  LoopbackProxyOptions options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread accept_thread_;

  mutable std::mutex mu_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
  std::vector<std::string> destinations_;
  std::vector<std::string> auth_attempts_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_LOOPBACK_PROXY_H_
