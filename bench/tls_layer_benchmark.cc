// The client TlsLayer's write path in memory: application data sealed into
// TLS records and the ciphertext taken as a transport would take it, with
// no socket. The handshake with a server TlsLayer is done once per
// benchmark run, outside the timed loop, by pumping bytes between the two
// layers; the server is then left alone (sealed records are not decrypted).
//
//   BM_SealClient/<MiB>/<tls13>: per iteration, WritePlaintext of <MiB> MiB
//   of text (as much as the back-pressure cap allows per call), and after
//   every call the whole PendingCiphertext() consumed. Reports bytes/s of
//   plaintext. tls13 = 0 forces TLS 1.2 (AES-GCM record layer either way).
//
// The consumer only reads the view's first and last byte (DoNotOptimize):
// a real transport's send() copy is the kernel's, not the layer's, so it is
// left out of these figures.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

constexpr char kHost[] = "mail.example.test";
constexpr size_t kMiB = 1 << 20;

// Certificates: generated once per process (owned by the function-local
// statics, never freed).
const PemCertificate& Ca() {
  static const PemCertificate* ca =
      new PemCertificate(*GenerateTestCa("tls_layer_benchmark CA"));
  return *ca;
}
const PemCertificate& Leaf() {
  static const PemCertificate* leaf =
      new PemCertificate(*GenerateTestLeaf(Ca(), kHost));
  return *leaf;
}

bool Transfer(TlsLayer& from, TlsLayer& to) {
  const absl::string_view bytes = from.PendingCiphertext();
  if (bytes.empty()) return false;
  const std::string copy(bytes);
  from.ConsumeCiphertext(copy.size());
  return to.ReceiveCiphertext(copy).ok();
}

// Connected returns a client and a server layer with the handshake done, or
// a pair of nulls (the benchmark then reports an error).
std::pair<std::unique_ptr<TlsLayer>, std::unique_ptr<TlsLayer>> Connected(
    bool tls13) {
  TlsOptions client_options;
  client_options.server_name = kHost;
  client_options.ca_pem = Ca().certificate_pem;
  client_options.resume_sessions = false;
  if (!tls13) client_options.max_version = TlsVersion::kTls12;
  TlsOptions server_options;
  server_options.role = TlsRole::kServer;
  server_options.certificate_chain_pem = Leaf().certificate_pem;
  server_options.private_key_pem = Leaf().private_key_pem;
  auto client = TlsLayer::Create(client_options);
  auto server = TlsLayer::Create(server_options);
  if (!client.ok() || !server.ok()) return {};
  if (!(*client)->Start().ok() || !(*server)->Start().ok()) return {};
  for (int round = 0; round < 20; ++round) {
    const bool a = Transfer(**client, **server);
    const bool b = Transfer(**server, **client);
    if (!a && !b) break;
  }
  if (!(*client)->handshake_done() || !(*server)->handshake_done()) return {};
  return {*std::move(client), *std::move(server)};
}

void BM_SealClient(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0)) * kMiB;
  auto [client, server] = Connected(state.range(1) != 0);
  if (client == nullptr) {
    state.SkipWithError("handshake failed");
    return;
  }
  std::string text;
  text.reserve(size);
  for (size_t i = 0; text.size() < size; ++i) {
    text += "Line " + std::to_string(i) + " of the benchmark body.\r\n";
  }
  text.resize(size);
  const absl::string_view body(text);

  for (auto _ : state) {
    size_t offset = 0;
    while (offset < body.size()) {
      absl::StatusOr<size_t> n = client->WritePlaintext(body.substr(offset));
      if (!n.ok()) {
        state.SkipWithError("WritePlaintext failed");
        return;
      }
      offset += *n;
      const absl::string_view out = client->PendingCiphertext();
      if (!out.empty()) {
        benchmark::DoNotOptimize(out.front());
        benchmark::DoNotOptimize(out.back());
      }
      client->ConsumeCiphertext(out.size());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_SealClient)
    ->Args({1, 1})
    ->Args({4, 1})
    ->Args({4, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace smtpcore

BENCHMARK_MAIN();
