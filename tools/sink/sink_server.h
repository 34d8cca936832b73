// SinkServer: the embedded loopback SMTP sink on a libuv loop, and
// SinkThread, the same server running on its own loop in a thread (for
// blocking clients and tests).
//
// The server listens on 127.0.0.1 (port 0 = a free port chosen by the
// kernel), runs one `SinkSession` (tools/sink/sink_session.h) per accepted
// connection and records every accepted message. With `tls` it generates a
// throwaway CA and a server certificate for `tls_host` at start
// (transports/tls/test_certs.h; nothing is written to disk) and offers
// STARTTLS through the shared `TlsLayer` in server mode; clients trust it
// with `ca_pem()`.
//
// Lifetime (the libuv rule): a SinkServer's handles are closed
// asynchronously. Destroying it (or `Close`) starts closing the listener
// and every connection and returns at once; run the loop until it is empty
// before `uv_loop_close`. Callbacks stop when the SinkServer is destroyed.
// Threading: loop thread only (SinkThread wraps that).

#ifndef SMTP_TOOLS_SINK_SINK_SERVER_H_
#define SMTP_TOOLS_SINK_SINK_SERVER_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/sink/sink_session.h"

namespace smtpcore {
namespace cli {

// kDemoUser and kDemoPassword are the credentials the demo sink accepts.
inline constexpr char kDemoUser[] = "demo";
inline constexpr char kDemoPassword[] = "demo-password";

// SinkServerOptions configures a SinkServer (copied).
struct SinkServerOptions {
  // session configures every connection; `tls_available` is set from `tls`.
  SinkOptions session;
  // port to listen on at 127.0.0.1; 0 picks a free one.
  uint16_t port = 0;
  // tls: generate a throwaway certificate and offer STARTTLS.
  bool tls = true;
  // tls_host is the certificate's name (an IP literal gives an iPAddress
  // SAN); clients must use it as TLS server name.
  std::string tls_host = "127.0.0.1";
  // backlog is listen(2)'s queue of connections not yet accepted (the
  // kernel caps it at net.core.somaxconn); large so that thousands of
  // clients dialing at once (bench/load.sh) are not dropped and retried.
  int backlog = 4096;
  // keep_messages: keep every message in `messages()` (turn off for load
  // tests; `message_count()` and `byte_count()` still count).
  bool keep_messages = true;
  // on_message is called on the loop thread for every accepted message.
  std::function<void(const ReceivedMessage& message)> on_message;
};

// SinkServer is the listening sink. Create with `Start`.
class SinkServer {
 public:
  // Start binds 127.0.0.1:`options.port` on `loop` (borrowed; must outlive
  // the server's handles) and starts listening. Fails with kUnavailable
  // when binding or listening fails (message with the libuv error, e.g.
  // "address already in use") and with kInternal when the certificate
  // cannot be generated.
  static absl::StatusOr<std::unique_ptr<SinkServer>> Start(
      uv_loop_t* loop, SinkServerOptions options);

  // ~SinkServer closes the listener and every connection (see Lifetime).
  ~SinkServer();

  SinkServer(const SinkServer&) = delete;
  SinkServer& operator=(const SinkServer&) = delete;

  // port is the bound port.
  uint16_t port() const;
  // ca_pem is the PEM certificate of the throwaway CA that signed the
  // server certificate ("" without TLS).
  const std::string& ca_pem() const;
  // tls_host is the name in the server certificate.
  const std::string& tls_host() const;
  // messages returns the recorded messages (with `keep_messages`), oldest
  // first. Valid until the next loop iteration may add one.
  const std::vector<ReceivedMessage>& messages() const;
  // message_count and byte_count count every accepted message and its
  // size; connection_count counts accepted connections.
  uint64_t message_count() const;
  uint64_t byte_count() const;
  uint64_t connection_count() const;

  // Close stops listening, closes every connection and calls `done` (may
  // be empty) once all handles are closed. Idempotent.
  void Close(std::function<void()> done);

 private:
  class Impl;
  explicit SinkServer(Impl* impl) : impl_(impl) {}
  Impl* impl_;  // deletes itself once its handles are closed
};

// SinkThread runs a SinkServer on a private loop in a background thread.
// Thread-safe getters; destruction stops the server and joins the thread.
class SinkThread {
 public:
  // Start launches the thread and waits until the server listens (or
  // failed to start: same errors as SinkServer::Start). `options.on_message`
  // runs on the sink's thread.
  static absl::StatusOr<std::unique_ptr<SinkThread>> Start(
      SinkServerOptions options);

  // ~SinkThread closes the server, runs its loop dry and joins the thread.
  ~SinkThread();

  SinkThread(const SinkThread&) = delete;
  SinkThread& operator=(const SinkThread&) = delete;

  uint16_t port() const { return port_; }
  const std::string& ca_pem() const { return ca_pem_; }
  const std::string& tls_host() const { return tls_host_; }

  // messages returns a copy of the messages received so far.
  std::vector<ReceivedMessage> messages() const;

  // WaitForMessages blocks until at least `n` messages were received or
  // `timeout` passed; returns whether `n` were reached.
  bool WaitForMessages(size_t n, absl::Duration timeout) const;

 private:
  SinkThread() = default;
  void Run();

  uv_loop_t loop_;
  uv_async_t stop_;
  std::unique_ptr<SinkServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::string ca_pem_;
  std::string tls_host_;

  mutable absl::Mutex mu_;
  std::vector<ReceivedMessage> messages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SINK_SINK_SERVER_H_
