// SCRAM-*-PLUS over a real TLS session: a client and a server TlsLayer are
// connected in memory; each side's TlsInfo feeds the SCRAM client and the
// SCRAM server verifier, so the channel binding must match byte for byte.

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sasl/scram.h"
#include "sasl/scram_server.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

constexpr char kHost[] = "mail.example.test";

struct Pair {
  std::unique_ptr<TlsLayer> client;
  std::unique_ptr<TlsLayer> server;
};

Pair Handshake(TlsVersion max_version) {
  PemCertificate ca = *GenerateTestCa("scram tls test CA");
  PemCertificate leaf = *GenerateTestLeaf(ca, kHost);
  TlsOptions client_options;
  client_options.server_name = kHost;
  client_options.ca_pem = ca.certificate_pem;
  client_options.max_version = max_version;
  TlsOptions server_options;
  server_options.role = TlsRole::kServer;
  server_options.certificate_chain_pem = leaf.certificate_pem;
  server_options.private_key_pem = leaf.private_key_pem;
  Pair pair{*TlsLayer::Create(client_options),
            *TlsLayer::Create(server_options)};
  EXPECT_TRUE(pair.client->Start().ok());
  for (int i = 0; i < 20; ++i) {
    std::string c(pair.client->PendingCiphertext());
    pair.client->ConsumeCiphertext(c.size());
    EXPECT_TRUE(pair.server->ReceiveCiphertext(c).ok());
    std::string s(pair.server->PendingCiphertext());
    pair.server->ConsumeCiphertext(s.size());
    EXPECT_TRUE(pair.client->ReceiveCiphertext(s).ok());
    if (c.empty() && s.empty()) break;
  }
  EXPECT_TRUE(pair.client->handshake_done());
  EXPECT_TRUE(pair.server->handshake_done());
  return pair;
}

void RunPlus(TlsVersion version, const std::string& expected_type) {
  Pair pair = Handshake(version);
  const TlsInfo& client_tls = pair.client->info();
  const TlsInfo& server_tls = pair.server->info();
  ASSERT_EQ(client_tls.channel_binding_type, expected_type);

  ScramServerOptions server_options;
  server_options.username = "alice";
  server_options.password = "pencil";
  server_options.channel_binding_type = server_tls.channel_binding_type;
  server_options.channel_binding = server_tls.channel_binding;
  ScramServer server(server_options);

  ScramOptions options;
  options.plus = true;
  options.username = "alice";
  options.password = "pencil";
  ScramMechanism client(options);
  ASSERT_TRUE(client.Start(&client_tls).ok());
  EXPECT_EQ(client.gs2_header(), "p=" + expected_type + ",,");
  absl::StatusOr<std::string> server_first =
      server.HandleClientFirst(*client.InitialResponse());
  ASSERT_TRUE(server_first.ok()) << server_first.status();
  absl::StatusOr<std::string> client_final = client.Respond(*server_first);
  ASSERT_TRUE(client_final.ok()) << client_final.status();
  absl::StatusOr<std::string> server_final =
      server.HandleClientFinal(*client_final);
  ASSERT_TRUE(server_final.ok()) << server_final.status();
  EXPECT_TRUE(client.Finish(*server_final).ok());
  EXPECT_TRUE(server.authenticated());
}

TEST(ScramTlsTest, PlusOverTls13UsesTlsExporter) {
  RunPlus(TlsVersion::kTls13, "tls-exporter");
}

TEST(ScramTlsTest, PlusOverTls12UsesTlsUnique) {
  RunPlus(TlsVersion::kTls12, "tls-unique");
}

TEST(ScramTlsTest, BindingFromAnotherSessionIsRejected) {
  // A MITM runs two TLS sessions: the client's binding is not the server's.
  Pair client_side = Handshake(TlsVersion::kTls13);
  Pair server_side = Handshake(TlsVersion::kTls13);
  ScramServerOptions server_options;
  server_options.username = "alice";
  server_options.password = "pencil";
  server_options.channel_binding_type = "tls-exporter";
  server_options.channel_binding = server_side.server->info().channel_binding;
  ScramServer server(server_options);
  ScramOptions options;
  options.plus = true;
  options.username = "alice";
  options.password = "pencil";
  ScramMechanism client(options);
  ASSERT_TRUE(client.Start(&client_side.client->info()).ok());
  absl::StatusOr<std::string> client_final =
      client.Respond(*server.HandleClientFirst(*client.InitialResponse()));
  ASSERT_TRUE(client_final.ok());
  EXPECT_EQ(server.HandleClientFinal(*client_final).status().message(),
            "channel-bindings-dont-match");
}

}  // namespace
}  // namespace smtpcore
