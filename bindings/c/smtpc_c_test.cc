// smtpc_c_test: drives a full delivery through the C ABI (smtpc.h) against
// scripted server bytes, asserting the exact client bytes and events.

#include "bindings/c/smtpc.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

constexpr int64_t kSecond = 1000000000;

// Drain takes every byte the session offers (as a writer that writes all).
std::string Drain(smtpc_session* s, int64_t now) {
  std::string out;
  for (;;) {
    smtpc_iovec iov[2];  // small on purpose: exercises several rounds
    int n = smtpc_session_poll_transmit(s, iov, 2);
    EXPECT_GE(n, 0);
    if (n <= 0) break;
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      out.append(reinterpret_cast<const char*>(iov[i].base), iov[i].len);
      total += iov[i].len;
    }
    EXPECT_EQ(smtpc_session_consume_transmit(s, total, now), 0);
  }
  return out;
}

// Events returns the summaries of all pending events.
std::vector<std::string> Events(smtpc_session* s) {
  std::vector<std::string> out;
  smtpc_event e;
  while (smtpc_session_poll_event(s, &e) == 1) {
    out.emplace_back(e.summary, e.summary_len);
  }
  EXPECT_EQ(e.type, SMTPC_EVENT_NONE);
  return out;
}

int Feed(smtpc_session* s, const std::string& bytes, int64_t now) {
  return smtpc_session_receive(
      s, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), now);
}

smtpc_session* NewPlain() {
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  o.ehlo_domain = "client.example";
  o.tls_mode = SMTPC_TLS_NONE;
  smtpc_session* s = nullptr;
  EXPECT_EQ(smtpc_session_new(&o, 0, &s), 0);
  EXPECT_NE(s, nullptr);
  return s;
}

constexpr char kBody[] = "Subject: hi\r\n\r\n.dot line\r\nbye\r\n";

// The end of data went out, then EOF: the recipient's outcome is unknown.
TEST(SmtpcTest, EofAfterTheEndOfDataCountsUnknown) {
  smtpc_session* s = NewPlain();
  int64_t now = 1 * kSecond;
  const char* rcpts[] = {"b@example.org"};
  uint64_t id = 0;
  ASSERT_EQ(smtpc_session_deliver(s, "a@example.org", rcpts, 1,
                                  reinterpret_cast<const uint8_t*>("x\r\n"),
                                  3, now, &id),
            0);
  ASSERT_EQ(Feed(s, "220 mx\r\n", now), 0);
  Drain(s, now);
  ASSERT_EQ(Feed(s, "250-mx\r\n250 PIPELINING\r\n", now), 0);
  Drain(s, now);
  ASSERT_EQ(Feed(s, "250 ok\r\n250 ok\r\n354 go\r\n", now), 0);
  EXPECT_EQ(Drain(s, now), "x\r\n.\r\n");
  smtpc_session_receive_eof(s, now);
  smtpc_event e;
  bool saw_failed = false;
  while (smtpc_session_poll_event(s, &e) == 1) {
    if (e.type == SMTPC_EVENT_DELIVERY_FAILED) {
      saw_failed = true;
      EXPECT_EQ(e.unknown, 1u);
      EXPECT_EQ(e.deferred, 0u);
      EXPECT_EQ(std::string(e.summary, e.summary_len),
                "delivery_failed connection_closed 0 unknown=1");
    }
  }
  EXPECT_TRUE(saw_failed);
  smtpc_session_free(s);
}

TEST(SmtpcTest, FullPipelinedDelivery) {
  smtpc_session* s = NewPlain();
  int64_t now = 1 * kSecond;

  const char* rcpts[] = {"b@example.org", "c@example.org"};
  uint64_t id = 0;
  {
    // The body is copied: scribbling over our buffer after the call must not
    // change what is sent.
    std::string body = kBody;
    ASSERT_EQ(smtpc_session_deliver(
                  s, "a@example.org", rcpts, 2,
                  reinterpret_cast<const uint8_t*>(body.data()), body.size(),
                  now, &id),
              0);
    std::memset(&body[0], 'X', body.size());
  }
  EXPECT_EQ(id, 1u);
  ASSERT_EQ(smtpc_session_close(s, now), 0);

  // Nothing before the greeting; the greeting timer (5 min) runs since the
  // session was created at 0.
  EXPECT_EQ(Drain(s, now), "");
  int64_t deadline = 0;
  ASSERT_EQ(smtpc_session_next_deadline(s, &deadline), 1);
  EXPECT_EQ(deadline, 300 * kSecond);

  ASSERT_EQ(Feed(s, "220 mx.example.org ESMTP\r\n", now), 0);
  EXPECT_EQ(Drain(s, now), "EHLO client.example\r\n");
  ASSERT_EQ(Feed(s,
                 "250-mx.example.org\r\n250-PIPELINING\r\n"
                 "250 ENHANCEDSTATUSCODES\r\n",
                 now),
            0);
  EXPECT_EQ(Drain(s, now),
            "MAIL FROM:<a@example.org>\r\n"
            "RCPT TO:<b@example.org>\r\n"
            "RCPT TO:<c@example.org>\r\n"
            "DATA\r\n");
  // Check the RECIPIENT event fields in detail.
  ASSERT_EQ(Feed(s,
                 "250 2.1.0 ok\r\n250 2.1.5 ok\r\n"
                 "550 5.1.1 no such user\r\n354 go ahead\r\n",
                 now),
            0);
  std::vector<std::string> events;
  smtpc_event e;
  while (smtpc_session_poll_event(s, &e) == 1) {
    events.emplace_back(e.summary, e.summary_len);
    if (e.type == SMTPC_EVENT_RECIPIENT && e.code == 550) {
      EXPECT_EQ(std::string(e.address, e.address_len), "c@example.org");
      EXPECT_EQ(e.delivery_id, 1u);
      EXPECT_EQ(e.enhanced_class, 5);
      EXPECT_EQ(e.enhanced_subject, 1);
      EXPECT_EQ(e.enhanced_detail, 1);
      EXPECT_EQ(std::string(e.text, e.text_len), "5.1.1 no such user");
    }
  }
  EXPECT_EQ(events,
            (std::vector<std::string>{
                "greeting 220", "capabilities PIPELINING ENHANCEDSTATUSCODES",
                "ready", "recipient <b@example.org> 250 2.1.5",
                "recipient <c@example.org> 550 5.1.1"}));
  EXPECT_EQ(Drain(s, now), "Subject: hi\r\n\r\n..dot line\r\nbye\r\n.\r\n");

  ASSERT_EQ(Feed(s, "250 2.0.0 queued as 42\r\n", now), 0);
  // DELIVERY_DONE carries the counts.
  events.clear();
  bool saw_done = false;
  while (smtpc_session_poll_event(s, &e) == 1) {
    events.emplace_back(e.summary, e.summary_len);
    if (e.type == SMTPC_EVENT_DELIVERY_DONE) {
      saw_done = true;
      EXPECT_EQ(e.delivery_id, 1u);
      EXPECT_EQ(e.delivered, 1u);
      EXPECT_EQ(e.rejected, 1u);
      EXPECT_EQ(e.deferred, 0u);
      EXPECT_EQ(e.error, 0);
    }
  }
  EXPECT_TRUE(saw_done);
  EXPECT_EQ(events, (std::vector<std::string>{
                        "delivered 250 2.0.0 accepted=1 rejected=1",
                        "delivery_done delivered=1 rejected=1 deferred=0"}));
  EXPECT_EQ(Drain(s, now), "QUIT\r\n");
  ASSERT_EQ(Feed(s, "221 2.0.0 bye\r\n", now), 0);
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_CLOSED);
  EXPECT_EQ(e.error, 0);
  EXPECT_EQ(std::string(e.summary, e.summary_len), "closed ok");
  EXPECT_EQ(smtpc_session_poll_event(s, &e), 0);
  EXPECT_EQ(smtpc_session_next_deadline(s, &deadline), 0);
  // Input after the close is refused.
  EXPECT_EQ(Feed(s, "250 late\r\n", now), SMTPC_ERR_WRONG_STATE);
  smtpc_session_free(s);
}

TEST(SmtpcTest, TraceEvents) {
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  o.tls_mode = SMTPC_TLS_NONE;
  o.trace = 1;
  smtpc_session* s = nullptr;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
  ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  smtpc_event e;
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_TRACE);
  EXPECT_EQ(e.from_client, 0);
  EXPECT_EQ(std::string(e.text, e.text_len), "220 mx");
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_GREETING);
  EXPECT_EQ(e.code, 220);
  EXPECT_EQ(std::string(e.text, e.text_len), "mx");
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_TRACE);
  EXPECT_EQ(e.from_client, 1);
  EXPECT_EQ(std::string(e.text, e.text_len), "EHLO localhost");
  smtpc_session_free(s);
}

TEST(SmtpcTest, ServerEofFailsQueuedDelivery) {
  smtpc_session* s = NewPlain();
  const char* rcpts[] = {"b@example.org"};
  uint64_t id = 0;
  ASSERT_EQ(smtpc_session_deliver(s, "", rcpts, 1, nullptr, 0, 0, &id), 0);
  EXPECT_EQ(smtpc_session_receive_eof(s, 0), SMTPC_ERR_UNAVAILABLE);
  EXPECT_EQ(Events(s), (std::vector<std::string>{
                           "delivery_failed connection_closed 0",
                           "closed connection_closed"}));
  // Later calls are refused.
  EXPECT_EQ(smtpc_session_deliver(s, "", rcpts, 1, nullptr, 0, 0, &id),
            SMTPC_ERR_WRONG_STATE);
  smtpc_session_free(s);
}

TEST(SmtpcTest, TimeoutClosesSession) {
  smtpc_session* s = NewPlain();
  int64_t deadline = 0;
  ASSERT_EQ(smtpc_session_next_deadline(s, &deadline), 1);
  EXPECT_EQ(smtpc_session_handle_timeout(s, deadline - 1), 0);
  EXPECT_EQ(Events(s), std::vector<std::string>{});
  EXPECT_EQ(smtpc_session_handle_timeout(s, deadline), 0);
  smtpc_event e;
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_CLOSED);
  EXPECT_EQ(e.error, SMTPC_ERR_TIMEOUT);
  EXPECT_STREQ(smtpc_error_detail_name(e.error_detail), "timeout");
  EXPECT_EQ(e.permanent, 0);
  EXPECT_GT(e.message_len, 0u);
  smtpc_session_free(s);
}

TEST(SmtpcTest, ControlCharacterInAddressIsRefused) {
  smtpc_session* s = NewPlain();
  const char* bad[] = {"b@example.org\r\nRSET"};
  uint64_t id = 77;
  EXPECT_EQ(smtpc_session_deliver(s, "a@example.org", bad, 1, nullptr, 0, 0,
                                  &id),
            SMTPC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(id, 77u);
  EXPECT_STREQ(smtpc_error_detail_name(smtpc_session_last_error_detail(s)),
               "control_character");
  EXPECT_STRNE(smtpc_session_last_error_message(s), "");
  const char* good[] = {"b@example.org"};
  EXPECT_EQ(smtpc_session_deliver(s, "a@exa\nmple.org", good, 1, nullptr, 0,
                                  0, &id),
            SMTPC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(smtpc_session_last_error_detail(s), 3);
  // No recipients.
  EXPECT_EQ(smtpc_session_deliver(s, "a@example.org", nullptr, 0, nullptr, 0,
                                  0, &id),
            SMTPC_ERR_INVALID_ARGUMENT);
  // The session is unchanged: a valid delivery still gets id 1.
  EXPECT_EQ(smtpc_session_deliver(s, "a@example.org", good, 1, nullptr, 0, 0,
                                  &id),
            0);
  EXPECT_EQ(id, 1u);
  smtpc_session_free(s);
}

TEST(SmtpcTest, NullPointers) {
  smtpc_session* s = nullptr;
  EXPECT_EQ(smtpc_session_new(nullptr, 0, nullptr), SMTPC_ERR_NULL_POINTER);
  // NULL options means defaults.
  ASSERT_EQ(smtpc_session_new(nullptr, 0, &s), 0);
  const char* rcpts[] = {"b@example.org", nullptr};
  uint64_t id = 0;
  EXPECT_EQ(smtpc_session_deliver(nullptr, "a@x", rcpts, 1, nullptr, 0, 0, &id),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_deliver(s, nullptr, rcpts, 1, nullptr, 0, 0, &id),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_deliver(s, "a@x", nullptr, 1, nullptr, 0, 0, &id),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_deliver(s, "a@x", rcpts, 2, nullptr, 0, 0, &id),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_deliver(s, "a@x", rcpts, 1, nullptr, 5, 0, &id),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_receive(s, nullptr, 3, 0), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_receive(s, nullptr, 0, 0), 0);
  EXPECT_EQ(smtpc_session_receive(nullptr, nullptr, 0, 0),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_receive_eof(nullptr, 0), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_handle_timeout(nullptr, 0), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_tls_established(s, nullptr, 0),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_close(nullptr, 0), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_poll_transmit(s, nullptr, 4), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_poll_transmit(s, nullptr, 0), 0);
  EXPECT_EQ(smtpc_session_consume_transmit(nullptr, 0, 0),
            SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_next_deadline(s, nullptr), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_poll_event(s, nullptr), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_last_error_detail(nullptr), 0);
  EXPECT_STREQ(smtpc_session_last_error_message(nullptr), "");
  smtpc_session_free(nullptr);  // no-op
  smtpc_session_free(s);
}

TEST(SmtpcTest, OptionsVersioning) {
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  EXPECT_EQ(o.struct_size, sizeof(smtpc_session_options));
  smtpc_session* s = reinterpret_cast<smtpc_session*>(&o);  // poison
  o.struct_size = 4;
  EXPECT_EQ(smtpc_session_new(&o, 0, &s), SMTPC_ERR_VERSION);
  EXPECT_EQ(s, nullptr);
  o.struct_size = sizeof(o) + 8;
  EXPECT_EQ(smtpc_session_new(&o, 0, &s), SMTPC_ERR_VERSION);
  o.struct_size = sizeof(o);
  o.tls_mode = 9;
  EXPECT_EQ(smtpc_session_new(&o, 0, &s), SMTPC_ERR_INVALID_ARGUMENT);
  o.tls_mode = SMTPC_TLS_REQUIRED;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
  // A size between version 1 and the current one is accepted.
  smtpc_session* s2 = nullptr;
  o.struct_size = SMTPC_SESSION_OPTIONS_V1_SIZE;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s2), 0);
  // TLS reported on a failed session is refused.
  EXPECT_EQ(smtpc_session_receive_eof(s, 0), SMTPC_ERR_UNAVAILABLE);
  smtpc_tls_info info = {"TLSv1.3", "TLS_AES_128_GCM_SHA256", nullptr, 1};
  EXPECT_EQ(smtpc_session_tls_established(s, &info, 0),
            SMTPC_ERR_WRONG_STATE);
  EXPECT_EQ(smtpc_session_close(s, 0), SMTPC_ERR_WRONG_STATE);
  smtpc_session_free(s);
  smtpc_session_free(s2);
}

TEST(SmtpcTest, StartTlsHandOff) {
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  o.ehlo_domain = "client.example";
  o.tls_mode = SMTPC_TLS_REQUIRED;
  smtpc_session* s = nullptr;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
  ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "EHLO client.example\r\n");
  ASSERT_EQ(Feed(s, "250-mx\r\n250 STARTTLS\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "STARTTLS\r\n");
  ASSERT_EQ(Feed(s, "220 go\r\n", 0), 0);
  EXPECT_EQ(Events(s), (std::vector<std::string>{"greeting 220",
                                                 "capabilities STARTTLS",
                                                 "tls_upgrade_required"}));
  smtpc_tls_info info = {"TLSv1.3", "TLS_AES_128_GCM_SHA256", "mx", 1};
  ASSERT_EQ(smtpc_session_tls_established(s, &info, 0), 0);
  EXPECT_EQ(Drain(s, 0), "EHLO client.example\r\n");
  smtpc_event e;
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_TLS_ESTABLISHED);
  EXPECT_EQ(std::string(e.text, e.text_len), "TLSv1.3 TLS_AES_128_GCM_SHA256");
  smtpc_session_free(s);
}

TEST(SmtpcTest, Strings) {
  EXPECT_STREQ(smtpc_strerror(SMTPC_OK), "success");
  EXPECT_STREQ(smtpc_strerror(SMTPC_ERR_NULL_POINTER), "NULL pointer argument");
  EXPECT_STREQ(smtpc_strerror(12345), "unknown error");
  EXPECT_STREQ(smtpc_error_detail_name(0), "none");
  EXPECT_STREQ(smtpc_error_detail_name(33), "starttls_injection");
  EXPECT_STREQ(smtpc_error_detail_name(-5), "unknown");
}

// --- LMTP ------------------------------------------------------------------

TEST(SmtpcTest, LmtpPerRecipientDataReplies) {
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  EXPECT_EQ(o.lmtp, 0);
  o.ehlo_domain = "client.example";
  o.tls_mode = SMTPC_TLS_NONE;
  o.lmtp = 1;
  smtpc_session* s = nullptr;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
  ASSERT_EQ(Feed(s, "220 lmtp ready\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "LHLO client.example\r\n");
  ASSERT_EQ(Feed(s, "250-lmtp\r\n250 PIPELINING\r\n", 0), 0);
  const char* rcpts[] = {"b@example.org", "c@example.org"};
  ASSERT_EQ(smtpc_session_deliver(s, "a@example.org", rcpts, 2,
                                  reinterpret_cast<const uint8_t*>("x\r\n"),
                                  3, 0, nullptr),
            0);
  Drain(s, 0);
  ASSERT_EQ(Feed(s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0), 0);
  Drain(s, 0);
  Events(s);
  ASSERT_EQ(Feed(s, "250 2.0.0 b saved\r\n552 5.2.2 c full\r\n", 0), 0);
  smtpc_event e;
  std::vector<std::string> data;
  bool complete = false;
  while (smtpc_session_poll_event(s, &e) == 1) {
    if (e.type == SMTPC_EVENT_RECIPIENT_DATA) {
      EXPECT_EQ(e.delivery_id, 1u);
      data.push_back(std::string(e.address, e.address_len) + " " +
                     std::to_string(e.code) + " " +
                     std::string(e.text, e.text_len));
    }
    if (e.type == SMTPC_EVENT_TRANSACTION_COMPLETE) {
      complete = true;
      EXPECT_EQ(e.accepted, 2u);
      EXPECT_EQ(e.delivered, 1u);
      EXPECT_EQ(std::string(e.summary, e.summary_len),
                "lmtp_complete accepted=2 delivered=1 rejected=0");
    }
    if (e.type == SMTPC_EVENT_DELIVERY_DONE) {
      EXPECT_EQ(e.delivered, 1u);
      EXPECT_EQ(e.rejected, 1u);
    }
  }
  EXPECT_TRUE(complete);
  EXPECT_EQ(data, (std::vector<std::string>{
                      "b@example.org 250 2.0.0 b saved",
                      "c@example.org 552 5.2.2 c full"}));
  smtpc_session_free(s);
}

// --- Requests ----------------------------------------------------------------

smtpc_request_result Result(smtpc_session* s) {
  smtpc_request_result r;
  std::memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  EXPECT_EQ(smtpc_session_request_result(s, &r), 1);
  return r;
}

std::string Entry(smtpc_session* s, size_t i) {
  smtpc_entry e;
  std::memset(&e, 0, sizeof(e));
  e.struct_size = sizeof(e);
  if (smtpc_session_request_entry(s, i, &e) != 1) return "<none>";
  return std::string(e.name, e.name_len) + "|" +
         std::string(e.mailbox, e.mailbox_len) + "|" +
         std::string(e.text, e.text_len);
}

TEST(SmtpcTest, VrfyExpnHelpEtrn) {
  smtpc_session* s = NewPlain();
  uint64_t id = 0;
  ASSERT_EQ(smtpc_session_vrfy(s, "fred", 0, &id), 0);
  EXPECT_EQ(id, 1u);
  ASSERT_EQ(smtpc_session_expn(s, "staff", 0, &id), 0);
  EXPECT_EQ(id, 2u);
  ASSERT_EQ(smtpc_session_help(s, nullptr, 0, &id), 0);
  EXPECT_EQ(id, 3u);
  ASSERT_EQ(smtpc_session_etrn(s, "@example.org", 0, &id), 0);
  EXPECT_EQ(id, 4u);
  ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "EHLO client.example\r\n");
  ASSERT_EQ(Feed(s, "250-mx\r\n250 ETRN\r\n", 0), 0);
  Events(s);
  EXPECT_EQ(Drain(s, 0), "VRFY fred\r\n");

  ASSERT_EQ(Feed(s, "252 2.1.5 Cannot VRFY user\r\n", 0), 0);
  smtpc_event e;
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_VRFY);
  EXPECT_EQ(e.code, 252);
  smtpc_request_result r = Result(s);
  EXPECT_EQ(r.request_id, 1u);
  EXPECT_EQ(r.outcome, SMTPC_LOOKUP_CANNOT_VERIFY);
  EXPECT_EQ(std::string(r.outcome_name, r.outcome_name_len), "cannot_verify");
  EXPECT_EQ(r.num_entries, 0u);
  EXPECT_EQ(r.pending_messages, -1);

  EXPECT_EQ(Drain(s, 0), "EXPN staff\r\n");
  ASSERT_EQ(Feed(s, "250-Jon Postel <postel@example.org>\r\n"
                    "250 <fred@example.org>\r\n", 0),
            0);
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_EXPN);
  r = Result(s);
  EXPECT_EQ(r.request_id, 2u);
  EXPECT_EQ(r.outcome, SMTPC_LOOKUP_FOUND);
  ASSERT_EQ(r.num_entries, 2u);
  EXPECT_EQ(Entry(s, 0), "Jon Postel|postel@example.org|"
                         "Jon Postel <postel@example.org>");
  EXPECT_EQ(Entry(s, 1), "|fred@example.org|<fred@example.org>");
  EXPECT_EQ(Entry(s, 2), "<none>");

  EXPECT_EQ(Drain(s, 0), "HELP\r\n");
  ASSERT_EQ(Feed(s, "214-Commands:\r\n214 HELO EHLO MAIL\r\n", 0), 0);
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_HELP);
  r = Result(s);
  EXPECT_EQ(r.outcome, SMTPC_HELP_HELP);
  ASSERT_EQ(r.num_entries, 2u);
  EXPECT_EQ(Entry(s, 1), "||HELO EHLO MAIL");

  EXPECT_EQ(Drain(s, 0), "ETRN @example.org\r\n");
  ASSERT_EQ(Feed(s, "253 OK, 7 pending messages for node example.org "
                    "started\r\n", 0),
            0);
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_ETRN);
  r = Result(s);
  EXPECT_EQ(r.request_id, 4u);
  EXPECT_EQ(r.outcome, SMTPC_ETRN_PENDING_COUNT);
  EXPECT_EQ(r.pending_messages, 7);

  // The result belongs to the last polled event only.
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 0);
  smtpc_request_result none;
  none.struct_size = sizeof(none);
  none.request_id = 99;
  EXPECT_EQ(smtpc_session_request_result(s, &none), 0);
  EXPECT_EQ(none.request_id, 99u);
  smtpc_session_free(s);
}

TEST(SmtpcTest, EtrnNotOfferedAndRequestErrors) {
  smtpc_session* s = NewPlain();
  ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  Drain(s, 0);
  ASSERT_EQ(Feed(s, "250 mx\r\n", 0), 0);
  Events(s);
  uint64_t id = 0;
  ASSERT_EQ(smtpc_session_etrn(s, "example.org", 0, &id), 0);
  EXPECT_EQ(Drain(s, 0), "");
  smtpc_event e;
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_ETRN);
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(Result(s).outcome, SMTPC_ETRN_NOT_OFFERED);

  EXPECT_EQ(smtpc_session_vrfy(s, nullptr, 0, &id), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_vrfy(nullptr, "x", 0, &id), SMTPC_ERR_NULL_POINTER);
  EXPECT_EQ(smtpc_session_expn(s, "a\r\nRSET", 0, &id),
            SMTPC_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(smtpc_error_detail_name(smtpc_session_last_error_detail(s)),
               "control_character");
  EXPECT_EQ(smtpc_session_etrn(s, "two words", 0, &id),
            SMTPC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(smtpc_session_vrfy(s, "", 0, &id), SMTPC_ERR_INVALID_ARGUMENT);
  smtpc_request_result r;
  r.struct_size = 3;
  EXPECT_EQ(smtpc_session_request_result(s, &r), SMTPC_ERR_VERSION);
  smtpc_entry entry;
  entry.struct_size = sizeof(entry) + 1;
  EXPECT_EQ(smtpc_session_request_entry(s, 0, &entry), SMTPC_ERR_VERSION);
  EXPECT_EQ(smtpc_session_request_result(s, nullptr), SMTPC_ERR_NULL_POINTER);
  ASSERT_EQ(smtpc_session_close(s, 0), 0);
  EXPECT_EQ(smtpc_session_help(s, "", 0, &id), SMTPC_ERR_WRONG_STATE);
  smtpc_session_free(s);
}

// --- IDNA ----------------------------------------------------------------------

TEST(SmtpcTest, IdnaOnByDefault) {
  for (int idna : {1, 0}) {
    SCOPED_TRACE(idna);
    smtpc_session_options o;
    smtpc_session_options_default(&o);
    EXPECT_EQ(o.idna, 1);
    o.ehlo_domain = "m\xc3\xbcnchen.example";
    o.tls_mode = SMTPC_TLS_NONE;
    o.idna = idna;
    smtpc_session* s = nullptr;
    ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
    ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
    EXPECT_EQ(Drain(s, 0), idna ? "EHLO xn--mnchen-3ya.example\r\n"
                                : "EHLO m\xc3\xbcnchen.example\r\n");
    ASSERT_EQ(Feed(s, "250-mx\r\n250 PIPELINING\r\n", 0), 0);
    Events(s);
    const char* rcpts[] = {"bob@b\xc3\xbc" "cher.example"};
    ASSERT_EQ(smtpc_session_deliver(s, "a@example.org", rcpts, 1, nullptr, 0,
                                    0, nullptr),
              0);
    if (idna) {
      EXPECT_EQ(Drain(s, 0),
                "MAIL FROM:<a@example.org>\r\n"
                "RCPT TO:<bob@xn--bcher-kva.example>\r\nDATA\r\n");
    } else {
      EXPECT_EQ(Drain(s, 0), "");
      EXPECT_EQ(Events(s), (std::vector<std::string>{
                               "delivery_failed needs_smtputf8 0"}));
    }
    smtpc_session_free(s);
  }
}

TEST(SmtpcTest, NonAsciiLocalPartIsAPermanentRefusal) {
  smtpc_session* s = NewPlain();
  ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  Drain(s, 0);
  ASSERT_EQ(Feed(s, "250 mx\r\n", 0), 0);
  Events(s);
  const char* rcpts[] = {"j\xc3\xb6rg@example.org"};
  ASSERT_EQ(smtpc_session_deliver(s, "a@example.org", rcpts, 1, nullptr, 0,
                                  0, nullptr),
            0);
  EXPECT_EQ(Drain(s, 0), "");
  smtpc_event e;
  ASSERT_EQ(smtpc_session_poll_event(s, &e), 1);
  EXPECT_EQ(e.type, SMTPC_EVENT_DELIVERY_FAILED);
  EXPECT_EQ(e.permanent, 1);
  EXPECT_EQ(e.error, SMTPC_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(smtpc_error_detail_name(e.error_detail), "needs_smtputf8");
  EXPECT_EQ(e.rejected, 1u);
  smtpc_session_free(s);
}

// --- OAuth token provider --------------------------------------------------------

// Provider hands out "old", then "new" on refresh; it records each call.
struct Provider {
  std::vector<std::string> calls;  // "refresh=<0|1> <server_error>"
  bool fail = false;

  static int Call(void* user_data, int refresh, const char* server_error,
                  size_t server_error_len, char* token, size_t token_cap,
                  size_t* token_len) {
    auto* p = static_cast<Provider*>(user_data);
    EXPECT_EQ(std::strlen(server_error), server_error_len);
    EXPECT_EQ(token_cap, static_cast<size_t>(SMTPC_MAX_TOKEN_SIZE));
    p->calls.push_back("refresh=" + std::to_string(refresh) + " " +
                       std::string(server_error, server_error_len));
    if (p->fail) return -1;
    const std::string t = refresh ? "new" : "old";
    std::memcpy(token, t.data(), t.size());
    *token_len = t.size();
    return 0;
  }
};

smtpc_session* NewOAuth(Provider* provider) {
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  o.ehlo_domain = "client.example";
  o.tls_mode = SMTPC_TLS_REQUIRED;
  o.auth_user = "u@example.org";
  o.oauth_token_provider = &Provider::Call;
  o.oauth_user_data = provider;
  smtpc_session* s = nullptr;
  EXPECT_EQ(smtpc_session_new(&o, 0, &s), 0);
  EXPECT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "EHLO client.example\r\n");
  EXPECT_EQ(Feed(s, "250-mx\r\n250 STARTTLS\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "STARTTLS\r\n");
  EXPECT_EQ(Feed(s, "220 go\r\n", 0), 0);
  smtpc_tls_info info = {"TLSv1.3", "TLS_AES_128_GCM_SHA256", "", 1};
  EXPECT_EQ(smtpc_session_tls_established(s, &info, 0), 0);
  EXPECT_EQ(Drain(s, 0), "EHLO client.example\r\n");
  EXPECT_EQ(Feed(s, "250-mx\r\n250 AUTH PLAIN XOAUTH2\r\n", 0), 0);
  return s;
}

// Xoauth2Line is the AUTH line XOAUTH2 sends for "u@example.org" and
// `token`: base64("user=u@example.org\x01auth=Bearer " token "\x01\x01").
std::string Xoauth2Line(const std::string& token) {
  if (token == "old") {
    return "AUTH XOAUTH2 dXNlcj11QGV4YW1wbGUub3JnAWF1dGg9QmVhcmVyIG9sZAEB\r\n";
  }
  return "AUTH XOAUTH2 dXNlcj11QGV4YW1wbGUub3JnAWF1dGg9QmVhcmVyIG5ldwEB\r\n";
}

TEST(SmtpcTest, OAuthTokenRefreshedOnce) {
  Provider provider;
  smtpc_session* s = NewOAuth(&provider);
  EXPECT_EQ(Drain(s, 0), Xoauth2Line("old"));
  ASSERT_EQ(Feed(s, "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "\r\n");
  ASSERT_EQ(Feed(s, "535 5.7.8 Username and Password not accepted\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), Xoauth2Line("new"));
  EXPECT_EQ(provider.calls,
            (std::vector<std::string>{"refresh=0 ",
                                      "refresh=1 {\"status\":\"401\"}"}));
  ASSERT_EQ(Feed(s, "235 2.7.0 Accepted\r\n", 0), 0);
  std::vector<std::string> summaries;
  smtpc_event e;
  while (smtpc_session_poll_event(s, &e) == 1) {
    summaries.emplace_back(e.summary, e.summary_len);
    if (e.type == SMTPC_EVENT_AUTH_RETRY) {
      EXPECT_EQ(e.code, 535);
      EXPECT_STREQ(smtpc_error_detail_name(e.error_detail), "auth_failed");
    }
  }
  EXPECT_EQ(summaries, (std::vector<std::string>{
                           "greeting 220", "capabilities STARTTLS",
                           "tls_upgrade_required", "tls_established",
                           "capabilities AUTH=PLAIN,XOAUTH2",
                           "auth_retry 535 5.7.8", "authenticated XOAUTH2",
                           "ready"}));
  EXPECT_EQ(provider.calls.size(), 2u);  // the cached new token was reused
  smtpc_session_free(s);
}

TEST(SmtpcTest, OAuthRefusedTwiceAndProviderFailure) {
  Provider provider;
  smtpc_session* s = NewOAuth(&provider);
  EXPECT_EQ(Drain(s, 0), Xoauth2Line("old"));
  ASSERT_EQ(Feed(s, "535 5.7.3 Authentication unsuccessful\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), Xoauth2Line("new"));
  // The session now ends with QUIT; the failure is an event.
  EXPECT_EQ(Feed(s, "535 5.7.3 Authentication unsuccessful\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "QUIT\r\n");
  bool failed = false;
  smtpc_event e;
  while (smtpc_session_poll_event(s, &e) == 1) {
    if (e.type == SMTPC_EVENT_AUTH_FAILED) {
      failed = true;
      EXPECT_EQ(e.code, 535);
      EXPECT_EQ(e.error, SMTPC_ERR_PERMISSION_DENIED);
      EXPECT_STREQ(smtpc_error_detail_name(e.error_detail), "auth_failed");
    }
  }
  EXPECT_TRUE(failed);
  EXPECT_EQ(provider.calls.size(), 2u);
  smtpc_session_free(s);

  Provider broken;
  broken.fail = true;
  s = NewOAuth(&broken);
  EXPECT_EQ(Drain(s, 0), "QUIT\r\n");
  failed = false;
  while (smtpc_session_poll_event(s, &e) == 1) {
    if (e.type == SMTPC_EVENT_AUTH_FAILED) {
      failed = true;
      EXPECT_STREQ(smtpc_error_detail_name(e.error_detail), "auth_mechanism");
    }
  }
  EXPECT_TRUE(failed);
  smtpc_session_free(s);
}

TEST(SmtpcTest, OptionsVersion3) {
  EXPECT_EQ(SMTPC_SESSION_OPTIONS_V3_SIZE, sizeof(smtpc_session_options));
  EXPECT_LT(SMTPC_SESSION_OPTIONS_V2_SIZE, SMTPC_SESSION_OPTIONS_V3_SIZE);
  EXPECT_EQ(SMTPC_ENVELOPE_V1_SIZE, sizeof(smtpc_envelope));
  EXPECT_EQ(SMTPC_RECIPIENT_RESULT_V2_SIZE, sizeof(smtpc_recipient_result));
  EXPECT_LT(SMTPC_RECIPIENT_RESULT_V1_SIZE, SMTPC_RECIPIENT_RESULT_V2_SIZE);
  EXPECT_EQ(SMTPC_ERROR_INFO_V1_SIZE, sizeof(smtpc_error_info));
  EXPECT_EQ(SMTPC_SEND_OPTIONS_V2_SIZE, sizeof(smtpc_send_options));
  EXPECT_LT(SMTPC_SEND_OPTIONS_V1_SIZE, SMTPC_SEND_OPTIONS_V2_SIZE);
  EXPECT_EQ(SMTPC_TLS_SESSION_INFO_V1_SIZE, sizeof(smtpc_tls_session_info));
}

// Programs built against an older header pass a smaller struct: nothing
// past its size is ever written, and its missing fields take defaults.
TEST(SmtpcTest, OldSizeOptionsAreNeverOverrun) {
  for (size_t size : {size_t{SMTPC_SESSION_OPTIONS_V1_SIZE},
                      size_t{SMTPC_SESSION_OPTIONS_V2_SIZE}}) {
    std::vector<unsigned char> buf(sizeof(smtpc_session_options) + 16, 0xA5);
    auto* o = reinterpret_cast<smtpc_session_options*>(buf.data());
    ASSERT_EQ(smtpc_session_options_init(o, size), 0);
    for (size_t i = size; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xA5) << i;
    EXPECT_EQ(o->struct_size, size);
    smtpc_session* s = nullptr;
    ASSERT_EQ(smtpc_session_new(o, 0, &s), 0);
    for (size_t i = size; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xA5) << i;
    smtpc_session_free(s);
  }
  // The exported function of the 1.0 headers writes the version 2 layout.
  std::vector<unsigned char> buf(sizeof(smtpc_session_options), 0xA5);
  auto* o = reinterpret_cast<smtpc_session_options*>(buf.data());
  (smtpc_session_options_default)(o);
  EXPECT_EQ(o->struct_size, SMTPC_SESSION_OPTIONS_V2_SIZE);
  for (size_t i = SMTPC_SESSION_OPTIONS_V2_SIZE; i < buf.size(); ++i) {
    ASSERT_EQ(buf[i], 0xA5) << i;
  }
}

TEST(SmtpcTest, OptionsVersion2) {
  EXPECT_LT(SMTPC_SESSION_OPTIONS_V1_SIZE, SMTPC_SESSION_OPTIONS_V2_SIZE);
  EXPECT_EQ(SMTPC_REQUEST_RESULT_V1_SIZE, sizeof(smtpc_request_result));
  EXPECT_EQ(SMTPC_ENTRY_V1_SIZE, sizeof(smtpc_entry));
  // A version 1 struct gets the version 2 defaults: IDNA on, no LMTP.
  smtpc_session_options o;
  smtpc_session_options_default(&o);
  o.struct_size = SMTPC_SESSION_OPTIONS_V1_SIZE;
  o.tls_mode = SMTPC_TLS_NONE;
  o.ehlo_domain = "b\xc3\xbc" "cher.example";
  o.lmtp = 1;  // beyond struct_size: ignored
  smtpc_session* s = nullptr;
  ASSERT_EQ(smtpc_session_new(&o, 0, &s), 0);
  ASSERT_EQ(Feed(s, "220 mx\r\n", 0), 0);
  EXPECT_EQ(Drain(s, 0), "EHLO xn--bcher-kva.example\r\n");
  smtpc_session_free(s);
}

}  // namespace
