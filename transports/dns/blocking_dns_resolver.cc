#include "transports/dns/blocking_dns_resolver.h"

#include <poll.h>
#include <unbound.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

struct Pending {
  DnsAnswer answer;
  int id = 0;
  bool done = false;
};

void OnResult(void* data, int err, ub_result* result) {
  auto* p = static_cast<Pending*>(data);
  p->answer = AnswerFromUnbound(p->answer.question, err, result);
  p->done = true;
  if (result != nullptr) ub_resolve_free(result);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlockingDnsResolver>>
BlockingDnsResolver::Create(const ResolverOptions& options) {
  absl::StatusOr<UnboundContextPtr> ctx = MakeUnboundContext(options);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<BlockingDnsResolver>(
      new BlockingDnsResolver(options, *std::move(ctx)));
}

BlockingDnsResolver::BlockingDnsResolver(ResolverOptions options,
                                         UnboundContextPtr ctx)
    : options_(std::move(options)), ctx_(std::move(ctx)) {}

BlockingDnsResolver::~BlockingDnsResolver() = default;

std::vector<DnsAnswer> BlockingDnsResolver::ResolveAll(
    absl::Span<const DnsQuestion> questions) {
  std::vector<std::unique_ptr<Pending>> pending;
  for (const DnsQuestion& q : questions) {
    auto p = std::make_unique<Pending>();
    p->answer.question = q;
    int err = ub_resolve_async(ctx_.get(), q.name.c_str(),
                               static_cast<int>(q.type), 1, p.get(), OnResult,
                               &p->id);
    if (err != 0) {
      p->answer = AnswerFromUnbound(q, err, nullptr);
      p->done = true;
    }
    pending.push_back(std::move(p));
  }
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.timeout));
  auto all_done = [&] {
    for (const auto& p : pending) {
      if (!p->done) return false;
    }
    return true;
  };
  while (!all_done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
            .count()) + 1;
    pollfd fd{ub_fd(ctx_.get()), POLLIN, 0};
    int r = poll(&fd, 1, ms);
    if (r < 0 && errno != EINTR) break;
    if (r > 0) ub_process(ctx_.get());
  }
  std::vector<DnsAnswer> out;
  for (auto& p : pending) {
    if (!p->done) {
      // The callback will not run after a successful cancel; if cancel
      // fails the answer is already being delivered: drain it.
      if (ub_cancel(ctx_.get(), p->id) != 0) ub_process(ctx_.get());
      if (!p->done) {
        p->answer.rcode = DnsRcode::kServFail;
        p->answer.error = absl::StrCat(
            "timed out after ", absl::FormatDuration(options_.timeout));
      }
    }
    out.push_back(std::move(p->answer));
  }
  return out;
}

DnsAnswer BlockingDnsResolver::Resolve(const DnsQuestion& question) {
  return ResolveAll(absl::MakeConstSpan(&question, 1)).front();
}

}  // namespace smtpcore
