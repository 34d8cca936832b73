// BlockingDnsResolver: the validating in-process resolver (libunbound) for
// synchronous callers (smtpc, transports/blocking's MX driver). Questions
// asked together run in parallel; the call blocks until all are answered
// or `ResolverOptions::timeout` passes. Every answer carries the DNSSEC
// verdict of this process's own validator (transports/dns/unbound_context.h).
//
// Not thread-safe: one thread uses a resolver. libunbound runs its work in
// a thread of its own, created at the first query.

#ifndef SMTP_TRANSPORTS_DNS_BLOCKING_DNS_RESOLVER_H_
#define SMTP_TRANSPORTS_DNS_BLOCKING_DNS_RESOLVER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "route/dns_answer.h"
#include "transports/dns/resolver_options.h"
#include "transports/dns/unbound_context.h"

namespace smtpcore {

class BlockingDnsResolver {
 public:
  // Create configures a resolver (see MakeUnboundContext for the errors).
  static absl::StatusOr<std::unique_ptr<BlockingDnsResolver>> Create(
      const ResolverOptions& options);

  BlockingDnsResolver(const BlockingDnsResolver&) = delete;
  BlockingDnsResolver& operator=(const BlockingDnsResolver&) = delete;
  ~BlockingDnsResolver();

  // ResolveAll answers `questions` (in their order), asking them in
  // parallel. Never fails: a failed or timed-out query is a kServFail
  // answer whose `error` says why.
  std::vector<DnsAnswer> ResolveAll(absl::Span<const DnsQuestion> questions);

  // Resolve answers one question (ResolveAll of one).
  DnsAnswer Resolve(const DnsQuestion& question);

 private:
  BlockingDnsResolver(ResolverOptions options, UnboundContextPtr ctx);

  ResolverOptions options_;
  UnboundContextPtr ctx_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_DNS_BLOCKING_DNS_RESOLVER_H_
