#include "transports/libuv/uv_dialer.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "core/errors.h"
#include "core/instant.h"
#include "transports/common/transport_error.h"
#include "transports/proxy/proxy_handshake.h"

namespace smtpcore {
namespace {

constexpr size_t kReadBufferSize = 16 * 1024;
// RFC 8305 §5: the Connection Attempt Delay has a floor of 10 ms.
constexpr Duration kMinimumAttemptDelay = absl::Milliseconds(10);

Instant LoopNow() {
  return InstantFromMonotonicNanos(static_cast<int64_t>(uv_hrtime()));
}

uint64_t DelayMs(Instant deadline) {
  Instant now = LoopNow();
  if (deadline <= now) return 0;
  int64_t ms = absl::ToInt64Milliseconds(
      absl::Ceil(deadline - now, absl::Milliseconds(1)));
  return static_cast<uint64_t>(std::max<int64_t>(ms, 0));
}

// DeleteHandle frees a handle made by this file once libuv closed it.
void DeleteHandle(uv_handle_t* handle) {
  switch (handle->type) {
    case UV_TCP:
      delete reinterpret_cast<uv_tcp_t*>(handle);
      break;
    case UV_NAMED_PIPE:
      delete reinterpret_cast<uv_pipe_t*>(handle);
      break;
    case UV_TIMER:
      delete reinterpret_cast<uv_timer_t*>(handle);
      break;
    default:
      break;
  }
}

void CloseAndDelete(uv_handle_t* handle) {
  handle->data = nullptr;
  if (!uv_is_closing(handle)) uv_close(handle, &DeleteHandle);
}

// StreamCloser carries CloseUvStream's callback to the close callback.
struct StreamCloser {
  void (*on_closed)(void*);
  void* data;
};

}  // namespace

void CloseUvStream(uv_stream_t* stream, void (*on_closed)(void* data),
                   void* data) {
  stream->data = new StreamCloser{on_closed, data};
  uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* handle) {
    auto* closer = static_cast<StreamCloser*>(handle->data);
    DeleteHandle(handle);
    if (closer->on_closed != nullptr) closer->on_closed(closer->data);
    delete closer;
  });
}

absl::string_view UvDialOutcomeName(UvDialOutcome outcome) {
  switch (outcome) {
    case UvDialOutcome::kInProgress: return "in_progress";
    case UvDialOutcome::kConnected: return "connected";
    case UvDialOutcome::kFailed: return "failed";
    case UvDialOutcome::kTimedOut: return "timed_out";
    case UvDialOutcome::kCancelled: return "cancelled";
  }
  return "failed";
}

// Impl: everything of one dial. Every libuv request or handle that calls
// back holds a pointer to the Impl that is set to null when the Impl stops
// caring (cancel, destruction), so the Impl can be deleted synchronously;
// the requests and handles free themselves.
class UvDialer::Impl {
 public:
  Impl(uv_loop_t* loop, const ClientOptions& options)
      : loop_(loop), options_(options) {
    // The copy must not call anyone back.
    options_.on_event = nullptr;
    options_.session = SessionOptions();
  }

  ~Impl() { Cancel(); }

  void Start(Callback done) {
    if (started_) {
      // A programming error; reported like every other result, later.
      Callback second = std::move(done);
      SmtpError e = TransportError(ErrorDetail::kWrongState,
                                   "UvDialer::Start called twice");
      e.status_code = absl::StatusCode::kFailedPrecondition;
      if (second) second(e.ToStatus());
      return;
    }
    started_ = true;
    done_ = std::move(done);
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    // Everything else runs from the loop, so that `done` is never called
    // inside Start.
    uv_timer_start(timer_, &Impl::OnTimer, 0, 0);
  }

  // Begin validates, resolves and starts the first attempt (from the
  // timer). May end the dial: the caller must not touch `this` after it.
  void Begin() {
    begun_ = true;
    if (absl::Status s = ValidateClientOptions(options_); !s.ok()) {
      FailLater(ErrorFromStatus(s));
      return;
    }
    if (!options_.unix_socket.empty()) {
      absl::StatusOr<DialAddress> path =
          MakeUnixDialAddress(options_.unix_socket);
      if (!path.ok()) {
        FailLater(TransportError(ErrorDetail::kInvalidArgument,
                                 std::string(path.status().message())));
        return;
      }
      label_ = path->ToString();
      order_ = {*std::move(path)};
      if (!StartNext()) return;
      ArmTimer();
      return;
    }
    if (!options_.local_address.empty()) {
      absl::StatusOr<DialAddress> local =
          MakeDialAddress(options_.local_address, 0);
      if (!local.ok()) {
        FailLater(TransportError(ErrorDetail::kInvalidArgument,
                                 std::string(local.status().message())));
        return;
      }
      local_ = *std::move(local);
    }
    family_ = LocalAddressFamily(options_);
    if (options_.proxy.enabled()) {
      absl::StatusOr<ProxyHandshake> handshake = ProxyHandshake::Create(
          options_.proxy, ProxyDestination(options_), EffectivePort(options_));
      if (!handshake.ok()) {
        FailLater(ErrorFromStatus(handshake.status()));
        return;
      }
      handshake_ = *std::move(handshake);
      host_ = options_.proxy.host;
      port_ = options_.proxy.port;
      label_ = absl::StrCat("proxy ", host_);
      history_ = nullptr;  // the proxy's addresses say nothing of the server
    } else {
      host_ = options_.host;
      port_ = EffectivePort(options_);
      label_ = host_;
      history_ = options_.dial_history;
      if (!options_.addresses.empty()) {
        std::vector<DialAddress> given;
        for (const std::string& ip : options_.addresses) {
          absl::StatusOr<DialAddress> a = MakeDialAddress(ip, port_);
          if (!a.ok()) {
            FailLater(TransportError(ErrorDetail::kInvalidArgument,
                                     std::string(a.status().message())));
            return;
          }
          given.push_back(*std::move(a));
        }
        UseAddresses(given);
        return;
      }
    }
    if (host_.empty()) {
      FailLater(TransportError(ErrorDetail::kInvalidArgument,
                               "no server host given"));
      return;
    }
    if (IsIpLiteral(host_)) {
      absl::StatusOr<DialAddress> a =
          MakeDialAddress(HostWithoutBrackets(host_), port_);
      if (!a.ok()) {
        FailLater(ResolveError(host_, a.status().message()));
        return;
      }
      UseAddresses({*std::move(a)});
      return;
    }
    addrinfo hints = {};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_family = family_ == AddressFamily::kIpv4Only   ? AF_INET
                      : family_ == AddressFamily::kIpv6Only ? AF_INET6
                                                            : AF_UNSPEC;
    hints.ai_flags = AI_ADDRCONFIG;
    gai_ = new GaiRequest;
    gai_->impl = this;
    std::string name(HostWithoutBrackets(host_));
    int rc = uv_getaddrinfo(loop_, &gai_->req, &Impl::OnResolved,
                            name.c_str(), nullptr, &hints);
    if (rc < 0) {
      delete gai_;
      gai_ = nullptr;
      FailLater(ResolveError(host_, uv_strerror(rc)));
    }
  }

  void Cancel() {
    finished_ = true;
    done_ = nullptr;
    if (gai_ != nullptr) {
      gai_->impl = nullptr;
      uv_cancel(reinterpret_cast<uv_req_t*>(&gai_->req));
      gai_ = nullptr;
    }
    for (Attempt* a : live_) {
      if (attempts_[a->index].outcome == UvDialOutcome::kInProgress) {
        attempts_[a->index].outcome = UvDialOutcome::kCancelled;
      }
      DropAttempt(a);
    }
    live_.clear();
    for (WriteRequest* w : writes_) w->impl = nullptr;
    writes_.clear();
    if (stream_ != nullptr) {
      CloseAndDelete(reinterpret_cast<uv_handle_t*>(stream_));
      stream_ = nullptr;
    }
    if (timer_ != nullptr) {
      CloseAndDelete(reinterpret_cast<uv_handle_t*>(timer_));
      timer_ = nullptr;
    }
  }

  const std::vector<UvDialAttempt>& attempts() const { return attempts_; }

 private:
  struct GaiRequest {
    uv_getaddrinfo_t req;
    Impl* impl = nullptr;
  };
  struct Attempt {
    uv_connect_t req;
    Impl* impl = nullptr;  // null once the Impl dropped it
    uv_stream_t* handle = nullptr;
    size_t index = 0;  // into attempts_
    absl::optional<Instant> deadline;
  };
  struct WriteRequest {
    uv_write_t req;
    Impl* impl = nullptr;
    std::string data;
  };

  // --- resolve -------------------------------------------------------------

  static void OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* g = reinterpret_cast<GaiRequest*>(req);
    Impl* self = g->impl;
    std::vector<DialAddress> addresses;
    if (self != nullptr) {
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        char buffer[64] = {};
        if (ai->ai_family == AF_INET) {
          uv_ip4_name(reinterpret_cast<const sockaddr_in*>(ai->ai_addr),
                      buffer, sizeof(buffer));
        } else if (ai->ai_family == AF_INET6) {
          uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(ai->ai_addr),
                      buffer, sizeof(buffer));
        } else {
          continue;
        }
        absl::StatusOr<DialAddress> a = MakeDialAddress(buffer, self->port_);
        if (a.ok()) addresses.push_back(*std::move(a));
      }
    }
    if (res != nullptr) uv_freeaddrinfo(res);
    delete g;
    if (self == nullptr) return;
    self->gai_ = nullptr;
    if (status < 0) {
      self->Fail(ResolveError(self->host_, uv_strerror(status)));
      return;
    }
    self->UseAddresses(addresses);
  }

  void UseAddresses(const std::vector<DialAddress>& resolved) {
    order_ = OrderDialAddresses(host_, resolved, history_, family_);
    if (options_.max_addresses > 0 &&
        order_.size() > static_cast<size_t>(options_.max_addresses)) {
      order_.resize(options_.max_addresses);
    }
    if (order_.empty()) {
      FailLater(TransportError(
          ErrorDetail::kIo,
          absl::StrCat("resolve ", host_, ": no usable address",
                       options_.local_address.empty()
                           ? ""
                           : absl::StrCat(" of the family of local address ",
                                          options_.local_address),
                       "; check the host name")));
      return;
    }
    if (!StartNext()) return;
    ArmTimer();
  }

  // --- attempts ------------------------------------------------------------

  Duration AttemptDelay() const {
    if (options_.happy_eyeballs_delay <= absl::ZeroDuration()) {
      return absl::ZeroDuration();
    }
    return std::max(options_.happy_eyeballs_delay, kMinimumAttemptDelay);
  }

  // StartNext starts the next address, if any; false when the dial ended
  // (failed) meanwhile, so the caller must not touch `this`.
  bool StartNext() {
    while (next_ < order_.size()) {
      const DialAddress& address = order_[next_++];
      tried_.push_back(address.ip);
      UvDialAttempt report;
      report.address = address;
      attempts_.push_back(report);
      auto* a = new Attempt;
      a->impl = this;
      a->index = attempts_.size() - 1;
      int rc = 0;
      if (address.family == AF_UNIX) {
        auto* pipe = new uv_pipe_t;
        uv_pipe_init(loop_, pipe, 0);
        a->handle = reinterpret_cast<uv_stream_t*>(pipe);
        uv_pipe_connect(&a->req, pipe, address.ip.c_str(), &Impl::OnConnect);
      } else {
        auto* tcp = new uv_tcp_t;
        uv_tcp_init(loop_, tcp);
        a->handle = reinterpret_cast<uv_stream_t*>(tcp);
        if (local_.has_value()) {
          rc = uv_tcp_bind(tcp,
                           reinterpret_cast<const sockaddr*>(&local_->sockaddr),
                           0);
          if (rc < 0) {
            attempts_[a->index].outcome = UvDialOutcome::kFailed;
            attempts_[a->index].error_number = -rc;
            CloseAndDelete(reinterpret_cast<uv_handle_t*>(tcp));
            delete a;
            Fail(BindError(local_->ip, -rc));
            return false;
          }
        }
        rc = uv_tcp_connect(&a->req, tcp,
                            reinterpret_cast<const sockaddr*>(&address.sockaddr),
                            &Impl::OnConnect);
      }
      if (rc < 0) {
        // Failed at once: no callback will come. Try the next address.
        CloseAndDelete(reinterpret_cast<uv_handle_t*>(a->handle));
        RecordFailure(a->index, -rc, /*timed_out=*/false);
        delete a;
        continue;
      }
      Instant now = LoopNow();
      if (options_.connect_timeout > absl::ZeroDuration()) {
        a->deadline = now + options_.connect_timeout;
      }
      live_.push_back(a);
      next_start_ = now + AttemptDelay();
      return true;
    }
    if (live_.empty()) {
      FailConnect();
      return false;
    }
    return true;
  }

  void RecordFailure(size_t index, int error_number, bool timed_out) {
    UvDialAttempt& report = attempts_[index];
    report.outcome = timed_out ? UvDialOutcome::kTimedOut
                               : UvDialOutcome::kFailed;
    report.error_number = timed_out ? 0 : error_number;
    if (history_ != nullptr) {
      history_->Record(host_, report.address.ip, DialOutcome::kConnectFailed);
    }
    if (!timed_out) {
      all_timed_out_ = false;
      last_errno_ = error_number;
    }
  }

  // DropAttempt closes `a`'s handle; its connect callback (ECANCELED) frees
  // it.
  void DropAttempt(Attempt* a) {
    a->impl = nullptr;
    CloseAndDelete(reinterpret_cast<uv_handle_t*>(a->handle));
    a->handle = nullptr;
  }

  void Unlink(Attempt* a) {
    live_.erase(std::remove(live_.begin(), live_.end(), a), live_.end());
  }

  static void OnConnect(uv_connect_t* req, int status) {
    auto* a = reinterpret_cast<Attempt*>(req);
    Impl* self = a->impl;
    if (self == nullptr) {  // cancelled or timed out earlier
      delete a;
      return;
    }
    self->Unlink(a);
    if (status < 0) {
      self->RecordFailure(a->index, -status, /*timed_out=*/false);
      CloseAndDelete(reinterpret_cast<uv_handle_t*>(a->handle));
      delete a;
      // RFC 8305 §5: a failure starts the next attempt at once.
      if (!self->StartNext()) return;
      self->ArmTimer();
      return;
    }
    uv_stream_t* stream = a->handle;
    const size_t index = a->index;
    delete a;
    self->Won(stream, index);
  }

  void Won(uv_stream_t* stream, size_t index) {
    UvDialAttempt& report = attempts_[index];
    report.outcome = UvDialOutcome::kConnected;
    if (history_ != nullptr) {
      history_->Record(host_, report.address.ip, DialOutcome::kConnected);
    }
    // The others lose: cancelled, not recorded (they neither connected nor
    // failed).
    for (Attempt* other : live_) {
      attempts_[other->index].outcome = UvDialOutcome::kCancelled;
      DropAttempt(other);
    }
    live_.clear();
    next_ = order_.size();
    stream_ = stream;
    peer_ = report.address;
    if (stream->type == UV_TCP) {
      uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(stream), 1);
    }
    if (!handshake_.has_value()) {
      Succeed();
      return;
    }
    // The proxy's handshake, bounded by the connect timeout.
    if (options_.connect_timeout > absl::ZeroDuration()) {
      handshake_deadline_ = LoopNow() + options_.connect_timeout;
    }
    stream_->data = this;
    read_buffer_.resize(kReadBufferSize);
    int rc = uv_read_start(stream_, &Impl::OnAlloc, &Impl::OnHandshakeRead);
    if (rc < 0) {
      Fail(IoError("read", peer_.ToString(), -rc));
      return;
    }
    if (!FlushHandshake()) return;
    ArmTimer();
  }

  // --- the proxy handshake --------------------------------------------------

  bool FlushHandshake() {
    absl::string_view out = handshake_->PendingOutput();
    if (out.empty()) return true;
    auto* w = new WriteRequest;
    w->impl = this;
    w->data = std::string(out);
    handshake_->ConsumeOutput(out.size());
    uv_buf_t buf = uv_buf_init(w->data.data(),
                               static_cast<unsigned>(w->data.size()));
    int rc = uv_write(&w->req, stream_, &buf, 1, &Impl::OnHandshakeWrite);
    if (rc < 0) {
      delete w;
      Fail(IoError("write", peer_.ToString(), -rc));
      return false;
    }
    writes_.push_back(w);
    return true;
  }

  static void OnHandshakeWrite(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<WriteRequest*>(req);
    Impl* self = w->impl;
    delete w;
    if (self == nullptr) return;
    self->writes_.erase(
        std::remove(self->writes_.begin(), self->writes_.end(), w),
        self->writes_.end());
    if (status < 0 && status != UV_ECANCELED) {
      self->Fail(IoError("write", self->peer_.ToString(), -status));
    }
  }

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
    Impl* self = static_cast<Impl*>(handle->data);
    *buf = uv_buf_init(self->read_buffer_.data(),
                       static_cast<unsigned>(self->read_buffer_.size()));
  }

  static void OnHandshakeRead(uv_stream_t* stream, ssize_t nread,
                              const uv_buf_t*) {
    Impl* self = static_cast<Impl*>(stream->data);
    if (self == nullptr || nread == 0) return;
    absl::Status s;
    if (nread == UV_EOF) {
      s = self->handshake_->ReceiveEof();
    } else if (nread < 0) {
      self->Fail(IoError("read", self->peer_.ToString(),
                         -static_cast<int>(nread)));
      return;
    } else {
      s = self->handshake_->Receive(
          absl::string_view(self->read_buffer_.data(),
                            static_cast<size_t>(nread)));
    }
    if (!s.ok()) {
      self->Fail(ErrorFromStatus(s));
      return;
    }
    if (!self->FlushHandshake()) return;
    if (self->handshake_->done()) {
      uv_read_stop(stream);
      self->leftover_ = self->handshake_->TakeLeftover();
      self->Succeed();
    }
  }

  // --- timer ---------------------------------------------------------------

  void ArmTimer() {
    if (timer_ == nullptr || finished_) return;
    absl::optional<Instant> when;
    auto earliest = [&when](Instant t) {
      if (!when.has_value() || t < *when) when = t;
    };
    for (const Attempt* a : live_) {
      if (a->deadline.has_value()) earliest(*a->deadline);
    }
    if (next_ < order_.size() && !live_.empty() &&
        AttemptDelay() > absl::ZeroDuration()) {
      earliest(next_start_);
    }
    if (handshake_deadline_.has_value() && stream_ != nullptr) {
      earliest(*handshake_deadline_);
    }
    if (!when.has_value()) {
      uv_timer_stop(timer_);
      return;
    }
    uv_update_time(loop_);
    uv_timer_start(timer_, &Impl::OnTimer, DelayMs(*when), 0);
  }

  static void OnTimer(uv_timer_t* timer) {
    Impl* self = static_cast<Impl*>(timer->data);
    if (self == nullptr || self->finished_) return;
    if (!self->begun_) {
      self->Begin();
      return;
    }
    if (self->deferred_error_.has_value()) {
      SmtpError e = *std::move(self->deferred_error_);
      self->deferred_error_.reset();
      self->Fail(std::move(e));
      return;
    }
    const Instant now = LoopNow();
    if (self->stream_ != nullptr) {  // the proxy handshake
      if (self->handshake_deadline_.has_value() &&
          now >= *self->handshake_deadline_) {
        self->Fail(TransportError(
            ErrorDetail::kTimeout,
            absl::StrCat("the proxy ", self->options_.proxy.ToString(),
                         " did not complete its handshake within the connect "
                         "timeout (stage ",
                         ProxyHandshakeStageName(self->handshake_->stage()),
                         ")")));
        return;
      }
      self->ArmTimer();
      return;
    }
    std::vector<Attempt*> expired;
    for (Attempt* a : self->live_) {
      if (a->deadline.has_value() && now >= *a->deadline) expired.push_back(a);
    }
    for (Attempt* a : expired) {
      self->Unlink(a);
      self->RecordFailure(a->index, ETIMEDOUT, /*timed_out=*/true);
      self->DropAttempt(a);
    }
    const bool stagger_due = self->AttemptDelay() > absl::ZeroDuration() &&
                             now >= self->next_start_;
    if (self->live_.empty() || stagger_due) {
      if (self->next_ < self->order_.size() || self->live_.empty()) {
        if (!self->StartNext()) return;
      }
    }
    self->ArmTimer();
  }

  // --- results -------------------------------------------------------------

  void FailConnect() {
    if (!options_.unix_socket.empty()) {
      Fail(TransportError(
          all_timed_out_ ? ErrorDetail::kTimeout : ErrorDetail::kIo,
          absl::StrCat("connect to ", label_, ": ",
                       all_timed_out_ ? "timed out" : strerror(last_errno_),
                       "; is the server listening on this socket?")));
      return;
    }
    Fail(ConnectError(label_, port_, tried_,
                      all_timed_out_ ? ETIMEDOUT : last_errno_));
  }

  // FailLater reports `error` on the next timer tick.
  void FailLater(SmtpError error) {
    deferred_error_ = std::move(error);
    uv_timer_start(timer_, &Impl::OnTimer, 0, 0);
  }

  // Fail ends the dial with `error`. The callback may destroy the dialer:
  // the caller must not touch `this` afterwards.
  void Fail(SmtpError error) {
    Callback done = std::move(done_);
    Cancel();
    if (done) done(error.ToStatus());
  }

  // Succeed hands the stream over. Same rule as Fail.
  void Succeed() {
    UvDialResult result;
    result.stream = stream_;
    result.peer = peer_;
    result.leftover = std::move(leftover_);
    stream_->data = nullptr;
    stream_ = nullptr;
    for (WriteRequest* w : writes_) w->impl = nullptr;
    writes_.clear();
    Callback done = std::move(done_);
    Cancel();
    if (done) done(std::move(result));
  }

  uv_loop_t* loop_;
  ClientOptions options_;
  Callback done_;
  bool started_ = false;
  bool begun_ = false;
  bool finished_ = false;
  absl::optional<SmtpError> deferred_error_;

  // What is dialed: the server, or the proxy.
  std::string host_;
  uint16_t port_ = 0;
  std::string label_;  // for messages: the host, "proxy HOST" or the path
  DialHistory* history_ = nullptr;
  AddressFamily family_ = AddressFamily::kAny;
  absl::optional<DialAddress> local_;
  GaiRequest* gai_ = nullptr;

  // Attempts.
  std::vector<DialAddress> order_;
  size_t next_ = 0;
  std::vector<Attempt*> live_;
  std::vector<UvDialAttempt> attempts_;
  Instant next_start_;
  std::vector<std::string> tried_;
  int last_errno_ = EHOSTUNREACH;
  bool all_timed_out_ = true;
  uv_timer_t* timer_ = nullptr;

  // The winner, and the proxy handshake on it.
  uv_stream_t* stream_ = nullptr;
  DialAddress peer_;
  absl::optional<ProxyHandshake> handshake_;
  absl::optional<Instant> handshake_deadline_;
  std::vector<WriteRequest*> writes_;
  std::vector<char> read_buffer_;
  std::string leftover_;
};

UvDialer::UvDialer(uv_loop_t* loop, const ClientOptions& options)
    : impl_(new Impl(loop, options)) {}

UvDialer::~UvDialer() { delete impl_; }

void UvDialer::Start(Callback done) { impl_->Start(std::move(done)); }

void UvDialer::Cancel() { impl_->Cancel(); }

const std::vector<UvDialAttempt>& UvDialer::attempts() const {
  return impl_->attempts();
}

}  // namespace smtpcore
