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

}  // namespace
