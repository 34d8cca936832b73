#include "transports/mta_sts/policy_fetcher.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/dns_name.h"
#include "transports/common/dial_history.h"
#include "transports/common/transport_error.h"
#include "transports/mta_sts/http_response_reader.h"
#include "transports/socket/socket_dialer.h"
#include "transports/socket/socket_transport.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

StsFetchResult Fail(StsFetchFailure failure, absl::Status status) {
  StsFetchResult r;
  r.failure = failure;
  r.policy = std::move(status);
  return r;
}

absl::Status Timeout(absl::string_view host) {
  return TransportError(ErrorDetail::kTimeout,
                        absl::StrCat("MTA-STS policy fetch from ", host,
                                     " timed out"))
      .ToStatus();
}

// Exchange runs TLS and the HTTP request over `socket` until the response
// is complete.
StsFetchResult Exchange(SocketTransport& socket, absl::string_view host,
                        const StsFetchOptions& options, Instant deadline) {
  TlsOptions tls;
  tls.role = TlsRole::kClient;
  tls.server_name = std::string(host);
  tls.ca_file = options.ca_file;
  absl::StatusOr<std::unique_ptr<TlsLayer>> layer = TlsLayer::Create(tls);
  if (!layer.ok()) return Fail(StsFetchFailure::kFetchError, layer.status());
  TlsLayer& t = **layer;
  if (absl::Status s = t.Start(); !s.ok()) {
    return Fail(StsFetchFailure::kFetchError, s);
  }
  const std::string request = absl::StrCat(
      "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: ", host,
      "\r\nUser-Agent: smtpcore\r\nAccept: text/plain\r\nConnection: "
      "close\r\n\r\n");
  size_t request_sent = 0;
  HttpResponseReader reader(kStsMaxPolicySize);
  char buffer[16 * 1024];
  bool eof = false;
  while (!reader.done()) {
    // Write what is pending.
    if (t.handshake_done() && request_sent < request.size()) {
      absl::StatusOr<size_t> n =
          t.WritePlaintext(absl::string_view(request).substr(request_sent));
      if (!n.ok()) return Fail(StsFetchFailure::kFetchError, n.status());
      request_sent += *n;
    }
    while (!t.PendingCiphertext().empty()) {
      absl::StatusOr<size_t> n = socket.Write(t.PendingCiphertext());
      if (!n.ok()) return Fail(StsFetchFailure::kFetchError, n.status());
      if (*n == 0) break;
      t.ConsumeCiphertext(*n);
    }
    if (eof) {
      absl::Status s = reader.ReceiveEof();
      if (!s.ok()) return Fail(StsFetchFailure::kFetchError, s);
      break;
    }
    absl::StatusOr<SocketReadiness> ready = socket.Wait(
        true, !t.PendingCiphertext().empty(), deadline);
    if (!ready.ok()) return Fail(StsFetchFailure::kFetchError, ready.status());
    if (ready->timed_out) return Fail(StsFetchFailure::kFetchError, Timeout(host));
    if (!ready->readable) continue;
    absl::StatusOr<SocketReadResult> r =
        socket.Read(absl::MakeSpan(buffer, sizeof(buffer)));
    if (!r.ok()) return Fail(StsFetchFailure::kFetchError, r.status());
    if (r->would_block) continue;
    absl::Status s = r->eof ? t.ReceiveCiphertextEof()
                            : t.ReceiveCiphertext(absl::string_view(buffer, r->size));
    if (!s.ok()) {
      return Fail(GetErrorDetail(s) == ErrorDetail::kTlsVerification
                      ? StsFetchFailure::kWebPki
                      : StsFetchFailure::kFetchError,
                  s);
    }
    for (;;) {
      absl::StatusOr<size_t> n = t.ReadPlaintext(absl::MakeSpan(buffer, sizeof(buffer)));
      if (!n.ok()) return Fail(StsFetchFailure::kFetchError, n.status());
      if (*n == 0) break;
      absl::Status rs = reader.Receive(absl::string_view(buffer, *n));
      if (!rs.ok()) return Fail(StsFetchFailure::kFetchError, rs);
    }
    if (r->eof || t.peer_closed()) eof = true;
  }
  const HttpResponse& response = reader.response();
  if (response.status != 200) {
    return Fail(StsFetchFailure::kFetchError,
                LocalError(ErrorDetail::kInvalidArgument,
                           absl::StrCat("MTA-STS policy fetch from ", host,
                                        ": HTTP status ", response.status,
                                        response.status / 100 == 3
                                            ? " (redirects are not followed, "
                                              "RFC 8461 §3.3)"
                                            : "")));
  }
  const std::string type = absl::AsciiStrToLower(response.Header("content-type"));
  if (!type.empty() && !absl::StartsWith(type, "text/plain")) {
    return Fail(StsFetchFailure::kInvalid,
                LocalError(ErrorDetail::kInvalidArgument,
                           absl::StrCat("MTA-STS policy served as \"", type,
                                        "\", not text/plain (RFC 8461 §3.2)")));
  }
  StsFetchResult result;
  result.body = response.body;
  result.policy = ParseStsPolicy(response.body);
  result.failure = result.policy.ok() ? StsFetchFailure::kNone
                                      : StsFetchFailure::kInvalid;
  return result;
}

}  // namespace

StsFetchResult FetchStsPolicy(absl::string_view domain,
                              absl::Span<const IpAddress> addresses,
                              const StsFetchOptions& options) {
  const std::string host = PolicyHostFor(domain);
  const Instant deadline = MonotonicNow() + options.timeout;
  if (addresses.empty()) {
    return Fail(StsFetchFailure::kFetchError,
                TransportError(ErrorDetail::kIo,
                               absl::StrCat(host, " has no address"))
                    .ToStatus());
  }
  absl::Status last;
  for (const IpAddress& ip : addresses) {
    absl::StatusOr<DialAddress> address =
        MakeDialAddress(ip.ToString(), options.port);
    if (!address.ok()) continue;
    Duration left = deadline - MonotonicNow();
    if (left <= absl::ZeroDuration()) return Fail(StsFetchFailure::kFetchError, Timeout(host));
    absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
        ConnectSocketTo(host, *address, left);
    if (!socket.ok()) {
      last = socket.status();
      continue;
    }
    return Exchange(**socket, host, options, deadline);
  }
  return Fail(StsFetchFailure::kFetchError, last);
}

}  // namespace smtpcore
