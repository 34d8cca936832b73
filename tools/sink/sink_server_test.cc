// End-to-end tests of the sink over real loopback sockets: a blocking test
// client (plain POSIX sockets and a client-mode TlsLayer) against a
// SinkThread.

#include "tools/sink/sink_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace cli {
namespace {

// TestClient is a minimal blocking client speaking raw SMTP lines.
class TestClient {
 public:
  explicit TestClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TestClient() { close(fd_); }

  bool connected() const { return connected_; }

  void Send(absl::string_view bytes) {
    if (tls_ != nullptr) {
      while (!bytes.empty()) {
        absl::StatusOr<size_t> n = tls_->WritePlaintext(bytes);
        ASSERT_TRUE(n.ok()) << n.status();
        bytes.remove_prefix(*n);
        FlushTls();
      }
      return;
    }
    SendRaw(bytes);
  }

  // ReadReply reads until a complete final reply line ("ddd " ... CRLF)
  // and returns everything read (one or more lines).
  std::string ReadReply() {
    for (;;) {
      size_t pos = 0;
      while (true) {
        const size_t eol = buffer_.find("\r\n", pos);
        if (eol == std::string::npos) break;
        if (eol - pos >= 4 && buffer_[pos + 3] == ' ') {
          std::string reply = buffer_.substr(0, eol + 2);
          buffer_.erase(0, eol + 2);
          return reply;
        }
        pos = eol + 2;
      }
      if (!ReadMore()) return "EOF:" + buffer_;
    }
  }

  // ReadToEof returns whatever arrives until the server closes.
  bool ReadsEof() {
    while (ReadMore()) {
    }
    return eof_;
  }

  absl::Status StartTls(const std::string& ca_pem,
                        const std::string& server_name) {
    TlsOptions o;
    o.server_name = server_name;
    o.ca_pem = ca_pem;
    absl::StatusOr<std::unique_ptr<TlsLayer>> tls = TlsLayer::Create(o);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
    if (absl::Status s = tls_->Start(); !s.ok()) return s;
    FlushTls();
    while (!tls_->handshake_done()) {
      char buf[16384];
      const ssize_t n = ReadSocket(buf, sizeof(buf));
      if (n <= 0) return absl::UnavailableError("EOF during handshake");
      absl::Status s = tls_->ReceiveCiphertext(absl::string_view(buf, n));
      FlushTls();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const TlsLayer* tls() const { return tls_.get(); }

 private:
  void SendRaw(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  void FlushTls() {
    absl::string_view c = tls_->PendingCiphertext();
    SendRaw(c);
    tls_->ConsumeCiphertext(c.size());
  }

  ssize_t ReadSocket(char* buf, size_t size) {
    pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) return -1;  // 10 s: the test failed anyway
    return recv(fd_, buf, size, 0);
  }

  bool ReadMore() {
    char buf[16384];
    for (;;) {
      const ssize_t n = ReadSocket(buf, sizeof(buf));
      if (n <= 0) {
        eof_ = n == 0;
        if (tls_ != nullptr && n == 0) (void)tls_->ReceiveCiphertextEof();
        return false;
      }
      if (tls_ == nullptr) {
        buffer_.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (!tls_->ReceiveCiphertext(absl::string_view(buf, n)).ok()) {
        return false;
      }
      FlushTls();
      bool got = false;
      for (;;) {
        char plain[16384];
        absl::StatusOr<size_t> m =
            tls_->ReadPlaintext(absl::Span<char>(plain, sizeof(plain)));
        if (!m.ok() || *m == 0) break;
        buffer_.append(plain, *m);
        got = true;
      }
      if (got) return true;
      if (tls_->peer_closed()) {
        eof_ = true;
        return false;
      }
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
  std::unique_ptr<TlsLayer> tls_;
};

TEST(SinkServerTest, PlainPipelinedSession) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_NE((*sink)->port(), 0);
  EXPECT_EQ((*sink)->ca_pem(), "");

  TestClient c((*sink)->port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.ReadReply(), "220 sink.smtpc.test ESMTP smtpc demo sink ready\r\n");
  c.Send("EHLO t.example\r\n");
  const std::string ehlo = c.ReadReply();
  EXPECT_TRUE(absl::StartsWith(ehlo, "250-sink.smtpc.test greets t.example\r\n"));
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  // Everything in one write (PIPELINING).
  c.Send(
      "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.1.0 Sender <a@example.org> OK\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 Recipient <b@example.org> OK\r\n");
  EXPECT_EQ(c.ReadReply(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  c.Send("Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: 21 octets queued as 1\r\n");
  EXPECT_EQ(c.ReadReply(), "221 2.0.0 sink.smtpc.test closing connection\r\n");
  EXPECT_TRUE(c.ReadsEof());

  ASSERT_TRUE((*sink)->WaitForMessages(1, absl::Seconds(10)));
  std::vector<ReceivedMessage> m = (*sink)->messages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "Subject: hi\r\n\r\n.dot\r\n");
  EXPECT_EQ(m[0].recipients, (std::vector<std::string>{"b@example.org"}));
  EXPECT_FALSE(m[0].tls);
}

TEST(SinkServerTest, StartTlsAndAuth) {
  SinkServerOptions options;
  options.session.users = {{kDemoUser, kDemoPassword}};
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_NE((*sink)->ca_pem(), "");
  EXPECT_EQ((*sink)->tls_host(), "127.0.0.1");

  TestClient c((*sink)->port());
  ASSERT_TRUE(c.connected());
  c.ReadReply();
  c.Send("EHLO t.example\r\n");
  EXPECT_NE(c.ReadReply().find("250 STARTTLS\r\n"), std::string::npos);
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply(), "220 2.0.0 Ready to start TLS\r\n");
  ASSERT_TRUE(c.StartTls((*sink)->ca_pem(), "127.0.0.1").ok());
  EXPECT_TRUE(c.tls()->info().verified);
  c.Send("EHLO t.example\r\n");
  const std::string ehlo = c.ReadReply();
  EXPECT_NE(ehlo.find("250 AUTH PLAIN LOGIN\r\n"), std::string::npos) << ehlo;
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  c.Send("AUTH LOGIN " + absl::Base64Escape(kDemoUser) + "\r\n");
  EXPECT_EQ(c.ReadReply(), "334 UGFzc3dvcmQ6\r\n");
  c.Send(absl::Base64Escape(kDemoPassword) + "\r\n");
  EXPECT_EQ(c.ReadReply(), "235 2.7.0 Authentication successful\r\n");
  // BDAT with a chunk bigger than one TLS record and one read buffer.
  std::string big;
  for (int i = 0; big.size() < 200000; ++i) {
    absl::StrAppend(&big, ".line ", i, "\r\n");
  }
  c.Send(absl::StrCat("MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT ", big.size(),
                      " LAST\r\n"));
  c.Send(big);
  EXPECT_EQ(c.ReadReply(), "250 2.1.0 Sender <a@x> OK\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 Recipient <b@x> OK\r\n");
  EXPECT_EQ(c.ReadReply(),
            absl::StrCat("250 2.0.0 Ok: ", big.size(), " octets queued as 1\r\n"));
  c.Send("QUIT\r\n");
  EXPECT_EQ(c.ReadReply(), "221 2.0.0 sink.smtpc.test closing connection\r\n");
  EXPECT_TRUE(c.ReadsEof());

  ASSERT_TRUE((*sink)->WaitForMessages(1, absl::Seconds(10)));
  std::vector<ReceivedMessage> m = (*sink)->messages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, big);
  EXPECT_TRUE(m[0].tls);
  EXPECT_TRUE(m[0].chunking);
  EXPECT_EQ(m[0].auth_user, "demo");
}

TEST(SinkServerTest, WrongServerNameFailsVerification) {
  SinkServerOptions options;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  TestClient c((*sink)->port());
  c.ReadReply();
  c.Send("EHLO t.example\r\nSTARTTLS\r\n");
  c.ReadReply();
  EXPECT_EQ(c.ReadReply(), "220 2.0.0 Ready to start TLS\r\n");
  absl::Status s = c.StartTls((*sink)->ca_pem(), "mail.example.org");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
}

TEST(SinkServerTest, ConcurrentConnectionsGetDistinctIds) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  TestClient a((*sink)->port());
  TestClient b((*sink)->port());
  a.ReadReply();
  b.ReadReply();
  for (TestClient* c : {&a, &b}) {
    c->Send("HELO t\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
  }
  for (TestClient* c : {&a, &b}) {
    for (int i = 0; i < 4; ++i) c->ReadReply();
  }
  a.Send("one\r\n.\r\n");
  EXPECT_EQ(a.ReadReply(), "250 2.0.0 Ok: 5 octets queued as 1\r\n");
  b.Send("two\r\n.\r\n");
  EXPECT_EQ(b.ReadReply(), "250 2.0.0 Ok: 5 octets queued as 2\r\n");
  ASSERT_TRUE((*sink)->WaitForMessages(2, absl::Seconds(10)));
}

TEST(SinkServerTest, PortInUseIsAnError) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> first = SinkThread::Start(options);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  absl::StatusOr<std::unique_ptr<SinkThread>> second =
      SinkThread::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), "address already in use"))
      << second.status();
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
