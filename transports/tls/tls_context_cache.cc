#include "transports/tls/tls_context_cache.h"

#include <openssl/ssl.h>

#include <utility>

namespace smtpcore {

TlsContext::TlsContext(bssl::UniquePtr<SSL_CTX> ctx) : ctx_(std::move(ctx)) {}

TlsContext::~TlsContext() = default;

bssl::UniquePtr<SSL_SESSION> TlsContext::FindSession(
    absl::string_view peer) const {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(peer);
  if (it == sessions_.end() || !SSL_SESSION_is_resumable(it->second.get())) {
    return nullptr;
  }
  SSL_SESSION_up_ref(it->second.get());
  return bssl::UniquePtr<SSL_SESSION>(it->second.get());
}

void TlsContext::StoreSession(absl::string_view peer,
                              bssl::UniquePtr<SSL_SESSION> session) {
  absl::MutexLock lock(&mu_);
  if (sessions_.size() >= kMaxSessions && !sessions_.contains(peer)) {
    sessions_.clear();
  }
  sessions_[peer] = std::move(session);
}

void TlsContext::ForgetSession(absl::string_view peer) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(peer);
}

TlsContextCache& TlsContextCache::Global() {
  static TlsContextCache* cache = new TlsContextCache();
  return *cache;
}

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContextCache::GetOrBuild(
    absl::string_view key,
    absl::FunctionRef<absl::StatusOr<bssl::UniquePtr<SSL_CTX>>()> build) {
  {
    absl::MutexLock lock(&mu_);
    auto it = contexts_.find(key);
    if (it != contexts_.end()) return it->second;
  }
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> built = build();
  if (!built.ok()) return built.status();
  auto context = std::make_shared<TlsContext>(*std::move(built));
  absl::MutexLock lock(&mu_);
  auto it = contexts_.find(key);
  if (it != contexts_.end()) return it->second;  // another thread won
  if (contexts_.size() >= kMaxContexts) contexts_.clear();
  contexts_.emplace(std::string(key), context);
  return context;
}

size_t TlsContextCache::size() const {
  absl::MutexLock lock(&mu_);
  return contexts_.size();
}

void TlsContextCache::Clear() {
  absl::MutexLock lock(&mu_);
  contexts_.clear();
}

}  // namespace smtpcore
