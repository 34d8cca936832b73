#include "transports/testing/loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {

// Conn is one served connection: a blocking socket, optionally under TLS,
// with a plaintext input buffer.
class LoopbackServer::Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}

  bool tls() const { return tls_ != nullptr; }

  // StartTls runs the server handshake; false on failure.
  bool StartTls(const PemCertificate& certificate) {
    TlsOptions options;
    options.role = TlsRole::kServer;
    options.certificate_chain_pem = certificate.certificate_pem;
    options.private_key_pem = certificate.private_key_pem;
    absl::StatusOr<std::unique_ptr<TlsLayer>> tls = TlsLayer::Create(options);
    if (!tls.ok()) return false;
    tls_ = *std::move(tls);
    if (!tls_->Start().ok()) return false;
    while (!tls_->handshake_done()) {
      if (!FlushCiphertext()) return false;
      char buffer[16384];
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      if (!tls_->ReceiveCiphertext(absl::string_view(buffer, n)).ok()) {
        FlushCiphertext();
        return false;
      }
    }
    // Application data may have arrived with the client's Finished.
    return FlushCiphertext() && DrainPlaintext();
  }

  // Send writes `bytes` (through TLS when on); false on failure.
  bool Send(absl::string_view bytes) {
    if (tls_ == nullptr) return SendRaw(bytes);
    while (!bytes.empty()) {
      absl::StatusOr<size_t> n = tls_->WritePlaintext(bytes);
      if (!n.ok()) return false;
      bytes.remove_prefix(*n);
      if (!FlushCiphertext()) return false;
    }
    return true;
  }

  // ReadLine returns the next line without its line ending, or nullopt at
  // EOF or on error.
  absl::optional<std::string> ReadLine() {
    for (;;) {
      size_t at = input_.find('\n');
      if (at != std::string::npos) {
        std::string line = input_.substr(0, at);
        input_.erase(0, at + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (!ReadMore()) return absl::nullopt;
    }
  }

  // ReadBytes returns exactly `n` bytes, or nullopt.
  absl::optional<std::string> ReadBytes(size_t n) {
    while (input_.size() < n) {
      if (!ReadMore()) return absl::nullopt;
    }
    std::string out = input_.substr(0, n);
    input_.erase(0, n);
    return out;
  }

  // buffered is true when unread plaintext is waiting.
  bool buffered() const { return !input_.empty(); }

  // DrainUntilEof reads and drops until the peer closes.
  void DrainUntilEof() {
    char buffer[4096];
    while (recv(fd_, buffer, sizeof(buffer), 0) > 0) {
    }
  }

 private:
  bool SendRaw(absl::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool FlushCiphertext() {
    absl::string_view pending = tls_->PendingCiphertext();
    if (pending.empty()) return true;
    bool ok = SendRaw(pending);
    tls_->ConsumeCiphertext(pending.size());
    return ok;
  }

  bool ReadMore() {
    char buffer[16384];
    ssize_t n;
    do {
      n = recv(fd_, buffer, sizeof(buffer), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    if (tls_ == nullptr) {
      input_.append(buffer, static_cast<size_t>(n));
      return true;
    }
    if (!tls_->ReceiveCiphertext(absl::string_view(buffer, n)).ok()) {
      return false;
    }
    FlushCiphertext();
    if (!DrainPlaintext()) return false;
    return !tls_->peer_closed() || !input_.empty();
  }

  // DrainPlaintext moves every decrypted byte into `input_`.
  bool DrainPlaintext() {
    for (;;) {
      char plain[16384];
      absl::StatusOr<size_t> m = tls_->ReadPlaintext(absl::MakeSpan(plain));
      if (!m.ok()) return false;
      if (*m == 0) return true;
      input_.append(plain, *m);
    }
  }

  int fd_;
  std::unique_ptr<TlsLayer> tls_;
  std::string input_;
};

absl::StatusOr<std::unique_ptr<LoopbackServer>> LoopbackServer::Start(
    LoopbackServerOptions options) {
  std::unique_ptr<LoopbackServer> server(
      new LoopbackServer(std::move(options)));
  const std::string& path = server->options_.unix_path;
  if (!path.empty()) {
    sockaddr_un address = {};
    if (path.size() >= sizeof(address.sun_path)) {
      return absl::InvalidArgumentError("Unix socket path too long");
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError(strerror(errno));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    unlink(path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd, 64) != 0) {
      std::string error = strerror(errno);
      close(fd);
      return absl::InternalError(absl::StrCat("bind ", path, ": ", error));
    }
    server->listen_fd_ = fd;
    server->port_ = 0;
    server->accept_thread_ =
        std::thread([s = server.get()] { s->AcceptLoop(); });
    return server;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 64) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", error));
  }
  socklen_t len = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  server->listen_fd_ = fd;
  server->port_ = ntohs(address.sin_port);
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

LoopbackServer::LoopbackServer(LoopbackServerOptions options)
    : options_(std::move(options)) {}

LoopbackServer::~LoopbackServer() { Stop(); }

void LoopbackServer::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  if (!options_.unix_path.empty()) unlink(options_.unix_path.c_str());
}

void LoopbackServer::AcceptLoop() {
  for (;;) {
    sockaddr_storage peer = {};
    socklen_t peer_len = sizeof(peer);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                     SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    char text[INET6_ADDRSTRLEN] = "unix";
    if (peer.ss_family == AF_INET) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr,
                text, sizeof(text));
    }
    peer_ips_.push_back(text);
    int index = accepted_++;
    commands_.emplace_back();
    fds_.push_back(fd);
    threads_.emplace_back([this, fd, index] { Serve(fd, index); });
  }
}

void LoopbackServer::RecordCommand(int index, std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  commands_[index].push_back(std::move(line));
}

void LoopbackServer::RecordMessage(LoopbackMessage message) {
  std::lock_guard<std::mutex> lock(mu_);
  messages_.push_back(std::move(message));
}

int LoopbackServer::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

std::vector<std::string> LoopbackServer::peer_ips() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peer_ips_;
}

std::vector<LoopbackMessage> LoopbackServer::messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}

std::vector<std::string> LoopbackServer::commands(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (index < 0 || static_cast<size_t>(index) >= commands_.size()) return {};
  return commands_[index];
}

std::vector<std::string> LoopbackServer::all_commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (size_t i = 0; i < commands_.size(); ++i) {
    for (const std::string& line : commands_[i]) {
      out.push_back(absl::StrCat(i, ": ", line));
    }
  }
  return out;
}

namespace {

// PathOf returns the address between '<' and '>' after "FROM:"/"TO:".
std::string PathOf(absl::string_view line) {
  size_t open = line.find('<');
  size_t close = line.find('>', open == absl::string_view::npos ? 0 : open);
  if (open == absl::string_view::npos || close == absl::string_view::npos) {
    return "";
  }
  return std::string(line.substr(open + 1, close - open - 1));
}

}  // namespace

void LoopbackServer::Serve(int fd, int index) {
  Conn conn(fd);
  LoopbackContext context;
  context.connection = index;
  auto finish = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
    close(fd);
  };
  if (options_.silent) {
    conn.DrainUntilEof();
    finish();
    return;
  }
  if (options_.tls == LoopbackTls::kImplicit &&
      !conn.StartTls(options_.certificate)) {
    finish();
    return;
  }
  context.tls = conn.tls();
  // reply sends `line` unless the hook overrides it; returns false when the
  // connection must end (421 or a send failure).
  auto reply = [&](absl::string_view command, std::string line) {
    if (options_.hook) {
      absl::optional<std::string> replaced = options_.hook(context, command);
      if (replaced.has_value()) line = *replaced;
    }
    if (line == kLoopbackCloseWithoutReply) return false;
    bool ok = conn.Send(absl::StrCat(line, "\r\n"));
    return ok && !absl::StartsWith(line, "421");
  };
  if (!reply("", absl::StrCat("220 ", options_.hostname, " ESMTP loopback"))) {
    finish();
    return;
  }
  LoopbackMessage message;
  bool in_transaction = false;
  std::string bdat_data;
  for (;;) {
    absl::optional<std::string> line = conn.ReadLine();
    if (!line.has_value()) break;
    RecordCommand(index, *line);
    std::string verb = absl::AsciiStrToUpper(
        absl::string_view(*line).substr(0, line->find(' ')));
    bool keep = true;
    if (verb == "EHLO" || (options_.lmtp && verb == "LHLO")) {
      std::vector<std::string> caps = options_.extensions;
      if (options_.tls == LoopbackTls::kStartTls && !conn.tls()) {
        caps.push_back("STARTTLS");
      }
      std::string text = absl::StrCat("250", caps.empty() ? " " : "-",
                                      options_.hostname, " greets you");
      for (size_t i = 0; i < caps.size(); ++i) {
        absl::StrAppend(&text, "\r\n250", i + 1 == caps.size() ? " " : "-",
                        caps[i]);
      }
      keep = reply(*line, text);
    } else if (verb == "HELO") {
      keep = reply(*line, absl::StrCat("250 ", options_.hostname));
    } else if (verb == "STARTTLS") {
      if (options_.tls != LoopbackTls::kStartTls || conn.tls()) {
        keep = reply(*line, "502 5.5.1 STARTTLS not available");
      } else {
        keep = reply(*line, "220 2.0.0 Ready to start TLS");
        if (keep) {
          if (conn.buffered() || !conn.StartTls(options_.certificate)) break;
          context.tls = true;
        }
      }
    } else if (verb == "AUTH") {
      std::vector<std::string> parts = absl::StrSplit(*line, ' ');
      if (parts.size() < 3) {
        keep = conn.Send("334 \r\n") && conn.ReadLine().has_value();
      }
      if (keep) keep = reply(*line, "235 2.7.0 Authentication successful");
    } else if (verb == "MAIL") {
      ++context.mail_count;
      message = LoopbackMessage();
      message.connection = index;
      message.mail_from = PathOf(*line);
      message.tls = conn.tls();
      in_transaction = true;
      bdat_data.clear();
      keep = reply(*line, "250 2.1.0 Ok");
    } else if (verb == "RCPT") {
      std::string path = PathOf(*line);
      if (!in_transaction) {
        keep = reply(*line, "503 5.5.1 MAIL first");
      } else if (std::find(options_.reject_recipients.begin(),
                           options_.reject_recipients.end(),
                           path) != options_.reject_recipients.end()) {
        keep = reply(*line,
                     absl::StrCat("550 5.1.1 <", path, ">: no such user"));
      } else {
        message.recipients.push_back(path);
        keep = reply(*line, "250 2.1.5 Ok");
      }
    } else if (verb == "DATA") {
      if (!in_transaction || message.recipients.empty()) {
        keep = reply(*line, "554 5.5.1 No valid recipients");
      } else if ((keep = reply(*line, "354 End data with <CR><LF>.<CR><LF>"))) {
        std::string data;
        bool complete = false;
        while (absl::optional<std::string> body = conn.ReadLine()) {
          if (*body == ".") {
            complete = true;
            break;
          }
          absl::string_view text = *body;
          if (absl::StartsWith(text, ".")) text.remove_prefix(1);
          absl::StrAppend(&data, text, "\r\n");
        }
        if (!complete) break;
        message.data = std::move(data);
        if (options_.lmtp) {
          // RFC 2033 §4.2: one reply per accepted recipient, in order.
          for (const std::string& rcpt : message.recipients) {
            keep = reply(absl::StrCat(".", rcpt),
                         absl::StrCat("250 2.0.0 <", rcpt, "> delivered"));
            if (!keep) break;
          }
        } else {
          keep = reply(".", "250 2.0.0 Ok: queued");
        }
        if (keep) RecordMessage(message);
        in_transaction = false;
      }
    } else if (verb == "BDAT") {
      std::vector<std::string> parts =
          absl::StrSplit(*line, ' ', absl::SkipEmpty());
      uint64_t size = 0;
      if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &size)) {
        keep = reply(*line, "501 5.5.4 Syntax: BDAT size [LAST]");
      } else {
        absl::optional<std::string> chunk = conn.ReadBytes(size);
        if (!chunk.has_value()) break;
        bdat_data += *chunk;
        bool last = parts.size() > 2 && absl::EqualsIgnoreCase(parts[2], "LAST");
        if (last) {
          message.data = bdat_data;
          keep = reply(*line, "250 2.0.0 Ok: queued");
          if (keep) RecordMessage(message);
          in_transaction = false;
        } else {
          keep = reply(*line, absl::StrCat("250 2.0.0 ", size, " octets"));
        }
      }
    } else if (verb == "RSET") {
      in_transaction = false;
      keep = reply(*line, "250 2.0.0 Ok");
    } else if (verb == "NOOP") {
      keep = reply(*line, "250 2.0.0 Ok");
    } else if (verb == "QUIT") {
      reply(*line, "221 2.0.0 Bye");
      break;
    } else {
      keep = reply(*line, "502 5.5.2 Command not recognized");
    }
    if (!keep) break;
  }
  finish();
}

}  // namespace smtpcore
