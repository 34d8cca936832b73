#include "sasl/oauth_token.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/types/optional.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {
namespace {

// TokenCache holds the last token fetched; wiped when the last copy of the
// provider goes.
struct TokenCache {
  OAuthTokenProvider fetch;
  absl::optional<std::string> token;

  ~TokenCache() {
    if (token.has_value()) internal::Wipe(*token);
  }
};

}  // namespace

OAuthTokenProvider CachingTokenProvider(OAuthTokenProvider fetch) {
  auto cache = std::make_shared<TokenCache>();
  cache->fetch = std::move(fetch);
  return [cache](const OAuthTokenRequest& request)
             -> absl::StatusOr<std::string> {
    if (!request.refresh && cache->token.has_value()) return *cache->token;
    absl::StatusOr<std::string> token = cache->fetch(request);
    if (!token.ok()) return token.status();
    if (cache->token.has_value()) internal::Wipe(*cache->token);
    cache->token = *token;
    return token;
  };
}

}  // namespace smtpcore
