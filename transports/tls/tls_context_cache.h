// TlsContextCache: one shared BoringSSL `SSL_CTX` per TLS configuration, and
// the client sessions to resume with it.
//
// Building an `SSL_CTX` parses the certificates and loads the trust anchors
// (the system bundle is ~150 certificates: milliseconds). `TlsLayer::Create`
// builds each distinct configuration once per process and shares it, and a
// client layer resumes the last session it got from the same server under
// the same configuration (TLS 1.3 tickets, TLS 1.2 tickets or session IDs),
// which skips the certificate exchange and verification.
//
// Thread-safe: any thread may call any method. Entries live as long as the
// cache or a `TlsLayer` holding them (shared ownership).

#ifndef SMTP_TRANSPORTS_TLS_TLS_CONTEXT_CACHE_H_
#define SMTP_TRANSPORTS_TLS_TLS_CONTEXT_CACHE_H_

#include <openssl/base.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace smtpcore {

// TlsContext is one cached configuration: the immutable `SSL_CTX` and the
// client sessions obtained through it, by peer (the server name).
class TlsContext {
 public:
  // Takes ownership of `ctx`, which must be fully configured: the cache
  // never changes it, and layers only read it.
  explicit TlsContext(bssl::UniquePtr<SSL_CTX> ctx);
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  // ctx is the shared context; valid for this object's lifetime.
  SSL_CTX* ctx() const { return ctx_.get(); }

  // FindSession returns a new reference to the last resumable session
  // stored for `peer`, or nullptr.
  bssl::UniquePtr<SSL_SESSION> FindSession(absl::string_view peer) const;

  // StoreSession keeps `session` (ownership taken) as `peer`'s session,
  // replacing the previous one. At most `kMaxSessions` peers are kept; past
  // that the map is emptied first (resumption is only an optimisation).
  void StoreSession(absl::string_view peer,
                    bssl::UniquePtr<SSL_SESSION> session);

  // ForgetSession drops `peer`'s session (a resumption it offered failed or
  // the connection failed: the next one does a full handshake).
  void ForgetSession(absl::string_view peer);

  static constexpr size_t kMaxSessions = 4096;

 private:
  bssl::UniquePtr<SSL_CTX> ctx_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, bssl::UniquePtr<SSL_SESSION>> sessions_
      ABSL_GUARDED_BY(mu_);
};

// TlsContextCache maps a configuration key (an opaque digest of everything
// that goes into the `SSL_CTX`, computed by `TlsLayer`) to its `TlsContext`.
class TlsContextCache {
 public:
  TlsContextCache() = default;
  TlsContextCache(const TlsContextCache&) = delete;
  TlsContextCache& operator=(const TlsContextCache&) = delete;

  // Global is the process-wide cache `TlsLayer::Create` uses. Never
  // destroyed.
  static TlsContextCache& Global();

  // GetOrBuild returns the context cached under `key`, or calls `build`
  // (without holding the lock: two threads may build the same key at once,
  // and the first stored wins), caches its result and returns it. A failed
  // build is returned and not cached. At most `kMaxContexts` keys are kept;
  // past that the cache is emptied first (layers keep their contexts).
  absl::StatusOr<std::shared_ptr<TlsContext>> GetOrBuild(
      absl::string_view key,
      absl::FunctionRef<absl::StatusOr<bssl::UniquePtr<SSL_CTX>>()> build);

  // size is the number of cached configurations (tests).
  size_t size() const;

  // Clear drops every cached configuration and its sessions (tests).
  void Clear();

  static constexpr size_t kMaxContexts = 256;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<TlsContext>> contexts_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TLS_TLS_CONTEXT_CACHE_H_
