#include "transports/dns/uv_dns_resolver.h"

#include <unbound.h>

#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "transports/dns/unbound_context.h"

namespace smtpcore {

class UvDnsResolver::Impl {
 public:
  struct Query {
    Impl* impl = nullptr;
    DnsQuestion question;
    AnswerCallback done;
    int id = 0;
    bool submitted = false;  // ub_resolve_async accepted it
    bool finished = false;
    absl::optional<DnsAnswer> early;  // answer decided at submit time
    uv_timer_t timer;
  };

  Impl(uv_loop_t* loop, ResolverOptions options, UnboundContextPtr ctx)
      : loop_(loop), options_(std::move(options)), ctx_(std::move(ctx)) {}

  absl::Status Start() {
    if (uv_poll_init(loop_, &poll_, ub_fd(ctx_.get())) != 0) {
      return absl::InternalError("uv_poll_init failed on libunbound's fd");
    }
    poll_.data = this;
    ++open_handles_;
    if (uv_poll_start(&poll_, UV_READABLE, OnReadable) != 0) {
      return absl::InternalError("uv_poll_start failed");
    }
    return absl::OkStatus();
  }

  void Resolve(const DnsQuestion& question, AnswerCallback done) {
    auto* q = new Query();
    q->impl = this;
    q->question = question;
    q->done = std::move(done);
    uv_timer_init(loop_, &q->timer);
    q->timer.data = q;
    ++open_handles_;
    queries_.insert(q);
    int err = ub_resolve_async(ctx_.get(), question.name.c_str(),
                               static_cast<int>(question.type), 1, q,
                               OnResult, &q->id);
    if (err != 0) {
      // Report on the next loop turn, never from inside Resolve.
      q->early = AnswerFromUnbound(question, err, nullptr);
      uv_timer_start(&q->timer, OnTimer, 0, 0);
      return;
    }
    q->submitted = true;
    uv_timer_start(&q->timer, OnTimer,
                   static_cast<uint64_t>(
                       absl::ToInt64Milliseconds(options_.timeout)),
                   0);
  }

  size_t pending() const { return queries_.size(); }

  // Destroy cancels everything and deletes `this` once the handles closed.
  void Destroy() {
    dying_ = true;
    for (Query* q : std::set<Query*>(queries_)) {
      if (q->submitted && !q->finished) ub_cancel(ctx_.get(), q->id);
      q->finished = true;
      Release(q);
    }
    uv_poll_stop(&poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnPollClosed);
  }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Impl*>(handle->data);
    if (self->dying_) return;
    ub_process(self->ctx_.get());
  }

  static void OnResult(void* data, int err, ub_result* result) {
    auto* q = static_cast<Query*>(data);
    DnsAnswer answer = AnswerFromUnbound(q->question, err, result);
    if (result != nullptr) ub_resolve_free(result);
    q->impl->Finish(q, std::move(answer));
  }

  static void OnTimer(uv_timer_t* timer) {
    auto* q = static_cast<Query*>(timer->data);
    Impl* self = q->impl;
    if (q->finished) return;
    if (q->early.has_value()) {
      DnsAnswer a = *std::move(q->early);
      self->Finish(q, std::move(a));
      return;
    }
    // A failed cancel means the answer is on its way: let it come.
    if (ub_cancel(self->ctx_.get(), q->id) != 0) return;
    DnsAnswer a;
    a.question = q->question;
    a.rcode = DnsRcode::kServFail;
    a.error = absl::StrCat("timed out after ",
                           absl::FormatDuration(self->options_.timeout));
    self->Finish(q, std::move(a));
  }

  void Finish(Query* q, DnsAnswer answer) {
    if (q->finished) return;
    q->finished = true;
    AnswerCallback done = std::move(q->done);
    Release(q);
    if (!dying_ && done) done(std::move(answer));  // may destroy the resolver
  }

  // Release forgets `q` and closes its timer (freed in the close callback).
  void Release(Query* q) {
    if (queries_.erase(q) == 0) return;
    uv_timer_stop(&q->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&q->timer), OnTimerClosed);
  }

  static void OnTimerClosed(uv_handle_t* handle) {
    auto* q = static_cast<Query*>(handle->data);
    Impl* self = q->impl;
    delete q;
    self->HandleClosed();
  }

  static void OnPollClosed(uv_handle_t* handle) {
    static_cast<Impl*>(handle->data)->HandleClosed();
  }

  void HandleClosed() {
    if (--open_handles_ == 0 && dying_) delete this;
  }

  uv_loop_t* loop_;
  ResolverOptions options_;
  UnboundContextPtr ctx_;
  uv_poll_t poll_;
  int open_handles_ = 0;
  bool dying_ = false;
  std::set<Query*> queries_;
};

absl::StatusOr<std::unique_ptr<UvDnsResolver>> UvDnsResolver::Create(
    uv_loop_t* loop, const ResolverOptions& options) {
  absl::StatusOr<UnboundContextPtr> ctx = MakeUnboundContext(options);
  if (!ctx.ok()) return ctx.status();
  auto* impl = new Impl(loop, options, *std::move(ctx));
  std::unique_ptr<UvDnsResolver> resolver(new UvDnsResolver(impl));
  absl::Status started = impl->Start();
  if (!started.ok()) return started;  // ~UvDnsResolver cleans up
  return resolver;
}

UvDnsResolver::~UvDnsResolver() { impl_->Destroy(); }

void UvDnsResolver::Resolve(const DnsQuestion& question,
                            AnswerCallback done) {
  impl_->Resolve(question, std::move(done));
}

size_t UvDnsResolver::pending() const { return impl_->pending(); }

}  // namespace smtpcore
