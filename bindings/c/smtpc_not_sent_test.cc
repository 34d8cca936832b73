// smtpc_not_sent_test: "not sent" through the C ABI (smtpc_recipient_result
// version 2: `not_sent`, `outcome`). A recipient the server never refused
// (the sender was refused, the connection failed first) is not sent; one
// refused at RCPT is rejected or deferred, never not sent. Checked on the
// sans-I/O session with scripted replies and on smtpc_send against the
// loopback server and a refused port.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "bindings/c/smtpc.h"
#include "gtest/gtest.h"
#include "transports/testing/loopback_server.h"
#include "transports/testing/refused_port.h"

namespace {

// Rcpt is a copy of one smtpc_recipient_result (its strings outlive the
// event or result they were read from).
struct Rcpt {
  std::string address;
  int status = -1;
  int code = -1;
  int not_sent = -1;
  std::string outcome;
};

Rcpt Copy(const smtpc_recipient_result& r) {
  Rcpt out;
  out.address.assign(r.address, r.address_len);
  out.status = r.status;
  out.code = r.code;
  out.not_sent = r.not_sent;
  out.outcome.assign(r.outcome, r.outcome_len);
  return out;
}

std::string Drain(smtpc_session* s) {
  std::string out;
  for (;;) {
    smtpc_iovec iov[8];
    int n = smtpc_session_poll_transmit(s, iov, 8);
    if (n <= 0) break;
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      out.append(reinterpret_cast<const char*>(iov[i].base), iov[i].len);
      total += iov[i].len;
    }
    EXPECT_EQ(smtpc_session_consume_transmit(s, total, 0), 0);
  }
  return out;
}

// Outcome is what a scripted session reported for its one delivery.
struct Outcome {
  int type = SMTPC_EVENT_NONE;  // DELIVERY_DONE or DELIVERY_FAILED
  std::vector<Rcpt> recipients;
  std::string sent;  // every client byte
};

// RunScripted delivers from `from` to `rcpts`, feeding `replies` one at a
// time (each after the client wrote; the EHLO reply decides PIPELINING),
// and returns the delivery's final event.
Outcome RunScripted(const char* from, std::vector<const char*> rcpts,
                    const std::vector<std::string>& replies) {
  smtpc_session_options o;
  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  smtpc_session* s = nullptr;
  EXPECT_EQ(smtpc_session_new(&o, 0, &s), 0);
  Outcome out;
  if (s == nullptr) return out;
  const uint8_t body[] = "Subject: x\r\n\r\nhi\r\n";
  EXPECT_EQ(smtpc_session_deliver(s, from, rcpts.data(), rcpts.size(), body,
                                  sizeof(body) - 1, 0, nullptr),
            0);
  for (const std::string& reply : replies) {
    EXPECT_EQ(
        smtpc_session_receive(s, reinterpret_cast<const uint8_t*>(reply.data()),
                              reply.size(), 0),
        0)
        << reply;
    out.sent += Drain(s);
    smtpc_event e;
    while (smtpc_session_poll_event(s, &e) == 1) {
      if (e.type != SMTPC_EVENT_DELIVERY_DONE &&
          e.type != SMTPC_EVENT_DELIVERY_FAILED) {
        continue;
      }
      out.type = e.type;
      EXPECT_EQ(smtpc_session_event_num_recipients(s),
                static_cast<int>(rcpts.size()));
      for (size_t i = 0; i < rcpts.size(); ++i) {
        smtpc_recipient_result r;
        smtpc_recipient_result_init(&r, sizeof(r));
        EXPECT_EQ(smtpc_session_event_recipient(s, i, &r), 1);
        out.recipients.push_back(Copy(r));
      }
    }
  }
  smtpc_session_free(s);
  return out;
}

TEST(SmtpcNotSentTest, RefusedSenderLeavesEveryRecipientNotSent) {
  Outcome o =
      RunScripted("reject@example.org", {"b@example.org", "c@example.org"},
                  {"220 mx\r\n", "250 mx\r\n", "550 5.7.1 sender refused\r\n"});
  EXPECT_EQ(o.type, SMTPC_EVENT_DELIVERY_FAILED);
  EXPECT_FALSE(absl::StrContains(o.sent, "RCPT")) << o.sent;
  ASSERT_EQ(o.recipients.size(), 2u);
  for (const Rcpt& r : o.recipients) {
    EXPECT_EQ(r.not_sent, 1) << r.address;
    EXPECT_EQ(r.outcome, "not_sent") << r.address;
    // The status keeps the permanence of the refusal; no RCPT reply.
    EXPECT_EQ(r.status, SMTPC_RCPT_REJECTED) << r.address;
    EXPECT_EQ(r.code, 0) << r.address;
  }
  EXPECT_EQ(o.recipients[1].address, "c@example.org");

  // Pipelined, as Postfix answers it: the RCPTs sent with MAIL get 503;
  // those replies are not the recipients' refusals.
  o = RunScripted("reject@example.org", {"b@example.org", "c@example.org"},
                  {"220 mx\r\n", "250-mx\r\n250 PIPELINING\r\n",
                   "550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n"
                   "503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n"});
  EXPECT_EQ(o.type, SMTPC_EVENT_DELIVERY_FAILED);
  EXPECT_TRUE(absl::StrContains(o.sent, "RCPT TO:<c@example.org>")) << o.sent;
  ASSERT_EQ(o.recipients.size(), 2u);
  for (const Rcpt& r : o.recipients) {
    EXPECT_EQ(r.not_sent, 1) << r.address;
    EXPECT_EQ(r.outcome, "not_sent") << r.address;
    EXPECT_EQ(r.status, SMTPC_RCPT_REJECTED) << r.address;
  }

  // A temporary refusal of the sender: deferred, still not sent.
  o = RunScripted("busy@example.org", {"b@example.org"},
                  {"220 mx\r\n", "250 mx\r\n", "451 4.3.0 try later\r\n"});
  EXPECT_EQ(o.type, SMTPC_EVENT_DELIVERY_FAILED);
  ASSERT_EQ(o.recipients.size(), 1u);
  EXPECT_EQ(o.recipients[0].status, SMTPC_RCPT_DEFERRED);
  EXPECT_EQ(o.recipients[0].not_sent, 1);
  EXPECT_EQ(o.recipients[0].outcome, "not_sent");
}

TEST(SmtpcNotSentTest, RefusedRecipientIsRejectedNotNotSent) {
  // One refused, one delivered: the refused one is the server's refusal.
  Outcome o = RunScripted("a@example.org", {"b@example.org", "c@example.org"},
                          {"220 mx\r\n", "250 mx\r\n", "250 2.1.0 ok\r\n",
                           "550 5.1.1 no such user\r\n", "250 2.1.5 ok\r\n",
                           "354 go\r\n", "250 2.0.0 queued\r\n"});
  EXPECT_EQ(o.type, SMTPC_EVENT_DELIVERY_DONE);
  ASSERT_EQ(o.recipients.size(), 2u);
  EXPECT_EQ(o.recipients[0].status, SMTPC_RCPT_REJECTED);
  EXPECT_EQ(o.recipients[0].not_sent, 0);
  EXPECT_EQ(o.recipients[0].outcome, "rejected");
  EXPECT_EQ(o.recipients[0].code, 550);
  EXPECT_EQ(o.recipients[1].status, SMTPC_RCPT_DELIVERED);
  EXPECT_EQ(o.recipients[1].not_sent, 0);
  EXPECT_EQ(o.recipients[1].outcome, "delivered");

  // Every recipient refused (a 4xx): the delivery fails, and the recipient
  // is deferred by the server, not "not sent".
  o = RunScripted("a@example.org", {"b@example.org"},
                  {"220 mx\r\n", "250 mx\r\n", "250 2.1.0 ok\r\n",
                   "450 4.2.0 mailbox busy\r\n"});
  EXPECT_EQ(o.type, SMTPC_EVENT_DELIVERY_FAILED);
  ASSERT_EQ(o.recipients.size(), 1u);
  EXPECT_EQ(o.recipients[0].status, SMTPC_RCPT_DEFERRED);
  EXPECT_EQ(o.recipients[0].not_sent, 0);
  EXPECT_EQ(o.recipients[0].outcome, "deferred");
  EXPECT_EQ(o.recipients[0].code, 450);
}

// A caller built against the 1.1 header passes the version 1 size: nothing
// after `data_code` is written.
TEST(SmtpcNotSentTest, VersionOneCallerGetsVersionOneBytes) {
  EXPECT_EQ(SMTPC_RECIPIENT_RESULT_V2_SIZE, sizeof(smtpc_recipient_result));
  EXPECT_GT(SMTPC_RECIPIENT_RESULT_V2_SIZE, SMTPC_RECIPIENT_RESULT_V1_SIZE);
  smtpc_session_options o;
  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  smtpc_session* s = nullptr;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
  const char* rcpts[] = {"b@example.org"};
  ASSERT_EQ(smtpc_session_deliver(s, "a@example.org", rcpts, 1, nullptr, 0, 0,
                                  nullptr),
            0);
  for (const char* reply : {"220 mx\r\n", "250 mx\r\n", "550 no\r\n"}) {
    ASSERT_EQ(smtpc_session_receive(s, reinterpret_cast<const uint8_t*>(reply),
                                    std::strlen(reply), 0),
              0);
    Drain(s);
  }
  smtpc_event e;
  bool found = false;
  while (smtpc_session_poll_event(s, &e) == 1) {
    if (e.type != SMTPC_EVENT_DELIVERY_FAILED) continue;
    found = true;
    unsigned char buf[sizeof(smtpc_recipient_result) + 16];
    std::memset(buf, 0xAB, sizeof(buf));
    auto* r = reinterpret_cast<smtpc_recipient_result*>(buf);
    ASSERT_EQ(smtpc_recipient_result_init(r, SMTPC_RECIPIENT_RESULT_V1_SIZE),
              0);
    ASSERT_EQ(smtpc_session_event_recipient(s, 0, r), 1);
    EXPECT_EQ(r->status, SMTPC_RCPT_REJECTED);
    for (size_t i = SMTPC_RECIPIENT_RESULT_V1_SIZE; i < sizeof(buf); ++i) {
      ASSERT_EQ(buf[i], 0xAB) << "byte " << i << " written";
    }
  }
  EXPECT_TRUE(found);
  smtpc_session_free(s);
}

// SendResult is what smtpc_send returned, copied.
struct SendResult {
  int rc = 1;
  std::vector<Rcpt> recipients;
  std::string error_command;
};

SendResult Send(int port, const char* from, std::vector<const char*> rcpts) {
  smtpc_session_options so;
  smtpc_session_options_init(&so, sizeof(so));
  so.tls_mode = SMTPC_TLS_NONE;
  smtpc_send_options o;
  smtpc_send_options_init(&o, sizeof(o));
  o.host = "127.0.0.1";
  o.port = port;
  o.session = &so;
  o.connect_timeout_ms = 10000;
  smtpc_envelope env;
  smtpc_envelope_init(&env, sizeof(env));
  env.from = from;
  env.rcpts = rcpts.data();
  env.num_rcpts = rcpts.size();
  const uint8_t body[] = "Subject: x\r\n\r\nhi\r\n";
  smtpc_send_result* result = nullptr;
  SendResult out;
  out.rc = smtpc_send(&o, &env, body, sizeof(body) - 1, &result);
  EXPECT_NE(result, nullptr);
  if (result == nullptr) return out;
  const int n = smtpc_send_result_num_recipients(result);
  for (int i = 0; i < n; ++i) {
    smtpc_recipient_result r;
    smtpc_recipient_result_init(&r, sizeof(r));
    EXPECT_EQ(smtpc_send_result_recipient(result, i, &r), 1);
    out.recipients.push_back(Copy(r));
  }
  smtpc_error_info info;
  smtpc_error_info_init(&info, sizeof(info));
  if (smtpc_send_result_error(result, &info) == 1) {
    out.error_command.assign(info.command, info.command_len);
  }
  smtpc_send_result_free(result);
  return out;
}

// Serve starts a loopback server (its hook may replace replies).
std::unique_ptr<smtpcore::LoopbackServer> Serve(
    smtpcore::LoopbackServerOptions options) {
  absl::StatusOr<std::unique_ptr<smtpcore::LoopbackServer>> server =
      smtpcore::LoopbackServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(SmtpcNotSentTest, SendWithRefusedSender) {
  // Without PIPELINING (the loopback server would take the commands after
  // a replaced 354 as the body): no RCPT follows the refusal.
  smtpcore::LoopbackServerOptions options;
  options.extensions = {"8BITMIME", "ENHANCEDSTATUSCODES"};
  options.hook = [](const smtpcore::LoopbackContext&,
                    absl::string_view line) -> absl::optional<std::string> {
    if (absl::StartsWith(line, "MAIL")) return "550 5.7.1 sender refused";
    return absl::nullopt;
  };
  std::unique_ptr<smtpcore::LoopbackServer> server = Serve(options);
  ASSERT_NE(server, nullptr);
  SendResult r =
      Send(server->port(), "reject@example.org", {"b@x.test", "c@x.test"});
  EXPECT_EQ(r.rc, SMTPC_ERR_WRONG_STATE);
  EXPECT_EQ(r.error_command, "MAIL");
  ASSERT_EQ(r.recipients.size(), 2u);
  for (const Rcpt& rr : r.recipients) {
    EXPECT_EQ(rr.not_sent, 1) << rr.address;
    EXPECT_EQ(rr.outcome, "not_sent") << rr.address;
    EXPECT_EQ(rr.status, SMTPC_RCPT_REJECTED) << rr.address;
  }
  EXPECT_TRUE(server->messages().empty());
  for (const std::string& command : server->commands(0)) {
    EXPECT_FALSE(absl::StartsWith(command, "RCPT")) << command;
  }
}

TEST(SmtpcNotSentTest, SendWithRefusedRecipient) {
  smtpcore::LoopbackServerOptions options;
  options.reject_recipients = {"b@x.test"};
  std::unique_ptr<smtpcore::LoopbackServer> server = Serve(options);
  ASSERT_NE(server, nullptr);
  SendResult r =
      Send(server->port(), "a@example.org", {"b@x.test", "c@x.test"});
  EXPECT_EQ(r.rc, 0);
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_EQ(r.recipients[0].status, SMTPC_RCPT_REJECTED);
  EXPECT_EQ(r.recipients[0].not_sent, 0);
  EXPECT_EQ(r.recipients[0].outcome, "rejected");
  EXPECT_EQ(r.recipients[0].code, 550);
  EXPECT_EQ(r.recipients[1].status, SMTPC_RCPT_DELIVERED);
  EXPECT_EQ(r.recipients[1].outcome, "delivered");

  r = Send(server->port(), "a@example.org", {"b@x.test"});
  EXPECT_EQ(r.rc, SMTPC_ERR_WRONG_STATE);
  EXPECT_EQ(r.error_command, "RCPT");
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].not_sent, 0);
  EXPECT_EQ(r.recipients[0].outcome, "rejected");
}

TEST(SmtpcNotSentTest, SendWithConnectionRefused) {
  absl::StatusOr<smtpcore::RefusedLoopbackPort> refused =
      smtpcore::RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  SendResult r =
      Send(refused->port(), "a@example.org", {"b@x.test", "c@x.test"});
  EXPECT_EQ(r.rc, SMTPC_ERR_UNAVAILABLE);
  ASSERT_EQ(r.recipients.size(), 2u);
  for (const Rcpt& rr : r.recipients) {
    EXPECT_EQ(rr.status, SMTPC_RCPT_DEFERRED) << rr.address;
    EXPECT_EQ(rr.not_sent, 1) << rr.address;
    EXPECT_EQ(rr.outcome, "not_sent") << rr.address;
  }
}

TEST(SmtpcNotSentTest, SendWithBadOptionsIsNeverPending) {
  // Refused before connecting (1.1 left these recipients pending).
  SendResult r = Send(70000, "a@example.org", {"b@x.test"});
  EXPECT_EQ(r.rc, SMTPC_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].status, SMTPC_RCPT_REJECTED);
  EXPECT_EQ(r.recipients[0].not_sent, 1);
  EXPECT_EQ(r.recipients[0].outcome, "not_sent");
}

}  // namespace
