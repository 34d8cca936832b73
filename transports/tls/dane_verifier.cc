#include "transports/tls/dane_verifier.h"

#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

absl::Status Unverified(absl::string_view why) {
  return MakeError(absl::StatusCode::kUnauthenticated,
                   ErrorDetail::kTlsVerification,
                   absl::StrCat("DANE verification failed: ", why));
}

bssl::UniquePtr<X509> ParseDer(const std::string& der) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
  bssl::UniquePtr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return cert;
}

// SelectedBytes returns the DER the selector picks: the whole certificate
// or its SubjectPublicKeyInfo.
absl::StatusOr<std::string> SelectedBytes(const std::string& der, X509* cert,
                                          uint8_t selector) {
  if (selector == kTlsaSelectorCert) return der;
  if (selector != kTlsaSelectorSpki) {
    return LocalError(ErrorDetail::kInvalidArgument, "unknown TLSA selector");
  }
  uint8_t* out = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &out);
  if (len <= 0) {
    ERR_clear_error();
    return LocalError(ErrorDetail::kInvalidArgument, "no public key");
  }
  std::string spki(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return spki;
}

absl::StatusOr<std::string> Digest(const std::string& bytes,
                                   uint8_t matching_type) {
  const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data());
  switch (matching_type) {
    case kTlsaMatchingFull:
      return bytes;
    case kTlsaMatchingSha256: {
      uint8_t md[SHA256_DIGEST_LENGTH];
      SHA256(data, bytes.size(), md);
      return std::string(reinterpret_cast<char*>(md), sizeof(md));
    }
    case kTlsaMatchingSha512: {
      uint8_t md[SHA512_DIGEST_LENGTH];
      SHA512(data, bytes.size(), md);
      return std::string(reinterpret_cast<char*>(md), sizeof(md));
    }
  }
  return LocalError(ErrorDetail::kInvalidArgument,
                    "unknown TLSA matching type");
}

bool Matches(const TlsaRecord& record, const std::string& der, X509* cert) {
  absl::StatusOr<std::string> selected =
      SelectedBytes(der, cert, record.selector);
  if (!selected.ok()) return false;
  absl::StatusOr<std::string> digest =
      Digest(*selected, record.matching_type);
  return digest.ok() && *digest == record.data;
}

// VerifyTaChain validates leaf -> ... -> anchor with `anchor` as the only
// trust anchor and `names` as acceptable host names.
absl::Status VerifyTaChain(const std::vector<bssl::UniquePtr<X509>>& chain,
                           X509* anchor, const std::vector<std::string>& names) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  bssl::UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (store == nullptr || untrusted == nullptr || ctx == nullptr ||
      !X509_STORE_add_cert(store.get(), anchor)) {
    ERR_clear_error();
    return absl::InternalError("DANE: BoringSSL setup failed");
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    if (!sk_X509_push(untrusted.get(), chain[i].get())) {
      return absl::InternalError("DANE: BoringSSL setup failed");
    }
    X509_up_ref(chain[i].get());
  }
  if (!X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(),
                           untrusted.get())) {
    ERR_clear_error();
    return absl::InternalError("DANE: BoringSSL setup failed");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool first = true;
  for (const std::string& name : names) {
    int ok = first ? X509_VERIFY_PARAM_set1_host(param, name.data(), name.size())
                   : X509_VERIFY_PARAM_add1_host(param, name.data(), name.size());
    first = false;
    if (!ok) {
      ERR_clear_error();
      return absl::InternalError("DANE: bad reference name");
    }
  }
  if (names.empty()) {
    return Unverified("DANE-TA needs reference names and none were given");
  }
  const int ok = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (ok != 1) {
    return Unverified(absl::StrCat(
        "DANE-TA chain: ", X509_verify_cert_error_string(err),
        err == X509_V_ERR_HOSTNAME_MISMATCH
            ? absl::StrCat(" (allowed names: ", absl::StrJoin(names, ", "), ")")
            : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> TlsaDataFor(const std::string& certificate_der,
                                        uint8_t selector,
                                        uint8_t matching_type) {
  bssl::UniquePtr<X509> cert = ParseDer(certificate_der);
  if (cert == nullptr) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      "certificate does not parse");
  }
  absl::StatusOr<std::string> selected =
      SelectedBytes(certificate_der, cert.get(), selector);
  if (!selected.ok()) return selected.status();
  return Digest(*selected, matching_type);
}

absl::StatusOr<TlsaRecord> VerifyDane(absl::Span<const std::string> chain_der,
                                      const DaneOptions& options) {
  if (chain_der.empty()) return Unverified("the server sent no certificate");
  std::vector<bssl::UniquePtr<X509>> chain;
  for (const std::string& der : chain_der) {
    bssl::UniquePtr<X509> cert = ParseDer(der);
    if (cert == nullptr) return Unverified("a certificate does not parse");
    chain.push_back(std::move(cert));
  }
  std::string last_ta_error;
  for (const TlsaRecord& r : options.records) {
    if (!IsUsableTlsaForSmtp(r)) continue;
    if (r.usage == kTlsaUsageDaneEe) {
      if (Matches(r, chain_der[0], chain[0].get())) return r;
      continue;
    }
    // DANE-TA: an issuer in the chain, or the record's own certificate.
    X509* anchor = nullptr;
    bssl::UniquePtr<X509> own;
    for (size_t i = 1; i < chain.size() && anchor == nullptr; ++i) {
      if (Matches(r, chain_der[i], chain[i].get())) anchor = chain[i].get();
    }
    if (anchor == nullptr && r.selector == kTlsaSelectorCert &&
        r.matching_type == kTlsaMatchingFull) {
      own = ParseDer(r.data);
      anchor = own.get();
    }
    if (anchor == nullptr) continue;
    absl::Status s = VerifyTaChain(chain, anchor, options.names);
    if (s.ok()) return r;
    last_ta_error = std::string(s.message());
  }
  if (!last_ta_error.empty()) {
    return MakeError(absl::StatusCode::kUnauthenticated,
                     ErrorDetail::kTlsVerification, last_ta_error);
  }
  return Unverified(absl::StrCat(
      "no TLSA record matches the server's certificate chain (",
      options.records.size(), " record(s))"));
}

}  // namespace smtpcore
