/* sansio_test.c: the C ABI driven from C99 against scripted server bytes.
 *
 * Built by c_abi_test.sh against the INSTALLED tree:
 *   cc -std=c99 sansio_test.c $(pkg-config --cflags --libs smtpc)
 * It checks the exact client bytes and the typed results of:
 *   - a STARTTLS + AUTH PLAIN delivery with every envelope parameter
 *     (SIZE, REQUIRETLS, RET, ENVID, NOTIFY, ORCPT) to three recipients of
 *     which one is delivered, one rejected and one deferred;
 *   - NOOP and abort; a failed TLS handshake; a stage timeout;
 *   - the versioned structs: an options struct of the version 1 size is
 *     never written past its end, by smtpc_session_options_init nor by the
 *     exported smtpc_session_options_default of the 1.0 headers;
 *   - the mechanism-choice and OAuth token callbacks.
 * Prints "N passed, M failed" and exits nonzero on any failure. */

#include <smtpc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failed = 0;
static int g_checks = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++g_checks;                                                                \
    if (!(cond)) {                                                             \
      ++g_failed;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_EQ_INT(a, b)                                              \
  do {                                                                  \
    long long a_ = (long long)(a), b_ = (long long)(b);                 \
    ++g_checks;                                                         \
    if (a_ != b_) {                                                     \
      ++g_failed;                                                       \
      fprintf(stderr, "%s:%d: %s == %lld, want %s == %lld\n", __FILE__, \
              __LINE__, #a, a_, #b, b_);                                \
    }                                                                   \
  } while (0)

#define CHECK_STR(got, want)                                                   \
  do {                                                                         \
    const char* g_ = (got);                                                    \
    const char* w_ = (want);                                                   \
    ++g_checks;                                                                \
    if (strcmp(g_, w_) != 0) {                                                 \
      ++g_failed;                                                              \
      fprintf(stderr, "%s:%d: %s\n  got:  \"%s\"\n  want: \"%s\"\n", __FILE__, \
              __LINE__, #got, g_, w_);                                         \
    }                                                                          \
  } while (0)

static const int64_t kSecond = 1000000000;

/* drain returns (in a static buffer) every byte the session offers, as a
 * writer that writes everything. */
static const char* drain(smtpc_session* s, int64_t now) {
  static char buf[8192];
  size_t used = 0;
  for (;;) {
    smtpc_iovec iov[4];
    int n = smtpc_session_poll_transmit(s, iov, 4);
    int i;
    size_t total = 0;
    CHECK(n >= 0);
    if (n <= 0) break;
    for (i = 0; i < n; ++i) {
      if (used + iov[i].len < sizeof(buf)) {
        memcpy(buf + used, iov[i].base, iov[i].len);
        used += iov[i].len;
      }
      total += iov[i].len;
    }
    CHECK_EQ_INT(smtpc_session_consume_transmit(s, total, now), 0);
  }
  buf[used] = '\0';
  return buf;
}

static int feed(smtpc_session* s, const char* bytes, int64_t now) {
  return smtpc_session_receive(s, (const uint8_t*)bytes, strlen(bytes), now);
}

/* next_event polls until an event of `type` and returns 1 with it in *e,
 * or 0 when the queue ran dry first. */
static int next_event(smtpc_session* s, int type, smtpc_event* e) {
  while (smtpc_session_poll_event(s, e) == 1) {
    if (e->type == type) return 1;
  }
  return 0;
}

static const char kBody[] = "Subject: t\r\n\r\nhello\r\n";

static void test_starttls_auth_mixed_recipients(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_envelope env;
  const char* rcpts[3] = {"b@example.org", "c@example.org", "d@example.org"};
  unsigned notify[3] = {SMTPC_NOTIFY_SUCCESS | SMTPC_NOTIFY_FAILURE, 0, 0};
  const char* orcpt[3] = {"b@example.org", NULL, NULL};
  uint64_t id = 0;
  int64_t now = kSecond;
  char want[1024];
  smtpc_event e;
  smtpc_tls_session_info tls;
  static const uint8_t kBinding[4] = {1, 2, 3, 4};
  smtpc_recipient_result r;
  int i;

  CHECK_EQ_INT(smtpc_session_options_init(&o, sizeof(o)), 0);
  o.ehlo_domain = "client.example";
  o.tls_mode = SMTPC_TLS_REQUIRED;
  o.auth_user = "alice";
  o.auth_password = "secret";
  o.auth_mechanisms = "PLAIN";
  o.timeout_mail_ms = 1500;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);

  CHECK_EQ_INT(smtpc_envelope_init(&env, sizeof(env)), 0);
  env.from = "a@example.org";
  env.rcpts = rcpts;
  env.num_rcpts = 3;
  env.rcpt_notify = notify;
  env.rcpt_orcpt = orcpt;
  env.requiretls = 1;
  env.dsn_ret = SMTPC_RET_HDRS;
  env.envid = "ENV+1";
  CHECK_EQ_INT(smtpc_session_deliver2(s, &env, (const uint8_t*)kBody,
                                      strlen(kBody), now, &id),
               0);
  CHECK_EQ_INT(id, 1);
  CHECK_EQ_INT(smtpc_session_close(s, now), 0);
  CHECK_STR(smtpc_session_state(s), "greeting");

  CHECK_EQ_INT(feed(s, "220 mx.example ESMTP\r\n", now), 0);
  CHECK_STR(drain(s, now), "EHLO client.example\r\n");
  CHECK_EQ_INT(
      feed(s, "250-mx.example\r\n250-STARTTLS\r\n250 PIPELINING\r\n", now), 0);
  CHECK_STR(drain(s, now), "STARTTLS\r\n");
  CHECK_EQ_INT(feed(s, "220 2.0.0 go ahead\r\n", now), 0);
  CHECK(next_event(s, SMTPC_EVENT_TLS_UPGRADE_REQUIRED, &e));
  CHECK_EQ_INT(smtpc_tls_session_info_init(&tls, sizeof(tls)), 0);
  tls.version = "TLSv1.2";
  tls.cipher = "ECDHE-ECDSA-AES128-GCM-SHA256";
  tls.server_name = "mx.example";
  tls.verified = 1;
  tls.channel_binding_type = "tls-unique";
  tls.channel_binding = kBinding;
  tls.channel_binding_len = sizeof(kBinding);
  CHECK_EQ_INT(smtpc_session_tls_established2(s, &tls, now), 0);
  CHECK_STR(drain(s, now), "EHLO client.example\r\n");
  CHECK_EQ_INT(feed(s,
                    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n"
                    "250-DSN\r\n250-REQUIRETLS\r\n250-ENHANCEDSTATUSCODES\r\n"
                    "250 AUTH SCRAM-SHA-256 PLAIN LOGIN\r\n",
                    now),
               0);
  /* auth_mechanisms = "PLAIN" wins over the stronger SCRAM on offer. */
  CHECK_STR(drain(s, now), "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
  CHECK_EQ_INT(smtpc_session_has_capability(s, "requiretls"), 1);
  CHECK_EQ_INT(smtpc_session_has_capability(s, "CHUNKING"), 0);
  CHECK_EQ_INT(feed(s, "235 2.7.0 accepted\r\n", now), 0);
  CHECK(next_event(s, SMTPC_EVENT_AUTHENTICATED, &e));
  CHECK_STR(e.text, "PLAIN");
  snprintf(want, sizeof(want),
           "MAIL FROM:<a@example.org> SIZE=%u REQUIRETLS RET=HDRS "
           "ENVID=ENV+2B1\r\n"
           "RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE "
           "ORCPT=rfc822;b@example.org\r\n"
           "RCPT TO:<c@example.org>\r\n"
           "RCPT TO:<d@example.org>\r\n"
           "DATA\r\n",
           (unsigned)strlen(kBody));
  CHECK_STR(drain(s, now), want);
  /* The first reply awaited is MAIL's: its configured 1.5 s timer runs. */
  {
    int64_t deadline = 0;
    CHECK_EQ_INT(smtpc_session_next_deadline(s, &deadline), 1);
    CHECK_EQ_INT(deadline, now + 1500 * 1000000LL);
  }
  CHECK_EQ_INT(feed(s,
                    "250 2.1.0 ok\r\n250 2.1.5 ok\r\n"
                    "550 5.1.1 no such user\r\n"
                    "450 4.2.0 mailbox busy\r\n354 go ahead\r\n",
                    now),
               0);
  CHECK_STR(drain(s, now), "Subject: t\r\n\r\nhello\r\n.\r\n");
  CHECK_EQ_INT(feed(s, "250 2.0.0 queued as 7\r\n", now), 0);
  CHECK(next_event(s, SMTPC_EVENT_DELIVERY_DONE, &e));
  CHECK_EQ_INT(e.delivered, 1);
  CHECK_EQ_INT(e.rejected, 1);
  CHECK_EQ_INT(e.deferred, 1);
  CHECK_EQ_INT(smtpc_session_event_num_recipients(s), 3);
  {
    static const int kStatus[3] = {SMTPC_RCPT_DELIVERED, SMTPC_RCPT_REJECTED,
                                   SMTPC_RCPT_DEFERRED};
    static const int kCode[3] = {250, 550, 450};
    static const char* const kText[3] = {
        "2.0.0 queued as 7", "5.1.1 no such user", "4.2.0 mailbox busy"};
    for (i = 0; i < 3; ++i) {
      CHECK_EQ_INT(smtpc_recipient_result_init(&r, sizeof(r)), 0);
      CHECK_EQ_INT(smtpc_session_event_recipient(s, (size_t)i, &r), 1);
      CHECK_STR(r.address, rcpts[i]);
      CHECK_EQ_INT(r.status, kStatus[i]);
      CHECK_EQ_INT(r.code, kCode[i]);
      CHECK_EQ_INT(r.enhanced_class, kCode[i] / 100);
      CHECK_STR(r.text, kText[i]);
      /* Version 2: refused by the server (RCPT or data), so not "not
       * sent"; the outcome is the status's name. */
      CHECK_EQ_INT(r.not_sent, 0);
      CHECK_STR(r.outcome, i == 0 ? "delivered"
                           : i == 1 ? "rejected"
                                    : "deferred");
    }
    CHECK_EQ_INT(r.rcpt_code, 450);
    CHECK_EQ_INT(r.data_code, 0);
    CHECK_EQ_INT(smtpc_session_event_recipient(s, 3, &r), 0);
  }
  /* The delivery succeeded: no error on this event. */
  {
    smtpc_error_info info;
    CHECK_EQ_INT(smtpc_error_info_init(&info, sizeof(info)), 0);
    CHECK_EQ_INT(smtpc_session_event_error(s, &info), 0);
  }
  CHECK_STR(drain(s, now), "QUIT\r\n");
  CHECK_EQ_INT(feed(s, "221 2.0.0 bye\r\n", now), 0);
  CHECK(next_event(s, SMTPC_EVENT_CLOSED, &e));
  CHECK_EQ_INT(e.error, 0);
  CHECK_STR(smtpc_session_state(s), "closed");
  smtpc_session_free(s);
}

static void test_noop_and_abort(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_event e;
  smtpc_error_info info;
  const char* rcpt = "b@example.org";

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  CHECK_EQ_INT(feed(s, "220 mx\r\n", 0), 0);
  CHECK_STR(drain(s, 0), "EHLO localhost\r\n");
  CHECK_EQ_INT(feed(s, "250 mx\r\n", 0), 0);
  CHECK_EQ_INT(smtpc_session_noop(s, 0), 0);
  CHECK_STR(drain(s, 0), "NOOP\r\n");
  CHECK_EQ_INT(feed(s, "250 2.0.0 fine\r\n", 0), 0);
  CHECK(next_event(s, SMTPC_EVENT_NOOP, &e));
  CHECK_EQ_INT(e.code, 250);
  CHECK_STR(e.text, "2.0.0 fine");
  /* A queued delivery fails with the abort; its recipient is deferred. */
  CHECK_EQ_INT(
      smtpc_session_deliver(s, "a@example.org", &rcpt, 1, (const uint8_t*)kBody,
                            strlen(kBody), 0, NULL),
      0);
  CHECK_EQ_INT(smtpc_session_abort(s, "the caller gave up", 0), 0);
  CHECK(next_event(s, SMTPC_EVENT_DELIVERY_FAILED, &e));
  CHECK_EQ_INT(e.deferred, 1);
  CHECK_EQ_INT(e.permanent, 0);
  /* Never offered to the server: deferred, and not sent. */
  {
    smtpc_recipient_result r;
    CHECK_EQ_INT(smtpc_recipient_result_init(&r, sizeof(r)), 0);
    CHECK_EQ_INT(smtpc_session_event_recipient(s, 0, &r), 1);
    CHECK_EQ_INT(r.status, SMTPC_RCPT_DEFERRED);
    CHECK_EQ_INT(r.not_sent, 1);
    CHECK_STR(r.outcome, "not_sent");
  }
  CHECK(next_event(s, SMTPC_EVENT_CLOSED, &e));
  CHECK_EQ_INT(e.error, SMTPC_ERR_UNAVAILABLE);
  CHECK_STR(smtpc_error_detail_name(e.error_detail), "io");
  smtpc_error_info_init(&info, sizeof(info));
  CHECK_EQ_INT(smtpc_session_event_error(s, &info), 1);
  CHECK_EQ_INT(info.error, SMTPC_ERR_UNAVAILABLE);
  CHECK(strstr(info.message, "the caller gave up") != NULL);
  CHECK_EQ_INT(smtpc_session_noop(s, 0), SMTPC_ERR_WRONG_STATE);
  smtpc_session_free(s);
}

static void test_tls_failed(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_event e;
  smtpc_error_info info;

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_REQUIRED;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250-mx\r\n250 STARTTLS\r\n", 0);
  CHECK_STR(drain(s, 0), "STARTTLS\r\n");
  feed(s, "220 go\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_TLS_UPGRADE_REQUIRED, &e));
  CHECK_EQ_INT(smtpc_session_tls_failed(s, SMTPC_ERR_UNAUTHENTICATED,
                                        "self-signed certificate", 0),
               0);
  CHECK(next_event(s, SMTPC_EVENT_CLOSED, &e));
  CHECK_EQ_INT(e.error, SMTPC_ERR_UNAUTHENTICATED);
  CHECK_STR(smtpc_error_detail_name(e.error_detail), "tls_verification");
  smtpc_error_info_init(&info, sizeof(info));
  CHECK_EQ_INT(smtpc_session_event_error(s, &info), 1);
  CHECK(strstr(info.message, "self-signed certificate") != NULL);
  smtpc_session_free(s);
}

static void test_timeout(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_event e;
  int64_t deadline = 0;

  smtpc_session_options_init(&o, sizeof(o));
  o.timeout_greeting_ms = 2000;
  CHECK_EQ_INT(smtpc_session_new(&o, 10 * kSecond, &s), 0);
  CHECK_EQ_INT(smtpc_session_next_deadline(s, &deadline), 1);
  CHECK_EQ_INT(deadline, 12 * kSecond);
  CHECK_EQ_INT(smtpc_session_handle_timeout(s, 11 * kSecond), 0);
  CHECK_EQ_INT(smtpc_session_poll_event(s, &e), 0); /* too early */
  CHECK_EQ_INT(smtpc_session_handle_timeout(s, 12 * kSecond), 0);
  CHECK(next_event(s, SMTPC_EVENT_CLOSED, &e));
  CHECK_EQ_INT(e.error, SMTPC_ERR_TIMEOUT);
  smtpc_session_free(s);
  /* A negative timeout disables the stage's timer. */
  o.timeout_greeting_ms = -1;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  CHECK_EQ_INT(smtpc_session_next_deadline(s, &deadline), 0);
  smtpc_session_free(s);
}

/* The version 1 layout: what a program built against the first header
 * allocates. Guard bytes after it must survive every call. */
struct v1_options_with_guard {
  unsigned char bytes[SMTPC_SESSION_OPTIONS_V1_SIZE];
  unsigned char guard[sizeof(smtpc_session_options)];
};

static int guard_intact(const struct v1_options_with_guard* g) {
  size_t i;
  for (i = 0; i < sizeof(g->guard); ++i) {
    if (g->guard[i] != 0xA5) return 0;
  }
  return 1;
}

static void test_old_struct_sizes(void) {
  struct v1_options_with_guard g;
  smtpc_session_options* o = (smtpc_session_options*)(void*)&g;
  smtpc_session* s = NULL;
  union {
    smtpc_session_options o;
    unsigned char bytes[sizeof(smtpc_session_options)];
  } v2;
  size_t i;

  memset(&g, 0xA5, sizeof(g));
  CHECK_EQ_INT(smtpc_session_options_init(o, SMTPC_SESSION_OPTIONS_V1_SIZE), 0);
  CHECK(guard_intact(&g));
  CHECK_EQ_INT(o->struct_size, SMTPC_SESSION_OPTIONS_V1_SIZE);
  CHECK_EQ_INT(o->tls_mode, SMTPC_TLS_OPPORTUNISTIC);
  CHECK_EQ_INT(o->pipelining, 1);
  o->tls_mode = SMTPC_TLS_NONE;
  o->ehlo_domain = "old.example";
  CHECK_EQ_INT(smtpc_session_new(o, 0, &s), 0);
  CHECK(guard_intact(&g));
  CHECK_EQ_INT(feed(s, "220 mx\r\n", 0), 0);
  CHECK_STR(drain(s, 0), "EHLO old.example\r\n");
  smtpc_session_free(s);

  /* Sizes the library does not know are refused and nothing is written. */
  CHECK_EQ_INT(smtpc_session_options_init(o, 4), SMTPC_ERR_VERSION);
  CHECK_EQ_INT(smtpc_session_options_init(o, sizeof(smtpc_session_options) + 8),
               SMTPC_ERR_VERSION);
  CHECK(guard_intact(&g));
  CHECK_EQ_INT(smtpc_session_options_init(NULL, sizeof(*o)),
               SMTPC_ERR_NULL_POINTER);

  /* The exported smtpc_session_options_default (the name in parentheses
   * calls the function, not the header's macro) writes the version 2
   * layout only, as programs built against those headers expect. */
  memset(&v2, 0xA5, sizeof(v2));
  (smtpc_session_options_default)(&v2.o);
  CHECK_EQ_INT(v2.o.struct_size, SMTPC_SESSION_OPTIONS_V2_SIZE);
  CHECK_EQ_INT(v2.o.idna, 1);
  for (i = SMTPC_SESSION_OPTIONS_V2_SIZE; i < sizeof(v2.bytes); ++i) {
    if (v2.bytes[i] != 0xA5) break;
  }
  CHECK_EQ_INT(i, sizeof(v2.bytes));
  /* The macro initialises the whole current struct. */
  smtpc_session_options_default(&v2.o);
  CHECK_EQ_INT(v2.o.struct_size, sizeof(smtpc_session_options));
  CHECK(v2.o.auth_password == NULL);
  CHECK_EQ_INT(v2.o.timeout_other_ms, 0);
}

/* pick_login is an smtpc_auth_chooser: LOGIN when offered. */
static int g_chooser_calls = 0;
static const char* pick_login(void* user_data, const char* const* offered,
                              size_t num_offered, int tls,
                              int channel_binding) {
  size_t i;
  ++g_chooser_calls;
  CHECK(user_data == (void*)&g_chooser_calls);
  CHECK_EQ_INT(tls, 0);
  CHECK_EQ_INT(channel_binding, 0);
  for (i = 0; i < num_offered; ++i) {
    if (strcmp(offered[i], "LOGIN") == 0) return offered[i];
  }
  return NULL;
}

static void test_auth_chooser(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_event e;

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  o.allow_insecure_auth = 1; /* scripted loopback-like server */
  o.auth_user = "alice";
  o.auth_password = "secret";
  o.auth_chooser = pick_login;
  o.auth_chooser_user_data = &g_chooser_calls;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n", 0);
  CHECK_EQ_INT(g_chooser_calls, 1);
  CHECK_STR(drain(s, 0), "AUTH LOGIN\r\n");
  feed(s, "334 VXNlcm5hbWU6\r\n", 0);
  CHECK_STR(drain(s, 0), "YWxpY2U=\r\n");
  feed(s, "334 UGFzc3dvcmQ6\r\n", 0);
  CHECK_STR(drain(s, 0), "c2VjcmV0\r\n");
  feed(s, "235 ok\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_AUTHENTICATED, &e));
  CHECK_STR(e.text, "LOGIN");
  smtpc_session_free(s);

  /* No acceptable mechanism: AUTH fails before anything is sent. */
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250-mx\r\n250 AUTH CRAM-MD5\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_AUTH_FAILED, &e));
  CHECK_STR(smtpc_error_detail_name(e.error_detail), "needs_auth");
  smtpc_session_free(s);

  /* Unknown mechanism names are refused up front. */
  o.auth_chooser = NULL;
  o.auth_mechanisms = "PLAIN,NOT-A-MECH";
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), SMTPC_ERR_INVALID_ARGUMENT);
  CHECK(s == NULL);
}

/* token_provider is an smtpc_token_provider: "t1", then "t2" on refresh. */
static int token_provider(void* user_data, int refresh,
                          const char* server_error, size_t server_error_len,
                          char* token, size_t token_cap, size_t* token_len) {
  const char* t = refresh ? "t2" : (*(int*)user_data ? "t2" : "t1");
  (void)server_error;
  (void)server_error_len;
  if (refresh) *(int*)user_data = 1;
  if (strlen(t) > token_cap) return -1;
  memcpy(token, t, strlen(t));
  *token_len = strlen(t);
  return 0;
}

static void test_oauth_refresh(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_event e;
  int refreshed = 0;
  const char* out;

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  o.allow_insecure_auth = 1;
  o.auth_user = "u@example.org";
  o.oauth_token_provider = token_provider;
  o.oauth_user_data = &refreshed;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250-mx\r\n250 AUTH XOAUTH2\r\n", 0);
  out = drain(s, 0);
  CHECK(strncmp(out, "AUTH XOAUTH2 ", 13) == 0);
  feed(s, "535 5.7.8 expired\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_AUTH_RETRY, &e));
  CHECK_EQ_INT(refreshed, 1);
  out = drain(s, 0);
  CHECK(strncmp(out, "AUTH XOAUTH2 ", 13) == 0);
  feed(s, "235 ok\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_AUTHENTICATED, &e));
  smtpc_session_free(s);
}

static void test_capability_filter(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  const char* rcpt = "b@example.org";

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  o.capability_ignore = "PIPELINING";
  o.capability_force = "ETRN";
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  CHECK_EQ_INT(
      smtpc_session_deliver(s, "a@example.org", &rcpt, 1, (const uint8_t*)kBody,
                            strlen(kBody), 0, NULL),
      0);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250-mx\r\n250 PIPELINING\r\n", 0);
  CHECK_EQ_INT(smtpc_session_has_capability(s, "PIPELINING"), 0);
  CHECK_EQ_INT(smtpc_session_has_capability(s, "ETRN"), 1);
  /* Without PIPELINING, MAIL goes alone. */
  CHECK_STR(drain(s, 0), "MAIL FROM:<a@example.org>\r\n");
  smtpc_session_free(s);
}

static void test_streamed_body(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_envelope env;
  const char* rcpt = "b@example.org";
  uint64_t id = 0;
  smtpc_event e;

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  smtpc_envelope_init(&env, sizeof(env));
  env.from = "a@example.org";
  env.rcpts = &rcpt;
  env.num_rcpts = 1;
  CHECK_EQ_INT(smtpc_session_start_delivery(s, &env, 0, &id), 0);
  CHECK_EQ_INT(smtpc_session_append_body(
                   s, id, (const uint8_t*)"Subject: s\r\n\r\n.one", 18, 0, 0),
               0);
  CHECK_EQ_INT(
      smtpc_session_append_body(s, id, (const uint8_t*)"\r\ntwo\r\n", 7, 1, 0),
      0);
  /* The delivery is complete: more body is refused. */
  CHECK_EQ_INT(smtpc_session_append_body(s, id, (const uint8_t*)"x", 1, 1, 0),
               SMTPC_ERR_WRONG_STATE);
  CHECK_EQ_INT(smtpc_session_append_body(s, id + 7, NULL, 0, 1, 0),
               SMTPC_ERR_WRONG_STATE);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250 mx\r\n", 0);
  CHECK_STR(drain(s, 0), "MAIL FROM:<a@example.org>\r\n");
  feed(s, "250 ok\r\n", 0);
  CHECK_STR(drain(s, 0), "RCPT TO:<b@example.org>\r\n");
  feed(s, "250 ok\r\n", 0);
  CHECK_STR(drain(s, 0), "DATA\r\n");
  feed(s, "354 go\r\n", 0);
  CHECK_STR(drain(s, 0), "Subject: s\r\n\r\n..one\r\ntwo\r\n.\r\n");
  feed(s, "250 2.0.0 queued\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_DELIVERY_DONE, &e));
  CHECK_EQ_INT(e.delivery_id, id);
  smtpc_session_free(s);
}

static int g_released = 0;
static void count_release(void* user_data, const uint8_t* body, size_t len) {
  CHECK(user_data == (void*)&g_released);
  CHECK(body != NULL);
  CHECK_EQ_INT(len, strlen(kBody));
  ++g_released;
}

static void test_borrowed_body(void) {
  smtpc_session_options o;
  smtpc_session* s = NULL;
  smtpc_envelope env;
  const char* rcpt = "b@example.org";
  const char* bad = "bad\r\naddress";
  smtpc_event e;

  smtpc_session_options_init(&o, sizeof(o));
  o.tls_mode = SMTPC_TLS_NONE;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  smtpc_envelope_init(&env, sizeof(env));
  env.from = "a@example.org";
  env.rcpts = &rcpt;
  env.num_rcpts = 1;
  CHECK_EQ_INT(smtpc_session_deliver_borrowed(s, &env, (const uint8_t*)kBody,
                                              strlen(kBody), count_release,
                                              &g_released, 0, NULL),
               0);
  feed(s, "220 mx\r\n", 0);
  drain(s, 0);
  feed(s, "250-mx\r\n250 PIPELINING\r\n", 0);
  drain(s, 0);
  feed(s, "250 ok\r\n250 ok\r\n354 go\r\n", 0);
  CHECK_STR(drain(s, 0), "Subject: t\r\n\r\nhello\r\n.\r\n");
  CHECK_EQ_INT(g_released, 0); /* still borrowed until the outcome */
  feed(s, "250 2.0.0 queued\r\n", 0);
  CHECK(next_event(s, SMTPC_EVENT_DELIVERY_DONE, &e));
  CHECK_EQ_INT(g_released, 1);
  /* A refused call has released the body before it returns. */
  env.rcpts = &bad;
  CHECK_EQ_INT(smtpc_session_deliver_borrowed(s, &env, (const uint8_t*)kBody,
                                              strlen(kBody), count_release,
                                              &g_released, 0, NULL),
               SMTPC_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(g_released, 2);
  smtpc_session_free(s);
  CHECK_EQ_INT(g_released, 2);
  /* A session freed with the delivery still queued gives the body back. */
  env.rcpts = &rcpt;
  CHECK_EQ_INT(smtpc_session_new(&o, 0, &s), 0);
  CHECK_EQ_INT(smtpc_session_deliver_borrowed(s, &env, (const uint8_t*)kBody,
                                              strlen(kBody), count_release,
                                              &g_released, 0, NULL),
               0);
  CHECK_EQ_INT(g_released, 2);
  smtpc_session_free(s);
  CHECK_EQ_INT(g_released, 3);
}

static void test_version(void) {
  int major = -1, minor = -1, patch = -1;
  CHECK_STR(smtpc_version(&major, &minor, &patch), SMTPC_VERSION_STRING);
  CHECK_EQ_INT(major, SMTPC_VERSION_MAJOR);
  CHECK(minor >= SMTPC_VERSION_MINOR);
  CHECK(patch >= 0);
}

int main(void) {
  test_version();
  test_starttls_auth_mixed_recipients();
  test_noop_and_abort();
  test_tls_failed();
  test_timeout();
  test_old_struct_sizes();
  test_auth_chooser();
  test_oauth_refresh();
  test_capability_filter();
  test_streamed_body();
  test_borrowed_body();
  printf("sansio_test: %d passed, %d failed\n", g_checks - g_failed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
