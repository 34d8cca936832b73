#include "transports/tls/test_certs.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

constexpr long kNotBeforeSeconds = -3600;           // one hour of clock skew
constexpr long kValiditySeconds = 30L * 24 * 3600;  // 30 days

absl::Status Internal(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("test_certs: ", what, " failed"));
}

bssl::UniquePtr<EVP_PKEY> NewP256Key() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (ec == nullptr || pkey == nullptr || !EC_KEY_generate_key(ec.get()) ||
      !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release())) {
    return nullptr;
  }
  return pkey;
}

// AddExtension adds one extension given in OpenSSL config syntax
// ("critical,CA:TRUE").
bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1);
}

// NewCertificate makes an unsigned v3 certificate for `subject_cn` with a
// random 127-bit serial and the standard validity window.
bssl::UniquePtr<X509> NewCertificate(absl::string_view subject_cn,
                                     EVP_PKEY* key) {
  bssl::UniquePtr<X509> cert(X509_new());
  bssl::UniquePtr<BIGNUM> serial_bn(BN_new());
  if (cert == nullptr || serial_bn == nullptr ||
      !X509_set_version(cert.get(), X509_VERSION_3) ||
      !BN_rand(serial_bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) {
    return nullptr;
  }
  bssl::UniquePtr<ASN1_INTEGER> serial(
      BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  if (serial == nullptr || !X509_set_serialNumber(cert.get(), serial.get()) ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), kNotBeforeSeconds) ==
          nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) ==
          nullptr ||
      !X509_set_pubkey(cert.get(), key)) {
    return nullptr;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const uint8_t*>(subject_cn.data()),
          static_cast<int>(subject_cn.size()), -1, 0)) {
    return nullptr;
  }
  return cert;
}

absl::StatusOr<PemCertificate> ToPem(X509* cert, EVP_PKEY* key) {
  bssl::UniquePtr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  bssl::UniquePtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (cert_bio == nullptr || key_bio == nullptr ||
      !PEM_write_bio_X509(cert_bio.get(), cert) ||
      !PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0,
                                nullptr, nullptr)) {
    return Internal("PEM encoding");
  }
  PemCertificate out;
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(cert_bio.get(), &data, &len);
  out.certificate_pem.assign(reinterpret_cast<const char*>(data), len);
  BIO_mem_contents(key_bio.get(), &data, &len);
  out.private_key_pem.assign(reinterpret_cast<const char*>(data), len);
  return out;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

absl::StatusOr<PemCertificate> GenerateTestCa(absl::string_view common_name) {
  bssl::UniquePtr<EVP_PKEY> key = NewP256Key();
  if (key == nullptr) return Internal("P-256 key generation");
  bssl::UniquePtr<X509> cert = NewCertificate(common_name, key.get());
  if (cert == nullptr ||
      !X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) ||
      !AddExtension(cert.get(), cert.get(), NID_basic_constraints,
                    "critical,CA:TRUE") ||
      !AddExtension(cert.get(), cert.get(), NID_key_usage,
                    "critical,keyCertSign,cRLSign") ||
      !AddExtension(cert.get(), cert.get(), NID_subject_key_identifier,
                    "hash") ||
      !X509_sign(cert.get(), key.get(), EVP_sha256())) {
    return Internal("CA certificate construction");
  }
  return ToPem(cert.get(), key.get());
}

absl::StatusOr<PemCertificate> GenerateTestLeaf(const PemCertificate& ca,
                                                absl::string_view host_name) {
  if (host_name.empty()) {
    return absl::InvalidArgumentError("test_certs: empty host name");
  }
  bssl::UniquePtr<BIO> ca_cert_bio(
      BIO_new_mem_buf(ca.certificate_pem.data(), ca.certificate_pem.size()));
  bssl::UniquePtr<BIO> ca_key_bio(
      BIO_new_mem_buf(ca.private_key_pem.data(), ca.private_key_pem.size()));
  bssl::UniquePtr<X509> ca_cert(
      PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr));
  bssl::UniquePtr<EVP_PKEY> ca_key(
      PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  if (ca_cert == nullptr || ca_key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("test_certs: CA does not parse");
  }

  const std::string host(host_name);
  bssl::UniquePtr<EVP_PKEY> key = NewP256Key();
  if (key == nullptr) return Internal("P-256 key generation");
  bssl::UniquePtr<X509> cert = NewCertificate(host, key.get());
  const std::string san =
      absl::StrCat(IsIpLiteral(host) ? "IP:" : "DNS:", host);
  if (cert == nullptr ||
      !X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) ||
      !AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints,
                    "critical,CA:FALSE") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_key_usage,
                    "critical,digitalSignature") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage,
                    "serverAuth,clientAuth") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name, san) ||
      !AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier,
                    "keyid:always") ||
      !X509_sign(cert.get(), ca_key.get(), EVP_sha256())) {
    return Internal("leaf certificate construction");
  }
  return ToPem(cert.get(), key.get());
}

}  // namespace smtpcore
