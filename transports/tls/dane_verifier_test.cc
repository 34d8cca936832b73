// DANE verification against generated chains (no DNS): DANE-EE by
// certificate and key, DANE-TA with the anchor in the chain or in the
// record, names for DANE-TA only, and TlsLayer handshakes in memory with
// TlsOptions::dane.

#include "transports/tls/dane_verifier.h"

#include <openssl/bio.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "route/tlsa.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

std::string PemToDer(const std::string& pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  bssl::UniquePtr<X509> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  uint8_t* out = nullptr;
  int len = i2d_X509(cert.get(), &out);
  std::string der(reinterpret_cast<char*>(out), len);
  OPENSSL_free(out);
  return der;
}

class DaneVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new PemCertificate(*GenerateTestCa("dane test CA"));
    leaf_ = new PemCertificate(*GenerateTestLeaf(*ca_, "mx.example.test"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }
  static TlsaRecord Record(uint8_t usage, uint8_t selector, uint8_t mtype,
                           const std::string& der) {
    TlsaRecord r{usage, selector, mtype, ""};
    r.data = *TlsaDataFor(der, selector, mtype);
    return r;
  }
  static std::string LeafDer() { return PemToDer(leaf_->certificate_pem); }
  static std::string CaDer() { return PemToDer(ca_->certificate_pem); }

  static PemCertificate* ca_;
  static PemCertificate* leaf_;
};

PemCertificate* DaneVerifierTest::ca_ = nullptr;
PemCertificate* DaneVerifierTest::leaf_ = nullptr;

TEST_F(DaneVerifierTest, DaneEeMatchesKeyOrCertificateIgnoringNames) {
  std::vector<std::string> chain = {LeafDer()};
  for (auto [selector, mtype] :
       {std::pair<int, int>{1, 1}, {1, 2}, {0, 1}, {0, 0}, {1, 0}}) {
    DaneOptions o;
    o.records = {Record(3, selector, mtype, chain[0])};
    o.names = {"not-the-name.example"};  // DANE-EE ignores names
    absl::StatusOr<TlsaRecord> m = VerifyDane(chain, o);
    ASSERT_TRUE(m.ok()) << selector << " " << mtype << ": " << m.status();
    EXPECT_EQ(*m, o.records[0]);
  }
}

TEST_F(DaneVerifierTest, NoMatchingRecordFails) {
  DaneOptions o;
  o.records = {Record(3, 1, 1, CaDer())};  // the CA's key, not the leaf's
  absl::StatusOr<TlsaRecord> m = VerifyDane({LeafDer()}, o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(GetErrorDetail(m.status()), ErrorDetail::kTlsVerification);
  EXPECT_FALSE(VerifyDane({}, o).ok());
}

TEST_F(DaneVerifierTest, UnusableRecordsNeverMatch) {
  DaneOptions o;
  o.records = {Record(1, 1, 1, LeafDer())};  // PKIX-EE: not for SMTP
  EXPECT_FALSE(VerifyDane({LeafDer()}, o).ok());
}

TEST_F(DaneVerifierTest, DaneTaInChainChecksNames) {
  std::vector<std::string> chain = {LeafDer(), CaDer()};
  DaneOptions o;
  o.records = {Record(2, 0, 1, CaDer())};
  o.names = {"example.test", "mx.example.test"};
  absl::StatusOr<TlsaRecord> m = VerifyDane(chain, o);
  ASSERT_TRUE(m.ok()) << m.status();

  o.names = {"other.example.test"};
  m = VerifyDane(chain, o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("mismatch"), std::string::npos)
      << m.status();
  // The leaf alone cannot be its own DANE-TA anchor by key.
  o.names = {"mx.example.test"};
  EXPECT_FALSE(VerifyDane({LeafDer()}, o).ok());
}

TEST_F(DaneVerifierTest, DaneTaFullCertificateInRecord) {
  DaneOptions o;
  o.records = {Record(2, 0, 0, CaDer())};
  o.names = {"mx.example.test"};
  absl::StatusOr<TlsaRecord> m = VerifyDane({LeafDer()}, o);
  EXPECT_TRUE(m.ok()) << m.status();
}

// In-memory handshake with DANE on the client.
struct Pair {
  std::unique_ptr<TlsLayer> client, server;
  void Pump() {
    for (int i = 0; i < 100; ++i) {
      bool moved = Move(*client, *server);
      moved |= Move(*server, *client);
      if (!moved) return;
    }
  }
  static bool Move(TlsLayer& from, TlsLayer& to) {
    std::string bytes(from.PendingCiphertext());
    if (bytes.empty()) return false;
    from.ConsumeCiphertext(bytes.size());
    (void)to.ReceiveCiphertext(bytes);
    return true;
  }
};

Pair Handshake(const PemCertificate& leaf, const DaneOptions& dane) {
  TlsOptions c;
  c.role = TlsRole::kClient;
  c.server_name = "mx.example.test";
  c.ca_file = "/nonexistent";  // DANE needs no PKIX anchors
  c.dane = dane;
  TlsOptions s;
  s.role = TlsRole::kServer;
  s.certificate_chain_pem = leaf.certificate_pem;
  s.private_key_pem = leaf.private_key_pem;
  Pair p;
  p.client = *TlsLayer::Create(c);
  p.server = *TlsLayer::Create(s);
  EXPECT_TRUE(p.client->Start().ok());
  EXPECT_TRUE(p.server->Start().ok());
  p.Pump();
  return p;
}

TEST_F(DaneVerifierTest, TlsLayerHandshakeVerifiesWithDane) {
  DaneOptions dane;
  dane.records = {Record(3, 1, 1, LeafDer())};
  Pair p = Handshake(*leaf_, dane);
  ASSERT_TRUE(p.client->handshake_done()) << p.client->status();
  EXPECT_TRUE(p.client->info().verified);
  ASSERT_TRUE(p.client->dane_match().has_value());
  EXPECT_EQ(*p.client->dane_match(), dane.records[0]);
}

TEST_F(DaneVerifierTest, TlsLayerHandshakeFailsOnDaneMismatch) {
  DaneOptions dane;
  dane.records = {Record(3, 1, 1, CaDer())};
  Pair p = Handshake(*leaf_, dane);
  EXPECT_FALSE(p.client->handshake_done());
  EXPECT_EQ(GetErrorDetail(p.client->status()), ErrorDetail::kTlsVerification);
  EXPECT_NE(p.client->status().message().find("DANE"), std::string::npos);
  EXPECT_FALSE(p.server->handshake_done());  // the alert reached it
}

}  // namespace
}  // namespace smtpcore
