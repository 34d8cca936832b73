// UvDnsResolver: the validating in-process resolver (libunbound) on a
// caller-owned libuv loop: queries go out with ub_resolve_async, libunbound's
// descriptor (ub_fd) is watched with a uv_poll_t and results are collected
// with ub_process on the loop thread; each query is bounded by
// `ResolverOptions::timeout` with a uv_timer_t. Answers carry this
// process's own DNSSEC verdict.
//
// Threading: every method on the loop's thread; callbacks run there.
// Lifetime: destroying the resolver cancels the queries in flight (their
// callbacks never run) and closes its handles asynchronously; run the loop
// until it is empty before uv_loop_close.

#ifndef SMTP_TRANSPORTS_DNS_UV_DNS_RESOLVER_H_
#define SMTP_TRANSPORTS_DNS_UV_DNS_RESOLVER_H_

#include <uv.h>

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "route/dns_answer.h"
#include "transports/dns/resolver_options.h"

namespace smtpcore {

class UvDnsResolver {
 public:
  // AnswerCallback receives the answer (never an error: failures are
  // kServFail answers).
  using AnswerCallback = std::function<void(DnsAnswer answer)>;

  // Create configures a resolver on `loop` (borrowed; see the file
  // comment). Errors as MakeUnboundContext, or kInternal when libuv
  // refuses the poll handle.
  static absl::StatusOr<std::unique_ptr<UvDnsResolver>> Create(
      uv_loop_t* loop, const ResolverOptions& options);

  UvDnsResolver(const UvDnsResolver&) = delete;
  UvDnsResolver& operator=(const UvDnsResolver&) = delete;
  ~UvDnsResolver();

  // Resolve asks `question`; `done` runs once on the loop thread (never
  // from inside Resolve).
  void Resolve(const DnsQuestion& question, AnswerCallback done);

  // pending counts queries in flight.
  size_t pending() const;

 private:
  class Impl;
  explicit UvDnsResolver(Impl* impl) : impl_(impl) {}
  Impl* impl_;  // deletes itself once its handles are closed
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_DNS_UV_DNS_RESOLVER_H_
