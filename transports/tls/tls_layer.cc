#include "transports/tls/tls_layer.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/tls/tls_context_cache.h"

namespace smtpcore {
namespace {

// RFC 9266 §2: the tls-exporter channel binding is 32 bytes exported with
// this label and no context.
constexpr char kExporterLabel[] = "EXPORTER-Channel-Binding";
constexpr size_t kExporterLength = 32;

// Largest plaintext handed to one SSL_write: one full record.
constexpr size_t kMaxRecordPlaintext = 16384;

uint16_t ToProtocolVersion(TlsVersion version) {
  return version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The write BIO. BoringSSL seals records into its own write buffer and
// hands them to the write BIO; a memory BIO would copy them into its
// BUF_MEM, and the layer would then copy them again into its pending
// ciphertext. This BIO appends them to the pending ciphertext directly: one
// copy per ciphertext byte instead of two. Its data pointer is the layer's
// `out_` (a `std::string*`, borrowed: the layer is neither copyable nor
// movable, and frees the SSL, which owns the BIO, before `out_`).
//
// The BIO always accepts everything: back-pressure is the layer's job
// (`WritePlaintext` checks `kMaxPendingCiphertext` before each SSL_write,
// which adds at most one record), exactly as with the growing memory BIO.

// OutputBioWrite appends `len` bytes to the layer's pending ciphertext.
// Returns `len`, or -1 (a write error, which fails the SSL call that wrote)
// when the string cannot grow: a `std::bad_alloc` must not unwind through
// BoringSSL's frames.
int OutputBioWrite(BIO* bio, const char* data, int len) {
  if (len <= 0) return 0;
  auto* out = static_cast<std::string*>(BIO_get_data(bio));
  try {
    out->append(data, static_cast<size_t>(len));
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return len;
}

// OutputBioCtrl answers what libssl asks of a write BIO: it calls BIO_flush
// after writing each handshake flight and fails the handshake when that
// returns <= 0 (checked: answering 0 breaks every handshake test), so
// FLUSH succeeds; nothing is buffered in the BIO itself, so BIO_pending /
// BIO_wpending are 0. Any other request is unsupported (0), as for a BIO
// with no such feature.
long OutputBioCtrl(BIO* bio, int cmd, long larg, void* parg) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

// OutputBioMethod returns the write BIO's method, built once per process
// (thread-safe: a function-local static) and never freed; nullptr if
// BoringSSL could not allocate it (then every `Create` fails).
const BIO_METHOD* OutputBioMethod() {
  static const BIO_METHOD* const method = []() -> const BIO_METHOD* {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "smtpcore TlsLayer output");
    if (m == nullptr || !BIO_meth_set_write(m, &OutputBioWrite) ||
        !BIO_meth_set_ctrl(m, &OutputBioCtrl)) {
      BIO_meth_free(m);
      ERR_clear_error();
      return nullptr;
    }
    return m;
  }();
  return method;
}

// LastSslError describes the first entry of the thread's BoringSSL error
// queue ("SSL routines: WRONG_VERSION_NUMBER"), or `fallback`.
std::string LastSslError(absl::string_view fallback) {
  uint32_t err = ERR_peek_error();
  if (err == 0) return std::string(fallback);
  const char* lib = ERR_lib_error_string(err);
  const char* reason = ERR_reason_error_string(err);
  return absl::StrCat(lib != nullptr ? lib : "unknown library", ": ",
                      reason != nullptr ? reason : "unknown reason");
}

// ParseCertificates reads every CERTIFICATE block of `pem`.
absl::StatusOr<std::vector<bssl::UniquePtr<X509>>> ParseCertificates(
    absl::string_view pem, absl::string_view what) {
  std::vector<bssl::UniquePtr<X509>> certs;
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  if (bio == nullptr) {
    return absl::InternalError("BIO_new_mem_buf failed");
  }
  for (;;) {
    bssl::UniquePtr<X509> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  // The loop ends with a PEM "no start line" error at the end of input.
  ERR_clear_error();
  if (certs.empty()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat(what, ": no PEM certificate found"));
  }
  return certs;
}

absl::Status LoadOwnCertificate(SSL_CTX* ctx, const TlsOptions& options) {
  absl::StatusOr<std::vector<bssl::UniquePtr<X509>>> chain =
      ParseCertificates(options.certificate_chain_pem, "certificate_chain_pem");
  if (!chain.ok()) return chain.status();
  if (!SSL_CTX_use_certificate(ctx, (*chain)[0].get())) {
    std::string why = LastSslError("rejected");
    ERR_clear_error();
    return LocalError(ErrorDetail::kInvalidArgument,
                      absl::StrCat("certificate_chain_pem: ", why));
  }
  for (size_t i = 1; i < chain->size(); ++i) {
    if (!SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get())) {
      ERR_clear_error();
      return absl::InternalError("SSL_CTX_add1_chain_cert failed");
    }
  }
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(options.private_key_pem.data(),
                                           options.private_key_pem.size()));
  bssl::UniquePtr<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  // Never echo key material: the message names the field only.
  if (key == nullptr) {
    ERR_clear_error();
    return LocalError(ErrorDetail::kInvalidArgument,
                      "private_key_pem: no usable PEM private key");
  }
  if (!SSL_CTX_use_PrivateKey(ctx, key.get()) ||
      !SSL_CTX_check_private_key(ctx)) {
    ERR_clear_error();
    return LocalError(ErrorDetail::kInvalidArgument,
                      "private_key_pem does not match certificate_chain_pem");
  }
  return absl::OkStatus();
}

// LoadTrustAnchors fills the context's store from `ca_pem`, `ca_file` or the
// system bundle, in that order of preference.
absl::Status LoadTrustAnchors(SSL_CTX* ctx, const TlsOptions& options) {
  if (!options.ca_pem.empty()) {
    absl::StatusOr<std::vector<bssl::UniquePtr<X509>>> certs =
        ParseCertificates(options.ca_pem, "ca_pem");
    if (!certs.ok()) return certs.status();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (const bssl::UniquePtr<X509>& cert : *certs) {
      if (!X509_STORE_add_cert(store, cert.get())) {
        ERR_clear_error();  // duplicates are harmless
      }
    }
    return absl::OkStatus();
  }
  const std::string file =
      options.ca_file.empty() ? std::string(kSystemCaFile) : options.ca_file;
  if (access(file.c_str(), R_OK) != 0) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorDetail::kTlsRequired,
        absl::StrCat("cannot read CA bundle ", file,
                     options.ca_file.empty()
                         ? " (system trust store missing: install "
                           "ca-certificates or set TlsOptions::ca_file)"
                         : ""));
  }
  if (!SSL_CTX_load_verify_locations(ctx, file.c_str(), nullptr)) {
    std::string why = LastSslError("no certificates");
    ERR_clear_error();
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kTlsRequired,
                     absl::StrCat("cannot load CA bundle ", file, ": ", why));
  }
  return absl::OkStatus();
}

// AcceptAnyCertificate is the verify callback of an `insecure` server: it
// overrides every verification error (the result is still recorded).
int AcceptAnyCertificate(int ok, X509_STORE_CTX* store_ctx) { return 1; }

// NameText renders an X509_NAME as an RFC 2253 string.
std::string NameText(const X509_NAME* name) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || name == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return "";
  }
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(bio.get(), &data, &len)) return "";
  return std::string(reinterpret_cast<const char*>(data), len);
}

// TimeText renders an ASN1_TIME as RFC 3339 UTC ("2030-01-31T23:59:59Z").
std::string TimeText(const ASN1_TIME* time) {
  if (time == nullptr) return "";
  bssl::UniquePtr<ASN1_GENERALIZEDTIME> g(
      ASN1_TIME_to_generalizedtime(time, nullptr));
  if (g == nullptr) return "";
  // YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.2: no fractions, always Z).
  std::string t(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g.get())),
                ASN1_STRING_length(g.get()));
  if (t.size() != 15 || t.back() != 'Z') return t;
  return t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2) + "T" +
         t.substr(8, 2) + ":" + t.substr(10, 2) + ":" + t.substr(12, 2) + "Z";
}

// FillPeerCertificate copies the peer leaf's subject, issuer and expiry
// into `info` (cleared when there is none).
void FillPeerCertificate(SSL* ssl, TlsInfo* info) {
  info->peer_subject.clear();
  info->peer_issuer.clear();
  info->peer_not_after.clear();
  bssl::UniquePtr<X509> peer(SSL_get_peer_certificate(ssl));
  if (peer == nullptr) return;
  info->peer_subject = NameText(X509_get_subject_name(peer.get()));
  info->peer_issuer = NameText(X509_get_issuer_name(peer.get()));
  info->peer_not_after = TimeText(X509_get0_notAfter(peer.get()));
}

// NoteCertificateRequest runs (client side) when the server sent a
// CertificateRequest; it records that our certificate, if any, is sent.
int NoteCertificateRequest(SSL* ssl, void* arg) {
  *static_cast<bool*>(arg) = true;
  return 1;
}

std::string DerToPem(absl::string_view der) {
  std::string b64 = absl::Base64Escape(der);
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&pem, b64.substr(i, 64), "\n");
  }
  absl::StrAppend(&pem, "-----END CERTIFICATE-----\n");
  return pem;
}

// ContextKey is the cache key of everything that goes into the `SSL_CTX`:
// a SHA-256 over the length-prefixed fields (no key material is kept). A
// CA file is named with its identity, size and modification time, so an
// updated bundle gets a new context.
std::string ContextKey(const TlsOptions& options) {
  SHA256_CTX sha;
  SHA256_Init(&sha);
  auto add = [&sha](absl::string_view field) {
    const uint64_t n = field.size();
    SHA256_Update(&sha, &n, sizeof(n));
    SHA256_Update(&sha, field.data(), field.size());
  };
  const bool client = options.role == TlsRole::kClient;
  const bool dane = client && options.dane.has_value();
  add(client ? "client" : "server");
  add(absl::StrCat(static_cast<int>(options.min_version), ",",
                   static_cast<int>(options.max_version), ",",
                   options.insecure, ",", options.request_client_certificate,
                   ",", dane));
  add(options.certificate_chain_pem);
  add(options.private_key_pem);
  const bool anchors = !dane && (client || options.request_client_certificate);
  if (anchors) {
    add(options.ca_pem);
    if (options.ca_pem.empty()) {
      const std::string file = options.ca_file.empty()
                                   ? std::string(kSystemCaFile)
                                   : options.ca_file;
      struct stat st;
      add(file);
      if (stat(file.c_str(), &st) == 0) {
        add(absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":",
                         st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec));
      } else {
        add("missing");
      }
    }
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &sha);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// BuildContext makes the `SSL_CTX` for `options` (validated by Create).
absl::StatusOr<bssl::UniquePtr<SSL_CTX>> BuildContext(
    const TlsOptions& options, int (*new_session_cb)(SSL*, SSL_SESSION*)) {
  const bool client = options.role == TlsRole::kClient;
  bssl::UniquePtr<SSL_CTX> owned(SSL_CTX_new(TLS_method()));
  SSL_CTX* ctx = owned.get();
  if (ctx == nullptr ||
      !SSL_CTX_set_min_proto_version(ctx,
                                     ToProtocolVersion(options.min_version)) ||
      !SSL_CTX_set_max_proto_version(ctx,
                                     ToProtocolVersion(options.max_version))) {
    ERR_clear_error();
    return absl::InternalError("SSL_CTX setup failed");
  }
  if (!options.certificate_chain_pem.empty()) {
    absl::Status loaded = LoadOwnCertificate(ctx, options);
    if (!loaded.ok()) return loaded;
  }
  const bool dane = client && options.dane.has_value();
  if (dane) {
    // DANE needs no PKIX anchors; the custom verifier is set on the SSL.
  } else if (client) {
    absl::Status anchors = LoadTrustAnchors(ctx, options);
    // An insecure client proceeds without anchors; verification then simply
    // reports failure in TlsInfo.
    if (!anchors.ok() && !options.insecure) return anchors;
    SSL_CTX_set_verify(
        ctx, options.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  } else if (options.request_client_certificate) {
    absl::Status anchors = LoadTrustAnchors(ctx, options);
    if (!anchors.ok() && !options.insecure) return anchors;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER,
                       options.insecure ? AcceptAnyCertificate : nullptr);
  }
  if (client) {
    // Sessions are kept by TlsContext, not by BoringSSL's internal cache.
    SSL_CTX_set_session_cache_mode(
        ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
  }
  return owned;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsLayer>> TlsLayer::Create(
    const TlsOptions& options) {
  const bool client = options.role == TlsRole::kClient;
  if (options.min_version == TlsVersion::kTls13 &&
      options.max_version == TlsVersion::kTls12) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      "TlsOptions: min_version > max_version");
  }
  if (client && options.server_name.empty() && !options.insecure &&
      !options.dane.has_value()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      "TlsOptions: a verifying client needs server_name");
  }
  if (!client && options.certificate_chain_pem.empty()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      "TlsOptions: a server needs certificate_chain_pem");
  }
  if (options.certificate_chain_pem.empty() !=
      options.private_key_pem.empty()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      "TlsOptions: certificate_chain_pem and private_key_pem "
                      "go together");
  }

  ERR_clear_error();
  std::unique_ptr<TlsLayer> layer(new TlsLayer());
  layer->role_ = options.role;
  absl::StatusOr<std::shared_ptr<TlsContext>> context =
      TlsContextCache::Global().GetOrBuild(ContextKey(options), [&options] {
        return BuildContext(options, &TlsLayer::NewSessionCallback);
      });
  if (!context.ok()) return context.status();
  layer->context_ = *std::move(context);
  SSL_CTX* ctx = layer->context_->ctx();
  const bool dane = client && options.dane.has_value();
  layer->client_cert_configured_ =
      client && !options.certificate_chain_pem.empty();

  layer->ssl_.reset(SSL_new(ctx));
  SSL* ssl = layer->ssl_.get();
  if (ssl == nullptr) {
    ERR_clear_error();
    return absl::InternalError("SSL_new failed");
  }
  if (client) {
    SSL_set_connect_state(ssl);
    SSL_set_cert_cb(ssl, NoteCertificateRequest,
                    &layer->client_cert_requested_);
    const std::string& host = options.server_name;
    if (!host.empty()) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      bool ok;
      if (IsIpLiteral(host)) {
        // RFC 6066 §3: literal IP addresses are not sent as SNI.
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
      } else {
        X509_VERIFY_PARAM_set_hostflags(param,
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
             X509_VERIFY_PARAM_set1_host(param, host.data(), host.size()) == 1;
      }
      if (!ok) {
        ERR_clear_error();
        return LocalError(
            ErrorDetail::kInvalidArgument,
            absl::StrCat("TlsOptions: unusable server_name \"", host, "\""));
      }
    }
    layer->info_.server_name = host;
    SSL_set_app_data(ssl, layer.get());
    if (dane) {
      layer->dane_ = options.dane;
      SSL_set_custom_verify(ssl, SSL_VERIFY_PEER, &TlsLayer::VerifyDaneCallback);
    }
    if (options.resume_sessions && !dane && !host.empty() &&
        !layer->client_cert_configured_) {
      layer->session_peer_ = host;
      bssl::UniquePtr<SSL_SESSION> session =
          layer->context_->FindSession(host);
      if (session != nullptr && SSL_set_session(ssl, session.get())) {
        layer->session_offered_ = true;
      }
      ERR_clear_error();
    }
  } else {
    SSL_set_accept_state(ssl);
  }

  // Incoming ciphertext goes through a memory BIO (replies are small; one
  // copy there is not worth a custom BIO). Outgoing ciphertext is appended
  // straight to `out_` by the output BIO (see OutputBioWrite).
  const BIO_METHOD* output_method = OutputBioMethod();
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = output_method != nullptr ? BIO_new(output_method) : nullptr;
  if (rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    ERR_clear_error();
    return absl::InternalError("BIO_new failed");
  }
  // An empty read BIO means "no data yet" (retry), not EOF.
  BIO_set_mem_eof_return(rbio, -1);
  // `layer` is heap-allocated and never moves (see the static_assert below),
  // so `&layer->out_` stays valid for the BIO's whole life.
  BIO_set_data(wbio, &layer->out_);
  BIO_set_init(wbio, 1);
  SSL_set_bio(ssl, rbio, wbio);  // takes ownership of both
  layer->rbio_ = rbio;
  return layer;
}

// The output BIO holds a pointer to `out_`: a TlsLayer must stay where
// Create put it.
static_assert(!std::is_move_constructible<TlsLayer>::value &&
                  !std::is_move_assignable<TlsLayer>::value,
              "the output BIO points into the layer; it must not move");

TlsLayer::~TlsLayer() {
  // The SSL owns the output BIO, which points at `out_`; members are
  // destroyed in reverse order (`out_` before `ssl_`), so free the SSL
  // first. SSL_free writes nothing, but the BIO must not outlive `out_`.
  ssl_.reset();
}

absl::Status TlsLayer::Start() {
  if (started_) return WrongStateError("TlsLayer::Start called twice");
  started_ = true;
  return AdvanceHandshake();
}

absl::Status TlsLayer::ReceiveCiphertext(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (peer_eof_) {
    return WrongStateError("TlsLayer: ciphertext after ReceiveCiphertextEof");
  }
  if (!started_) started_ = true;  // a server may skip Start
  if (first_bytes_.size() < 4) {
    const absl::string_view head = bytes.substr(0, 4 - first_bytes_.size());
    first_bytes_.append(head.data(), head.size());
  }
  if (!bytes.empty()) {
    // A memory BIO grows as needed; a write only fails on allocation failure.
    if (BIO_write(rbio_, bytes.data(), static_cast<int>(bytes.size())) !=
        static_cast<int>(bytes.size())) {
      ERR_clear_error();
      return Fail(absl::ResourceExhaustedError("TlsLayer: BIO_write failed"));
    }
  }
  if (handshake_done_) return absl::OkStatus();
  return AdvanceHandshake();
}

absl::Status TlsLayer::ReceiveCiphertextEof() {
  if (!status_.ok()) return status_;
  peer_eof_ = true;
  // From now on an empty read BIO is EOF.
  BIO_set_mem_eof_return(rbio_, 0);
  if (!handshake_done_) {
    return Fail(MakeError(absl::StatusCode::kUnavailable,
                          ErrorDetail::kConnectionClosed,
                          "peer closed the connection during the TLS "
                          "handshake"));
  }
  return absl::OkStatus();
}

absl::string_view TlsLayer::PendingCiphertext() const {
  return absl::string_view(out_).substr(out_offset_);
}

void TlsLayer::ConsumeCiphertext(size_t n) {
  out_offset_ += std::min(n, out_.size() - out_offset_);
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
  } else if (out_offset_ >= 4096 && out_offset_ * 2 >= out_.size()) {
    out_.erase(0, out_offset_);
    out_offset_ = 0;
  }
}

absl::StatusOr<size_t> TlsLayer::WritePlaintext(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (shut_down_) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kClosed, "TlsLayer: write after Shutdown");
  }
  if (!handshake_done_) return 0;
  size_t consumed = 0;
  while (consumed < bytes.size() &&
         out_.size() - out_offset_ < kMaxPendingCiphertext) {
    const size_t chunk = std::min(bytes.size() - consumed, kMaxRecordPlaintext);
    ERR_clear_error();
    // The sealed record lands in `out_` (the output BIO) during the call.
    int n =
        SSL_write(ssl_.get(), bytes.data() + consumed, static_cast<int>(chunk));
    if (n <= 0) {
      std::string why = LastSslError("SSL_write failed");
      ERR_clear_error();
      return Fail(MakeError(absl::StatusCode::kDataLoss, ErrorDetail::kIo,
                            absl::StrCat("TLS write failed: ", why)));
    }
    consumed += static_cast<size_t>(n);
  }
  return consumed;
}

absl::StatusOr<size_t> TlsLayer::ReadPlaintext(absl::Span<char> out) {
  if (!status_.ok()) return status_;
  if (!handshake_done_ || peer_closed_ || out.empty()) return 0;
  ERR_clear_error();
  const int want = static_cast<int>(std::min<size_t>(out.size(), INT32_MAX));
  // Reading may produce records (TLS 1.3 KeyUpdate acknowledgements,
  // alerts); the output BIO appends them to `out_`.
  int n = SSL_read(ssl_.get(), out.data(), want);
  if (n > 0) return static_cast<size_t>(n);
  const int err = SSL_get_error(ssl_.get(), n);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return 0;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      peer_closed_ = true;
      return 0;
    case SSL_ERROR_SYSCALL:
      // The memory BIO reported EOF: the peer closed the transport without
      // close_notify. SMTP frames its own data (QUIT/221), so this is a
      // closed connection, not a truncation attack.
      if (peer_eof_) {
        ERR_clear_error();
        peer_closed_ = true;
        return 0;
      }
      break;
    default:
      break;
  }
  std::string why = LastSslError("SSL_read failed");
  ERR_clear_error();
  return Fail(MakeError(absl::StatusCode::kDataLoss, ErrorDetail::kIo,
                        absl::StrCat("TLS read failed: ", why)));
}

absl::Status TlsLayer::Shutdown() {
  if (!status_.ok()) return status_;
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  if (!handshake_done_) return absl::OkStatus();
  ERR_clear_error();
  // Returns 0 ("sent, peer's not seen yet") or 1; both are fine here.
  // The close_notify lands in `out_` (the output BIO).
  if (SSL_shutdown(ssl_.get()) < 0) ERR_clear_error();
  return absl::OkStatus();
}

std::vector<std::string> TlsLayer::PeerCertificateChainDer() const {
  std::vector<std::string> chain;
  const STACK_OF(CRYPTO_BUFFER)* certs = SSL_get0_peer_certificates(ssl_.get());
  if (certs == nullptr) return chain;
  for (size_t i = 0; i < sk_CRYPTO_BUFFER_num(certs); ++i) {
    const CRYPTO_BUFFER* cert = sk_CRYPTO_BUFFER_value(certs, i);
    chain.emplace_back(reinterpret_cast<const char*>(CRYPTO_BUFFER_data(cert)),
                       CRYPTO_BUFFER_len(cert));
  }
  return chain;
}

std::string TlsLayer::PeerCertificateChainPem() const {
  std::string pem;
  for (const std::string& der : PeerCertificateChainDer()) {
    pem += DerToPem(der);
  }
  return pem;
}

absl::Status TlsLayer::AdvanceHandshake() {
  if (!status_.ok()) return status_;
  ERR_clear_error();
  // Handshake flights and alerts land in `out_` (the output BIO).
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    handshake_done_ = true;
    session_reused_ = SSL_session_reused(ssl_.get()) == 1;
    FillInfo();
    return absl::OkStatus();
  }
  const int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) {
    ERR_clear_error();
    return absl::OkStatus();
  }
  return Fail(HandshakeError(err));
}

enum ssl_verify_result_t TlsLayer::VerifyDaneCallback(SSL* ssl,
                                                      uint8_t* out_alert) {
  auto* layer = static_cast<TlsLayer*>(SSL_get_app_data(ssl));
  std::vector<std::string> chain;
  const STACK_OF(CRYPTO_BUFFER)* certs = SSL_get0_peer_certificates(ssl);
  if (certs != nullptr) {
    for (size_t i = 0; i < sk_CRYPTO_BUFFER_num(certs); ++i) {
      const CRYPTO_BUFFER* cert = sk_CRYPTO_BUFFER_value(certs, i);
      chain.emplace_back(
          reinterpret_cast<const char*>(CRYPTO_BUFFER_data(cert)),
          CRYPTO_BUFFER_len(cert));
    }
  }
  absl::StatusOr<TlsaRecord> match = VerifyDane(chain, *layer->dane_);
  if (!match.ok()) {
    layer->dane_status_ = match.status();
    *out_alert = SSL_AD_BAD_CERTIFICATE;
    return ssl_verify_invalid;
  }
  layer->dane_status_ = absl::OkStatus();
  layer->dane_match_ = *match;
  return ssl_verify_ok;
}

absl::Status TlsLayer::HandshakeError(int ssl_error) {
  if (dane_.has_value() && !dane_status_.ok()) {
    ERR_clear_error();
    return dane_status_;
  }
  const uint32_t err = ERR_peek_error();
  std::string why =
      LastSslError(ssl_error == SSL_ERROR_SYSCALL ? "unexpected end of input"
                                                  : "unknown error");
  const bool verify_failed =
      ERR_GET_LIB(err) == ERR_LIB_SSL &&
      ERR_GET_REASON(err) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  ERR_clear_error();
  if (verify_failed) {
    const long result = SSL_get_verify_result(ssl_.get());
    return MakeError(absl::StatusCode::kUnauthenticated,
                     ErrorDetail::kTlsVerification,
                     absl::StrCat("TLS certificate verification failed: ",
                                  X509_verify_cert_error_string(result)));
  }
  // A TLS record starts with its content type (20-24); an SMTP reply with
  // three digits (RFC 5321 §4.2). A client that gets a reply instead of a
  // ServerHello talks TLS to a plaintext (or STARTTLS) port.
  if (role_ == TlsRole::kClient && first_bytes_.size() >= 3 &&
      absl::ascii_isdigit(static_cast<unsigned char>(first_bytes_[0])) &&
      absl::ascii_isdigit(static_cast<unsigned char>(first_bytes_[1])) &&
      absl::ascii_isdigit(static_cast<unsigned char>(first_bytes_[2]))) {
    return MakeError(
        absl::StatusCode::kDataLoss, ErrorDetail::kTlsPeerPlaintext,
        absl::StrCat("TLS handshake failed: the server answered in plaintext "
                     "SMTP (\"",
                     absl::CEscape(first_bytes_),
                     "...\") instead of a TLS handshake: this port does not "
                     "use implicit TLS"));
  }
  return MakeError(absl::StatusCode::kDataLoss, ErrorDetail::kTlsHandshake,
                   absl::StrCat("TLS handshake failed: ", why));
}

int TlsLayer::NewSessionCallback(SSL* ssl, SSL_SESSION* session) {
  auto* layer = static_cast<TlsLayer*>(SSL_get_app_data(ssl));
  if (layer == nullptr || layer->session_peer_.empty() ||
      !SSL_SESSION_is_resumable(session)) {
    return 0;  // BoringSSL keeps ownership
  }
  layer->context_->StoreSession(layer->session_peer_,
                                bssl::UniquePtr<SSL_SESSION>(session));
  return 1;  // ownership taken
}

absl::Status TlsLayer::Fail(absl::Status status) {
  // A session that led to a failure is not offered again.
  if (status_.ok() && session_offered_) {
    context_->ForgetSession(session_peer_);
  }
  if (status_.ok()) status_ = std::move(status);
  return status_;
}

void TlsLayer::FillInfo() {
  SSL* ssl = ssl_.get();
  info_.version = SSL_get_version(ssl);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  info_.cipher = cipher != nullptr ? SSL_CIPHER_standard_name(cipher) : "";
  if (role_ == TlsRole::kServer) {
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    info_.server_name = sni != nullptr ? sni : "";
  }

  const STACK_OF(CRYPTO_BUFFER)* peer = SSL_get0_peer_certificates(ssl);
  const bool peer_has_cert = peer != nullptr && sk_CRYPTO_BUFFER_num(peer) > 0;
  const long result = SSL_get_verify_result(ssl);
  if (!peer_has_cert) {
    info_.verified = false;
    info_.verify_error = "peer sent no certificate";
  } else if (dane_.has_value()) {
    // The handshake only completes when DANE matched.
    info_.verified = dane_match_.has_value();
    info_.verify_error = info_.verified ? "" : "DANE not verified";
  } else {
    info_.verified = result == X509_V_OK;
    info_.verify_error =
        info_.verified ? "" : X509_verify_cert_error_string(result);
  }
  FillPeerCertificate(ssl, &info_);
  info_.client_certificate =
      role_ == TlsRole::kServer
          ? peer_has_cert
          : client_cert_configured_ && client_cert_requested_;

  info_.channel_binding_type.clear();
  info_.channel_binding.clear();
  if (SSL_version(ssl) >= TLS1_3_VERSION) {
    uint8_t buf[kExporterLength];
    if (SSL_export_keying_material(ssl, buf, sizeof(buf), kExporterLabel,
                                   sizeof(kExporterLabel) - 1, nullptr, 0,
                                   /*use_context=*/0)) {
      info_.channel_binding_type = "tls-exporter";
      info_.channel_binding.assign(reinterpret_cast<const char*>(buf),
                                   sizeof(buf));
    }
  } else {
    // RFC 5929 §3.1: the first Finished message of the handshake. BoringSSL
    // refuses (returns 0) on a resumption without extended master secret.
    uint8_t buf[64];
    size_t len = 0;
    if (SSL_get_tls_unique(ssl, buf, &len, sizeof(buf))) {
      info_.channel_binding_type = "tls-unique";
      info_.channel_binding.assign(reinterpret_cast<const char*>(buf), len);
    }
  }
  ERR_clear_error();
}

}  // namespace smtpcore
