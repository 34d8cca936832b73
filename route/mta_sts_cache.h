// StsCache: the MTA-STS policies a sender remembers, keyed by policy domain
// (RFC 8461 §3.3 and §5.1), and the decision of whether to fetch a policy
// again. Time is an input (`now`, wall-clock time, since max_age is).
//
// Decision for a domain, from the "_mta-sts" TXT answer and the cache:
//   valid record, id == cached id, cached policy unexpired -> use the cache
//   valid record, otherwise                                -> fetch (id)
//   no valid record (absent, SERVFAIL, ambiguous), cached
//     policy unexpired                                     -> use the cache
//   otherwise                                              -> no policy
// A fetch that fails falls back to the unexpired cached policy, if any,
// else to "no policy" (RFC 8461 §5: deliver as though the domain had not
// implemented MTA-STS). A policy expires `max_age` seconds after it was
// fetched. Mode "none" is cached like any policy and means "no policy".
//
// Thread-compatible.

#ifndef SMTP_ROUTE_MTA_STS_CACHE_H_
#define SMTP_ROUTE_MTA_STS_CACHE_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "route/dns_answer.h"
#include "route/mta_sts_policy.h"

namespace smtpcore {

// StsCacheEntry is one cached policy.
struct StsCacheEntry {
  std::string id;  // the TXT id the policy was fetched for
  StsPolicy policy;
  absl::Time fetched;
  // expires is fetched + max_age.
  absl::Time expires;
};

// StsAction is what the caller does next for a domain.
enum class StsAction : uint8_t {
  kNoPolicy,   // deliver as though there were no MTA-STS
  kUseCached,  // apply `StsDecision::policy`
  kFetch,      // fetch the policy (transports/mta_sts/), then `Store` it
               // and apply it, or apply `StsDecision::policy` if the fetch
               // failed and one is set (the unexpired cached policy)
};

// StsActionName returns "no_policy", "use_cached" or "fetch".
absl::string_view StsActionName(StsAction action);

// StsDecision is the decision for one domain.
struct StsDecision {
  StsAction action = StsAction::kNoPolicy;
  // id is the TXT record's id (kFetch), "" otherwise.
  std::string id;
  // policy is the unexpired cached policy, when there is one.
  absl::optional<StsPolicy> policy;
  // reason says why, for reports ("cached policy id 2024a still valid").
  std::string reason;
};

// StsCache maps policy domains to cached policies.
class StsCache {
 public:
  // Check decides for `domain` from `txt` (the answer to
  // "_mta-sts.<domain>" TXT; nullptr if not asked) at `now`. Never fails.
  StsDecision Check(absl::string_view domain, const DnsAnswer* txt,
                    absl::Time now) const;

  // Store caches `policy`, fetched at `now` for TXT id `id`.
  void Store(absl::string_view domain, absl::string_view id,
             const StsPolicy& policy, absl::Time now);

  // Find returns the cached entry of `domain` when unexpired at `now`, else
  // nullptr. Valid until the next non-const call.
  const StsCacheEntry* Find(absl::string_view domain, absl::Time now) const;

  // Forget drops `domain`'s entry.
  void Forget(absl::string_view domain);

  // size counts entries, expired ones included.
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, StsCacheEntry> entries_;
};

}  // namespace smtpcore

#endif  // SMTP_ROUTE_MTA_STS_CACHE_H_
