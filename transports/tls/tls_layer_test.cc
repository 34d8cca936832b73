// Client and server TlsLayer back to back in memory: bytes are pumped between
// the two layers, no sockets (the BoringSSL ssl_test.cc pattern).

#include "transports/tls/tls_layer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_context_cache.h"

namespace smtpcore {
namespace {

constexpr char kHost[] = "mail.example.test";

class TlsLayerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new PemCertificate(*GenerateTestCa("smtpcore test CA"));
    other_ca_ = new PemCertificate(*GenerateTestCa("some other CA"));
    leaf_ = new PemCertificate(*GenerateTestLeaf(*ca_, kHost));
    client_leaf_ =
        new PemCertificate(*GenerateTestLeaf(*ca_, "client.example.test"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
    delete leaf_;
    delete client_leaf_;
  }

  static TlsOptions ClientOptions() {
    TlsOptions options;
    options.role = TlsRole::kClient;
    options.server_name = kHost;
    options.ca_pem = ca_->certificate_pem;
    return options;
  }

  static TlsOptions ServerOptions() {
    TlsOptions options;
    options.role = TlsRole::kServer;
    options.certificate_chain_pem = leaf_->certificate_pem;
    options.private_key_pem = leaf_->private_key_pem;
    return options;
  }

  void Connect(const TlsOptions& client_options,
               const TlsOptions& server_options) {
    auto client = TlsLayer::Create(client_options);
    ASSERT_TRUE(client.ok()) << client.status();
    auto server = TlsLayer::Create(server_options);
    ASSERT_TRUE(server.ok()) << server.status();
    client_ = *std::move(client);
    server_ = *std::move(server);
    ASSERT_TRUE(client_->Start().ok());
    ASSERT_TRUE(server_->Start().ok());
    Pump();
  }

  // Move pending ciphertext both ways until neither side has any. Errors
  // stay in each layer's status().
  void Pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      moved |= Transfer(*client_, *server_);
      moved |= Transfer(*server_, *client_);
      if (!moved) return;
    }
    ADD_FAILURE() << "pump did not settle";
  }

  static bool Transfer(TlsLayer& from, TlsLayer& to) {
    absl::string_view bytes = from.PendingCiphertext();
    if (bytes.empty()) return false;
    std::string copy(bytes);
    from.ConsumeCiphertext(copy.size());
    (void)to.ReceiveCiphertext(copy);
    return true;
  }

  static std::string ReadAll(TlsLayer& layer) {
    std::string out;
    char buf[1000];
    for (;;) {
      absl::StatusOr<size_t> n = layer.ReadPlaintext(absl::MakeSpan(buf));
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return out;
      out.append(buf, *n);
    }
  }

  static PemCertificate* ca_;
  static PemCertificate* other_ca_;
  static PemCertificate* leaf_;
  static PemCertificate* client_leaf_;
  std::unique_ptr<TlsLayer> client_;
  std::unique_ptr<TlsLayer> server_;
};

PemCertificate* TlsLayerTest::ca_ = nullptr;
PemCertificate* TlsLayerTest::other_ca_ = nullptr;
PemCertificate* TlsLayerTest::leaf_ = nullptr;
PemCertificate* TlsLayerTest::client_leaf_ = nullptr;

TEST_F(TlsLayerTest, HandshakeTls13) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->status().ok()) << client_->status();
  ASSERT_TRUE(server_->status().ok()) << server_->status();
  ASSERT_TRUE(client_->handshake_done());
  ASSERT_TRUE(server_->handshake_done());

  const TlsInfo& c = client_->info();
  const TlsInfo& s = server_->info();
  EXPECT_EQ(c.version, "TLSv1.3");
  EXPECT_EQ(s.version, "TLSv1.3");
  EXPECT_TRUE(absl::StartsWith(c.cipher, "TLS_")) << c.cipher;
  EXPECT_EQ(c.cipher, s.cipher);
  EXPECT_EQ(c.server_name, kHost);
  EXPECT_EQ(s.server_name, kHost);  // SNI was sent
  EXPECT_TRUE(c.verified);
  EXPECT_EQ(c.verify_error, "");
  EXPECT_FALSE(c.client_certificate);
  EXPECT_FALSE(s.client_certificate);
  EXPECT_FALSE(s.verified);  // no client certificate to verify

  // RFC 9266: tls-exporter, 32 bytes, identical on both ends.
  EXPECT_EQ(c.channel_binding_type, "tls-exporter");
  EXPECT_EQ(s.channel_binding_type, "tls-exporter");
  EXPECT_EQ(c.channel_binding.size(), 32u);
  EXPECT_EQ(c.channel_binding, s.channel_binding);
  EXPECT_NE(c.channel_binding, std::string(32, '\0'));
}

TEST_F(TlsLayerTest, HandshakeForcedTls12UsesTlsUnique) {
  TlsOptions client = ClientOptions();
  client.max_version = TlsVersion::kTls12;
  Connect(client, ServerOptions());
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  ASSERT_TRUE(server_->handshake_done()) << server_->status();
  EXPECT_EQ(client_->info().version, "TLSv1.2");
  EXPECT_EQ(server_->info().version, "TLSv1.2");
  EXPECT_TRUE(client_->info().verified);
  // RFC 5929 §3.1: tls-unique is the first Finished (12 bytes in TLS 1.2).
  EXPECT_EQ(client_->info().channel_binding_type, "tls-unique");
  EXPECT_EQ(server_->info().channel_binding_type, "tls-unique");
  EXPECT_EQ(client_->info().channel_binding.size(), 12u);
  EXPECT_EQ(client_->info().channel_binding, server_->info().channel_binding);
}

TEST_F(TlsLayerTest, Tls13OnlyServerRejectsTls12OnlyClient) {
  TlsOptions client = ClientOptions();
  client.max_version = TlsVersion::kTls12;
  TlsOptions server = ServerOptions();
  server.min_version = TlsVersion::kTls13;
  Connect(client, server);
  EXPECT_FALSE(client_->handshake_done());
  EXPECT_EQ(GetErrorDetail(server_->status()), ErrorDetail::kTlsHandshake);
  EXPECT_EQ(server_->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetErrorDetail(client_->status()), ErrorDetail::kTlsHandshake);
}

TEST_F(TlsLayerTest, DataBothWays) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done());

  absl::StatusOr<size_t> n = client_->WritePlaintext("EHLO client\r\n");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 13u);
  Pump();
  EXPECT_EQ(ReadAll(*server_), "EHLO client\r\n");

  n = server_->WritePlaintext("250 mail.example.test\r\n");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 23u);
  Pump();
  EXPECT_EQ(ReadAll(*client_), "250 mail.example.test\r\n");
  EXPECT_TRUE(client_->status().ok());
  EXPECT_TRUE(server_->status().ok());
}

TEST_F(TlsLayerTest, LargeWriteAppliesBackPressure) {
  Connect(ClientOptions(), ServerOptions());
  std::string big;
  for (int i = 0; big.size() < 300000; ++i) {
    big += std::to_string(i);
    big += ',';
  }
  size_t offset = 0;
  std::string received;
  int rounds = 0;
  while (offset < big.size()) {
    absl::StatusOr<size_t> n =
        client_->WritePlaintext(absl::string_view(big).substr(offset));
    ASSERT_TRUE(n.ok()) << n.status();
    // Never more pending than the cap plus one record.
    EXPECT_LE(client_->PendingCiphertext().size(),
              TlsLayer::kMaxPendingCiphertext + 16384 + 256);
    if (*n == 0) {
      EXPECT_FALSE(client_->PendingCiphertext().empty());
    }
    offset += *n;
    Pump();
    received += ReadAll(*server_);
    ++rounds;
  }
  EXPECT_GT(rounds, 1);  // the cap split the write
  EXPECT_EQ(received, big);
}

// Every ciphertext byte either side produces must reach the peer once and
// in order, whatever the interleaving of writes, partial sends and reads:
// 4 MiB from the client and 1 MiB from the server at once, in odd-sized
// writes, the "transport" taking odd-sized prefixes of the pending
// ciphertext (so records are appended behind a partly consumed buffer),
// then close_notify both ways. A lost, duplicated or reordered byte fails
// the record MAC or the comparison.
TEST_F(TlsLayerTest, ManyOddWritesBothWaysArriveIntactThenCloseNotify) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  ASSERT_TRUE(server_->handshake_done());

  auto pattern = [](size_t size, uint32_t seed) {
    std::string bytes(size, '\0');
    uint32_t x = seed;
    for (char& c : bytes) {
      x = x * 1664525u + 1013904223u;  // any byte value, no period in sight
      c = static_cast<char>(x >> 24);
    }
    return bytes;
  };
  const std::string to_server = pattern(4 << 20, 1);
  const std::string to_client = pattern(1 << 20, 2);
  // Write sizes: around the record size (16384) and far from it.
  const size_t kWriteSizes[] = {1, 7, 333, 4099, 16383, 16385, 65537, 100003};
  const size_t kSendSizes[] = {1, 517, 9973, 70001, 300007};
  const size_t kReadSizes[] = {3, 1021, 16384, 40000};

  size_t client_sent = 0;
  size_t server_sent = 0;
  std::string server_got;
  std::string client_got;
  std::vector<char> buf(40000);
  // Writes a piece of `data` from `offset` through `from`.
  auto write = [&](TlsLayer& from, const std::string& data, size_t& offset,
                   size_t step) {
    if (offset == data.size()) return;
    const size_t want =
        std::min(kWriteSizes[step % 8], data.size() - offset);
    absl::StatusOr<size_t> n =
        from.WritePlaintext(absl::string_view(data).substr(offset, want));
    ASSERT_TRUE(n.ok()) << n.status();
    offset += *n;
  };
  // Moves an odd-sized prefix of `from`'s pending ciphertext to `to`.
  auto send = [&](TlsLayer& from, TlsLayer& to, size_t step) {
    absl::string_view pending = from.PendingCiphertext();
    const std::string piece(pending.substr(0, kSendSizes[step % 5]));
    from.ConsumeCiphertext(piece.size());
    ASSERT_TRUE(to.ReceiveCiphertext(piece).ok()) << to.status();
  };
  auto read = [&](TlsLayer& layer, std::string& got, size_t step) {
    absl::StatusOr<size_t> n = layer.ReadPlaintext(
        absl::MakeSpan(buf.data(), kReadSizes[step % 4]));
    ASSERT_TRUE(n.ok()) << n.status();
    got.append(buf.data(), *n);
  };

  size_t step = 0;
  while (server_got.size() < to_server.size() ||
         client_got.size() < to_client.size()) {
    ASSERT_LT(step, 1000000u) << "no progress";
    write(*client_, to_server, client_sent, step);
    write(*server_, to_client, server_sent, step + 3);
    send(*client_, *server_, step);
    send(*server_, *client_, step + 2);
    read(*server_, server_got, step);
    read(*client_, client_got, step + 1);
    if (HasFatalFailure()) return;
    ++step;
  }
  ASSERT_EQ(server_got.size(), to_server.size());
  EXPECT_TRUE(server_got == to_server) << "client to server bytes differ";
  ASSERT_EQ(client_got.size(), to_client.size());
  EXPECT_TRUE(client_got == to_client) << "server to client bytes differ";

  // close_notify queued behind whatever is still pending, both ways.
  ASSERT_TRUE(client_->Shutdown().ok());
  ASSERT_TRUE(server_->Shutdown().ok());
  Pump();
  EXPECT_EQ(ReadAll(*server_), "");
  EXPECT_EQ(ReadAll(*client_), "");
  EXPECT_TRUE(server_->peer_closed());
  EXPECT_TRUE(client_->peer_closed());
  EXPECT_TRUE(client_->status().ok()) << client_->status();
  EXPECT_TRUE(server_->status().ok()) << server_->status();
}

TEST_F(TlsLayerTest, WriteBeforeHandshakeConsumesNothing) {
  auto client = TlsLayer::Create(ClientOptions());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Start().ok());
  absl::StatusOr<size_t> n = (*client)->WritePlaintext("MAIL FROM:<>\r\n");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  char buf[16];
  absl::StatusOr<size_t> r = (*client)->ReadPlaintext(absl::MakeSpan(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
}

TEST_F(TlsLayerTest, ClientHelloCarriesSni) {
  auto client = TlsLayer::Create(ClientOptions());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Start().ok());
  absl::string_view hello = (*client)->PendingCiphertext();
  ASSERT_FALSE(hello.empty());
  EXPECT_EQ(hello[0], 0x16);  // handshake record
  EXPECT_TRUE(absl::StrContains(hello, kHost));
}

TEST_F(TlsLayerTest, WrongHostNameFailsVerification) {
  TlsOptions client = ClientOptions();
  client.server_name = "other.example.test";
  Connect(client, ServerOptions());
  EXPECT_FALSE(client_->handshake_done());
  EXPECT_EQ(client_->status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(GetErrorDetail(client_->status()), ErrorDetail::kTlsVerification);
  EXPECT_TRUE(
      absl::StrContains(client_->status().message(), "Hostname mismatch"))
      << client_->status();
  // The client told the server with an alert.
  EXPECT_EQ(GetErrorDetail(server_->status()), ErrorDetail::kTlsHandshake);
  // Sticky: later calls repeat the error.
  EXPECT_EQ(client_->ReceiveCiphertext("x"), client_->status());
  EXPECT_EQ(client_->WritePlaintext("x").status(), client_->status());
}

TEST_F(TlsLayerTest, PartialWildcardIsNotAccepted) {
  auto leaf = GenerateTestLeaf(*ca_, "mail*.example.test");
  ASSERT_TRUE(leaf.ok());
  TlsOptions server = ServerOptions();
  server.certificate_chain_pem = leaf->certificate_pem;
  server.private_key_pem = leaf->private_key_pem;
  TlsOptions client = ClientOptions();
  client.server_name = "mail1.example.test";
  Connect(client, server);
  EXPECT_EQ(GetErrorDetail(client_->status()), ErrorDetail::kTlsVerification);
}

TEST_F(TlsLayerTest, UnknownCaFailsVerification) {
  TlsOptions client = ClientOptions();
  client.ca_pem = other_ca_->certificate_pem;
  Connect(client, ServerOptions());
  EXPECT_FALSE(client_->handshake_done());
  EXPECT_EQ(client_->status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(GetErrorDetail(client_->status()), ErrorDetail::kTlsVerification);
  EXPECT_TRUE(absl::StrContains(client_->status().message(),
                                "unable to get local issuer certificate"))
      << client_->status();
}

TEST_F(TlsLayerTest, InsecureReportsFailureButProceeds) {
  TlsOptions client = ClientOptions();
  client.server_name = "other.example.test";
  client.ca_pem = other_ca_->certificate_pem;
  client.insecure = true;
  Connect(client, ServerOptions());
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  ASSERT_TRUE(server_->handshake_done()) << server_->status();
  EXPECT_FALSE(client_->info().verified);
  EXPECT_EQ(client_->info().verify_error,
            "unable to get local issuer certificate");
  EXPECT_EQ(client_->info().channel_binding, server_->info().channel_binding);

  ASSERT_TRUE(client_->WritePlaintext("QUIT\r\n").ok());
  Pump();
  EXPECT_EQ(ReadAll(*server_), "QUIT\r\n");
}

TEST_F(TlsLayerTest, InsecureHostMismatchOnlyReportsHostname) {
  TlsOptions client = ClientOptions();
  client.server_name = "other.example.test";
  client.insecure = true;
  Connect(client, ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  EXPECT_FALSE(client_->info().verified);
  EXPECT_EQ(client_->info().verify_error, "Hostname mismatch");
}

TEST_F(TlsLayerTest, InsecureWithoutServerNameIsAllowed) {
  TlsOptions client = ClientOptions();
  client.server_name.clear();
  client.insecure = true;
  Connect(client, ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  EXPECT_EQ(server_->info().server_name, "");  // no SNI sent
  EXPECT_TRUE(client_->info().verified);       // chain is fine, no name asked
}

TEST_F(TlsLayerTest, IpLiteralIsVerifiedAgainstIpSanWithoutSni) {
  auto leaf = GenerateTestLeaf(*ca_, "127.0.0.1");
  ASSERT_TRUE(leaf.ok());
  TlsOptions server = ServerOptions();
  server.certificate_chain_pem = leaf->certificate_pem;
  server.private_key_pem = leaf->private_key_pem;
  TlsOptions client = ClientOptions();
  client.server_name = "127.0.0.1";
  Connect(client, server);
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  EXPECT_TRUE(client_->info().verified);
  EXPECT_EQ(server_->info().server_name, "");

  client.server_name = "127.0.0.2";
  Connect(client, server);
  EXPECT_EQ(GetErrorDetail(client_->status()), ErrorDetail::kTlsVerification);
}

TEST_F(TlsLayerTest, PeerChainIsExposed) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  std::vector<std::string> der = client_->PeerCertificateChainDer();
  ASSERT_EQ(der.size(), 1u);
  EXPECT_EQ(der[0][0], 0x30);  // DER SEQUENCE
  EXPECT_EQ(client_->PeerCertificateChainPem(), leaf_->certificate_pem);
  EXPECT_TRUE(server_->PeerCertificateChainDer().empty());
}

TEST_F(TlsLayerTest, ClientCertificateSeenByServer) {
  TlsOptions client = ClientOptions();
  client.certificate_chain_pem = client_leaf_->certificate_pem;
  client.private_key_pem = client_leaf_->private_key_pem;
  TlsOptions server = ServerOptions();
  server.request_client_certificate = true;
  server.ca_pem = ca_->certificate_pem;
  Connect(client, server);
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  ASSERT_TRUE(server_->handshake_done()) << server_->status();
  EXPECT_TRUE(client_->info().client_certificate);
  EXPECT_TRUE(server_->info().client_certificate);
  EXPECT_TRUE(server_->info().verified);
  EXPECT_EQ(server_->PeerCertificateChainPem(), client_leaf_->certificate_pem);
}

TEST_F(TlsLayerTest, ClientCertificateNotSentUnlessRequested) {
  TlsOptions client = ClientOptions();
  client.certificate_chain_pem = client_leaf_->certificate_pem;
  client.private_key_pem = client_leaf_->private_key_pem;
  Connect(client, ServerOptions());
  ASSERT_TRUE(server_->handshake_done());
  EXPECT_FALSE(client_->info().client_certificate);
  EXPECT_FALSE(server_->info().client_certificate);
}

TEST_F(TlsLayerTest, ServerRejectsClientCertificateFromUnknownCa) {
  auto stranger = GenerateTestLeaf(*other_ca_, "client.example.test");
  ASSERT_TRUE(stranger.ok());
  TlsOptions client = ClientOptions();
  client.certificate_chain_pem = stranger->certificate_pem;
  client.private_key_pem = stranger->private_key_pem;
  TlsOptions server = ServerOptions();
  server.request_client_certificate = true;
  server.ca_pem = ca_->certificate_pem;
  Connect(client, server);
  EXPECT_FALSE(server_->handshake_done());
  EXPECT_EQ(GetErrorDetail(server_->status()), ErrorDetail::kTlsVerification);
  // TLS 1.3: the client finished first and learns of it from the alert.
  char buf[16];
  absl::StatusOr<size_t> r = client_->ReadPlaintext(absl::MakeSpan(buf));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kIo);
}

TEST_F(TlsLayerTest, InsecureServerAcceptsAnyClientCertificate) {
  auto stranger = GenerateTestLeaf(*other_ca_, "client.example.test");
  ASSERT_TRUE(stranger.ok());
  TlsOptions client = ClientOptions();
  client.certificate_chain_pem = stranger->certificate_pem;
  client.private_key_pem = stranger->private_key_pem;
  TlsOptions server = ServerOptions();
  server.request_client_certificate = true;
  server.ca_pem = ca_->certificate_pem;
  server.insecure = true;
  Connect(client, server);
  ASSERT_TRUE(server_->handshake_done()) << server_->status();
  EXPECT_TRUE(server_->info().client_certificate);
  EXPECT_FALSE(server_->info().verified);
  EXPECT_FALSE(server_->info().verify_error.empty());
}

TEST_F(TlsLayerTest, GarbageDuringHandshakeIsTypedError) {
  auto client = TlsLayer::Create(ClientOptions());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Start().ok());
  absl::Status s =
      (*client)->ReceiveCiphertext("220 mail.example.test ESMTP\r\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  // An SMTP reply where the ServerHello belongs is named (a plaintext port).
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kTlsPeerPlaintext);
  EXPECT_FALSE((*client)->handshake_done());
}

TEST_F(TlsLayerTest, GarbageAfterHandshakeIsTypedError) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  // An application-data record with a bogus payload: fails authentication.
  std::string record("\x17\x03\x03\x00\x20", 5);
  record += std::string(32, 'x');
  ASSERT_TRUE(client_->ReceiveCiphertext(record).ok());  // buffered only
  char buf[64];
  absl::StatusOr<size_t> r = client_->ReadPlaintext(absl::MakeSpan(buf));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kIo);
  EXPECT_EQ(client_->status(), r.status());
  // An alert for the peer may be queued.
  EXPECT_FALSE(client_->PendingCiphertext().empty());
}

TEST_F(TlsLayerTest, EofDuringHandshakeIsConnectionClosed) {
  auto client = TlsLayer::Create(ClientOptions());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Start().ok());
  absl::Status s = (*client)->ReceiveCiphertextEof();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kConnectionClosed);
}

TEST_F(TlsLayerTest, CloseNotifyAndEof) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(server_->WritePlaintext("221 bye\r\n").ok());
  ASSERT_TRUE(server_->Shutdown().ok());
  EXPECT_EQ(GetErrorDetail(server_->WritePlaintext("x").status()),
            ErrorDetail::kClosed);
  Pump();
  EXPECT_EQ(ReadAll(*client_), "221 bye\r\n");
  EXPECT_TRUE(client_->peer_closed());

  // EOF without close_notify after the handshake is a plain close.
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(server_->WritePlaintext("221 bye\r\n").ok());
  Pump();
  ASSERT_TRUE(client_->ReceiveCiphertextEof().ok());
  EXPECT_EQ(ReadAll(*client_), "221 bye\r\n");
  EXPECT_TRUE(client_->peer_closed());
  EXPECT_TRUE(client_->status().ok());
}

TEST_F(TlsLayerTest, SplitDeliveryByteByByte) {
  auto client = TlsLayer::Create(ClientOptions());
  auto server = TlsLayer::Create(ServerOptions());
  ASSERT_TRUE(client.ok() && server.ok());
  client_ = *std::move(client);
  server_ = *std::move(server);
  ASSERT_TRUE(client_->Start().ok());
  for (int round = 0; round < 20 && !client_->handshake_done(); ++round) {
    for (TlsLayer* from : {client_.get(), server_.get()}) {
      TlsLayer* to = from == client_.get() ? server_.get() : client_.get();
      std::string bytes(from->PendingCiphertext());
      from->ConsumeCiphertext(bytes.size());
      for (char c : bytes) {
        ASSERT_TRUE(to->ReceiveCiphertext(absl::string_view(&c, 1)).ok());
      }
    }
  }
  Pump();
  EXPECT_TRUE(client_->handshake_done());
  EXPECT_TRUE(server_->handshake_done());
  EXPECT_EQ(client_->info().channel_binding, server_->info().channel_binding);
}

TEST(TlsLayerCreateTest, RejectsBadOptions) {
  TlsOptions client;
  absl::StatusOr<std::unique_ptr<TlsLayer>> layer = TlsLayer::Create(client);
  EXPECT_EQ(layer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(layer.status().message(), "server_name"));

  TlsOptions server;
  server.role = TlsRole::kServer;
  EXPECT_EQ(TlsLayer::Create(server).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto ca = GenerateTestCa("ca");
  auto leaf = GenerateTestLeaf(*ca, "h.example");
  ASSERT_TRUE(leaf.ok());
  server.certificate_chain_pem = leaf->certificate_pem;
  server.private_key_pem = ca->private_key_pem;  // wrong key
  layer = TlsLayer::Create(server);
  EXPECT_EQ(layer.status().code(), absl::StatusCode::kInvalidArgument);
  // No key material in the message.
  EXPECT_FALSE(absl::StrContains(layer.status().message(), "BEGIN"));
  EXPECT_FALSE(absl::StrContains(layer.status().message(),
                                 ca->private_key_pem.substr(30, 20)));

  server.private_key_pem = "not a key";
  EXPECT_FALSE(absl::StrContains(TlsLayer::Create(server).status().message(),
                                 "not a key"));

  TlsOptions bad_versions;
  bad_versions.insecure = true;
  bad_versions.min_version = TlsVersion::kTls13;
  bad_versions.max_version = TlsVersion::kTls12;
  EXPECT_EQ(TlsLayer::Create(bad_versions).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Implicit TLS against a plaintext SMTP port: the server's greeting arrives
// where the ServerHello belongs. The error says so (a detail programs test).
TEST(TlsLayerPeerTest, PlaintextSmtpReplyIsNamed) {
  for (absl::string_view reply :
       {"220 mail.example ESMTP ready\r\n", "554 5.7.1 go away\r\n"}) {
    TlsOptions client;
    client.server_name = "mail.example";
    client.insecure = true;
    absl::StatusOr<std::unique_ptr<TlsLayer>> layer = TlsLayer::Create(client);
    ASSERT_TRUE(layer.ok()) << layer.status();
    ASSERT_TRUE((*layer)->Start().ok());
    absl::Status s = (*layer)->ReceiveCiphertext(reply);
    EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kTlsPeerPlaintext) << s;
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  "answered in plaintext SMTP"))
        << s;
  }
  // Garbage that is not an SMTP reply stays a handshake failure.
  TlsOptions client;
  client.server_name = "mail.example";
  client.insecure = true;
  absl::StatusOr<std::unique_ptr<TlsLayer>> layer = TlsLayer::Create(client);
  ASSERT_TRUE(layer.ok());
  ASSERT_TRUE((*layer)->Start().ok());
  absl::Status s = (*layer)->ReceiveCiphertext("HTTP/1.1 400 Bad\r\n\r\n");
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kTlsHandshake) << s;
}

TEST(TlsLayerCreateTest, MissingCaFileIsNamed) {
  TlsOptions client;
  client.server_name = "h.example";
  client.ca_file = "/nonexistent/ca.pem";
  absl::Status s = TlsLayer::Create(client).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kTlsRequired);
  EXPECT_TRUE(absl::StrContains(s.message(), "/nonexistent/ca.pem"));
  // Insecure proceeds without anchors.
  client.insecure = true;
  EXPECT_TRUE(TlsLayer::Create(client).ok());
}

TEST_F(TlsLayerTest, SystemRootsDoNotTrustTestCa) {
  if (access(kSystemCaFile, R_OK) != 0) {
    GTEST_SKIP() << kSystemCaFile << " missing: system trust store absent";
  }
  TlsOptions client = ClientOptions();
  client.ca_pem.clear();  // system roots
  Connect(client, ServerOptions());
  EXPECT_EQ(GetErrorDetail(client_->status()), ErrorDetail::kTlsVerification);
}

// One SSL_CTX per configuration: equal options share the cached context, a
// different configuration gets its own.
TEST_F(TlsLayerTest, EqualOptionsShareOneContext) {
  TlsContextCache::Global().Clear();
  ASSERT_TRUE(TlsLayer::Create(ClientOptions()).ok());
  ASSERT_TRUE(TlsLayer::Create(ClientOptions()).ok());
  EXPECT_EQ(TlsContextCache::Global().size(), 1u);
  TlsOptions other = ClientOptions();
  other.max_version = TlsVersion::kTls12;
  ASSERT_TRUE(TlsLayer::Create(other).ok());
  EXPECT_EQ(TlsContextCache::Global().size(), 2u);
}

// Threads creating layers for one configuration at once share one context
// (run under --config=sanitize for data races on the cache).
TEST_F(TlsLayerTest, ConcurrentCreateSharesOneContext) {
  TlsContextCache::Global().Clear();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&failures] {
      for (int i = 0; i < 20; ++i) {
        if (!TlsLayer::Create(ClientOptions()).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(TlsContextCache::Global().size(), 1u);
}

// The second connection to the same server resumes the first one's session
// and still reports the verified server. A TLS 1.3 server (BoringSSL) sends
// its tickets with its first application data (the EHLO reply, in SMTP);
// the client stores them when it reads that.
TEST_F(TlsLayerTest, SecondConnectionResumesTls13) {
  TlsContextCache::Global().Clear();
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  EXPECT_FALSE(client_->session_reused());
  ASSERT_TRUE(server_->WritePlaintext("250 ok\r\n").ok());
  Pump();
  EXPECT_EQ(ReadAll(*client_), "250 ok\r\n");
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  EXPECT_TRUE(client_->session_reused());
  EXPECT_TRUE(server_->session_reused());
  EXPECT_TRUE(client_->info().verified);
  EXPECT_EQ(client_->info().version, "TLSv1.3");
}

TEST_F(TlsLayerTest, SecondConnectionResumesTls12) {
  TlsContextCache::Global().Clear();
  TlsOptions client = ClientOptions();
  client.max_version = TlsVersion::kTls12;
  Connect(client, ServerOptions());
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  EXPECT_FALSE(client_->session_reused());
  Connect(client, ServerOptions());
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  EXPECT_TRUE(client_->session_reused());
  EXPECT_TRUE(client_->info().verified);
}

// resume_sessions = false, a client certificate, or a server that cannot
// decrypt the ticket (another server key): a full handshake.
TEST_F(TlsLayerTest, NoResumptionWhenNotAllowedOrNotPossible) {
  TlsContextCache::Global().Clear();
  Connect(ClientOptions(), ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  ASSERT_TRUE(server_->WritePlaintext("250 ok\r\n").ok());
  Pump();
  ReadAll(*client_);
  TlsOptions off = ClientOptions();
  off.resume_sessions = false;
  Connect(off, ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  EXPECT_FALSE(client_->session_reused());

  TlsOptions with_cert = ClientOptions();
  with_cert.certificate_chain_pem = client_leaf_->certificate_pem;
  with_cert.private_key_pem = client_leaf_->private_key_pem;
  Connect(with_cert, ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  ASSERT_TRUE(server_->WritePlaintext("250 ok\r\n").ok());
  Pump();
  ReadAll(*client_);
  Connect(with_cert, ServerOptions());
  ASSERT_TRUE(client_->handshake_done());
  EXPECT_FALSE(client_->session_reused());

  // Another server (new leaf, new context, new ticket key) for the name.
  PemCertificate leaf2 = *GenerateTestLeaf(*ca_, kHost);
  TlsOptions server2 = ServerOptions();
  server2.certificate_chain_pem = leaf2.certificate_pem;
  server2.private_key_pem = leaf2.private_key_pem;
  Connect(ClientOptions(), server2);
  ASSERT_TRUE(client_->handshake_done()) << client_->status();
  EXPECT_FALSE(client_->session_reused());
  EXPECT_TRUE(client_->info().verified);
}

}  // namespace
}  // namespace smtpcore
