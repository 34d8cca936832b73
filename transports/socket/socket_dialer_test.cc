#include "transports/socket/socket_dialer.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "transports/common/client_options.h"
#include "transports/common/transport_error.h"
#include "transports/socket/socket_transport.h"
#include "transports/testing/loopback_proxy.h"
#include "transports/testing/loopback_server.h"

namespace smtpcore {
namespace {

// ReadLine reads one line (up to "\n") from `socket` within 10 s.
std::string ReadLine(SocketTransport& socket) {
  std::string line;
  const Instant deadline = MonotonicNow() + absl::Seconds(10);
  char c;
  while (line.empty() || line.back() != '\n') {
    absl::StatusOr<SocketReadiness> ready = socket.Wait(true, false, deadline);
    if (!ready.ok() || ready->timed_out) break;
    absl::StatusOr<SocketReadResult> r = socket.Read(absl::MakeSpan(&c, 1));
    if (!r.ok() || r->eof) break;
    if (r->size == 1) line.push_back(c);
  }
  return line;
}

std::unique_ptr<LoopbackServer> StartServer(LoopbackServerOptions options) {
  absl::StatusOr<std::unique_ptr<LoopbackServer>> s =
      LoopbackServer::Start(std::move(options));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

std::unique_ptr<LoopbackProxy> StartProxy(LoopbackProxyOptions options) {
  absl::StatusOr<std::unique_ptr<LoopbackProxy>> p =
      LoopbackProxy::Start(std::move(options));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

ClientOptions Options(uint16_t port) {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.connect_timeout = absl::Seconds(10);
  return options;
}

// A private directory for Unix-domain sockets, removed at the end.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp",
                                       "/sockXXXXXX");
    // Keep the path short: sockaddr_un holds 107 octets.
    if (pattern.size() > 80) pattern = "/tmp/sockXXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(DialSocketTest, UnixDomainSocket) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  LoopbackServerOptions server_options;
  server_options.unix_path = dir.path() + "/lmtp";
  std::unique_ptr<LoopbackServer> server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.host = "localhost";
  options.unix_socket = server_options.unix_path;
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_EQ((*socket)->peer().ToString(), "unix:" + server_options.unix_path);
  EXPECT_TRUE((*socket)->peer().is_loopback());
  EXPECT_TRUE(absl::StartsWith(ReadLine(**socket), "220 ")) ;
  server->Stop();
}

TEST(DialSocketTest, MissingUnixSocketIsIo) {
  TempDir dir;
  ClientOptions options;
  options.host = "localhost";
  options.unix_socket = dir.path() + "/nothing-here";
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_FALSE(socket.ok());
  SmtpError e = ErrorFromStatus(socket.status());
  EXPECT_EQ(e.cause, ErrorDetail::kIo);
  EXPECT_NE(e.what.find("unix:" + options.unix_socket), std::string::npos)
      << e.what;
}

TEST(DialSocketTest, LocalAddressIsTheSourceAddress) {
  std::unique_ptr<LoopbackServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  ClientOptions options = Options(server->port());
  options.local_address = "127.0.0.2";
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_TRUE(absl::StartsWith(ReadLine(**socket), "220 "));
  ASSERT_EQ(server->peer_ips().size(), 1u);
  EXPECT_EQ(server->peer_ips()[0], "127.0.0.2");
}

TEST(DialSocketTest, LocalAddressNotOnThisMachine) {
  std::unique_ptr<LoopbackServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  ClientOptions options = Options(server->port());
  options.local_address = "192.0.2.55";  // TEST-NET-1: never local
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_FALSE(socket.ok());
  SmtpError e = ErrorFromStatus(socket.status());
  EXPECT_EQ(e.cause, ErrorDetail::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(e.what, "bind to local address 192.0.2.55"))
      << e.what;
  EXPECT_EQ(server->connections(), 0);
}

TEST(DialSocketTest, LocalAddressFamilyFiltersDestinations) {
  ClientOptions options = Options(25);
  options.addresses = {"::1"};
  options.local_address = "127.0.0.1";
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_FALSE(socket.ok());
  EXPECT_NE(socket.status().message().find("family"), std::string::npos);
}

TEST(DialSocketTest, Socks5ProxyResolvesTheName) {
  std::unique_ptr<LoopbackServer> server = StartServer({});
  std::unique_ptr<LoopbackProxy> proxy = StartProxy({});
  ASSERT_NE(server, nullptr);
  ASSERT_NE(proxy, nullptr);
  ClientOptions options = Options(server->port());
  options.host = "mx.proxied.invalid";  // only the proxy "resolves" it
  options.proxy.kind = ProxyKind::kSocks5;
  options.proxy.host = "127.0.0.1";
  options.proxy.port = proxy->port();
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_EQ((*socket)->peer().port, proxy->port());
  EXPECT_TRUE(absl::StartsWith(ReadLine(**socket), "220 "));
  EXPECT_EQ(proxy->destinations(),
            std::vector<std::string>{
                absl::StrCat("mx.proxied.invalid:", server->port())});
}

TEST(DialSocketTest, HttpConnectWithCredentials) {
  std::unique_ptr<LoopbackServer> server = StartServer({});
  LoopbackProxyOptions proxy_options;
  proxy_options.kind = LoopbackProxyKind::kHttpConnect;
  proxy_options.username = "alice";
  proxy_options.password = "pw";
  std::unique_ptr<LoopbackProxy> proxy = StartProxy(proxy_options);
  ASSERT_NE(server, nullptr);
  ASSERT_NE(proxy, nullptr);
  ClientOptions options = Options(server->port());
  options.proxy = *ParseProxyUrl(absl::StrCat("http://alice:pw@127.0.0.1:",
                                              proxy->port()));
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_TRUE(absl::StartsWith(ReadLine(**socket), "220 "));
  EXPECT_EQ(proxy->destinations(),
            std::vector<std::string>{absl::StrCat("127.0.0.1:",
                                                  server->port())});
}

TEST(DialSocketTest, ProxyRefusalsAreTyped) {
  struct Case {
    LoopbackProxyKind kind;
    int refuse_with;
    std::string user;
    ErrorDetail detail;
  };
  const Case kCases[] = {
      {LoopbackProxyKind::kSocks5, 5, "", ErrorDetail::kProxyConnectionRefused},
      {LoopbackProxyKind::kSocks5, 2, "", ErrorDetail::kProxyNotAllowed},
      {LoopbackProxyKind::kHttpConnect, 403, "", ErrorDetail::kProxyNotAllowed},
      {LoopbackProxyKind::kHttpConnect, 504, "", ErrorDetail::kProxyTimeout},
      // The proxy wants credentials the client does not have.
      {LoopbackProxyKind::kSocks5, 0, "u", ErrorDetail::kProxyAuthRequired},
      {LoopbackProxyKind::kHttpConnect, 0, "u",
       ErrorDetail::kProxyAuthRequired},
  };
  for (const Case& c : kCases) {
    LoopbackProxyOptions proxy_options;
    proxy_options.kind = c.kind;
    proxy_options.refuse_with = c.refuse_with;
    proxy_options.username = c.user;
    proxy_options.password = "p";
    std::unique_ptr<LoopbackProxy> proxy = StartProxy(proxy_options);
    ASSERT_NE(proxy, nullptr);
    ClientOptions options = Options(25);
    options.host = "mx.example.test";
    options.proxy.kind = c.kind == LoopbackProxyKind::kSocks5
                             ? ProxyKind::kSocks5
                             : ProxyKind::kHttpConnect;
    options.proxy.host = "127.0.0.1";
    options.proxy.port = proxy->port();
    absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
        DialSocket(options);
    ASSERT_FALSE(socket.ok());
    EXPECT_EQ(ErrorFromStatus(socket.status()).cause, c.detail)
        << socket.status();
  }
}

TEST(DialSocketTest, UnreachableProxyNamesTheProxy) {
  // A port bound without listening: connects to it are refused.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  socklen_t len = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  ClientOptions options = Options(25);
  options.proxy.kind = ProxyKind::kSocks5;
  options.proxy.host = "127.0.0.1";
  options.proxy.port = ntohs(address.sin_port);
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  close(fd);
  ASSERT_FALSE(socket.ok());
  SmtpError e = ErrorFromStatus(socket.status());
  EXPECT_EQ(e.cause, ErrorDetail::kIo);
  EXPECT_TRUE(absl::StartsWith(e.what, "connect to proxy 127.0.0.1:"))
      << e.what;
}

TEST(DialSocketTest, UnixSocketWithAProxyIsRefused) {
  ClientOptions options;
  options.host = "localhost";
  options.unix_socket = "/tmp/x";
  options.proxy.kind = ProxyKind::kSocks5;
  options.proxy.host = "127.0.0.1";
  options.proxy.port = 1080;
  EXPECT_EQ(ErrorFromStatus(DialSocket(options).status()).cause,
            ErrorDetail::kInvalidArgument);
}

TEST(SocketTransportTest, UnreadBytesComeFirst) {
  std::unique_ptr<LoopbackServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(Options(server->port()));
  ASSERT_TRUE(socket.ok());
  (*socket)->Unread("XY\n");
  EXPECT_EQ(ReadLine(**socket), "XY\n");
  EXPECT_TRUE(absl::StartsWith(ReadLine(**socket), "220 "));
}

}  // namespace
}  // namespace smtpcore
