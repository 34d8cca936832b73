// session_fuzzer: the whole client `Session` against arbitrary server bytes,
// with the invariants of tests/session_checker.h checked on the wire and on
// the events (abort on violation).
//
// Input layout:
//   byte 0  bit 0 pipelining, bit 1 chunking, bits 2-3 TLS mode (none,
//           opportunistic, required, implicit), bit 4 AUTH with a fake
//           PLAIN, bit 5 LineEndingPolicy::kReject, bit 6 streamed body
//           (StartDelivery + two AppendBody chunks), bit 7 trace
//   byte 1  bits 0-1 recipients - 1, bits 2-4 the message (kBodies), bit 5
//           partial writes (7 bytes per ConsumeTransmit), bit 6 a second
//           delivery queued at the start, bit 7 force_helo
//   rest    the script: server bytes, fed with one Receive per run of plain
//           bytes, and operations 0xFF <op>:
//             'T' <n>  time advances n * 10 s, then HandleTimeout
//             'E'      ReceiveEof          'A'  Abort (kIo)
//             'S'      OnTlsEstablished    'F'  OnTlsFailed (kTlsHandshake)
//             'C'      Close               'N'  Noop
//             'D'      Deliver another message
//             'P'      append the last chunk of streamed deliveries
//             0xFF     a literal 0xFF byte; any other op only splits Receive
// After the script the run is driven to its end the way a transport would:
// the last chunks are appended, then the session's deadlines fire (a waiting
// session without a deadline would hang: that is a violation), and Close or
// Abort when it is idle. Then every delivery must have its one outcome, the
// session must refuse a new delivery and transmit nothing more.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/session.h"
#include "tests/session_checker.h"
#include "transports/testing/fake_plain_mechanism.h"

namespace {

using smtpcore::Capabilities;
using smtpcore::DeliveryId;
using smtpcore::Envelope;
using smtpcore::Event;
using smtpcore::Instant;
using smtpcore::IoSlice;
using smtpcore::Session;
using smtpcore::SessionOptions;
using smtpcore::TlsInfo;
using smtpcore::TlsMode;

// The messages: plain, dots and an end-of-data marker inside, bare line
// endings (smuggling attempts), 8-bit, empty, and a longer one.
const char* const kBodies[] = {
    "Hi\r\n",
    "Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\nafter the marker\r\n.",
    "bare LF\n.\nbare CR\r.\r\nmixed\r\r\n\n.\r\n",
    "Subject: 8bit\r\n\r\ncaf\xc3\xa9\r\n",
    "",
    nullptr,  // kLong
    "no final line break",
    ".\r\n",
};
constexpr size_t kBodyCount = sizeof(kBodies) / sizeof(kBodies[0]);

std::string LongBody() {
  std::string body = "Subject: long\r\n\r\n";
  for (int i = 0; i < 120; ++i) {
    body += (i % 3 == 0) ? ".dotted line " : "line ";
    body += std::to_string(i);
    body += (i % 7 == 0) ? "\n" : "\r\n";
  }
  return body;
}

[[noreturn]] void Violation(const std::string& what,
                            const std::vector<std::string>& events) {
  std::fprintf(stderr, "session_fuzzer: invariant violated: %s\nevents:\n",
               what.c_str());
  for (const std::string& e : events) std::fprintf(stderr, "  %s\n", e.c_str());
  std::abort();
}

TlsInfo FuzzTlsInfo() {
  TlsInfo info;
  info.version = "TLSv1.3";
  info.cipher = "TLS_AES_128_GCM_SHA256";
  info.server_name = "mx.example.org";
  info.verified = true;
  info.channel_binding_type = "tls-exporter";
  info.channel_binding = std::string(32, '\x42');
  return info;
}

class Driver {
 public:
  Driver(SessionOptions options, std::string body, size_t recipients,
         bool streamed, size_t max_write)
      : session_(std::move(options), now_),
        body_(std::move(body)),
        recipients_(recipients),
        streamed_(streamed),
        max_write_(max_write) {
    if (!streamed_) checker_.ExpectBody(body_);
  }

  void Deliver() {
    Envelope e;
    e.from = "a@example.org";
    for (size_t i = 0; i < recipients_; ++i) {
      e.AddRecipient("r" + std::to_string(i) + "@example.org");
    }
    Envelope copy = e;
    absl::StatusOr<DeliveryId> id =
        streamed_ ? session_.StartDelivery(std::move(e), now_)
                  : session_.Deliver(std::move(e),
                                     absl::MakeCordFromExternal(
                                         body_, [](absl::string_view) {}),
                                     now_);
    if (!id.ok()) {
      if (!session_closed_) {
        // Local refusals of a valid envelope happen only once closing.
        auto detail = smtpcore::GetErrorDetail(id.status());
        if (detail != smtpcore::ErrorDetail::kClosed &&
            detail != smtpcore::ErrorDetail::kBroken) {
          Violation("Deliver refused a valid envelope: " +
                        id.status().ToString(),
                    events_);
        }
      }
      Pump();
      return;
    }
    checker_.OnDeliver(*id, copy);
    if (streamed_) {
      // The body on the wire is what AppendBody accepted (a refused chunk,
      // e.g. a bare line ending under kReject, is not part of it).
      std::string first = body_.substr(0, body_.size() / 2);
      std::string accepted;
      if (session_.AppendBody(*id, absl::Cord(first), false, now_).ok()) {
        accepted = first;
      }
      open_.emplace_back(*id, std::move(accepted));
    }
    Pump();
  }

  void AppendRest() {
    std::string rest = body_.substr(body_.size() / 2);
    for (auto& [id, accepted] : open_) {
      if (session_.AppendBody(id, absl::Cord(rest), true, now_).ok()) {
        accepted += rest;
      }
      checker_.ExpectBody(accepted);
    }
    open_.clear();
    Pump();
  }

  void Receive(absl::string_view bytes) {
    if (bytes.empty()) return;
    (void)session_.Receive(bytes, now_);
    Pump();
  }

  void Op(uint8_t op, uint8_t arg) {
    switch (op) {
      case 'T':
        Advance(smtpcore::Duration(absl::Seconds(10) * arg));
        break;
      case 'E':
        (void)session_.ReceiveEof(now_);
        break;
      case 'A':
        session_.Abort(smtpcore::MakeError(absl::StatusCode::kUnavailable,
                                           smtpcore::ErrorDetail::kIo,
                                           "fuzz I/O error"),
                       now_);
        break;
      case 'S':
        (void)session_.OnTlsEstablished(FuzzTlsInfo(), now_);
        break;
      case 'F':
        session_.OnTlsFailed(
            smtpcore::MakeError(absl::StatusCode::kUnavailable,
                                smtpcore::ErrorDetail::kTlsHandshake,
                                "fuzz handshake failure"),
            now_);
        break;
      case 'C':
        (void)session_.Close(now_);
        break;
      case 'N':
        (void)session_.Noop(now_);
        break;
      case 'D':
        Deliver();
        break;
      case 'P':
        AppendRest();
        break;
      default:
        break;
    }
    Pump();
  }

  void Advance(smtpcore::Duration d) {
    now_ += d;
    session_.HandleTimeout(now_);
    Pump();
    absl::optional<Instant> deadline = session_.NextDeadline();
    if (deadline.has_value() && *deadline <= now_) {
      Violation("HandleTimeout at or after the deadline did not fire it",
                events_);
    }
  }

  // Finish drives the session to its end and checks the final invariants.
  void Finish() {
    AppendRest();
    for (int round = 0; round < 16 && !session_closed_; ++round) {
      absl::optional<Instant> deadline = session_.NextDeadline();
      if (!deadline.has_value()) {
        if (session_.queued_deliveries() > 0 ||
            session_.connection().awaiting_replies() > 0) {
          Violation(std::string("session waits with no deadline (state ") +
                        std::string(smtpcore::SessionStateName(
                            session_.state())) +
                        ")",
                    events_);
        }
        // Idle: a transport would close it.
        if (round == 0) {
          (void)session_.Close(now_);
        } else {
          session_.Abort(smtpcore::MakeError(absl::StatusCode::kUnavailable,
                                             smtpcore::ErrorDetail::kIo,
                                             "fuzz: transport closed"),
                         now_);
        }
        Pump();
        continue;
      }
      Advance(*deadline - now_);
    }
    if (!session_closed_) Violation("the session never ended", events_);
    checker_.Finish();
    if (!checker_.ok()) Violation(checker_.violation(), events_);
    // Nothing more: no bytes, no deadline, no new delivery.
    IoSlice slices[4];
    if (session_.PollTransmit(slices) != 0) {
      Violation("bytes to send after the session ended", events_);
    }
    if (session_.NextDeadline().has_value()) {
      Violation("a deadline after the session ended", events_);
    }
    Envelope e;
    e.from = "a@example.org";
    e.AddRecipient("late@example.org");
    if (session_.Deliver(std::move(e), absl::Cord("x\r\n"), now_).ok()) {
      Violation("the ended session accepted a new delivery", events_);
    }
  }

  Session& session() { return session_; }

 private:
  void Pump() {
    for (;;) {
      bool progress = false;
      while (absl::optional<Event> e = session_.PollEvent()) {
        progress = true;
        events_.push_back(smtpcore::EventToString(*e));
        checker_.OnEvent(*e);
        if (std::holds_alternative<smtpcore::ConnectionClosed>(*e)) {
          session_closed_ = true;
        }
      }
      IoSlice slices[16];
      size_t n = session_.PollTransmit(slices);
      if (n > 0) {
        std::string bytes;
        for (size_t i = 0; i < n; ++i) {
          absl::string_view v = slices[i].view();
          bytes.append(v.data(), v.size());
        }
        if (max_write_ > 0 && bytes.size() > max_write_) {
          bytes.resize(max_write_);
        }
        checker_.OnClientBytes(bytes);
        session_.ConsumeTransmit(bytes.size(), now_);
        progress = true;
      }
      if (!checker_.ok()) Violation(checker_.violation(), events_);
      if (!progress) return;
    }
  }

  Instant now_ = smtpcore::InstantFromSeconds(1000);
  Session session_;
  std::string body_;
  size_t recipients_;
  bool streamed_;
  size_t max_write_;
  smtpcore::internal::SessionChecker checker_;
  std::vector<std::string> events_;
  // open_: streamed deliveries whose last chunk is not appended yet, with
  // the chunks accepted so far.
  std::vector<std::pair<DeliveryId, std::string>> open_;
  bool session_closed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t b0 = data[0], b1 = data[1];
  SessionOptions o;
  o.ehlo_domain = "client.example.org";
  o.pipelining = (b0 & 1) != 0;
  o.chunking = (b0 & 2) != 0;
  static constexpr TlsMode kModes[] = {TlsMode::kNone, TlsMode::kOpportunistic,
                                       TlsMode::kRequired, TlsMode::kImplicit};
  o.tls_mode = kModes[(b0 >> 2) & 3];
  if ((b0 & 16) != 0) {
    o.allow_insecure_auth = true;
    o.auth = [](const Capabilities& caps, const TlsInfo*)
        -> std::unique_ptr<smtpcore::SaslMechanism> {
      if (!caps.has_auth_mechanism("PLAIN")) return nullptr;
      return std::make_unique<smtpcore::FakePlainMechanism>("user", "secret");
    };
  }
  if ((b0 & 32) != 0) o.line_endings = smtpcore::LineEndingPolicy::kReject;
  const bool streamed = (b0 & 64) != 0;
  o.trace = (b0 & 128) != 0;
  o.reply_events = true;  // the checker matches replies to commands
  o.force_helo = (b1 & 128) != 0;
  const size_t recipients = 1 + (b1 & 3);
  const size_t body_index = ((b1 >> 2) & 7) % kBodyCount;
  std::string body =
      kBodies[body_index] == nullptr ? LongBody() : kBodies[body_index];
  const size_t max_write = (b1 & 32) != 0 ? 7 : 0;

  Driver driver(o, std::move(body), recipients, streamed, max_write);
  if (o.tls_mode == TlsMode::kImplicit) driver.Op('S', 0);
  driver.Deliver();
  if ((b1 & 64) != 0) driver.Deliver();

  absl::string_view script(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string chunk;
  for (size_t i = 0; i < script.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(script[i]);
    if (c != 0xFF || i + 1 >= script.size()) {
      chunk.push_back(script[i]);
      continue;
    }
    uint8_t op = static_cast<uint8_t>(script[++i]);
    if (op == 0xFF) {
      chunk.push_back('\xFF');
      continue;
    }
    driver.Receive(chunk);
    chunk.clear();
    uint8_t arg = 0;
    if (op == 'T' && i + 1 < script.size()) {
      arg = static_cast<uint8_t>(script[++i]);
    }
    driver.Op(op, arg);
  }
  driver.Receive(chunk);
  driver.Finish();
  return 0;
}
