#include "tools/sink/sink_server.h"

#include <arpa/inet.h>

#include <cassert>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace cli {

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

}  // namespace

class SinkServer::Impl {
 public:
  struct Conn {
    Impl* server = nullptr;
    uv_tcp_t tcp;
    std::unique_ptr<SinkSession> session;
    std::unique_ptr<TlsLayer> tls;
    bool tls_established = false;
    bool closing = false;
    bool shutting_down = false;
    std::unique_ptr<char[]> read_buffer;
    std::unique_ptr<char[]> plain_buffer;
  };

  Impl(uv_loop_t* loop, SinkServerOptions options)
      : options_(std::move(options)), loop_(loop) {}

  absl::Status Listen() {
    if (options_.tls) {
      absl::StatusOr<PemCertificate> ca =
          GenerateTestCa("smtpc demo sink throwaway CA");
      if (!ca.ok()) return ca.status();
      absl::StatusOr<PemCertificate> leaf =
          GenerateTestLeaf(*ca, options_.tls_host);
      if (!leaf.ok()) return leaf.status();
      ca_pem_ = ca->certificate_pem;
      tls_options_.role = TlsRole::kServer;
      tls_options_.certificate_chain_pem = leaf->certificate_pem;
      tls_options_.private_key_pem = leaf->private_key_pem;
      tls_options_.ca_pem = ca->certificate_pem;  // unused unless client certs
      options_.session.tls_available = true;
      // Fail early (not on the first STARTTLS) if the layer cannot be made.
      absl::StatusOr<std::unique_ptr<TlsLayer>> probe =
          TlsLayer::Create(tls_options_);
      if (!probe.ok()) return probe.status();
    } else {
      options_.session.tls_available = false;
    }

    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    open_handles_ = 1;
    sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", options_.port, &addr);
    int rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr),
                         0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_),
                                options_.backlog, &Impl::OnConnection);
    if (rc != 0) {
      return absl::UnavailableError(
          absl::StrCat("sink: cannot listen on 127.0.0.1:", options_.port,
                       ": ", uv_strerror(rc)));
    }
    sockaddr_storage bound;
    int len = sizeof(bound);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return absl::OkStatus();
  }

  // Shutdown closes everything; the Impl deletes itself when done.
  void Shutdown(std::function<void()> done) {
    if (done) close_waiters_.push_back(std::move(done));
    if (shutting_down_) return;
    shutting_down_ = true;
    if (open_handles_ == 0) {
      // Listen() failed before the listener was initialised.
      Finish();
      return;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), &Impl::OnHandleClosed);
    std::set<Conn*> conns = conns_;
    for (Conn* c : conns) CloseConn(c);
  }

  void Detach() { detached_ = true; }

  uint16_t port_ = 0;
  std::string ca_pem_;
  std::vector<ReceivedMessage> messages_;
  uint64_t message_count_ = 0;
  uint64_t byte_count_ = 0;
  uint64_t connection_count_ = 0;
  SinkServerOptions options_;

 private:
  static void OnConnection(uv_stream_t* listener, int status) {
    Impl* self = static_cast<Impl*>(listener->data);
    if (status < 0 || self->shutting_down_) return;
    auto* c = new Conn;
    c->server = self;
    uv_tcp_init(self->loop_, &c->tcp);
    c->tcp.data = c;
    ++self->open_handles_;
    self->conns_.insert(c);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
      self->CloseConn(c);
      return;
    }
    ++self->connection_count_;
    uv_tcp_nodelay(&c->tcp, 1);
    c->session = std::make_unique<SinkSession>(self->options_.session,
                                               &self->next_message_id_);
    c->read_buffer.reset(new char[kReadBufferSize]);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::OnAlloc,
                  &Impl::OnRead);
    self->Pump(c);
  }

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
    Conn* c = static_cast<Conn*>(handle->data);
    *buf = uv_buf_init(c->read_buffer.get(), kReadBufferSize);
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    Conn* c = static_cast<Conn*>(stream->data);
    Impl* self = c->server;
    if (c->closing) return;
    if (nread < 0) {
      c->session->ReceiveEof();
      self->CloseConn(c);
      return;
    }
    if (nread == 0) return;
    absl::string_view bytes(buf->base, static_cast<size_t>(nread));
    if (c->tls == nullptr) {
      c->session->Receive(bytes);
      self->Pump(c);
      return;
    }
    absl::Status s = c->tls->ReceiveCiphertext(bytes);
    if (!s.ok()) {
      self->WriteCiphertext(c);  // the alert
      self->ShutdownConn(c);
      return;
    }
    if (c->tls->handshake_done() && !c->tls_established) {
      c->tls_established = true;
      c->session->OnTlsEstablished();
    }
    if (!c->plain_buffer) c->plain_buffer.reset(new char[kReadBufferSize]);
    for (;;) {
      absl::StatusOr<size_t> n = c->tls->ReadPlaintext(
          absl::Span<char>(c->plain_buffer.get(), kReadBufferSize));
      if (!n.ok()) {
        self->WriteCiphertext(c);
        self->ShutdownConn(c);
        return;
      }
      if (*n == 0) break;
      c->session->Receive(absl::string_view(c->plain_buffer.get(), *n));
    }
    if (c->tls->peer_closed()) c->session->ReceiveEof();
    self->Pump(c);
  }

  // Pump collects finished messages and sends pending replies; starts TLS
  // after STARTTLS and closes after QUIT.
  void Pump(Conn* c) {
    for (ReceivedMessage& m : c->session->TakeMessages()) {
      ++message_count_;
      byte_count_ += m.data.size();
      if (options_.on_message) options_.on_message(m);
      if (options_.keep_messages) messages_.push_back(std::move(m));
    }
    absl::string_view out = c->session->PendingOutput();
    if (!out.empty()) {
      if (c->tls == nullptr) {
        Write(c, out);
        c->session->ConsumeOutput(out.size());
      } else {
        while (!(out = c->session->PendingOutput()).empty()) {
          absl::StatusOr<size_t> n = c->tls->WritePlaintext(out);
          if (!n.ok()) {
            WriteCiphertext(c);
            ShutdownConn(c);
            return;
          }
          c->session->ConsumeOutput(*n);
          const bool wrote = WriteCiphertext(c);
          if (*n == 0 && !wrote) break;  // handshake not done yet
        }
      }
    }
    if (c->tls != nullptr) WriteCiphertext(c);
    if (c->session->tls_requested() && c->tls == nullptr) {
      absl::StatusOr<std::unique_ptr<TlsLayer>> tls =
          TlsLayer::Create(tls_options_);
      if (!tls.ok() || !(*tls)->Start().ok()) {
        ShutdownConn(c);
        return;
      }
      c->tls = *std::move(tls);
    }
    if (c->session->closed()) {
      if (c->tls != nullptr && c->tls_established) {
        (void)c->tls->Shutdown();
        WriteCiphertext(c);
      }
      ShutdownConn(c);
    }
  }

  bool WriteCiphertext(Conn* c) {
    absl::string_view pending = c->tls->PendingCiphertext();
    if (pending.empty()) return false;
    Write(c, pending);
    c->tls->ConsumeCiphertext(pending.size());
    return true;
  }

  void Write(Conn* c, absl::string_view bytes) {
    if (c->closing || c->shutting_down) return;
    auto* w = new WriteRequest;
    w->data.assign(bytes.data(), bytes.size());
    w->req.data = c;
    uv_buf_t buf = uv_buf_init(w->data.data(),
                               static_cast<unsigned int>(w->data.size()));
    const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp),
                            &buf, 1, &Impl::OnWrite);
    if (rc != 0) {
      delete w;
      CloseConn(c);
    }
  }

  static void OnWrite(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<WriteRequest*>(req);
    Conn* c = static_cast<Conn*>(req->data);
    delete w;
    if (status < 0 && status != UV_ECANCELED) c->server->CloseConn(c);
  }

  // ShutdownConn closes after pending writes are flushed (uv_shutdown).
  void ShutdownConn(Conn* c) {
    if (c->closing || c->shutting_down) return;
    c->shutting_down = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    auto* req = new uv_shutdown_t;
    req->data = c;
    if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&c->tcp),
                    &Impl::OnShutdown) != 0) {
      delete req;
      CloseConn(c);
    }
  }

  static void OnShutdown(uv_shutdown_t* req, int) {
    Conn* c = static_cast<Conn*>(req->data);
    delete req;
    c->server->CloseConn(c);
  }

  void CloseConn(Conn* c) {
    if (c->closing) return;
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), &Impl::OnConnClosed);
  }

  static void OnConnClosed(uv_handle_t* handle) {
    Conn* c = static_cast<Conn*>(handle->data);
    Impl* self = c->server;
    self->conns_.erase(c);
    delete c;
    self->HandleClosed();
  }

  static void OnHandleClosed(uv_handle_t* handle) {
    static_cast<Impl*>(handle->data)->HandleClosed();
  }

  void HandleClosed() {
    if (--open_handles_ == 0 && shutting_down_) Finish();
  }

  void Finish() {
    std::vector<std::function<void()>> waiters;
    waiters.swap(close_waiters_);
    finished_ = true;
    if (detached_) delete this;  // nobody can reach `this` any more
    for (auto& w : waiters) w();
  }

  uv_loop_t* loop_;
  TlsOptions tls_options_;
  uv_tcp_t listener_;
  std::set<Conn*> conns_;
  int open_handles_ = 0;
  bool shutting_down_ = false;
  bool detached_ = false;
  bool finished_ = false;
  uint64_t next_message_id_ = 1;
  std::vector<std::function<void()>> close_waiters_;

  friend class SinkServer;
};

absl::StatusOr<std::unique_ptr<SinkServer>> SinkServer::Start(
    uv_loop_t* loop, SinkServerOptions options) {
  auto* impl = new Impl(loop, std::move(options));
  absl::Status s = impl->Listen();
  if (!s.ok()) {
    impl->Detach();
    impl->Shutdown(nullptr);
    return s;
  }
  return std::unique_ptr<SinkServer>(new SinkServer(impl));
}

SinkServer::~SinkServer() {
  impl_->Detach();
  if (impl_->finished_) {
    delete impl_;
  } else {
    impl_->Shutdown(nullptr);
  }
}

uint16_t SinkServer::port() const { return impl_->port_; }
const std::string& SinkServer::ca_pem() const { return impl_->ca_pem_; }
const std::string& SinkServer::tls_host() const {
  return impl_->options_.tls_host;
}
const std::vector<ReceivedMessage>& SinkServer::messages() const {
  return impl_->messages_;
}
uint64_t SinkServer::message_count() const { return impl_->message_count_; }
uint64_t SinkServer::byte_count() const { return impl_->byte_count_; }
uint64_t SinkServer::connection_count() const {
  return impl_->connection_count_;
}

void SinkServer::Close(std::function<void()> done) {
  if (impl_->finished_) {
    if (done) done();
    return;
  }
  impl_->Shutdown(std::move(done));
}

// --- SinkThread -------------------------------------------------------

absl::StatusOr<std::unique_ptr<SinkThread>> SinkThread::Start(
    SinkServerOptions options) {
  std::unique_ptr<SinkThread> t(new SinkThread);
  uv_loop_init(&t->loop_);
  SinkThread* raw = t.get();
  auto user_callback = std::move(options.on_message);
  options.keep_messages = false;
  options.on_message = [raw, user_callback](const ReceivedMessage& m) {
    if (user_callback) user_callback(m);
    absl::MutexLock lock(&raw->mu_);
    raw->messages_.push_back(m);
  };
  absl::StatusOr<std::unique_ptr<SinkServer>> server =
      SinkServer::Start(&t->loop_, std::move(options));
  if (!server.ok()) {
    uv_run(&t->loop_, UV_RUN_DEFAULT);  // let the listener's close finish
    uv_loop_close(&t->loop_);
    return server.status();
  }
  t->server_ = *std::move(server);
  t->port_ = t->server_->port();
  t->ca_pem_ = t->server_->ca_pem();
  t->tls_host_ = t->server_->tls_host();
  uv_async_init(&t->loop_, &t->stop_, [](uv_async_t* async) {
    auto* self = static_cast<SinkThread*>(async->data);
    self->server_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
  });
  t->stop_.data = raw;
  t->thread_ = std::thread([raw] { raw->Run(); });
  return t;
}

void SinkThread::Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

SinkThread::~SinkThread() {
  if (thread_.joinable()) {
    uv_async_send(&stop_);
    thread_.join();
    uv_loop_close(&loop_);
  }
}

std::vector<ReceivedMessage> SinkThread::messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

bool SinkThread::WaitForMessages(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return messages_.size() >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

}  // namespace cli
}  // namespace smtpcore
