// DeliverToDomain: delivery to a recipient domain the way an MTA does it,
// with the blocking transport. The route layer decides (route/
// delivery_plan.h); this driver resolves (BlockingRouteResolver), dials
// the attempts in order with BlockingClient and records what happened:
//
//   for each attempt of the plan (skipped ones are not dialed):
//     for each IP of the attempt (dial history order):
//       connect with the attempt's TLS requirement and verification
//       (TlsOptions::dane for DANE, PKIX with the MX name, or unverified);
//       connection failure, TLS failure, or a 4xx (or 421) at greeting or
//         EHLO -> next IP, then next attempt (RFC 5321 §5.1: try further
//         addresses and MX hosts);
//       a 5xx at greeting/EHLO -> stop: permanent;
//       ready -> deliver once; success (someone accepted), 5xx or 4xx in
//         the transaction -> stop with that outcome (a queue retries 4xx
//         later; other MX hosts are for connection-level failures).
//
// TLS reporting (RFC 8460): each session that reached TLS negotiation
// counts as a success or a failure under the attempt's policy
// (TlsReportPolicyFor), and MTA-STS fetch failures and bogus TLSA answers
// are reported as policy failures, into `MxDeliveryOptions::tls_report`.
//
// Blocking; reads the clock only through the transports it uses.

#ifndef SMTP_TRANSPORTS_BLOCKING_MX_DELIVERY_H_
#define SMTP_TRANSPORTS_BLOCKING_MX_DELIVERY_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "core/capabilities.h"
#include "core/delivery.h"
#include "core/sasl_mechanism.h"
#include "route/delivery_plan.h"
#include "route/dial_history.h"
#include "route/mta_sts_cache.h"
#include "route/tls_report.h"
#include "transports/blocking/route_resolver.h"
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/mx_delivery_result.h"

namespace smtpcore {

// MxDeliveryOptions configures DeliverToDomain. Pointers are borrowed and
// may be null.
struct MxDeliveryOptions {
  // client is the template of every connection: session options (EHLO
  // name, timeouts, trace), `tls.ca_file` for PKIX (MTA-STS), connect
  // timeout, on_event. host, addresses, port, TLS mode and verification
  // are set per attempt.
  ClientOptions client;
  RouteResolverOptions route;
  // dial_history orders IPs and records every dial (persist it per queue
  // entry: greylisting).
  DialHistory* dial_history = nullptr;
  // sts_cache keeps MTA-STS policies across deliveries.
  StsCache* sts_cache = nullptr;
  // tls_report receives the TLSRPT results of this delivery.
  TlsReportAggregator* tls_report = nullptr;
  // on_note receives one line per step ("trying mx1.example.org
  // [192.0.2.1]:25 (dane)"), for --trace.
  std::function<void(const std::string&)> on_note;
  // now is the wall-clock time for the MTA-STS cache; unset: absl::Now().
  absl::optional<absl::Time> now;
};

// DeliverToDomain delivers `body` to `envelope`'s recipients (all of
// `domain`: the next hop, a domain or an address literal) per the file
// comment. Never throws; an unusable `domain` or resolver is the outcome's
// error (kInvalidArgument).
MxDeliveryResult DeliverToDomain(absl::string_view domain, Envelope envelope,
                                 absl::Cord body, MxDeliveryOptions options);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_BLOCKING_MX_DELIVERY_H_
