// epoll_client: the sans-I/O core embedded in a bare epoll loop, without
// libuv or the library's transports: one nonblocking socket, a timerfd for
// the session's deadline, and TLS through the shared BoringSSL TlsLayer
// (owned by a TlsPump, transports/common/tls_pump.h, which reports the
// handshake to the session).
//
//   epoll_client --server 127.0.0.1:2525 --ca-file ca.pem
//       --user demo --password demo-password
//       --from a@example.org --to b@example.org [--to ...] < message.eml
//
// STARTTLS is required (the certificate is verified against --ca-file and
// the server's IP literal), then AUTH, then one message. Prints each event
// ("> greeting 220") and one line per recipient ("b@example.org delivered
// 250"); exits 0 when someone got the message, 1 otherwise, 64 on usage
// errors. Run by examples/epoll_client_test.sh against `smtpc sink`.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/session.h"
#include "sasl/select.h"
#include "transports/common/tls_pump.h"
#include "transports/tls/tls_layer.h"

namespace {

using smtpcore::Instant;

// Now reads CLOCK_MONOTONIC, the clock the timerfd runs on.
Instant Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return smtpcore::InstantFromMonotonicNanos(
      static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

struct Flags {
  std::string host;
  uint16_t port = 0;
  std::string ca_file, user, password, from;
  std::vector<std::string> to;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    absl::string_view flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--server") {
      size_t colon = value.rfind(':');
      uint32_t port = 0;
      if (colon == std::string::npos ||
          !absl::SimpleAtoi(value.substr(colon + 1), &port) || port > 65535) {
        return false;
      }
      f->host = value.substr(0, colon);
      f->port = static_cast<uint16_t>(port);
    } else if (flag == "--ca-file") {
      f->ca_file = value;
    } else if (flag == "--user") {
      f->user = value;
    } else if (flag == "--password") {
      f->password = value;
    } else if (flag == "--from") {
      f->from = value;
    } else if (flag == "--to") {
      f->to.push_back(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !f->host.empty() && !f->to.empty();
}

// Dial connects to an IPv4 literal and makes the socket nonblocking.
int Dial(const std::string& host, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// ArmTimer sets the timerfd to fire at `deadline` (CLOCK_MONOTONIC,
// absolute), or disarms it.
void ArmTimer(int tfd, absl::optional<Instant> deadline) {
  itimerspec spec{};
  if (deadline.has_value()) {
    int64_t ns = smtpcore::ToMonotonicNanos(*deadline);
    if (ns <= 0) ns = 1;  // 0 would disarm
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
  }
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

// Client is the whole driver: the session, its TLS pump and the fds.
class Client {
 public:
  Client(smtpcore::SessionOptions options, smtpcore::TlsOptions tls, int fd)
      : session_(std::move(options), Now()),
        pump_(&session_),
        tls_(std::move(tls)),
        fd_(fd) {}

  // Run drives the session until it closes; returns the delivery's
  // outcome event (DeliveryDone or DeliveryFailed) if there was one.
  absl::optional<smtpcore::Event> Run(smtpcore::Envelope envelope,
                                      std::string message) {
    Instant now = Now();
    if (!session_
             .Deliver(std::move(envelope), absl::Cord(std::move(message)), now)
             .ok() ||
        !session_.Close(now).ok()) {
      return absl::nullopt;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd_;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd_, &ev);
    ev.data.fd = tfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    bool want_write = false;
    for (;;) {
      now = Now();
      DrainEvents(now);
      bool pending = Flush(now);
      if (closed_ && !pending) break;
      if (pending != want_write) {  // write interest only while blocked
        want_write = pending;
        ev.events = pending ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
        ev.data.fd = fd_;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd_, &ev);
      }
      ArmTimer(tfd, session_.NextDeadline());
      epoll_event ready[4];
      int n = epoll_wait(ep, ready, 4, -1);
      if (n < 0 && errno == EINTR) continue;
      for (int i = 0; i < n; ++i) {
        if (ready[i].data.fd == tfd) {
          uint64_t expirations;
          (void)!read(tfd, &expirations, sizeof(expirations));
          session_.HandleTimeout(Now());
        } else if (ready[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          Read(Now());
        }
      }
    }
    if (pump_.Shutdown()) Flush(Now());  // a clean TLS close_notify
    close(tfd);
    close(ep);
    return std::move(outcome_);
  }

 private:
  void DrainEvents(Instant now) {
    while (absl::optional<smtpcore::Event> event = session_.PollEvent()) {
      std::cout << "> " << smtpcore::EventToString(*event) << "\n";
      if (std::holds_alternative<smtpcore::TlsUpgradeRequired>(*event)) {
        (void)pump_.Start(tls_, now);  // a failure is reported to the session
      } else if (std::holds_alternative<smtpcore::DeliveryDone>(*event) ||
                 std::holds_alternative<smtpcore::DeliveryFailed>(*event)) {
        outcome_ = std::move(*event);
      } else if (std::holds_alternative<smtpcore::ConnectionClosed>(*event)) {
        closed_ = true;
      }
    }
  }

  // Flush writes what can be written now; true when bytes are left.
  bool Flush(Instant now) {
    if (pump_.active()) {
      for (;;) {
        if (!pump_.EncryptSessionOutput(now).ok()) break;
        absl::string_view out = pump_.PendingCiphertext();
        if (out.empty()) return false;
        ssize_t n = write(fd_, out.data(), out.size());
        if (n < 0) return WriteFailed(now);
        pump_.ConsumeCiphertext(static_cast<size_t>(n));
        if (static_cast<size_t>(n) < out.size()) return true;
      }
      return !pump_.PendingCiphertext().empty();
    }
    for (;;) {
      smtpcore::IoSlice slices[16];
      size_t count = session_.PollTransmit(absl::MakeSpan(slices));
      if (count == 0) return false;
      iovec iov[16];
      size_t total = 0;
      for (size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<char*>(slices[i].data);
        iov[i].iov_len = slices[i].size;
        total += slices[i].size;
      }
      ssize_t n = writev(fd_, iov, static_cast<int>(count));
      if (n < 0) return WriteFailed(now);
      session_.ConsumeTransmit(static_cast<size_t>(n), now);
      if (static_cast<size_t>(n) < total) return true;
    }
  }

  bool WriteFailed(Instant now) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    session_.Abort(
        smtpcore::MakeError(absl::StatusCode::kUnavailable,
                            smtpcore::ErrorDetail::kIo, std::strerror(errno)),
        now);
    return false;
  }

  void Read(Instant now) {
    char buf[16384];
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      session_.Abort(
          smtpcore::MakeError(absl::StatusCode::kUnavailable,
                              smtpcore::ErrorDetail::kIo, std::strerror(errno)),
          now);
      return;
    }
    absl::string_view bytes(buf, static_cast<size_t>(n));
    if (pump_.active()) {
      // Errors are reported to the session by the pump (CLOSED follows).
      (void)(n == 0 ? pump_.ReceiveEof(now)
                    : pump_.ReceiveCiphertext(bytes, now));
    } else if (n == 0) {
      (void)session_.ReceiveEof(now);
    } else {
      (void)session_.Receive(bytes, now);
    }
  }

  smtpcore::Session session_;
  smtpcore::TlsPump pump_;  // borrows session_
  smtpcore::TlsOptions tls_;
  int fd_;
  bool closed_ = false;
  absl::optional<smtpcore::Event> outcome_;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::cerr << "usage: epoll_client --server IPV4:PORT --ca-file PEM "
                 "--user U --password P --from A --to B [--to C ...] "
                 "< message\n";
    return 64;
  }
  std::string message(std::istreambuf_iterator<char>(std::cin), {});

  smtpcore::SessionOptions options;
  options.ehlo_domain = "epoll-client.example";
  options.tls_mode = smtpcore::TlsMode::kRequired;
  smtpcore::SaslCredentials creds;
  creds.username = flags.user;
  creds.password = flags.password;
  options.auth = [creds](const smtpcore::Capabilities& caps,
                         const smtpcore::TlsInfo* tls)
      -> std::unique_ptr<smtpcore::SaslMechanism> {
    auto m = smtpcore::SelectSaslMechanism(creds, caps.auth_mechanisms(), tls);
    return m.ok() ? *std::move(m) : nullptr;
  };
  smtpcore::TlsOptions tls;
  tls.role = smtpcore::TlsRole::kClient;
  tls.server_name = flags.host;  // an IP literal: checked against IP SANs
  tls.ca_file = flags.ca_file;

  int fd = Dial(flags.host, flags.port);
  if (fd < 0) {
    std::cerr << "cannot connect to " << flags.host << ":" << flags.port << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }
  smtpcore::Envelope envelope;
  envelope.from = flags.from;
  for (const std::string& rcpt : flags.to) envelope.AddRecipient(rcpt);
  Client client(std::move(options), std::move(tls), fd);
  absl::optional<smtpcore::Event> outcome =
      client.Run(std::move(envelope), std::move(message));
  close(fd);
  if (!outcome.has_value()) {
    std::cout << "no delivery outcome\n";
    return 1;
  }
  const smtpcore::DeliveryResult* result = nullptr;
  if (const auto* done = std::get_if<smtpcore::DeliveryDone>(&*outcome)) {
    result = &done->result;
  } else if (const auto* failed =
                 std::get_if<smtpcore::DeliveryFailed>(&*outcome)) {
    result = &failed->result;
    std::cout << "error: " << failed->error.Message() << "\n";
  }
  for (const smtpcore::RecipientResult& r : result->recipients) {
    const smtpcore::Reply& reply =
        r.data_reply.code() != 0 ? r.data_reply : r.rcpt_reply;
    std::cout << r.address << " " << smtpcore::RecipientStatusName(r.status)
              << " " << reply.code() << "\n";
  }
  return std::holds_alternative<smtpcore::DeliveryDone>(*outcome) ? 0 : 1;
}
