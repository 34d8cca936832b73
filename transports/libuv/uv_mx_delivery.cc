#include "transports/libuv/uv_mx_delivery.h"

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/common/mx_attempt.h"
#include "transports/common/transport_error.h"
#include "transports/dns/uv_dns_resolver.h"
#include "transports/libuv/uv_client.h"
#include "transports/mta_sts/policy_fetcher.h"

namespace smtpcore {
namespace {

std::string Bracketed(const IpAddress& ip, uint16_t port) {
  return ip.family == IpFamily::kV6
             ? absl::StrCat("[", ip.ToString(), "]:", port)
             : absl::StrCat(ip.ToString(), ":", port);
}

// Job is one delivery; it deletes itself after calling `done`.
class Job {
 public:
  Job(uv_loop_t* loop, std::string domain, Envelope envelope, absl::Cord body,
      UvMxDeliveryOptions options, UvMxDeliveryCallback done)
      : loop_(loop),
        domain_(std::move(domain)),
        envelope_(std::move(envelope)),
        body_(std::move(body)),
        options_(std::move(options)),
        done_(std::move(done)),
        recipients_(envelope_.recipients) {
    history_ = options_.dial_history != nullptr ? options_.dial_history
                                                : &own_history_;
    cache_ = options_.sts_cache != nullptr ? options_.sts_cache : &own_cache_;
    now_ = options_.now.value_or(absl::Now());
  }

  // Start begins on the next loop turn, so `done` never runs inside
  // DeliverToDomainUv.
  void Start() {
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    uv_timer_start(timer_, [](uv_timer_t* t) {
      auto* self = static_cast<Job*>(t->data);
      uv_close(reinterpret_cast<uv_handle_t*>(t),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      self->timer_ = nullptr;
      self->Begin();
    }, 0, 0);
  }

 private:
  void Note(const std::string& line) {
    if (options_.on_note) options_.on_note(line);
  }

  void Begin() {
    absl::StatusOr<NextHop> hop = ParseDestination(options_.route, domain_);
    if (!hop.ok()) return Fail(hop.status());
    hop_ = *hop;
    absl::StatusOr<std::unique_ptr<UvDnsResolver>> dns =
        UvDnsResolver::Create(loop_, options_.route.dns);
    if (!dns.ok()) return Fail(dns.status());
    dns_ = *std::move(dns);
    request_ = MakePlanRequest(options_.route, hop_, envelope_.mail.requiretls,
                               history_, std::random_device()() | 1ULL << 40);
    sts_question_ = StsQuestion(options_.route, hop_);
    sts_done_ = !sts_question_.has_value();
    Note(absl::StrCat("resolving ", hop_.ToString()));
    Plan();
  }

  // Plan runs the planner; asks what it needs (and the _mta-sts TXT).
  void Plan() {
    if (!sts_done_ && !sts_busy_) {
      if (const DnsAnswer* txt =
              answers_.Find(sts_question_->name, sts_question_->type)) {
        return StartSts(*txt);
      }
    }
    if (sts_busy_) return;
    PlanStep step = PlanDelivery(request_, answers_);
    std::vector<DnsQuestion> ask = step.needed;
    if (!sts_done_) ask.push_back(*sts_question_);
    if (ask.empty() && step.plan.has_value()) {
      result_.route.plan = *std::move(step.plan);
      return Dial();
    }
    if (++rounds_ > 16) {
      return Fail(MakeError(absl::StatusCode::kUnavailable,
                            ErrorDetail::kDnsTemporary,
                            "route planning did not finish (too many DNS "
                            "rounds)"));
    }
    outstanding_ += ask.size();
    for (const DnsQuestion& q : ask) {
      dns_->Resolve(q, [this](DnsAnswer a) {
        answers_.Add(std::move(a));
        if (--outstanding_ == 0) Plan();
      });
    }
  }

  // StartSts decides MTA-STS from the TXT answer; a fetch resolves the
  // policy host, then runs on the thread pool.
  void StartSts(const DnsAnswer& txt) {
    result_.route.sts.decision = cache_->Check(hop_.domain, &txt, now_);
    if (result_.route.sts.decision.action != StsAction::kFetch) {
      return StsDecided();
    }
    sts_busy_ = true;
    const std::string host = PolicyHostFor(hop_.domain);
    sts_pending_ = 2;
    for (DnsType type : {DnsType::kA, DnsType::kAaaa}) {
      dns_->Resolve({host, type}, [this](DnsAnswer a) {
        if (a.security != DnsSecurity::kBogus) {
          for (const IpAddress& ip : a.addresses) work_.ips.push_back(ip);
        }
        if (--sts_pending_ == 0) Fetch();
      });
    }
  }

  void Fetch() {
    work_.domain = hop_.domain;
    work_.options = options_.route.sts;
    work_.req.data = this;
    uv_queue_work(
        loop_, &work_.req,
        [](uv_work_t* req) {  // thread pool: only the work's own data
          auto* self = static_cast<Job*>(req->data);
          self->work_.result = FetchStsPolicy(self->work_.domain,
                                              self->work_.ips,
                                              self->work_.options);
        },
        [](uv_work_t* req, int status) {
          auto* self = static_cast<Job*>(req->data);
          ApplyStsFetch(*self->cache_, self->hop_.domain, self->work_.result,
                        self->now_, &self->result_.route.sts);
          self->sts_busy_ = false;
          self->StsDecided();
        });
  }

  void StsDecided() {
    sts_done_ = true;
    request_.sts_policy = result_.route.sts.decision.policy;
    request_.sts_reason = result_.route.sts.decision.reason;
    Plan();
  }

  void Dial() {
    DeliveryPlan& plan = result_.route.plan;
    ReportStsFetch(options_.tls_report, hop_.domain, result_.route.sts);
    if (!plan.error.ok()) {
      Note(absl::StrCat("no route: ", plan.error.message()));
      return Fail(plan.error);
    }
    TryNext();
  }

  // TryNext dials the next IP of the current attempt, or the next attempt.
  void TryNext() {
    DeliveryPlan& plan = result_.route.plan;
    while (attempt_ < plan.attempts.size()) {
      DeliveryAttempt& a = plan.attempts[attempt_];
      if (!a.skip.ok()) {
        Note(absl::StrCat("skipping ", a.host, ": ", a.skip.message()));
        ReportSkipped(options_.tls_report, a);
        last_error_ = SmtpError::FromStatus(a.skip, CommandKind::kGreeting);
        ++attempt_;
        ip_ = 0;
        continue;
      }
      if (ip_ >= a.ips.size()) {
        ++attempt_;
        ip_ = 0;
        continue;
      }
      const IpAddress ip = a.ips[ip_++];
      Note(absl::StrCat("trying ", a.host, " ", Bracketed(ip, a.port), " (",
                        TlsPolicyName(a.policy), ")"));
      client_ = std::make_unique<UvClient>(
          loop_, AttemptClientOptions(options_.client, a, ip, history_));
      client_->Connect([this, ip](const absl::Status& s) {
        if (s.ok()) return Ready(ip);
        DeliveryAttempt& a = result_.route.plan.attempts[attempt_];
        SmtpError e = ErrorFromStatus(s);
        ReportFailedConnect(options_.tls_report, result_.route.plan, a, ip, e);
        const AttemptOutcome outcome = ConnectFailureOutcome(a, e, *history_);
        result_.route.plan.Record(
            attempt_, outcome,
            outcome == AttemptOutcome::kConnectFailed ? "" : ip.ToString(),
            e.Message());
        Note(absl::StrCat(a.host, " ", Bracketed(ip, a.port), ": ",
                          e.Message()));
        last_error_ = e;
        DropClientSoon();
        if (outcome == AttemptOutcome::kPermanentFailure) {
          result_.accepted_attempt = attempt_;
          result_.accepted_ip = ip.ToString();
          return Fail(e.ToStatus());
        }
        TryNext();
      });
      return;
    }
    Fail(last_error_.has_value()
             ? last_error_->ToStatus()
             : TransportError(ErrorDetail::kIo, "no MX host could be tried")
                   .ToStatus());
  }

  void Ready(const IpAddress& ip) {
    DeliveryAttempt& a = result_.route.plan.attempts[attempt_];
    result_.accepted_attempt = attempt_;
    result_.accepted_ip = ip.ToString();
    if (client_->tls_info() != nullptr) result_.tls = *client_->tls_info();
    ReportSession(options_.tls_report, result_.route.plan, a, ip,
                  client_->tls_info());
    Note(absl::StrCat("session ready with ", a.host, " ",
                      Bracketed(ip, a.port)));
    client_->Deliver(std::move(envelope_), std::move(body_),
                     [this, ip](DeliveryOutcome outcome) {
                       const AttemptOutcome o =
                           outcome.ok() ? AttemptOutcome::kDelivered
                           : outcome.error->permanent
                               ? AttemptOutcome::kPermanentFailure
                               : AttemptOutcome::kTemporaryFailure;
                       result_.route.plan.Record(
                           attempt_, o, ip.ToString(),
                           outcome.ok() ? "accepted"
                                        : outcome.error->Message());
                       result_.outcome = std::move(outcome);
                       client_->Close([this](const absl::Status&) {
                         DropClientSoon();
                         Finish();
                       });
                     });
  }

  // DropClientSoon hands the client to a closing list: a client may be
  // destroyed from its own callback, but it is simplest to let its handles
  // close after the callback returns.
  void DropClientSoon() {
    if (client_ != nullptr) dropped_.push_back(std::move(client_));
  }

  void Fail(const absl::Status& status) {
    result_.outcome = FailedOutcome(
        recipients_, SmtpError::FromStatus(status, CommandKind::kGreeting));
    Finish();
  }

  void Finish() {
    UvMxDeliveryCallback done = std::move(done_);
    MxDeliveryResult result = std::move(result_);
    // The resolver and clients close their handles asynchronously.
    dns_.reset();
    dropped_.clear();
    client_.reset();
    delete this;
    if (done) done(std::move(result));
  }

  struct FetchWork {
    uv_work_t req;
    std::string domain;
    std::vector<IpAddress> ips;
    StsFetchOptions options;
    StsFetchResult result;
  };

  uv_loop_t* loop_;
  std::string domain_;
  Envelope envelope_;
  absl::Cord body_;
  UvMxDeliveryOptions options_;
  UvMxDeliveryCallback done_;
  const std::vector<Recipient> recipients_;
  DialHistory own_history_;
  DialHistory* history_ = nullptr;
  StsCache own_cache_;
  StsCache* cache_ = nullptr;
  absl::Time now_;
  NextHop hop_;
  std::unique_ptr<UvDnsResolver> dns_;
  PlanRequest request_;
  DnsAnswerSet answers_;
  absl::optional<DnsQuestion> sts_question_;
  bool sts_done_ = false;
  bool sts_busy_ = false;
  int sts_pending_ = 0;
  FetchWork work_;
  size_t outstanding_ = 0;
  int rounds_ = 0;
  size_t attempt_ = 0;
  size_t ip_ = 0;
  std::unique_ptr<UvClient> client_;
  std::vector<std::unique_ptr<UvClient>> dropped_;
  absl::optional<SmtpError> last_error_;
  uv_timer_t* timer_ = nullptr;
  MxDeliveryResult result_;
};

}  // namespace

void DeliverToDomainUv(uv_loop_t* loop, absl::string_view domain,
                       Envelope envelope, absl::Cord body,
                       UvMxDeliveryOptions options,
                       UvMxDeliveryCallback done) {
  auto* job = new Job(loop, std::string(domain), std::move(envelope),
                      std::move(body), std::move(options), std::move(done));
  job->Start();
}

}  // namespace smtpcore
