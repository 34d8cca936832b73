/* send_test.c: smtpc_send, the blocking one-call delivery, from C99 against
 * the real aiosmtpd (tests/integration/servers/aiosmtpd.sh) on 127.0.0.1.
 *
 * Run by c_abi_test.sh with the server's env (AI_PORT, AI_CA_FILE,
 * AI_USER, AI_PASSWORD, AI_RCPT, AI_REJECTED_RCPT, AI_TEMPFAIL_RCPT) and
 * built against the installed tree with pkg-config. Cases:
 *   - STARTTLS (verified with the test CA) + AUTH, three recipients: one
 *     delivered, one rejected (550), one deferred (450): a partial
 *     delivery is a success with per-recipient results;
 *   - the same server without its CA: SMTPC_ERR_UNAUTHENTICATED;
 *   - a wrong password: SMTPC_ERR_PERMISSION_DENIED, command AUTH, 535;
 *   - a port that refuses connections: SMTPC_ERR_UNAVAILABLE, recipients
 *     deferred.
 * Prints "N passed, M failed"; exits nonzero on any failure. */

#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <smtpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

static const char* env(const char* name) {
  const char* v = getenv(name);
  if (v == NULL || *v == '\0') {
    fprintf(stderr, "send_test: %s is not set\n", name);
    exit(2);
  }
  return v;
}

static const char kMessage[] =
    "From: a@example.org\r\nTo: alice@sink.test\r\n"
    "Subject: smtpc_send from C\r\n\r\n.leading dot\r\nbye\r\n";

/* send_one runs smtpc_send with the given TLS and credentials. */
static int send_one(int port, const char* ca_file, const char* user,
                    const char* password, const char* const* rcpts,
                    size_t num_rcpts, smtpc_send_result** result) {
  smtpc_session_options so;
  smtpc_send_options o;
  smtpc_envelope e;

  smtpc_session_options_init(&so, sizeof(so));
  so.ehlo_domain = "c-test.example";
  so.tls_mode = SMTPC_TLS_REQUIRED;
  so.auth_user = user;
  so.auth_password = password;
  so.timeout_other_ms = 20000;
  smtpc_send_options_init(&o, sizeof(o));
  o.host = "127.0.0.1";
  o.port = port;
  o.session = &so;
  o.ca_file = ca_file;
  o.connect_timeout_ms = 10000;
  smtpc_envelope_init(&e, sizeof(e));
  e.from = "a@example.org";
  e.rcpts = rcpts;
  e.num_rcpts = num_rcpts;
  return smtpc_send(&o, &e, (const uint8_t*)kMessage, strlen(kMessage), result);
}

static void test_partial_delivery(int port) {
  const char* rcpts[3];
  smtpc_send_result* r = NULL;
  smtpc_recipient_result rr;
  smtpc_error_info info;
  static const int kStatus[3] = {SMTPC_RCPT_DELIVERED, SMTPC_RCPT_REJECTED,
                                 SMTPC_RCPT_DEFERRED};
  static const int kCode[3] = {250, 550, 450};
  int i, rc;

  rcpts[0] = env("AI_RCPT");
  rcpts[1] = env("AI_REJECTED_RCPT");
  rcpts[2] = env("AI_TEMPFAIL_RCPT");
  rc = send_one(port, env("AI_CA_FILE"), env("AI_USER"), env("AI_PASSWORD"),
                rcpts, 3, &r);
  CHECK_EQ_INT(rc, 0);
  CHECK(r != NULL);
  if (r == NULL) return;
  CHECK_EQ_INT(smtpc_send_result_num_recipients(r), 3);
  for (i = 0; i < 3; ++i) {
    smtpc_recipient_result_init(&rr, sizeof(rr));
    CHECK_EQ_INT(smtpc_send_result_recipient(r, (size_t)i, &rr), 1);
    CHECK(strcmp(rr.address, rcpts[i]) == 0);
    CHECK_EQ_INT(rr.status, kStatus[i]);
    CHECK_EQ_INT(rr.code, kCode[i]);
    printf("  %s: status %d, %d %s\n", rr.address, rr.status, rr.code, rr.text);
  }
  smtpc_error_info_init(&info, sizeof(info));
  CHECK_EQ_INT(smtpc_send_result_error(r, &info), 0);
  CHECK(strncmp(smtpc_send_result_tls_version(r), "TLSv1.", 6) == 0);
  CHECK(strcmp(smtpc_send_result_auth_mechanism(r), "PLAIN") == 0);
  printf("  TLS %s, AUTH %s\n", smtpc_send_result_tls_version(r),
         smtpc_send_result_auth_mechanism(r));
  smtpc_send_result_free(r);
}

static void test_untrusted_certificate(int port) {
  const char* rcpt = env("AI_RCPT");
  smtpc_send_result* r = NULL;
  smtpc_error_info info;
  smtpc_recipient_result rr;
  /* The system store does not know the test CA. */
  int rc =
      send_one(port, NULL, env("AI_USER"), env("AI_PASSWORD"), &rcpt, 1, &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_UNAUTHENTICATED);
  CHECK(r != NULL);
  if (r == NULL) return;
  smtpc_error_info_init(&info, sizeof(info));
  CHECK_EQ_INT(smtpc_send_result_error(r, &info), 1);
  CHECK_EQ_INT(info.error, SMTPC_ERR_UNAUTHENTICATED);
  CHECK(strcmp(smtpc_error_detail_name(info.detail), "tls_verification") == 0);
  printf("  untrusted: %s\n", info.message);
  smtpc_recipient_result_init(&rr, sizeof(rr));
  CHECK_EQ_INT(smtpc_send_result_recipient(r, 0, &rr), 1);
  CHECK(rr.status != SMTPC_RCPT_DELIVERED);
  smtpc_send_result_free(r);
}

static void test_wrong_password(int port) {
  const char* rcpt = env("AI_RCPT");
  smtpc_send_result* r = NULL;
  smtpc_error_info info;
  int rc =
      send_one(port, env("AI_CA_FILE"), env("AI_USER"), "wrong", &rcpt, 1, &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_PERMISSION_DENIED);
  CHECK(r != NULL);
  if (r == NULL) return;
  smtpc_error_info_init(&info, sizeof(info));
  CHECK_EQ_INT(smtpc_send_result_error(r, &info), 1);
  CHECK_EQ_INT(info.code, 535);
  CHECK(strcmp(info.command, "AUTH") == 0);
  CHECK_EQ_INT(info.permanent, 1);
  printf("  wrong password: %s\n", info.message);
  smtpc_send_result_free(r);
}

/* test_connection_refused dials a port bound but not listening: the
 * kernel refuses the connection, and no other program can take the port
 * while we hold it. */
static void test_connection_refused(void) {
  const char* rcpt = "alice@sink.test";
  smtpc_send_result* r = NULL;
  smtpc_recipient_result rr;
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int rc;

  CHECK(fd >= 0);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQ_INT(bind(fd, (struct sockaddr*)&addr, sizeof(addr)), 0);
  CHECK_EQ_INT(getsockname(fd, (struct sockaddr*)&addr, &len), 0);
  rc = send_one(ntohs(addr.sin_port), NULL, NULL, NULL, &rcpt, 1, &r);
  close(fd);
  CHECK_EQ_INT(rc, SMTPC_ERR_UNAVAILABLE);
  CHECK(r != NULL);
  if (r == NULL) return;
  smtpc_recipient_result_init(&rr, sizeof(rr));
  CHECK_EQ_INT(smtpc_send_result_recipient(r, 0, &rr), 1);
  CHECK_EQ_INT(rr.status, SMTPC_RCPT_DEFERRED);
  smtpc_send_result_free(r);
}

static void test_null_arguments(void) {
  smtpc_send_result* r = (smtpc_send_result*)1;
  smtpc_envelope e;
  smtpc_envelope_init(&e, sizeof(e));
  CHECK_EQ_INT(smtpc_send(NULL, &e, NULL, 0, &r), SMTPC_ERR_NULL_POINTER);
  CHECK(r == NULL);
  CHECK_EQ_INT(smtpc_send(NULL, &e, NULL, 0, NULL), SMTPC_ERR_NULL_POINTER);
  smtpc_send_result_free(NULL);
}

/* test_reach_options: version 2 of smtpc_send_options (unix_socket,
 * local_address, proxy_url), without delivering anything. */
static void test_reach_options(int port) {
  smtpc_session_options so;
  smtpc_send_options o;
  smtpc_envelope e;
  smtpc_send_result* r = NULL;
  smtpc_error_info info;
  const char* rcpts[1];
  int rc;

  CHECK(SMTPC_SEND_OPTIONS_V2_SIZE == sizeof(smtpc_send_options));
  CHECK(SMTPC_SEND_OPTIONS_V1_SIZE < SMTPC_SEND_OPTIONS_V2_SIZE);
  smtpc_session_options_init(&so, sizeof(so));
  so.tls_mode = SMTPC_TLS_NONE;
  so.timeout_other_ms = 20000;
  smtpc_envelope_init(&e, sizeof(e));
  rcpts[0] = env("AI_REJECTED_RCPT");
  e.from = "a@example.org";
  e.rcpts = rcpts;
  e.num_rcpts = 1;

  /* A version 1 caller: the new fields are not read (garbage there is
   * ignored), so the send reaches the server. */
  smtpc_send_options_init(&o, SMTPC_SEND_OPTIONS_V1_SIZE);
  o.host = "127.0.0.1";
  o.port = port;
  o.session = &so;
  o.proxy_url = "not a url";
  rc = smtpc_send(&o, &e, (const uint8_t*)kMessage, strlen(kMessage), &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_WRONG_STATE); /* 550 to the only RCPT */
  smtpc_send_result_free(r);
  r = NULL;

  /* A bad proxy URL: refused before connecting, with a result. */
  smtpc_send_options_init(&o, sizeof(o));
  o.host = "127.0.0.1";
  o.port = port;
  o.session = &so;
  o.proxy_url = "ftp://127.0.0.1:21";
  rc = smtpc_send(&o, &e, (const uint8_t*)kMessage, strlen(kMessage), &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_INVALID_ARGUMENT);
  CHECK(r != NULL);
  if (r != NULL) {
    smtpc_error_info_init(&info, sizeof(info));
    CHECK_EQ_INT(smtpc_send_result_error(r, &info), 1);
    CHECK(strstr(info.message, "proxy") != NULL);
    printf("  bad proxy_url: %s\n", info.message);
  }
  smtpc_send_result_free(r);
  r = NULL;

  /* unix_socket with local_address: refused, host may be NULL. */
  o.host = NULL;
  o.proxy_url = NULL;
  o.unix_socket = "/nonexistent/smtpc-test.sock";
  o.local_address = "127.0.0.1";
  rc = smtpc_send(&o, &e, (const uint8_t*)kMessage, strlen(kMessage), &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_INVALID_ARGUMENT);
  smtpc_send_result_free(r);
  r = NULL;

  /* A Unix socket that does not exist: a connect failure. */
  o.local_address = NULL;
  rc = smtpc_send(&o, &e, (const uint8_t*)kMessage, strlen(kMessage), &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_UNAVAILABLE);
  smtpc_send_result_free(r);
  r = NULL;

  /* A source address: the session reaches the server (550 to the RCPT). */
  o.unix_socket = NULL;
  o.host = "127.0.0.1";
  o.local_address = "127.0.0.2";
  rc = smtpc_send(&o, &e, (const uint8_t*)kMessage, strlen(kMessage), &r);
  CHECK_EQ_INT(rc, SMTPC_ERR_WRONG_STATE);
  smtpc_send_result_free(r);
}

int main(void) {
  int port = atoi(env("AI_PORT"));
  test_partial_delivery(port);
  test_untrusted_certificate(port);
  test_wrong_password(port);
  test_connection_refused();
  test_null_arguments();
  test_reach_options(port);
  printf("send_test: %d passed, %d failed\n", g_checks - g_failed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
