#include "route/mta_sts_cache.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "route/dns_name.h"
#include "route/mta_sts_record.h"

namespace smtpcore {

absl::string_view StsActionName(StsAction action) {
  switch (action) {
    case StsAction::kNoPolicy:
      return "no_policy";
    case StsAction::kUseCached:
      return "use_cached";
    case StsAction::kFetch:
      return "fetch";
  }
  return "?";
}

StsDecision StsCache::Check(absl::string_view domain, const DnsAnswer* txt,
                            absl::Time now) const {
  StsDecision d;
  const StsCacheEntry* cached = Find(domain, now);
  if (cached != nullptr) d.policy = cached->policy;
  std::string why;
  absl::optional<StsRecord> record;
  if (txt == nullptr) {
    why = "no _mta-sts TXT lookup";
  } else if (txt->rcode == DnsRcode::kServFail ||
             txt->security == DnsSecurity::kBogus) {
    why = absl::StrCat("_mta-sts TXT lookup failed: ", txt->Summary());
  } else {
    record = SelectStsRecord(txt->txt, &why);
  }
  if (record.has_value()) {
    if (cached != nullptr && cached->id == record->id) {
      d.action = StsAction::kUseCached;
      d.reason = absl::StrCat("cached policy id ", record->id, " still valid");
      return d;
    }
    d.action = StsAction::kFetch;
    d.id = record->id;
    d.reason = cached != nullptr
                   ? absl::StrCat("policy id changed from ", cached->id,
                                  " to ", record->id)
                   : absl::StrCat("policy id ", record->id, " not cached");
    return d;
  }
  if (cached != nullptr) {
    d.action = StsAction::kUseCached;
    d.reason = absl::StrCat(why, "; using the unexpired cached policy");
    return d;
  }
  d.action = StsAction::kNoPolicy;
  d.reason = why;
  return d;
}

void StsCache::Store(absl::string_view domain, absl::string_view id,
                     const StsPolicy& policy, absl::Time now) {
  StsCacheEntry& e = entries_[NormalizeDomain(domain)];
  e.id = std::string(id);
  e.policy = policy;
  e.fetched = now;
  e.expires = now + absl::Seconds(policy.max_age);
}

const StsCacheEntry* StsCache::Find(absl::string_view domain,
                                    absl::Time now) const {
  auto it = entries_.find(NormalizeDomain(domain));
  if (it == entries_.end() || now >= it->second.expires) return nullptr;
  return &it->second;
}

void StsCache::Forget(absl::string_view domain) {
  entries_.erase(NormalizeDomain(domain));
}

}  // namespace smtpcore
