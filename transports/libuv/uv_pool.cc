#include "transports/libuv/uv_pool.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/smtp_error.h"
#include "transports/common/delivery_outcome.h"
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
  Instant idle_since;
  std::unique_ptr<Message> current;
};

struct UvPool::Destination {
  std::string key;
  ClientOptions options;
  std::deque<std::unique_ptr<Message>> queue;
  std::vector<std::unique_ptr<Conn>> conns;
  int connect_failures = 0;  // consecutive
  // hold > 0 defers Dispatch (while a message callback runs, so that a
  // message sent from it goes to the connection that just finished).
  int hold = 0;
  bool dispatch_pending = false;

  int Count(Conn::State state) const {
    int n = 0;
    for (const auto& c : conns) n += c->state == state;
    return n;
  }
};

namespace {

// Retryable says whether a failed message can be sent again on another
// connection without risking a duplicate: the connection failed (not the
// message), and no RCPT was accepted, so no DATA can have completed.
bool Retryable(const DeliveryOutcome& outcome) {
  if (outcome.ok() || outcome.error->permanent) return false;
  switch (outcome.error->cause) {
    case ErrorDetail::kServiceClosing:
    case ErrorDetail::kConnectionClosed:
    case ErrorDetail::kIo:
    case ErrorDetail::kTimeout:
    case ErrorDetail::kBroken:
    case ErrorDetail::kClosed:
      break;
    default:
      return false;
  }
  for (const RecipientResult& r : outcome.result.recipients) {
    int code = r.rcpt_reply.code();
    if (code >= 200 && code < 300) return false;
    if (r.status == RecipientStatus::kDelivered) return false;
  }
  return true;
}

}  // namespace

UvPool::UvPool(uv_loop_t* loop, UvPoolOptions options)
    : loop_(loop), options_(std::move(options)) {
  options_.max_connections_per_destination =
      std::max(1, options_.max_connections_per_destination);
  options_.max_attempts = std::max(1, options_.max_attempts);
  options_.max_connect_failures = std::max(1, options_.max_connect_failures);
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
  auto dest = std::make_unique<Destination>();
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
  Instant now = UvNow();
  // 1. Idle connections take queued messages (after a NOOP when they sat
  //    idle long enough).
  for (size_t i = 0; i < dest->conns.size() && !dest->queue.empty(); ++i) {
    Conn* conn = dest->conns[i].get();
    if (conn->state != Conn::State::kIdle) continue;
    if (!conn->client->idle()) continue;
    bool check = conn->messages > 0 &&
                 now - conn->idle_since >= options_.noop_after_idle;
    if (check) {
      conn->state = Conn::State::kChecking;
      ++stats_.noop_checks;
      conn->client->CheckAlive([this, dest, conn](const absl::Status& status) {
        if (!status.ok()) {
          ++stats_.noop_failures;
          conn->state = Conn::State::kClosing;  // the client closes itself
          Dispatch(dest);
          return;
        }
        conn->state = Conn::State::kIdle;
        conn->idle_since = UvNow();
        if (!dest->queue.empty()) {
          StartOnConn(dest, conn);
        } else {
          ArmIdleTimer();
        }
      });
      continue;
    }
    StartOnConn(dest, conn);
  }
  // 2. Open connections for messages nobody will take soon, up to the cap.
  int soon = dest->Count(Conn::State::kConnecting) +
             dest->Count(Conn::State::kChecking);
  int waiting = static_cast<int>(dest->queue.size()) - soon;
  while (waiting > 0 &&
         static_cast<int>(dest->conns.size()) <
             options_.max_connections_per_destination) {
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
  ArmIdleTimer();
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
    Dispatch(dest);
    return;
  }
  ++stats_.connections_failed;
  ++dest->connect_failures;
  conn->state = Conn::State::kClosing;  // the client closes itself
  bool working = false;
  for (const auto& c : dest->conns) {
    working |= c->state == Conn::State::kIdle ||
               c->state == Conn::State::kBusy ||
               c->state == Conn::State::kChecking;
  }
  if (!working && dest->connect_failures >= options_.max_connect_failures) {
    dest->connect_failures = 0;
    FailQueued(dest, ErrorFromStatus(status));
  }
}

void UvPool::OnMessageDone(Destination* dest, Conn* conn,
                           DeliveryOutcome outcome) {
  std::unique_ptr<Message> message = std::move(conn->current);
  if (message == nullptr) return;
  bool usable = conn->client->ready();
  if (!outcome.ok() && Retryable(outcome) &&
      message->attempts < options_.max_attempts) {
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
    if (!usable) {
      conn->state = Conn::State::kClosing;  // failing; the client closes
    } else if (options_.max_messages_per_connection > 0 &&
               conn->messages >= options_.max_messages_per_connection) {
      RetireConn(conn);
    } else if (!dest->queue.empty()) {
      StartOnConn(dest, conn);
    } else {
      conn->state = Conn::State::kIdle;
      conn->idle_since = UvNow();
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
  // every delivery before closing, so this is a safety net).
  if (owned->current != nullptr) {
    std::unique_ptr<Message> message = std::move(owned->current);
    if (message->attempts < options_.max_attempts) {
      dest->queue.push_front(std::move(message));
    } else {
      DeliveryOutcome outcome = FailedOutcome(
          message->envelope.recipients,
          ErrorFromStatus(status.ok()
                              ? TransportError(ErrorDetail::kConnectionClosed,
                                               "connection closed")
                                    .ToStatus()
                              : status));
      Finish(std::move(message), std::move(outcome));
    }
  }
  // Destroying the client inside its own callback is allowed.
  owned.reset();
  Dispatch(dest);
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

void UvPool::ArmIdleTimer() {
  if (idle_timer_ == nullptr || options_.idle_timeout <= absl::ZeroDuration()) {
    return;
  }
  absl::optional<Instant> earliest;
  for (const auto& [key, dest] : destinations_) {
    for (const auto& conn : dest->conns) {
      if (conn->state != Conn::State::kIdle) continue;
      Instant due = conn->idle_since + options_.idle_timeout;
      if (!earliest.has_value() || due < *earliest) earliest = due;
    }
  }
  if (!earliest.has_value()) {
    uv_timer_stop(idle_timer_);
    return;
  }
  Instant now = UvNow();
  int64_t ms = *earliest <= now
                   ? 0
                   : absl::ToInt64Milliseconds(absl::Ceil(
                         *earliest - now, absl::Milliseconds(1)));
  uv_update_time(loop_);
  uv_timer_start(idle_timer_, &UvPool::OnIdleTimer,
                 static_cast<uint64_t>(ms), 0);
}

void UvPool::OnIdleTimer(uv_timer_t* timer) {
  UvPool* self = static_cast<UvPool*>(timer->data);
  Instant now = UvNow();
  std::vector<Conn*> expired;
  for (const auto& [key, dest] : self->destinations_) {
    for (const auto& conn : dest->conns) {
      if (conn->state == Conn::State::kIdle &&
          now - conn->idle_since >= self->options_.idle_timeout) {
        expired.push_back(conn.get());
      }
    }
  }
  for (Conn* conn : expired) self->RetireConn(conn);
  self->ArmIdleTimer();
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
  if (idle_timer_ != nullptr) uv_timer_stop(idle_timer_);
  std::function<void()> done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

}  // namespace smtpcore
