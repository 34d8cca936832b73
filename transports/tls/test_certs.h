// Throwaway certificates generated at run time, for tests and for the
// `smtpc demo` embedded sink. Nothing here is committed key material: every
// call makes a fresh EC P-256 key with BoringSSL's RNG.
//
// Typical use:
//   auto ca = GenerateTestCa("smtpcore test CA");
//   auto leaf = GenerateTestLeaf(*ca, "mail.example.test");
//   server options: certificate_chain_pem = leaf->certificate_pem,
//                   private_key_pem = leaf->private_key_pem
//   client options: ca_pem = ca->certificate_pem, server_name = same host.

#ifndef SMTP_TRANSPORTS_TLS_TEST_CERTS_H_
#define SMTP_TRANSPORTS_TLS_TEST_CERTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// PemCertificate is a certificate and its private key, both PEM
// ("CERTIFICATE" and "PRIVATE KEY" (PKCS#8) blocks). Owns its strings.
struct PemCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

// GenerateTestCa returns a fresh self-signed CA certificate (EC P-256,
// SHA-256, basicConstraints CA:TRUE, keyCertSign) named `common_name`, valid
// from one hour ago for 30 days. Fails with kInternal if BoringSSL fails.
absl::StatusOr<PemCertificate> GenerateTestCa(absl::string_view common_name);

// GenerateTestLeaf returns a fresh end-entity certificate for `host_name`
// (a dNSName SAN, or an iPAddress SAN when `host_name` is an IPv4/IPv6
// literal; also the CN) signed by `ca`, with extendedKeyUsage serverAuth and
// clientAuth so the same helper makes server and client certificates. Valid
// from one hour ago for 30 days. Fails with kInvalidArgument if `ca` does not
// parse or `host_name` is empty, kInternal if BoringSSL fails.
absl::StatusOr<PemCertificate> GenerateTestLeaf(const PemCertificate& ca,
                                                absl::string_view host_name);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TLS_TEST_CERTS_H_
