#include "transports/libuv/uv_pool.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/smtp_error.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/pool_policy.h"
#include "transports/common/transport_error.h"

namespace smtpcore {

struct UvPool::Message {
  Envelope envelope;
  absl::Cord body;
  MessageCallback done;
  int attempts = 0;
};

struct UvPool::Conn {
  enum class State { kConnecting, kIdle, kChecking, kBusy, kClosing };
  std::unique_ptr<UvClient> client;
  State state = State::kConnecting;
  int messages = 0;            // messages started on this connection
  bool connected = false;      // the session became ready once
  bool retiring = false;       // closed by the pool (not a failure)
  bool got_421 = false;        // the server said 421 at some point
  Instant idle_since;
  std::unique_ptr<Message> current;
};

struct UvPool::Destination {
  explicit Destination(const PoolPolicyOptions& policy)
      : concurrency(policy) {}

  std::string key;
  ClientOptions options;
  std::deque<std::unique_ptr<Message>> queue;
  std::vector<std::unique_ptr<Conn>> conns;
  int connect_failures = 0;  // consecutive
  // concurrency is lowered for a while after "too many connections".
  DestinationConcurrency concurrency;
  // hold > 0 defers Dispatch (while a message callback runs, so that a
  // message sent from it goes to the connection that just finished).
  int hold = 0;
  bool dispatch_pending = false;

  int Count(Conn::State state) const {
    int n = 0;
    for (const auto& c : conns) n += c->state == state;
    return n;
  }
  // Working counts connections that got through the greeting and login.
  int Working() const {
    return Count(Conn::State::kIdle) + Count(Conn::State::kBusy) +
           Count(Conn::State::kChecking);
  }
};

namespace {

PoolPolicyOptions PolicyOptions(const UvPoolOptions& options) {
  PoolPolicyOptions policy;
  policy.max_messages_per_connection = options.max_messages_per_connection;
  policy.idle_timeout = options.idle_timeout;
  policy.max_connections = options.max_connections_per_destination;
  policy.busy_backoff = options.busy_backoff;
  return policy;
}

ConnectionFacts IdleFacts(Instant idle_since) {
  ConnectionFacts facts;
  facts.idle = true;
  facts.idle_since = idle_since;
  return facts;
}

}  // namespace

UvPool::UvPool(uv_loop_t* loop, UvPoolOptions options)
    : loop_(loop), options_(std::move(options)) {
  options_.max_connections_per_destination =
      std::max(1, options_.max_connections_per_destination);
  options_.max_connect_failures = std::max(1, options_.max_connect_failures);
  policy_ = PolicyOptions(options_);
  idle_timer_ = new uv_timer_t;
  uv_timer_init(loop_, idle_timer_);
  idle_timer_->data = this;
  // The idle timer never keeps the loop alive by itself; open connections
  // do.
  uv_unref(reinterpret_cast<uv_handle_t*>(idle_timer_));
}

UvPool::~UvPool() {
  for (auto& [key, dest] : destinations_) {
    for (auto& conn : dest->conns) conn->client.reset();  // abort, no QUIT
  }
  destinations_.clear();
  if (idle_timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(idle_timer_), [](uv_handle_t* h) {
      delete reinterpret_cast<uv_timer_t*>(h);
    });
    idle_timer_ = nullptr;
  }
}

size_t UvPool::queued() const {
  size_t n = 0;
  for (const auto& [key, dest] : destinations_) n += dest->queue.size();
  return n;
}

size_t UvPool::connections() const {
  size_t n = 0;
  for (const auto& [key, dest] : destinations_) n += dest->conns.size();
  return n;
}

void UvPool::Send(Envelope envelope, absl::Cord body, MessageCallback done) {
  SendTo(options_.client.host, options_.client.port, std::move(envelope),
         std::move(body), std::move(done));
}

void UvPool::SendTo(const std::string& host, uint16_t port, Envelope envelope,
                    absl::Cord body, MessageCallback done) {
  ++stats_.messages_submitted;
  if (shutting_down_) {
    SmtpError e = TransportError(ErrorDetail::kClosed,
                                 "the pool is shutting down");
    e.status_code = absl::StatusCode::kFailedPrecondition;
    ++stats_.messages_failed;
    done(FailedOutcome(envelope.recipients, std::move(e)));
    return;
  }
  Destination& dest = DestinationFor(host, port);
  auto message = std::make_unique<Message>();
  message->envelope = std::move(envelope);
  message->body = std::move(body);
  message->done = std::move(done);
  dest.queue.push_back(std::move(message));
  Dispatch(&dest);
}

UvPool::Destination& UvPool::DestinationFor(const std::string& host,
                                            uint16_t port) {
  ClientOptions options = options_.client;
  if (options.host != host) {
    if (options.tls.server_name == options.host) options.tls.server_name = "";
    options.host = host;
  }
  options.port = port;
  std::string key = absl::StrCat(host, ":", EffectivePort(options));
  auto it = destinations_.find(key);
  if (it != destinations_.end()) return *it->second;
  auto dest = std::make_unique<Destination>(policy_);
  dest->key = key;
  dest->options = std::move(options);
  Destination& ref = *dest;
  destinations_.emplace(key, std::move(dest));
  return ref;
}

void UvPool::Dispatch(Destination* dest) {
  if (dest->hold > 0) {
    dest->dispatch_pending = true;
    return;
  }
  dest->dispatch_pending = false;
  // The common case under load: nothing waits. Keep it O(1).
  if (dest->queue.empty() && !shutting_down_) return;
  Instant now = UvNow();
  // 1. Idle connections take queued messages (after a NOOP when they sat
  //    idle long enough).
  for (size_t i = 0; i < dest->conns.size() && !dest->queue.empty(); ++i) {
    Conn* conn = dest->conns[i].get();
    if (conn->state != Conn::State::kIdle) continue;
    if (!conn->client->idle()) continue;
    // A message tried again after a failed connection is never given to a
    // used connection without a NOOP first, whatever noop_after_idle says.
    bool check = conn->messages > 0 &&
                 (now - conn->idle_since >= options_.noop_after_idle ||
                  dest->queue.front()->attempts > 0);
    if (check) {
      conn->state = Conn::State::kChecking;
      ++stats_.noop_checks;
      conn->client->CheckAlive([this, dest, conn](const absl::Status& status) {
        if (!status.ok()) {
          ++stats_.noop_failures;
          if (IsServiceClosing(ErrorFromStatus(status))) conn->got_421 = true;
          conn->state = Conn::State::kClosing;  // the client closes itself
          Dispatch(dest);
          return;
        }
        conn->state = Conn::State::kIdle;
        conn->idle_since = UvNow();
        if (!dest->queue.empty()) {
          StartOnConn(dest, conn);
        } else {
          NoteIdle(conn->idle_since);
        }
      });
      continue;
    }
    StartOnConn(dest, conn);
  }
  // 2. Open connections for messages nobody will take soon, up to the cap
  //    (lowered for a while after "too many connections").
  int soon = dest->Count(Conn::State::kConnecting) +
             dest->Count(Conn::State::kChecking);
  int waiting = static_cast<int>(dest->queue.size()) - soon;
  int cap = std::min(options_.max_connections_per_destination,
                     dest->concurrency.Limit(now));
  while (waiting > 0 && static_cast<int>(dest->conns.size()) < cap) {
    OpenConnection(dest);
    --waiting;
  }
  // 3. Shutting down: idle connections with nothing to do leave.
  if (shutting_down_ && dest->queue.empty()) {
    for (size_t i = 0; i < dest->conns.size(); ++i) {
      Conn* conn = dest->conns[i].get();
      if (conn->state == Conn::State::kIdle) RetireConn(conn);
    }
  }
}

void UvPool::StartOnConn(Destination* dest, Conn* conn) {
  std::unique_ptr<Message> message = std::move(dest->queue.front());
  dest->queue.pop_front();
  conn->state = Conn::State::kBusy;
  if (conn->messages > 0) ++stats_.messages_on_reused;
  ++conn->messages;
  ++message->attempts;
  Envelope envelope = message->envelope;  // kept for a retry
  absl::Cord body = message->body;
  conn->current = std::move(message);
  conn->client->Deliver(std::move(envelope), std::move(body),
                        [this, dest, conn](DeliveryOutcome outcome) {
                          OnMessageDone(dest, conn, std::move(outcome));
                        });
}

void UvPool::OpenConnection(Destination* dest) {
  auto owned = std::make_unique<Conn>();
  Conn* conn = owned.get();
  conn->client = std::make_unique<UvClient>(loop_, dest->options);
  dest->conns.push_back(std::move(owned));
  ++stats_.connections_opened;
  conn->client->set_closed_handler(
      [this, dest, conn](const absl::Status& status) {
        OnConnClosed(dest, conn, status);
      });
  conn->client->Connect([this, dest, conn](const absl::Status& status) {
    OnConnected(dest, conn, status);
  });
}

void UvPool::OnConnected(Destination* dest, Conn* conn,
                         const absl::Status& status) {
  if (status.ok()) {
    dest->connect_failures = 0;
    conn->connected = true;
    conn->state = Conn::State::kIdle;
    conn->idle_since = UvNow();
    NoteIdle(conn->idle_since);
    Dispatch(dest);
    return;
  }
  ++stats_.connections_failed;
  ++dest->connect_failures;
  conn->state = Conn::State::kClosing;  // the client closes itself
  SmtpError error = ErrorFromStatus(status);
  int working = dest->Working();
  if (IsTooManyConnections(error)) {
    // Fewer connections for a while; the queued messages wait for the
    // working ones (or for the backoff to end).
    ++stats_.busy_refusals;
    dest->concurrency.OnTooMany(working, UvNow());
    if (dest->concurrency.recovers_at().has_value()) {
      ArmTimerAt(*dest->concurrency.recovers_at());
      UpdateTimerRef();
    }
  }
  if (working == 0 &&
      dest->connect_failures >= options_.max_connect_failures) {
    dest->connect_failures = 0;
    FailQueued(dest, error);
  }
}

void UvPool::OnMessageDone(Destination* dest, Conn* conn,
                           DeliveryOutcome outcome) {
  std::unique_ptr<Message> message = std::move(conn->current);
  if (message == nullptr) return;
  ConnectionFacts facts;
  facts.messages = conn->messages;
  facts.usable = conn->client->ready();
  if (!outcome.ok() && IsServiceClosing(*outcome.error)) conn->got_421 = true;
  facts.got_421 = conn->got_421;
  if (RetryAllowed(outcome, message->attempts)) {
    ++stats_.messages_retried;
    dest->queue.push_front(std::move(message));
  } else {
    ++dest->hold;
    Finish(std::move(message), std::move(outcome));
    --dest->hold;
  }
  // The connection's next step: it just proved alive, so a queued message
  // goes to it at once, without NOOP.
  if (conn->state == Conn::State::kBusy) {
    switch (RetireAfterMessage(policy_, facts)) {
      case RetireReason::kServiceClosing:
        // The session ends with the 421 (RFC 5321 §3.8); if it has not
        // seen the close yet, it is closed now and takes nothing more.
        ++stats_.retired_after_421;
        if (facts.usable) {
          RetireConn(conn);
        } else {
          conn->state = Conn::State::kClosing;
        }
        break;
      case RetireReason::kFailed:
        conn->state = Conn::State::kClosing;  // failing; the client closes
        break;
      case RetireReason::kMaxMessages:
      case RetireReason::kIdle:
        RetireConn(conn);
        break;
      case RetireReason::kNone:
        break;
    }
  }
  if (conn->state == Conn::State::kBusy) {
    if (!dest->queue.empty()) {
      StartOnConn(dest, conn);
    } else {
      conn->state = Conn::State::kIdle;
      conn->idle_since = UvNow();
      NoteIdle(conn->idle_since);
    }
  }
  Dispatch(dest);
  MaybeFinishShutdown();
}

void UvPool::OnConnClosed(Destination* dest, Conn* conn,
                          const absl::Status& status) {
  if (conn->connected && !conn->retiring) ++stats_.connections_dropped;
  auto it = std::find_if(
      dest->conns.begin(), dest->conns.end(),
      [conn](const std::unique_ptr<Conn>& c) { return c.get() == conn; });
  if (it == dest->conns.end()) return;
  std::unique_ptr<Conn> owned = std::move(*it);
  dest->conns.erase(it);
  // A message still attached never got its outcome (the client reports
  // every delivery before closing, so this is a safety net). Nothing says
  // how far it got, so it is not tried again.
  if (owned->current != nullptr) {
    std::unique_ptr<Message> message = std::move(owned->current);
    DeliveryOutcome outcome = FailedOutcome(
        message->envelope.recipients,
        ErrorFromStatus(status.ok()
                            ? TransportError(ErrorDetail::kConnectionClosed,
                                             "connection closed")
                                  .ToStatus()
                            : status));
    Finish(std::move(message), std::move(outcome));
  }
  // Destroying the client inside its own callback is allowed.
  owned.reset();
  Dispatch(dest);
  UpdateTimerRef();
  MaybeFinishShutdown();
}

void UvPool::RetireConn(Conn* conn) {
  if (conn->state == Conn::State::kClosing) return;
  conn->state = Conn::State::kClosing;
  conn->retiring = true;
  ++stats_.connections_retired;
  conn->client->Close([](const absl::Status&) {});
}

void UvPool::FailQueued(Destination* dest, const SmtpError& error) {
  std::deque<std::unique_ptr<Message>> queue;
  queue.swap(dest->queue);
  for (auto& message : queue) {
    DeliveryOutcome outcome =
        FailedOutcome(message->envelope.recipients, error);
    Finish(std::move(message), std::move(outcome));
  }
}

void UvPool::Finish(std::unique_ptr<Message> message,
                    DeliveryOutcome outcome) {
  if (outcome.ok()) {
    ++stats_.messages_ok;
  } else {
    ++stats_.messages_failed;
  }
  MessageCallback done = std::move(message->done);
  message.reset();
  if (done) done(std::move(outcome));
}

void UvPool::NoteIdle(Instant idle_since) {
  if (options_.idle_timeout <= absl::ZeroDuration()) return;
  ArmTimerAt(idle_since + options_.idle_timeout);
}

void UvPool::ArmTimerAt(Instant due) {
  if (idle_timer_ == nullptr) return;
  // An armed timer that fires no later is enough: OnTimer rescans.
  if (timer_armed_ && timer_due_ <= due) return;
  Instant now = UvNow();
  int64_t ms = due <= now ? 0
                          : absl::ToInt64Milliseconds(absl::Ceil(
                                due - now, absl::Milliseconds(1)));
  uv_update_time(loop_);
  uv_timer_start(idle_timer_, &UvPool::OnTimer, static_cast<uint64_t>(ms),
                 0);
  timer_armed_ = true;
  timer_due_ = due;
}

void UvPool::OnTimer(uv_timer_t* timer) {
  UvPool* self = static_cast<UvPool*>(timer->data);
  self->timer_armed_ = false;
  Instant now = UvNow();
  std::vector<Conn*> expired;
  std::vector<Destination*> recovered;
  absl::optional<Instant> next;
  auto consider = [&next](Instant due) {
    if (!next.has_value() || due < *next) next = due;
  };
  for (const auto& [key, dest] : self->destinations_) {
    for (const auto& conn : dest->conns) {
      if (conn->state != Conn::State::kIdle) continue;
      ConnectionFacts facts = IdleFacts(conn->idle_since);
      if (RetireIfIdle(self->policy_, facts, now) == RetireReason::kIdle) {
        expired.push_back(conn.get());
      } else if (absl::optional<Instant> due =
                     IdleDeadline(self->policy_, facts)) {
        consider(*due);
      }
    }
    if (!dest->queue.empty()) {
      if (dest->concurrency.lowered(now)) {
        consider(*dest->concurrency.recovers_at());
      } else {
        recovered.push_back(dest.get());
      }
    }
  }
  for (Conn* conn : expired) self->RetireConn(conn);
  for (Destination* dest : recovered) self->Dispatch(dest);
  if (next.has_value()) self->ArmTimerAt(*next);
  self->UpdateTimerRef();
}

void UvPool::UpdateTimerRef() {
  if (idle_timer_ == nullptr) return;
  // Open connections keep the loop running; a destination that waits for
  // its backoff with messages queued and no connection has only the timer.
  Instant now = UvNow();
  bool waiting = false;
  for (const auto& [key, dest] : destinations_) {
    waiting |= !dest->queue.empty() && dest->conns.empty() &&
               dest->concurrency.lowered(now);
  }
  if (waiting) {
    uv_ref(reinterpret_cast<uv_handle_t*>(idle_timer_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(idle_timer_));
  }
}

void UvPool::Shutdown(std::function<void()> done) {
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  for (auto& [key, dest] : destinations_) Dispatch(dest.get());
  MaybeFinishShutdown();
}

void UvPool::MaybeFinishShutdown() {
  if (!shutting_down_ || !shutdown_done_) return;
  if (connections() != 0 || queued() != 0) return;
  if (idle_timer_ != nullptr) {
    uv_timer_stop(idle_timer_);
    timer_armed_ = false;
  }
  std::function<void()> done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

}  // namespace smtpcore
