// The libunbound glue both resolvers share: a configured validating
// context (ResolverOptions -> ub_ctx) and the conversion of a libunbound
// result into the route layer's DnsAnswer (rdata parsed by
// route/dns_rdata.h, the DNSSEC verdict from libunbound's own validator).

#ifndef SMTP_TRANSPORTS_DNS_UNBOUND_CONTEXT_H_
#define SMTP_TRANSPORTS_DNS_UNBOUND_CONTEXT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "route/dns_answer.h"
#include "transports/dns/resolver_options.h"

struct ub_ctx;
struct ub_result;

namespace smtpcore {

// UnboundContextDeleter frees a ub_ctx (ub_ctx_delete).
struct UnboundContextDeleter {
  void operator()(ub_ctx* ctx) const;
};
using UnboundContextPtr = std::unique_ptr<ub_ctx, UnboundContextDeleter>;

// MakeUnboundContext creates a context for asynchronous use (a thread, not
// a forked process), configured from `options`: the forwarder (plus
// "test." let through), the trust anchor file (default: Debian's root key).
// Fails with kFailedPrecondition naming the setting libunbound refused
// (e.g. an unreadable trust anchor file).
absl::StatusOr<UnboundContextPtr> MakeUnboundContext(
    const ResolverOptions& options);

// AnswerFromUnbound converts libunbound's outcome for `question`: `err`
// (ub_resolve_async's error, 0 if none) and `result` (may be null; not
// freed here). Security: secure / bogus (with why_bogus) / insecure;
// rcode 3 is NXDOMAIN, 0 NOERROR, anything else (and any error) SERVFAIL.
// Records that fail to parse are left out and named in `error`.
DnsAnswer AnswerFromUnbound(const DnsQuestion& question, int err,
                            const ub_result* result);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_DNS_UNBOUND_CONTEXT_H_
