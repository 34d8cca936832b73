#include "transports/proxy/proxy_handshake.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/smtp_error.h"
#include "gtest/gtest.h"
#include "transports/proxy/proxy_error.h"

namespace smtpcore {
namespace {

// Bytes spells binary protocol data from hex ("05 01 00").
std::string Bytes(absl::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ') compact.push_back(c);
  }
  return absl::HexStringToBytes(compact);
}

ProxyConfig Socks(std::string user = "", std::string password = "") {
  ProxyConfig c;
  c.kind = ProxyKind::kSocks5;
  c.host = "127.0.0.1";
  c.port = 1080;
  c.username = std::move(user);
  c.password = std::move(password);
  return c;
}

ProxyConfig Http(std::string user = "", std::string password = "") {
  ProxyConfig c = Socks(std::move(user), std::move(password));
  c.kind = ProxyKind::kHttpConnect;
  c.port = 3128;
  return c;
}

// Take returns and consumes everything pending.
std::string Take(ProxyHandshake& h) {
  std::string out(h.PendingOutput());
  h.ConsumeOutput(out.size());
  return out;
}

ErrorDetail DetailOf(const absl::Status& s) { return GetErrorDetail(s); }

TEST(Socks5HandshakeTest, NoAuthByNameByteForByte) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks(), "mail.example.org", 25);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->stage(), ProxyHandshakeStage::kMethod);
  EXPECT_EQ(Take(*h), Bytes("05 01 00"));
  ASSERT_TRUE(h->Receive(Bytes("05 00")).ok());
  // CONNECT, ATYP 3, length 16, the name, port 25 (RFC 1928 §4, §5).
  EXPECT_EQ(Take(*h), Bytes("05 01 00 03 10") + "mail.example.org" +
                          Bytes("00 19"));
  EXPECT_EQ(h->stage(), ProxyHandshakeStage::kConnect);
  ASSERT_TRUE(h->Receive(Bytes("05 00 00 01 c0 00 02 01 9c 40")).ok());
  EXPECT_TRUE(h->done());
  EXPECT_EQ(h->reply_code(), 0);
  EXPECT_EQ(h->bound_address(), "192.0.2.1:40000");
  EXPECT_EQ(h->TakeLeftover(), "");
}

TEST(Socks5HandshakeTest, UserPassByteForByte) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks("alice", "s3cret"), "192.0.2.7", 587);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Take(*h), Bytes("05 02 00 02"));
  ASSERT_TRUE(h->Receive(Bytes("05 02")).ok());
  EXPECT_EQ(h->stage(), ProxyHandshakeStage::kAuth);
  EXPECT_EQ(Take(*h), Bytes("01 05") + "alice" + Bytes("06") + "s3cret");
  ASSERT_TRUE(h->Receive(Bytes("01 00")).ok());
  // An IPv4 literal goes as ATYP 1 (port 587 = 0x024b).
  EXPECT_EQ(Take(*h), Bytes("05 01 00 01 c0 00 02 07 02 4b"));
  ASSERT_TRUE(h->Receive(Bytes("05 00 00 01 7f 00 00 01 04 00")).ok());
  EXPECT_TRUE(h->done());
}

TEST(Socks5HandshakeTest, ProxyMayChooseNoAuthWhenCredentialsAreOffered) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks("alice", "pw"), "h.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive(Bytes("05 00")).ok());
  EXPECT_EQ(Take(*h), Bytes("05 01 00 03 09") + "h.example" + Bytes("00 19"));
}

TEST(Socks5HandshakeTest, Ipv6LiteralWithBracketsIsAtyp4) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks(), "[2001:db8::1]", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive(Bytes("05 00")).ok());
  EXPECT_EQ(Take(*h), Bytes("05 01 00 04 20010db8000000000000000000000001 "
                            "00 19"));
  // A bound address of each type is parsed: IPv6 here.
  ASSERT_TRUE(
      h->Receive(Bytes("05 00 00 04 20010db8000000000000000000000002 00 50"))
          .ok());
  EXPECT_EQ(h->bound_address(), "[2001:db8::2]:80");
}

TEST(Socks5HandshakeTest, DomainBoundAddressAndLeftover) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks(), "h.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive(Bytes("05 00")).ok());
  Take(*h);
  // The server's greeting arrives in the same read as the reply.
  ASSERT_TRUE(
      h->Receive(Bytes("05 00 00 03 04") + "prox" + Bytes("00 19") + "220 hi\r\n")
          .ok());
  EXPECT_TRUE(h->done());
  EXPECT_EQ(h->bound_address(), "prox:25");
  EXPECT_EQ(h->TakeLeftover(), "220 hi\r\n");
  EXPECT_EQ(h->TakeLeftover(), "");
  ASSERT_TRUE(h->Receive("more").ok());
  EXPECT_EQ(h->TakeLeftover(), "more");
  EXPECT_TRUE(h->ReceiveEof().ok());
}

TEST(Socks5HandshakeTest, ByteByByteGivesTheSameResult) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks("u", "p"), "h.example", 25);
  ASSERT_TRUE(h.ok());
  const std::string replies[] = {Bytes("05 02"), Bytes("01 00"),
                                 Bytes("05 00 00 01 0a 00 00 01 00 19") + "2"};
  for (const std::string& reply : replies) {
    ASSERT_FALSE(Take(*h).empty());
    for (char c : reply) ASSERT_TRUE(h->Receive(std::string(1, c)).ok());
  }
  EXPECT_TRUE(h->done());
  EXPECT_EQ(h->TakeLeftover(), "2");
}

TEST(Socks5HandshakeTest, EveryReplyCodeHasItsTypedError) {
  const struct {
    uint8_t rep;
    ErrorDetail detail;
    absl::StatusCode code;
    const char* text;
  } kCases[] = {
      {0x01, ErrorDetail::kProxyFailure, absl::StatusCode::kUnavailable,
       "general SOCKS server failure"},
      {0x02, ErrorDetail::kProxyNotAllowed,
       absl::StatusCode::kPermissionDenied, "connection not allowed by ruleset"},
      {0x03, ErrorDetail::kProxyNetworkUnreachable,
       absl::StatusCode::kUnavailable, "network unreachable"},
      {0x04, ErrorDetail::kProxyHostUnreachable,
       absl::StatusCode::kUnavailable, "host unreachable"},
      {0x05, ErrorDetail::kProxyConnectionRefused,
       absl::StatusCode::kUnavailable, "connection refused"},
      {0x06, ErrorDetail::kProxyTimeout, absl::StatusCode::kUnavailable,
       "TTL expired"},
      {0x07, ErrorDetail::kProxyCommandNotSupported,
       absl::StatusCode::kUnimplemented, "command not supported"},
      {0x08, ErrorDetail::kProxyAddressNotSupported,
       absl::StatusCode::kUnimplemented, "address type not supported"},
      {0x09, ErrorDetail::kProxyFailure, absl::StatusCode::kUnavailable,
       "unassigned"},
      {0xff, ErrorDetail::kProxyFailure, absl::StatusCode::kUnavailable,
       "unassigned"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<ProxyHandshake> h =
        ProxyHandshake::Create(Socks(), "mx.example", 25);
    ASSERT_TRUE(h.ok());
    Take(*h);
    ASSERT_TRUE(h->Receive(Bytes("05 00")).ok());
    Take(*h);
    // Only VER and REP are needed to refuse.
    absl::Status s = h->Receive(std::string{'\x05', static_cast<char>(c.rep)});
    EXPECT_EQ(DetailOf(s), c.detail) << int{c.rep};
    EXPECT_EQ(s.code(), c.code) << int{c.rep};
    EXPECT_EQ(h->stage(), ProxyHandshakeStage::kFailed);
    EXPECT_EQ(h->reply_code(), c.rep);
    SmtpError e = SmtpError::FromStatus(s, CommandKind::kGreeting);
    EXPECT_EQ(e.permanent, c.code != absl::StatusCode::kUnavailable);
    EXPECT_EQ(e.code, 0);
    EXPECT_NE(e.what.find(c.text), std::string::npos) << e.what;
    EXPECT_NE(e.what.find("mx.example:25"), std::string::npos) << e.what;
    EXPECT_NE(e.what.find("socks5://127.0.0.1:1080"), std::string::npos);
    // Failed for good.
    EXPECT_EQ(h->Receive("x"), s);
    EXPECT_EQ(h->ReceiveEof(), s);
    EXPECT_TRUE(h->PendingOutput().empty());
  }
  EXPECT_EQ(Socks5ReplyText(0), "succeeded");
}

TEST(Socks5HandshakeTest, NoAcceptableMethodIsAuthRequired) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks(), "mx.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  absl::Status s = h->Receive(Bytes("05 ff"));
  EXPECT_EQ(DetailOf(s), ErrorDetail::kProxyAuthRequired);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
}

TEST(Socks5HandshakeTest, RefusedCredentialsAreAuthFailed) {
  for (const std::string& reply : {Bytes("01 01"), Bytes("05 ff")}) {
    absl::StatusOr<ProxyHandshake> h =
        ProxyHandshake::Create(Socks("alice", "bad"), "mx.example", 25);
    ASSERT_TRUE(h.ok());
    Take(*h);
    ASSERT_TRUE(h->Receive(Bytes("05 02")).ok());
    Take(*h);
    absl::Status s = h->Receive(reply);
    EXPECT_EQ(DetailOf(s), ErrorDetail::kProxyAuthFailed);
    SmtpError e = SmtpError::FromStatus(s, CommandKind::kGreeting);
    EXPECT_EQ(e.what.find("bad"), std::string::npos) << "password leaked";
  }
}

TEST(Socks5HandshakeTest, ProtocolViolations) {
  struct Case {
    ProxyConfig config;
    std::string setup_reply;  // answered before the bad one ("" for none)
    std::string bad_reply;
  };
  const Case kCases[] = {
      {Socks(), "", Bytes("04 00")},              // SOCKS4 answer
      {Socks(), "", "HTTP/1.1 400 Bad Request"},  // an HTTP proxy
      {Socks(), "", Bytes("05 02")},              // user/pass not offered
      {Socks(), "", Bytes("05 01")},              // GSSAPI not offered
      {Socks("u", "p"), Bytes("05 02"), Bytes("02 00")},  // RFC 1929 version
      {Socks(), Bytes("05 00"), Bytes("04 00 00 01")},    // reply version
      {Socks(), Bytes("05 00"), Bytes("05 00 00 02 00")},  // unknown ATYP
  };
  for (const Case& c : kCases) {
    absl::StatusOr<ProxyHandshake> h =
        ProxyHandshake::Create(c.config, "mx.example", 25);
    ASSERT_TRUE(h.ok());
    Take(*h);
    if (!c.setup_reply.empty()) {
      ASSERT_TRUE(h->Receive(c.setup_reply).ok());
      Take(*h);
    }
    absl::Status s = h->Receive(c.bad_reply);
    EXPECT_EQ(DetailOf(s), ErrorDetail::kProxyProtocol)
        << absl::BytesToHexString(c.bad_reply);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  }
}

TEST(Socks5HandshakeTest, EofBeforeTheReplyIsConnectionClosed) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks(), "mx.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive(Bytes("05 00")).ok());
  ASSERT_TRUE(h->Receive(Bytes("05 00 00 01 7f")).ok());  // half a reply
  absl::Status s = h->ReceiveEof();
  EXPECT_EQ(DetailOf(s), ErrorDetail::kConnectionClosed);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

TEST(Socks5HandshakeTest, CreateRefusesBadDestinations) {
  EXPECT_FALSE(ProxyHandshake::Create(ProxyConfig(), "h", 25).ok());
  EXPECT_FALSE(ProxyHandshake::Create(Socks(), "", 25).ok());
  EXPECT_FALSE(ProxyHandshake::Create(Socks(), "h", 0).ok());
  EXPECT_FALSE(ProxyHandshake::Create(Socks(), "a b", 25).ok());
  EXPECT_FALSE(ProxyHandshake::Create(Socks(), "a\r\nb", 25).ok());
  EXPECT_FALSE(ProxyHandshake::Create(Socks(), std::string(256, 'a'), 25).ok());
  EXPECT_TRUE(ProxyHandshake::Create(Socks(), std::string(255, 'a'), 25).ok());
  EXPECT_FALSE(
      ProxyHandshake::Create(Socks(std::string(256, 'u'), "p"), "h", 25).ok());
  absl::Status s = ProxyHandshake::Create(Socks(), "", 25).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DetailOf(s), ErrorDetail::kInvalidArgument);
}

TEST(HttpConnectHandshakeTest, RequestByteForByte) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Http(), "mail.example.org", 25);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->stage(), ProxyHandshakeStage::kConnect);
  EXPECT_EQ(Take(*h),
            "CONNECT mail.example.org:25 HTTP/1.1\r\n"
            "Host: mail.example.org:25\r\n"
            "\r\n");
  ASSERT_TRUE(h->Receive("HTTP/1.1 200 Connection established\r\n"
                         "Proxy-Agent: test\r\n\r\n")
                  .ok());
  EXPECT_TRUE(h->done());
  EXPECT_EQ(h->reply_code(), 200);
  EXPECT_EQ(h->bound_address(), "");
}

TEST(HttpConnectHandshakeTest, BasicCredentialsAndIpv6Authority) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Http("Aladdin", "open sesame"), "::1", 2525);
  ASSERT_TRUE(h.ok());
  // RFC 7617 §2's example credentials.
  EXPECT_EQ(Take(*h),
            "CONNECT [::1]:2525 HTTP/1.1\r\n"
            "Host: [::1]:2525\r\n"
            "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
            "\r\n");
}

TEST(HttpConnectHandshakeTest, LeftoverAfterTheHeaderAndSplitInput) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Http(), "mx.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  const std::string reply = "HTTP/1.0 200 OK\r\n\r\n220 mx ESMTP\r\n";
  for (char c : reply) ASSERT_TRUE(h->Receive(std::string(1, c)).ok());
  EXPECT_TRUE(h->done());
  EXPECT_EQ(h->TakeLeftover(), "220 mx ESMTP\r\n");
}

TEST(HttpConnectHandshakeTest, BareLfLineEndingsAndAnyTwoHundred) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Http(), "mx.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive("HTTP/1.1 204\nX: y\n\nrest").ok());
  EXPECT_TRUE(h->done());
  EXPECT_EQ(h->reply_code(), 204);
  EXPECT_EQ(h->TakeLeftover(), "rest");
}

TEST(HttpConnectHandshakeTest, EveryRefusalHasItsTypedError) {
  const struct {
    int status;
    bool credentials;
    ErrorDetail detail;
  } kCases[] = {
      {400, false, ErrorDetail::kProxyFailure},
      {403, false, ErrorDetail::kProxyNotAllowed},
      {404, false, ErrorDetail::kProxyFailure},
      {405, false, ErrorDetail::kProxyCommandNotSupported},
      {407, false, ErrorDetail::kProxyAuthRequired},
      {407, true, ErrorDetail::kProxyAuthFailed},
      {500, false, ErrorDetail::kProxyFailure},
      {501, false, ErrorDetail::kProxyCommandNotSupported},
      {502, false, ErrorDetail::kProxyHostUnreachable},
      {503, false, ErrorDetail::kProxyHostUnreachable},
      {504, false, ErrorDetail::kProxyTimeout},
      {101, false, ErrorDetail::kProxyFailure},
      {302, false, ErrorDetail::kProxyFailure},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<ProxyHandshake> h = ProxyHandshake::Create(
        c.credentials ? Http("u", "secret-pw") : Http(), "mx.example", 25);
    ASSERT_TRUE(h.ok());
    Take(*h);
    absl::Status s = h->Receive(
        absl::StrCat("HTTP/1.1 ", c.status, " Reason Here\r\n"
                     "Content-Length: 3\r\n\r\nabc"));
    EXPECT_EQ(DetailOf(s), c.detail) << c.status;
    EXPECT_EQ(h->reply_code(), c.status);
    EXPECT_EQ(HttpConnectStatusDetail(c.status, c.credentials), c.detail);
    SmtpError e = SmtpError::FromStatus(s, CommandKind::kGreeting);
    EXPECT_NE(e.what.find(absl::StrCat(c.status, " Reason Here")),
              std::string::npos)
        << e.what;
    EXPECT_EQ(e.what.find("secret-pw"), std::string::npos);
  }
}

TEST(HttpConnectHandshakeTest, MalformedReplies) {
  for (const std::string& reply : {
           std::string("220 mx ESMTP\r\n\r\n"),   // an SMTP server, not a proxy
           std::string("HTTP/1.1 2000 OK\r\n\r\n"),
           std::string("HTTP/2 200\r\n\r\n"),
           std::string("HTTP/1.1 20\r\n\r\n"),
           std::string("HTTP/1.1 099 x\r\n\r\n"),
       }) {
    absl::StatusOr<ProxyHandshake> h =
        ProxyHandshake::Create(Http(), "mx.example", 25);
    ASSERT_TRUE(h.ok());
    Take(*h);
    absl::Status s = h->Receive(reply);
    EXPECT_EQ(DetailOf(s), ErrorDetail::kProxyProtocol) << reply;
  }
}

TEST(HttpConnectHandshakeTest, HeaderBlockIsBounded) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Http(), "mx.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive("HTTP/1.1 200 OK\r\n").ok());
  absl::Status s;
  std::string header = "X-Filler: " + std::string(1000, 'x') + "\r\n";
  for (int i = 0; i < 20 && s.ok(); ++i) s = h->Receive(header);
  EXPECT_EQ(DetailOf(s), ErrorDetail::kProxyProtocol);
}

TEST(HttpConnectHandshakeTest, EofBeforeTheEndOfTheHeader) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Http(), "mx.example", 25);
  ASSERT_TRUE(h.ok());
  Take(*h);
  ASSERT_TRUE(h->Receive("HTTP/1.1 200 OK\r\n").ok());
  EXPECT_EQ(DetailOf(h->ReceiveEof()), ErrorDetail::kConnectionClosed);
}

TEST(ProxyHandshakeTest, PartialWritesConsumeInOrder) {
  absl::StatusOr<ProxyHandshake> h =
      ProxyHandshake::Create(Socks("u", "p"), "h", 25);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->PendingOutput(), Bytes("05 02 00 02"));
  h->ConsumeOutput(1);
  EXPECT_EQ(h->PendingOutput(), Bytes("02 00 02"));
  h->ConsumeOutput(100);
  EXPECT_TRUE(h->PendingOutput().empty());
  EXPECT_EQ(ProxyHandshakeStageName(h->stage()), "method");
}

}  // namespace
}  // namespace smtpcore
