#include "transports/libuv/uv_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/io_slice.h"
#include "core/reply.h"
#include "core/smtp_error.h"
#include "transports/common/greeting_diagnosis.h"
#include "transports/common/tls_pump.h"
#include "transports/libuv/uv_dialer.h"

namespace smtpcore {

// The core's IoSlices are handed to uv_write as uv_buf_t without copying;
// that is only valid if the layouts agree exactly (they do on Unix, where
// uv_buf_t mirrors struct iovec).
static_assert(sizeof(IoSlice) == sizeof(uv_buf_t),
              "IoSlice must have the size of uv_buf_t");
static_assert(alignof(IoSlice) == alignof(uv_buf_t),
              "IoSlice must have the alignment of uv_buf_t");
static_assert(offsetof(IoSlice, data) == offsetof(uv_buf_t, base),
              "IoSlice::data must overlay uv_buf_t::base");
static_assert(offsetof(IoSlice, size) == offsetof(uv_buf_t, len),
              "IoSlice::size must overlay uv_buf_t::len");
static_assert(sizeof(IoSlice::size) == sizeof(uv_buf_t::len),
              "IoSlice::size must have the width of uv_buf_t::len");

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
// kMaxSlices is how many of the core's slices one write takes: IOV_MAX on
// Linux, so that a 1 MiB dot-stuffed body (two slices per stuffed line)
// goes out in a few writev calls rather than dozens.
constexpr size_t kMaxSlices = 1024;

// Scratch is the per-thread memory every client of the thread's loops
// shares: libuv runs one callback at a time, and neither buffer is held
// across callbacks. The read buffer is consumed inside `OnRead` (the core
// parses in place and copies only a split reply; the TLS layer copies), and
// the slice array only carries `PollTransmit`'s result into `uv_try_write`
// or `uv_write` (which copies the descriptors). Sharing them keeps an idle
// connection small (bench/README.md "Memory").
struct Scratch {
  std::vector<char> read_buffer = std::vector<char>(kReadBufferSize);
  std::vector<IoSlice> slices = std::vector<IoSlice>(kMaxSlices);
};

Scratch& ThreadScratch() {
  static thread_local Scratch scratch;
  return scratch;
}

SmtpError StateError(ErrorDetail cause, std::string what) {
  SmtpError e = TransportError(cause, std::move(what));
  e.status_code = absl::StatusCode::kFailedPrecondition;
  e.permanent = false;
  return e;
}

}  // namespace

Instant UvNow() {
  return InstantFromMonotonicNanos(static_cast<int64_t>(uv_hrtime()));
}

absl::string_view UvClientStateName(UvClientState state) {
  switch (state) {
    case UvClientState::kIdle:
      return "idle";
    case UvClientState::kConnecting:
      return "connecting";
    case UvClientState::kSession:
      return "session";
    case UvClientState::kClosing:
      return "closing";
    case UvClientState::kClosed:
      return "closed";
  }
  return "unknown";
}

// Impl owns the libuv handles and the protocol state. It outlives the
// public UvClient when handles are still closing, and deletes itself once
// detached and nothing of libuv refers to it (`pending_` == 0).
class UvClient::Impl {
 public:
  Impl(uv_loop_t* loop, ClientOptions options)
      : loop_(loop), options_(std::move(options)) {}

  // Entry guards every entry point (public call or libuv callback): when
  // the outermost one returns and the client is detached with nothing
  // pending, the Impl is deleted.
  class Entry {
   public:
    explicit Entry(Impl* impl) : impl_(impl) { ++impl_->depth_; }
    ~Entry() {
      if (--impl_->depth_ == 0 && impl_->detached_ && impl_->pending_ == 0) {
        delete impl_;
      }
    }

   private:
    Impl* impl_;
  };

  // --- public operations -------------------------------------------------

  void Connect(ConnectCallback done) {
    if (state_ != UvClientState::kIdle) {
      done(StateError(ErrorDetail::kWrongState, "Connect called twice")
               .ToStatus());
      return;
    }
    state_ = UvClientState::kConnecting;
    connect_cb_ = std::move(done);
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    ++pending_;
    if (options_.host.empty() && !options_.unix_socket.empty()) {
      options_.host = "localhost";
    }
    if (options_.host.empty()) {
      FailConnect(TransportError(ErrorDetail::kInvalidArgument,
                                 "no server host given"));
      return;
    }
    // A server on an implicit-TLS port (465) waits for our ClientHello
    // while we wait for its greeting: a short greeting window, then a
    // diagnosis (transports/common/greeting_diagnosis.h).
    ApplyImplicitTlsGreetingWindow(&options_);
    StartDial();
  }

  void Deliver(Envelope envelope, absl::Cord body, DeliverCallback done) {
    if (state_ == UvClientState::kClosing || state_ == UvClientState::kClosed ||
        closed_ || close_requested_) {
      done(FailedOutcome(envelope.recipients,
                         UnusableConnectionError(failure_)));
      return;
    }
    if (session_ == nullptr || !ready_) {
      // Submitted at SessionReady: a session that ends before it (and is
      // replaced after a dropped AUTH retry) must not take them along.
      pre_session_.push_back(
          PendingDelivery{std::move(envelope), std::move(body),
                          std::move(done)});
      return;
    }
    SubmitDelivery(std::move(envelope), std::move(body), std::move(done));
    Pump();
  }

  void CheckAlive(StatusCallback done) {
    if (!Idle()) {
      done(StateError(ErrorDetail::kWrongState,
                      "CheckAlive needs a ready, idle connection")
               .ToStatus());
      return;
    }
    // The session sends it now (it is idle) and bounds the wait for the
    // reply with its "other" stage timer (core/timers.h).
    absl::Status status = session_->Noop(UvNow());
    if (!status.ok()) {
      done(status);
      return;
    }
    noop_in_flight_ = true;
    noop_answered_ = false;
    noop_drained_ = false;
    noop_cb_ = std::move(done);
    Pump();
  }

  void Close(StatusCallback done) {
    switch (state_) {
      case UvClientState::kIdle:
        state_ = UvClientState::kClosed;
        done(absl::OkStatus());
        return;
      case UvClientState::kClosed:
        done(CloseStatus());
        return;
      case UvClientState::kClosing:
        close_cbs_.push_back(std::move(done));
        return;
      case UvClientState::kConnecting:
      case UvClientState::kSession:
        close_cbs_.push_back(std::move(done));
        close_requested_ = true;
        if (session_ != nullptr && !closed_) {
          if (!session_->Close(UvNow()).ok()) {
            // Already failed: the ConnectionClosed event ends it.
          }
          Pump();
        }
        return;
    }
  }

  void Abort(absl::Status reason) {
    if (reason.ok()) {
      reason = StateError(ErrorDetail::kClosed, "aborted").ToStatus();
    }
    abort_ = true;
    if (session_ != nullptr) {
      if (!closed_) session_->Abort(reason, UvNow());
      Pump();
      CloseHandles();
      return;
    }
    if (state_ == UvClientState::kIdle) {
      state_ = UvClientState::kClosed;
      failure_ = ErrorFromStatus(reason);
      return;
    }
    if (state_ == UvClientState::kConnecting) {
      FailConnect(ErrorFromStatus(reason));
    }
  }

  const std::vector<UvDialAttempt>& dial_attempts() const {
    return dial_attempts_;
  }
  bool reconnected() const { return reconnected_; }

  // Detach is ~UvClient: no more callbacks, close everything.
  void Detach() {
    detached_ = true;
    connect_cb_ = nullptr;
    deliver_cbs_.clear();
    pre_session_.clear();
    close_cbs_.clear();
    closed_handler_ = nullptr;
    noop_cb_ = nullptr;
    options_.on_event = nullptr;
    completions_.clear();
    if (state_ == UvClientState::kIdle) state_ = UvClientState::kClosed;
    if (state_ != UvClientState::kClosed) {
      abort_ = true;
      if (session_ != nullptr && !closed_) {
        session_->Abort(StateError(ErrorDetail::kClosed, "client destroyed")
                            .ToStatus(),
                        UvNow());
      }
      CloseHandles();
    }
  }

  void set_closed_handler(StatusCallback handler) {
    closed_handler_ = std::move(handler);
  }

  // --- getters ----------------------------------------------------------

  UvClientState state() const { return state_; }
  bool Ready() const {
    return ready_ && !closed_ && state_ == UvClientState::kSession;
  }
  bool Idle() const {
    return Ready() && !close_requested_ && !noop_in_flight_ &&
           session_->state() == SessionState::kReady &&
           session_->queued_deliveries() == 0 && pre_session_.empty();
  }
  const Capabilities& capabilities() const {
    static const Capabilities* const kEmpty = new Capabilities();
    return session_ != nullptr ? session_->capabilities() : *kEmpty;
  }
  const TlsInfo* tls_info() const {
    return session_ != nullptr ? session_->connection().tls() : nullptr;
  }
  const DialAddress& peer() const { return peer_; }
  absl::Status CloseStatus() const {
    return failure_.has_value() ? failure_->ToStatus() : absl::OkStatus();
  }
  int finished() const { return finished_; }
  const ClientOptions& options() const { return options_; }

 private:
  struct PendingDelivery {
    Envelope envelope;
    absl::Cord body;
    DeliverCallback done;
  };
  // --- resolve and dial ---------------------------------------------------

  void StartDial() {
    dialer_ = std::make_unique<UvDialer>(loop_, options_);
    ++pending_;  // the dial's callback refers to this Impl
    dialer_->Start([this](absl::StatusOr<UvDialResult> result) {
      Entry entry(this);
      --pending_;
      dial_attempts_ = dialer_->attempts();
      // The dialer is done; destroying it inside its callback is allowed.
      std::unique_ptr<UvDialer> dialer = std::move(dialer_);
      dialer.reset();
      if (detached_ || state_ != UvClientState::kConnecting) {
        if (result.ok()) CloseUvStream(result->stream, nullptr, nullptr);
        return;
      }
      if (!result.ok()) {
        FailConnect(ErrorFromStatus(result.status()));
        return;
      }
      Connected(*std::move(result));
    });
  }

  void Connected(UvDialResult dialed) {
    peer_ = dialed.peer;
    stream_ = dialed.stream;
    stream_->data = this;
    ++pending_;  // the stream, until its close callback
    SessionOptions session_options = options_.session;
    if (options_.loopback_allows_insecure_auth && PeerIsLocal(options_, peer_)) {
      session_options.allow_insecure_auth = true;
    }
    Instant now = UvNow();
    session_ = std::make_unique<Session>(session_options, now);
    tls_ = std::make_unique<TlsPump>(session_.get());
    greeting_prefix_ = GreetingPrefix();
    state_ = UvClientState::kSession;
    int rc = uv_read_start(stream_, &Impl::OnAlloc, &Impl::OnRead);
    if (rc < 0) {
      session_->Abort(IoError("read", peer_.ToString(), -rc).ToStatus(), now);
    } else {
      if (options_.session.tls_mode == TlsMode::kImplicit) StartTls(now);
      // Bytes the proxy read past its reply belong to the tunnel.
      if (!dialed.leftover.empty()) {
        if (!tls_->active()) {
          greeting_prefix_.Record(dialed.leftover);
          session_->Receive(dialed.leftover, now).IgnoreError();
        } else {
          tls_->ReceiveCiphertext(dialed.leftover, now).IgnoreError();
        }
      }
    }
    if (close_requested_ && !closed_) {
      session_->Close(now).IgnoreError();
    }
    Pump();
  }

  void FailConnect(SmtpError error) {
    failure_ = error;
    if (connect_cb_) {
      completions_.push_back(
          [cb = std::move(connect_cb_), status = error.ToStatus()] {
            cb(status);
          });
      connect_cb_ = nullptr;
    }
    std::deque<PendingDelivery> queued;
    queued.swap(pre_session_);
    for (PendingDelivery& d : queued) {
      completions_.push_back(
          [cb = std::move(d.done),
           outcome = FailedOutcome(d.envelope.recipients, error)]() mutable {
            cb(std::move(outcome));
          });
    }
    CloseHandles();
    FireCompletions();
  }

  // FailQueued fails the deliveries waiting for SessionReady with `error`.
  void FailQueued(const SmtpError& error) {
    std::deque<PendingDelivery> queued;
    queued.swap(pre_session_);
    for (PendingDelivery& d : queued) {
      completions_.push_back(
          [cb = std::move(d.done),
           outcome = FailedOutcome(d.envelope.recipients, error)]() mutable {
            cb(std::move(outcome));
          });
    }
  }

  // --- deliveries ---------------------------------------------------------

  void SubmitDelivery(Envelope envelope, absl::Cord body,
                      DeliverCallback done) {
    std::vector<Recipient> recipients = envelope.recipients;  // for errors
    absl::StatusOr<DeliveryId> id =
        session_->Deliver(std::move(envelope), std::move(body), UvNow());
    if (!id.ok()) {
      SmtpError e = SmtpError::FromStatus(id.status(), CommandKind::kMailFrom);
      completions_.push_back(
          [cb = std::move(done),
           outcome = FailedOutcome(recipients, std::move(e))]() mutable {
            cb(std::move(outcome));
          });
      return;
    }
    deliver_cbs_[*id] = std::move(done);
  }

  void Finished(DeliveryOutcome outcome) {
    ++finished_;
    auto it = deliver_cbs_.find(outcome.id);
    if (it == deliver_cbs_.end()) return;
    DeliverCallback cb = std::move(it->second);
    deliver_cbs_.erase(it);
    completions_.push_back([cb = std::move(cb),
                            outcome = std::move(outcome)]() mutable {
      cb(std::move(outcome));
    });
  }

  // --- the pump -----------------------------------------------------------

  void Pump() {
    if (session_ == nullptr) {
      FireCompletions();
      return;
    }
    if (pumping_) {
      repump_ = true;
      return;
    }
    pumping_ = true;
    do {
      repump_ = false;
      Instant now = UvNow();
      DrainEvents(now);
      StartWrite(now);
      DrainEvents(now);
    } while (repump_);
    pumping_ = false;
    if (!handles_closing_) {
      ArmTimer();
      MaybeTeardown();
    }
    FireCompletions();
  }

  void FireCompletions() {
    while (!completions_.empty() && !detached_) {
      std::function<void()> f = std::move(completions_.front());
      completions_.pop_front();
      f();
    }
  }

  void DrainEvents(Instant now) {
    while (absl::optional<Event> event = session_->PollEvent()) {
      if (options_.on_event) options_.on_event(*event);
      if (std::holds_alternative<TlsUpgradeRequired>(*event)) {
        StartTls(now);
      } else if (std::holds_alternative<SessionReady>(*event)) {
        ready_ = true;
        if (connect_cb_) {
          completions_.push_back([cb = std::move(connect_cb_)] {
            cb(absl::OkStatus());
          });
          connect_cb_ = nullptr;
        }
        std::deque<PendingDelivery> queued;
        queued.swap(pre_session_);
        for (PendingDelivery& d : queued) {
          SubmitDelivery(std::move(d.envelope), std::move(d.body),
                         std::move(d.done));
        }
      } else if (std::holds_alternative<AuthRetry>(*event)) {
        auth_retried_ = true;
      } else if (absl::optional<DeliveryOutcome> outcome =
                     TakeDeliveryOutcome(*event)) {
        Finished(*std::move(outcome));
      } else if (auto* c = std::get_if<ConnectionClosed>(&*event)) {
        closed_ = true;
        if (ShouldReconnect(c->error)) {
          // The token provider holds the renewed token: one new connection
          // and session (docs/reach.md). MaybeTeardown starts it.
          reconnect_requested_ = true;
          continue;
        }
        if (!c->status.ok()) {
          failure_ = c->error;
          if (!ready_) {
            // TLS bytes instead of a greeting, or silence on port 465.
            failure_ = ErrorFromStatus(DiagnoseGreetingFailure(
                failure_->ToStatus(), options_, greeting_prefix_));
          }
          if (options_.dial_history != nullptr && !options_.proxy.enabled() &&
              options_.unix_socket.empty()) {
            options_.dial_history->UpdateLast(options_.host, peer_.ip,
                                              DialOutcome::kSessionFailed);
          }
        }
        if (!ready_) FailQueued(failure_.has_value()
                                    ? *failure_
                                    : UnusableConnectionError(failure_));
        if (connect_cb_) {
          absl::Status status =
              failure_.has_value()
                  ? failure_->ToStatus()
                  : TransportError(ErrorDetail::kConnectionClosed,
                                   "the session ended before it was ready")
                        .ToStatus();
          completions_.push_back(
              [cb = std::move(connect_cb_), status] { cb(status); });
          connect_cb_ = nullptr;
        }
        if (noop_in_flight_) {
          FinishNoop(failure_.has_value()
                         ? failure_->ToStatus()
                         : StateError(ErrorDetail::kClosed,
                                      "connection closed during NOOP")
                               .ToStatus());
        }
      } else if (auto* n = std::get_if<NoopDone>(&*event)) {
        OnNoopDone(n->reply, now);
      }
    }
    // A 2xx to NOOP counts only if the connection is still up once every
    // event of the same input was seen (a 421 right behind the 250 closes
    // it, and then the ConnectionClosed above already failed the check),
    // and once the bytes already waiting in the socket were read too (a 421
    // or EOF that arrived after the read that held the 250).
    if (noop_in_flight_ && noop_answered_) {
      if (!noop_drained_) {
        noop_drained_ = true;
        if (ReadWaiting(now)) {
          DrainEvents(now);
          return;
        }
      }
      FinishNoop(absl::OkStatus());
    }
  }

  // ReadWaiting feeds the session whatever the socket already holds, without
  // waiting for the loop: recv with MSG_DONTWAIT until it would block, EOF
  // (also given to the session) or an error (the session is aborted).
  // Returns true when it gave the session anything (bytes, EOF or error).
  bool ReadWaiting(Instant now) {
    if (stream_ == nullptr || handles_closing_ || read_eof_ || closed_) {
      return false;
    }
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(stream_), &fd) != 0) {
      return false;
    }
    bool fed = false;
    for (;;) {
      std::vector<char>& buffer = ThreadScratch().read_buffer;
      ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) {
        fed = true;
        absl::string_view bytes(buffer.data(), static_cast<size_t>(n));
        if (!tls_->active()) {
          session_->Receive(bytes, now).IgnoreError();
        } else {
          tls_->ReceiveCiphertext(bytes, now).IgnoreError();
        }
        if (closed_) return true;
        continue;
      }
      if (n == 0) {
        uv_read_stop(stream_);
        OnEof(now);
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return fed;
      uv_read_stop(stream_);
      FailIo(IoError("read", peer_.ToString(), errno), now);
      return true;
    }
  }

  // OnNoopDone judges the reply to CheckAlive's NOOP: 2xx is alive (decided
  // after the remaining events, see DrainEvents); anything else drops the
  // connection.
  void OnNoopDone(const Reply& reply, Instant now) {
    if (!noop_in_flight_) return;
    if (reply.code() >= 200 && reply.code() < 300) {
      noop_answered_ = true;
      return;
    }
    absl::Status status =
        SmtpError::FromReply(CommandKind::kNoop, reply.view()).ToStatus();
    FinishNoop(status);
    session_->Abort(status, now);
  }

  void StartTls(Instant now) {
    // A failure is reported to the session (ConnectionClosed).
    tls_->Start(MakeClientTlsOptions(options_), now).IgnoreError();
  }

  // StartWrite sends what the session (or, under TLS, the layer) has
  // pending. It writes synchronously with uv_try_write as long as the socket
  // takes everything, consuming as it goes, and hands only a remainder the
  // socket did not take to uv_write (one in flight; OnWrite pumps again).
  // So a message whose bytes fit in the socket buffer costs no uv_write
  // request and no loop iteration.
  void StartWrite(Instant now) {
    if (write_in_flight_ || handles_closing_ || stream_ == nullptr) return;
    uv_stream_t* stream = stream_;
    std::vector<IoSlice>& slices = ThreadScratch().slices;
    if (!tls_->active()) {
      for (;;) {
        size_t n = session_->PollTransmit(absl::MakeSpan(slices));
        if (n == 0) return;
        // Zero-copy: the core's slices are the uv_buf_t array (static_assert
        // above); the bytes stay valid until ConsumeTransmit.
        const uv_buf_t* bufs = reinterpret_cast<const uv_buf_t*>(slices.data());
        const size_t total = TotalSize(absl::MakeConstSpan(slices.data(), n));
        int written = uv_try_write(stream, bufs, static_cast<unsigned>(n));
        if (written == UV_EAGAIN) written = 0;
        if (written < 0) {
          FailIo(IoError("write", peer_.ToString(), -written), now);
          return;
        }
        if (written > 0) {
          session_->ConsumeTransmit(static_cast<size_t>(written), now);
        }
        if (static_cast<size_t>(written) == total) continue;
        // The socket is full: queue the rest (uv_write copies the
        // descriptors, never the bytes) and continue from OnWrite.
        n = session_->PollTransmit(absl::MakeSpan(slices));
        if (n == 0) return;
        write_bytes_ = TotalSize(absl::MakeConstSpan(slices.data(), n));
        write_is_session_ = true;
        Write(stream, reinterpret_cast<const uv_buf_t*>(slices.data()),
              static_cast<unsigned>(n), now);
        return;
      }
    }
    // TLS: move plaintext into the layer (it copies while encrypting). A
    // failed write aborted the session: nothing more to send.
    for (;;) {
      if (!tls_->EncryptSessionOutput(now).ok()) return;
      absl::string_view pending = tls_->PendingCiphertext();
      if (pending.empty()) return;
      uv_buf_t direct = uv_buf_init(const_cast<char*>(pending.data()),
                                    static_cast<unsigned>(pending.size()));
      int written = uv_try_write(stream, &direct, 1);
      if (written == UV_EAGAIN) written = 0;
      if (written < 0) {
        FailIo(IoError("write", peer_.ToString(), -written), now);
        return;
      }
      tls_->ConsumeCiphertext(static_cast<size_t>(written));
      if (static_cast<size_t>(written) == pending.size()) continue;
      // The layer may append to its buffer while the write is in flight, so
      // the remainder is copied out for uv_write.
      pending = tls_->PendingCiphertext();
      cipher_out_.assign(pending.data(), pending.size());
      tls_->ConsumeCiphertext(pending.size());
      write_bytes_ = cipher_out_.size();
      write_is_session_ = false;
      uv_buf_t buf = uv_buf_init(cipher_out_.data(),
                                 static_cast<unsigned>(cipher_out_.size()));
      Write(stream, &buf, 1, now);
      return;
    }
  }

  void Write(uv_stream_t* stream, const uv_buf_t* bufs, unsigned nbufs,
             Instant now) {
    write_req_.data = this;
    int rc = uv_write(&write_req_, stream, bufs, nbufs, &Impl::OnWrite);
    if (rc < 0) {
      FailIo(IoError("write", peer_.ToString(), -rc), now);
      return;
    }
    write_in_flight_ = true;
  }

  static void OnWrite(uv_write_t* req, int status) {
    Impl* self = static_cast<Impl*>(req->data);
    Entry entry(self);
    self->write_in_flight_ = false;
    if (status == UV_ECANCELED || self->handles_closing_) return;
    Instant now = UvNow();
    if (status < 0) {
      self->FailIo(IoError("write", self->peer_.ToString(), -status), now);
      self->Pump();
      return;
    }
    if (self->write_is_session_) {
      self->session_->ConsumeTransmit(self->write_bytes_, now);
    }
    self->Pump();
  }

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
    std::vector<char>& read_buffer = ThreadScratch().read_buffer;
    *buf = uv_buf_init(read_buffer.data(),
                       static_cast<unsigned>(read_buffer.size()));
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    Impl* self = static_cast<Impl*>(stream->data);
    Entry entry(self);
    if (self->handles_closing_ || self->session_ == nullptr) return;
    Instant now = UvNow();
    if (nread == UV_EOF) {
      uv_read_stop(stream);
      self->OnEof(now);
    } else if (nread < 0) {
      uv_read_stop(stream);
      self->FailIo(IoError("read", self->peer_.ToString(),
                           -static_cast<int>(nread)),
                   now);
    } else if (nread > 0) {
      absl::string_view bytes(buf->base, static_cast<size_t>(nread));
      // Errors are reported as events (ConnectionClosed); a TLS alert is
      // written by the Pump below.
      if (!self->tls_->active()) {
        if (!self->ready_) self->greeting_prefix_.Record(bytes);
        self->session_->Receive(bytes, now).IgnoreError();
      } else {
        self->tls_->ReceiveCiphertext(bytes, now).IgnoreError();
      }
    }
    self->Pump();
  }

  void OnEof(Instant now) {
    read_eof_ = true;
    // Errors are reported as events (ConnectionClosed).
    if (!tls_->active()) {
      session_->ReceiveEof(now).IgnoreError();
    } else {
      tls_->ReceiveEof(now).IgnoreError();
    }
  }

  void FinishNoop(absl::Status status) {
    noop_in_flight_ = false;
    noop_answered_ = false;
    if (noop_cb_) {
      completions_.push_back(
          [cb = std::move(noop_cb_), status] { cb(status); });
      noop_cb_ = nullptr;
    }
  }

  void FailIo(SmtpError error, Instant now) {
    if (session_ != nullptr && !closed_) {
      session_->Abort(error.ToStatus(), now);
    }
    io_failed_ = true;
  }

  // --- timers -------------------------------------------------------------

  uint64_t DelayMs(Instant deadline) {
    Instant now = UvNow();
    if (deadline <= now) return 0;
    int64_t ms = absl::ToInt64Milliseconds(
        absl::Ceil(deadline - now, absl::Milliseconds(1)));
    return static_cast<uint64_t>(std::max<int64_t>(ms, 0));
  }

  void ArmTimer() {
    if (timer_ == nullptr || session_ == nullptr) return;
    absl::optional<Instant> deadline = session_->NextDeadline();
    if (!deadline.has_value() || closed_) {
      uv_timer_stop(timer_);
      return;
    }
    uv_update_time(loop_);
    uv_timer_start(timer_, &Impl::OnTimer, DelayMs(*deadline), 0);
  }

  static void OnTimer(uv_timer_t* timer) {
    Impl* self = static_cast<Impl*>(timer->data);
    Entry entry(self);
    if (self->session_ == nullptr || self->handles_closing_) return;
    Instant now = UvNow();
    self->session_->HandleTimeout(now);
    self->Pump();
  }

  // --- teardown -----------------------------------------------------------

  // ShouldReconnect: the server dropped the connection during the one AUTH
  // retry of this session, before it was ready, and no reconnection was
  // made yet (ClientOptions::reconnect_after_auth_retry).
  bool ShouldReconnect(const SmtpError& error) const {
    return options_.reconnect_after_auth_retry && auth_retried_ && !ready_ &&
           !reconnected_ && !abort_ && !close_requested_ && !detached_ &&
           (error.cause == ErrorDetail::kConnectionClosed ||
            error.cause == ErrorDetail::kServiceClosing ||
            error.cause == ErrorDetail::kIo);
  }

  // Reconnect closes the old stream; once it is closed (its pending write
  // callbacks have run), a new dial starts with a new session.
  void Reconnect() {
    reconnect_requested_ = false;
    reconnected_ = true;
    reconnecting_ = true;
    state_ = UvClientState::kConnecting;
    uv_timer_stop(timer_);
    uv_stream_t* old = stream_;
    stream_ = nullptr;
    CloseUvStream(old, &Impl::OnReconnectStreamClosed, this);
  }

  static void OnReconnectStreamClosed(void* data) {
    Impl* self = static_cast<Impl*>(data);
    Entry entry(self);
    --self->pending_;
    self->reconnecting_ = false;
    if (self->detached_ || self->abort_ || self->handles_closing_) {
      self->MaybeClosed();
      return;
    }
    self->tls_.reset();
    self->session_.reset();
    self->closed_ = false;
    self->read_eof_ = false;
    self->io_failed_ = false;
    self->write_in_flight_ = false;
    self->auth_retried_ = false;
    self->failure_.reset();
    self->StartDial();
  }

  void MaybeTeardown() {
    if (reconnecting_) return;
    if (reconnect_requested_ && !handles_closing_) {
      Reconnect();
      return;
    }
    if (!closed_ || handles_closing_) return;
    // After a failure nothing more is owed to the peer: close at once (a
    // write stuck on a peer that stopped reading must not hold the handles).
    if (abort_ || io_failed_ || read_eof_ || failure_.has_value()) {
      CloseHandles();
      return;
    }
    if (write_in_flight_) return;
    // A clean end under TLS: send the close_notify first (once).
    if (tls_ != nullptr && tls_->Shutdown()) {
      StartWrite(UvNow());
      if (write_in_flight_) return;
    }
    CloseHandles();
  }

  void CloseStream() {
    if (stream_ == nullptr) return;
    uv_stream_t* stream = stream_;
    stream_ = nullptr;
    CloseUvStream(stream, &Impl::OnStreamClosed, this);
  }

  static void OnStreamClosed(void* data) {
    Impl* self = static_cast<Impl*>(data);
    Entry entry(self);
    --self->pending_;
    self->MaybeClosed();
  }

  static void OnTimerClosed(uv_handle_t* handle) {
    Impl* self = static_cast<Impl*>(handle->data);
    delete reinterpret_cast<uv_timer_t*>(handle);
    Entry entry(self);
    --self->pending_;
    self->MaybeClosed();
  }

  void CloseHandles() {
    if (handles_closing_) return;
    handles_closing_ = true;
    state_ = UvClientState::kClosing;
    if (dialer_ != nullptr) {
      // Cancelled: its callback will not come.
      dial_attempts_ = dialer_->attempts();
      dialer_.reset();
      --pending_;
    }
    CloseStream();
    if (timer_ != nullptr) {
      uv_timer_t* timer = timer_;
      timer_ = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(timer), &Impl::OnTimerClosed);
    }
    MaybeClosed();
  }

  void MaybeClosed() {
    if (!handles_closing_ || state_ == UvClientState::kClosed) return;
    if (stream_ != nullptr || timer_ != nullptr || pending_ != 0) return;
    state_ = UvClientState::kClosed;
    // Deliveries that never got an outcome (aborted before the session
    // could report them) fail with the close status.
    SmtpError error =
        failure_.has_value() ? *failure_ : UnusableConnectionError(failure_);
    for (auto& [id, cb] : deliver_cbs_) {
      DeliveryOutcome o;
      o.id = id;
      o.error = error;
      completions_.push_back([cb = std::move(cb), o]() mutable {
        cb(std::move(o));
      });
    }
    deliver_cbs_.clear();
    absl::Status status = CloseStatus();
    for (StatusCallback& cb : close_cbs_) {
      completions_.push_back([cb = std::move(cb), status] { cb(status); });
    }
    close_cbs_.clear();
    if (closed_handler_) {
      completions_.push_back(
          [cb = std::move(closed_handler_), status] { cb(status); });
      closed_handler_ = nullptr;
    }
    FireCompletions();
  }

  uv_loop_t* loop_;
  ClientOptions options_;
  UvClientState state_ = UvClientState::kIdle;

  // Dial (transports/libuv/uv_dialer.h): Happy Eyeballs, Unix sockets,
  // source address, proxy handshake.
  std::unique_ptr<UvDialer> dialer_;
  std::vector<UvDialAttempt> dial_attempts_;
  DialAddress peer_;

  // Handles (heap: freed by their close callbacks). stream_ is the
  // uv_tcp_t or uv_pipe_t handed over by the dialer.
  uv_stream_t* stream_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  bool handles_closing_ = false;
  // pending_ counts open handles and outstanding requests.
  int pending_ = 0;
  int depth_ = 0;
  bool detached_ = false;

  // Protocol.
  std::unique_ptr<Session> session_;
  std::unique_ptr<TlsPump> tls_;  // with the session; active once TLS starts
  bool ready_ = false;
  bool auth_retried_ = false;       // AuthRetry seen in this session
  bool reconnect_requested_ = false;
  bool reconnected_ = false;        // the one reconnection was made
  bool reconnecting_ = false;       // the old stream is closing
  bool closed_ = false;  // ConnectionClosed seen
  bool close_requested_ = false;
  bool abort_ = false;
  bool io_failed_ = false;
  bool read_eof_ = false;
  absl::optional<SmtpError> failure_;
  // greeting_prefix_: the session's first plaintext bytes, to recognise a
  // TLS server (DiagnoseGreetingFailure).
  GreetingPrefix greeting_prefix_;
  int finished_ = 0;

  // Writing.
  uv_write_t write_req_ = {};
  bool write_in_flight_ = false;
  bool write_is_session_ = false;
  size_t write_bytes_ = 0;
  std::string cipher_out_;  // the ciphertext of the uv_write in flight

  // CheckAlive: its NOOP went to the session and has no verdict yet;
  // `noop_answered_` once a 2xx came (reported after the same input's
  // remaining events); `noop_drained_` once the bytes already waiting in
  // the socket were read for it (ReadWaiting).
  bool noop_in_flight_ = false;
  bool noop_answered_ = false;
  bool noop_drained_ = false;
  StatusCallback noop_cb_;

  // Callbacks.
  ConnectCallback connect_cb_;
  std::map<DeliveryId, DeliverCallback> deliver_cbs_;
  std::deque<PendingDelivery> pre_session_;
  std::vector<StatusCallback> close_cbs_;
  StatusCallback closed_handler_;
  std::deque<std::function<void()>> completions_;
  bool pumping_ = false;
  bool repump_ = false;
};

UvClient::UvClient(uv_loop_t* loop, ClientOptions options)
    : impl_(new Impl(loop, std::move(options))) {}

UvClient::~UvClient() {
  Impl::Entry entry(impl_);
  impl_->Detach();
}

void UvClient::Connect(ConnectCallback done) {
  Impl::Entry entry(impl_);
  impl_->Connect(std::move(done));
}

void UvClient::Deliver(Envelope envelope, absl::Cord body,
                       DeliverCallback done) {
  Impl::Entry entry(impl_);
  impl_->Deliver(std::move(envelope), std::move(body), std::move(done));
}

void UvClient::CheckAlive(StatusCallback done) {
  Impl::Entry entry(impl_);
  impl_->CheckAlive(std::move(done));
}

void UvClient::Close(StatusCallback done) {
  Impl::Entry entry(impl_);
  impl_->Close(std::move(done));
}

void UvClient::Abort(absl::Status reason) {
  Impl::Entry entry(impl_);
  impl_->Abort(std::move(reason));
}

void UvClient::set_closed_handler(StatusCallback handler) {
  impl_->set_closed_handler(std::move(handler));
}

UvClientState UvClient::state() const { return impl_->state(); }
bool UvClient::ready() const { return impl_->Ready(); }
bool UvClient::idle() const { return impl_->Idle(); }
const Capabilities& UvClient::capabilities() const {
  return impl_->capabilities();
}
const TlsInfo* UvClient::tls_info() const { return impl_->tls_info(); }
const DialAddress& UvClient::peer() const { return impl_->peer(); }
absl::Status UvClient::close_status() const { return impl_->CloseStatus(); }
int UvClient::finished_deliveries() const { return impl_->finished(); }
const ClientOptions& UvClient::options() const { return impl_->options(); }
const std::vector<UvDialAttempt>& UvClient::dial_attempts() const {
  return impl_->dial_attempts();
}
bool UvClient::reconnected() const { return impl_->reconnected(); }

}  // namespace smtpcore
