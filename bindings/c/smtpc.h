/* smtpc: the C ABI of smtpcore's sans-I/O `Session` (core/session.h).
 *
 * Style: ngtcp2/nghttp2. The library never does I/O and never reads a
 * clock. The caller feeds server bytes (`smtpc_session_receive`), the
 * current time (`now_ns`, nanoseconds on any monotonic timeline of the
 * caller's choice, see core/instant.h) and operations (`smtpc_session_deliver`,
 * `smtpc_session_vrfy` and the other requests, `smtpc_session_close`); it
 * writes what `smtpc_session_poll_transmit`
 * offers, reports the written count with `smtpc_session_consume_transmit`,
 * drains `smtpc_session_poll_event` and arms a timer for
 * `smtpc_session_next_deadline`.
 *
 * Errors: every function returning `int` returns 0 (or a documented
 * non-negative value) on success and one of the negative `SMTPC_ERR_*`
 * codes on failure. The codes map the core's `absl::StatusCode`; the precise
 * reason (the core's `ErrorDetail`, e.g. SMTPC_DETAIL_CONTROL_CHARACTER = 3)
 * of the last failed call is available from
 * `smtpc_session_last_error_detail` and named by `smtpc_error_detail_name`.
 * Passing NULL where a pointer is required returns SMTPC_ERR_NULL_POINTER.
 * Functions never throw and never abort on bad input; allocation failure
 * returns SMTPC_ERR_NOMEM.
 *
 * Threads: a session is not thread-safe; distinct sessions are independent.
 * The free functions `smtpc_strerror` / `smtpc_error_detail_name` are
 * thread-safe.
 */

#ifndef SMTP_BINDINGS_C_SMTPC_H_
#define SMTP_BINDINGS_C_SMTPC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SMTPC_EXPORT __attribute__((visibility("default")))
#else
#define SMTPC_EXPORT
#endif

/* --- Error codes -------------------------------------------------------- */

/* smtpc_error lists the return codes. Values are stable (append only). */
typedef enum smtpc_error {
  SMTPC_OK = 0,
  /* Bad argument: CR/LF/NUL in an address or domain, no recipients, bad
   * address syntax, over-long line, bad enum value (absl kInvalidArgument). */
  SMTPC_ERR_INVALID_ARGUMENT = -1,
  /* A required pointer argument was NULL. Nothing was changed. */
  SMTPC_ERR_NULL_POINTER = -2,
  /* Call not allowed in the session's state: after close, after a fatal
   * error, TLS reported when not expected (absl kFailedPrecondition). */
  SMTPC_ERR_WRONG_STATE = -3,
  /* A configured limit was hit, e.g. a reply too large
   * (absl kResourceExhausted). Fatal for the session. */
  SMTPC_ERR_RESOURCE_EXHAUSTED = -4,
  /* The server broke the protocol (absl kDataLoss). Fatal. */
  SMTPC_ERR_PROTOCOL = -5,
  /* The server went away: EOF, 421 (absl kUnavailable). Fatal. */
  SMTPC_ERR_UNAVAILABLE = -6,
  /* A stage timer fired (absl kDeadlineExceeded). Fatal. */
  SMTPC_ERR_TIMEOUT = -7,
  /* Authentication failed or refused by policy (absl kPermissionDenied). */
  SMTPC_ERR_PERMISSION_DENIED = -8,
  /* TLS verification failed (absl kUnauthenticated). */
  SMTPC_ERR_UNAUTHENTICATED = -9,
  /* Memory allocation failed. The session is left as it was before the
   * call when possible; freeing it is always safe. */
  SMTPC_ERR_NOMEM = -10,
  /* `struct_size` of an options struct is not one this library knows. */
  SMTPC_ERR_VERSION = -11,
  /* Any other failure (absl codes not listed above). */
  SMTPC_ERR_INTERNAL = -12
} smtpc_error;

/* smtpc_strerror returns a static, NUL-terminated English description of
 * `error` (an `smtpc_error`; "unknown error" for other values). The string
 * is owned by the library and valid forever. Never fails. */
SMTPC_EXPORT const char* smtpc_strerror(int error);

/* smtpc_error_detail_name returns the stable lower-case name of the core's
 * `ErrorDetail` value `detail` ("control_character", "timeout", ...;
 * "unknown" for unknown values, "none" for 0). Static storage, valid
 * forever. Never fails. The numeric values are those of core/errors.h. */
SMTPC_EXPORT const char* smtpc_error_detail_name(int detail);

/* --- Options ------------------------------------------------------------ */

/* smtpc_tls_mode says how the session uses TLS (core TlsMode). */
typedef enum smtpc_tls_mode {
  SMTPC_TLS_NONE = 0,          /* never STARTTLS */
  SMTPC_TLS_OPPORTUNISTIC = 1, /* STARTTLS if advertised */
  SMTPC_TLS_REQUIRED = 2,      /* STARTTLS or fail; never plaintext */
  SMTPC_TLS_IMPLICIT = 3       /* TLS from the first byte (port 465) */
} smtpc_tls_mode;

/* smtpc_token_provider is the OAuth 2.0 token callback of XOAUTH2 and
 * OAUTHBEARER (smtpc_session_options.oauth_token_provider). It writes an
 * access token of at most `token_cap` bytes (SMTPC_MAX_TOKEN_SIZE) to
 * `token`, stores its length in `*token_len` and returns 0; or returns a
 * negative value when it has none (the AUTH then fails: an AUTH_FAILED
 * event with detail auth_mechanism before the first attempt, or the
 * server's refusal when a renewal fails).
 *
 * `refresh` is 0 for the token to use, nonzero when the server refused the
 * last one: return a new token, never the refused one. `server_error`
 * (`server_error_len` bytes, NUL-terminated, "" if none) is the server's
 * JSON error challenge that came before the refusal, e.g.
 * {"status":"401","schemes":"Bearer",...}; it holds no secret. The library
 * keeps the last token returned and asks again only with `refresh`.
 *
 * It is called from inside smtpc_session_receive (and the other input
 * calls), synchronously: it may block (an HTTP token refresh), which blocks
 * the caller's loop; it must not call any smtpc_session_* function on the
 * same session. `token` is wiped by the library after use. */
typedef int (*smtpc_token_provider)(void* user_data, int refresh,
                                    const char* server_error,
                                    size_t server_error_len, char* token,
                                    size_t token_cap, size_t* token_len);

/* SMTPC_MAX_TOKEN_SIZE is the `token_cap` given to a token provider: a
 * longer token cannot fit one SASL response (RFC 4954 §4: 12288 octets of
 * base64). */
#define SMTPC_MAX_TOKEN_SIZE 8192

/* smtpc_session_options configures a session. Version 2.
 *
 * `struct_size` is the versioning field: set it to
 * sizeof(smtpc_session_options) (smtpc_session_options_default does). A
 * library accepts any size it knows (>= SMTPC_SESSION_OPTIONS_V1_SIZE and
 * <= its own sizeof): fields beyond a smaller `struct_size` take their
 * defaults. A larger size (caller built against a newer header) is refused
 * with SMTPC_ERR_VERSION. Fields are only ever appended. */
typedef struct smtpc_session_options {
  size_t struct_size;
  /* ehlo_domain: NUL-terminated name for EHLO/HELO, copied by
   * smtpc_session_new (borrowed only during the call). NULL means
   * "localhost". Validated when EHLO is sent: a bad name (CR/LF, ...)
   * fails the session with a CLOSED event. */
  const char* ehlo_domain;
  /* tls_mode: an smtpc_tls_mode. Default SMTPC_TLS_OPPORTUNISTIC. */
  int tls_mode;
  /* pipelining: nonzero to use PIPELINING when offered (RFC 2920).
   * Default 1. */
  int pipelining;
  /* chunking: nonzero to use BDAT when CHUNKING is offered (RFC 3030).
   * Default 1. */
  int chunking;
  /* trace: nonzero to get SMTPC_EVENT_TRACE events (one per wire line,
   * secrets redacted). Default 0. */
  int trace;
  /* reply_events: nonzero to get SMTPC_EVENT_REPLY for every reply.
   * Default 0. */
  int reply_events;

  /* --- Version 2 --- */

  /* lmtp: nonzero to speak LMTP (RFC 2033) to a final-delivery server:
   * LHLO instead of EHLO, and after the data one reply per accepted
   * recipient, each a RECIPIENT_DATA event (a recipient refused after the
   * data is refused or deferred, the others are delivered). Default 0. */
  int lmtp;
  /* idna: nonzero to send internationalised domains as A-labels (UTS #46,
   * libidn2): an address with an ASCII local part and a Unicode domain to
   * a server without SMTPUTF8 ("a@bücher.example" goes out as
   * "a@xn--bcher-kva.example"), and a non-ASCII `ehlo_domain` always. A
   * non-ASCII local part without SMTPUTF8 is refused before anything is
   * sent (DELIVERY_FAILED, permanent, detail needs_smtputf8). 0: no
   * conversion; such addresses are refused too. Default 1. */
  int idna;
  /* auth_user: NUL-terminated SASL user name, copied by smtpc_session_new;
   * NULL means none. XOAUTH2 needs it; OAUTHBEARER sends it as its
   * authzid when given. Default NULL. */
  const char* auth_user;
  /* oauth_token_provider: when not NULL, the session authenticates after
   * STARTTLS with OAUTHBEARER or XOAUTH2, whichever the server offers
   * first in that order, with tokens from this callback; the server must
   * offer one (else AUTH_FAILED, detail needs_auth). A refused token
   * (535/454, after the error challenge if the server sends one) is
   * renewed with `refresh` set and AUTH runs once more (an AUTH_RETRY
   * event); a second refusal fails the session (AUTH_FAILED, detail
   * auth_failed). AUTH is never sent without TLS. Default NULL. */
  smtpc_token_provider oauth_token_provider;
  /* oauth_user_data: passed as is to every oauth_token_provider call; the
   * caller keeps it valid for the session's life. Default NULL. */
  void* oauth_user_data;
} smtpc_session_options;

/* SMTPC_SESSION_OPTIONS_V1_SIZE is the `struct_size` of version 1. */
#define SMTPC_SESSION_OPTIONS_V1_SIZE \
  (offsetof(smtpc_session_options, reply_events) + sizeof(int))

/* SMTPC_SESSION_OPTIONS_V2_SIZE is the `struct_size` of version 2. */
#define SMTPC_SESSION_OPTIONS_V2_SIZE \
  (offsetof(smtpc_session_options, oauth_user_data) + sizeof(void*))

/* smtpc_session_options_default fills `*options` with the defaults and sets
 * `struct_size`. It writes sizeof(smtpc_session_options) bytes of this
 * header, so `options` must point to a struct of this header's version.
 * Does nothing if `options` is NULL. */
SMTPC_EXPORT void smtpc_session_options_default(
    smtpc_session_options* options);

/* smtpc_tls_info describes an established TLS session (core TlsInfo). All
 * strings are NUL-terminated, may be NULL (meaning ""), and are copied by
 * the call that takes the struct. */
typedef struct smtpc_tls_info {
  const char* version;     /* "TLSv1.3" */
  const char* cipher;      /* "TLS_AES_128_GCM_SHA256" */
  const char* server_name; /* SNI / verified name */
  int verified;            /* nonzero: certificate verification passed */
} smtpc_tls_info;

/* smtpc_iovec is one borrowed run of bytes to send. Same layout as POSIX
 * `struct iovec` (checked by static_assert in smtpc.cc), so an array of
 * them can be passed to writev() after a cast. */
typedef struct smtpc_iovec {
  const uint8_t* base;
  size_t len;
} smtpc_iovec;

/* --- Events ------------------------------------------------------------- */

/* smtpc_event_type is the kind of an event (core/event.h). */
typedef enum smtpc_event_type {
  SMTPC_EVENT_NONE = 0,
  SMTPC_EVENT_GREETING = 1,          /* code, enhanced, text */
  SMTPC_EVENT_REPLY = 2,             /* code, enhanced, text (reply_events) */
  SMTPC_EVENT_CAPABILITIES = 3,      /* text: capability list */
  SMTPC_EVENT_TLS_UPGRADE_REQUIRED = 4, /* run the handshake, then call
                                           smtpc_session_tls_established */
  SMTPC_EVENT_TLS_ESTABLISHED = 5,   /* text: "version cipher" */
  SMTPC_EVENT_AUTHENTICATED = 6,     /* text: mechanism */
  SMTPC_EVENT_AUTH_FAILED = 7,       /* error fields */
  SMTPC_EVENT_READY = 8,             /* session can run transactions */
  SMTPC_EVENT_RECIPIENT = 9,         /* delivery_id, address, code, text */
  SMTPC_EVENT_TRANSACTION_COMPLETE = 10, /* delivery_id, code, text,
                                            accepted, rejected */
  SMTPC_EVENT_DELIVERY_DONE = 11,    /* delivery_id, delivered, rejected,
                                        deferred */
  SMTPC_EVENT_DELIVERY_FAILED = 12,  /* delivery_id, error fields, counts */
  SMTPC_EVENT_CLOSED = 13,           /* error == 0: clean close; always last */
  SMTPC_EVENT_TRACE = 14,            /* text: line; from_client */
  SMTPC_EVENT_RECIPIENT_DATA = 15,   /* LMTP: one recipient's data reply:
                                        delivery_id, address, code, text */
  SMTPC_EVENT_AUTH_RETRY = 16,       /* token refused and renewed; AUTH
                                        runs once more: error fields */
  SMTPC_EVENT_VRFY = 17,             /* reply to smtpc_session_vrfy */
  SMTPC_EVENT_EXPN = 18,             /* reply to smtpc_session_expn */
  SMTPC_EVENT_HELP = 19,             /* reply to smtpc_session_help */
  SMTPC_EVENT_ETRN = 20              /* reply to smtpc_session_etrn */
  /* VRFY..ETRN: code, enhanced, text (first line), summary; the request
   * id, the typed outcome and the entries come from
   * smtpc_session_request_result and smtpc_session_request_entry. */
} smtpc_event_type;

/* smtpc_event is one event returned by smtpc_session_poll_event.
 *
 * Lifetime: every pointer (`text`, `address`, `summary`) points into storage
 * owned by the session and stays valid until the next call to
 * smtpc_session_poll_event or smtpc_session_free on that session, whichever
 * comes first. Copy what you keep. Pointers are never NULL (empty strings
 * have length 0) and the bytes are also NUL-terminated for convenience
 * (server text may contain no NUL: the core rejects such replies).
 *
 * Error fields (AUTH_FAILED, DELIVERY_FAILED, CLOSED with an error):
 * `error` is the negative smtpc_error of the failure, `error_detail` the
 * core ErrorDetail, `permanent` nonzero if retrying will fail again, and
 * `code`/enhanced/`text` the server's reply when there was one (`code` 0
 * otherwise), `message` a one-line explanation (SmtpError::Message). */
typedef struct smtpc_event {
  int type; /* smtpc_event_type */
  /* code is the reply code (0 when the event has no reply). */
  int code;
  /* enhanced_*: RFC 3463 enhanced code; all 0 when absent. */
  int enhanced_class;
  int enhanced_subject;
  int enhanced_detail;
  /* text: reply's first line text (after "ddd "), capability list,
   * mechanism, trace line, "version cipher" (see smtpc_event_type). */
  const char* text;
  size_t text_len;
  /* address: recipient of a RECIPIENT event (no angle brackets). */
  const char* address;
  size_t address_len;
  /* delivery_id: id from smtpc_session_deliver (0 if not a delivery
   * event). */
  uint64_t delivery_id;
  int error;        /* 0, or negative smtpc_error (see above) */
  int error_detail; /* core ErrorDetail; 0 when none */
  int permanent;    /* nonzero: permanent failure */
  int from_client;  /* TRACE: nonzero for a client line ("C:") */
  /* Counts: TRANSACTION_COMPLETE: accepted/rejected (RCPT) and delivered
   * (accepted recipients whose data reply was 2xx; with LMTP each had its
   * own reply, a RECIPIENT_DATA event, and code/text are the last one's);
   * DELIVERY_DONE and DELIVERY_FAILED: delivered/rejected/deferred. Else
   * 0. */
  uint32_t accepted;
  uint32_t delivered;
  uint32_t rejected;
  uint32_t deferred;
  /* message: SmtpError::Message() for error events, else empty. */
  const char* message;
  size_t message_len;
  /* summary: the one-line form of core EventToString ("greeting 220",
   * "recipient <b@example.org> 250 2.1.5", "closed ok", ...). */
  const char* summary;
  size_t summary_len;
} smtpc_event;

/* --- Session ------------------------------------------------------------ */

/* smtpc_session is an opaque SMTP client session (core Session). */
typedef struct smtpc_session smtpc_session;

/* smtpc_session_new creates a session waiting for the greeting at `now_ns`
 * and stores it in `*out` (owned by the caller: release it with
 * smtpc_session_free). `options` may be NULL (defaults); it and its strings
 * are only read during the call.
 * Errors: SMTPC_ERR_NULL_POINTER (`out` NULL), SMTPC_ERR_VERSION (bad
 * `struct_size`), SMTPC_ERR_INVALID_ARGUMENT (`tls_mode` out of range),
 * SMTPC_ERR_NOMEM. On error `*out` is set to NULL (when `out` is not NULL). */
SMTPC_EXPORT int smtpc_session_new(const smtpc_session_options* options,
                                   int64_t now_ns, smtpc_session** out);

/* smtpc_session_free destroys `session` and everything it owns: pending
 * slices from poll_transmit, the last event's strings and the copied
 * bodies. NULL is a no-op. */
SMTPC_EXPORT void smtpc_session_free(smtpc_session* session);

/* smtpc_session_receive processes `len` server bytes at `data` (all of
 * them; partial replies are kept inside). `data` is only read during the
 * call and may be reused afterwards. `data` may be NULL when `len` is 0.
 * Returns 0, or the negative error that ended the session with this input
 * (also reported as a CLOSED event): SMTPC_ERR_PROTOCOL,
 * SMTPC_ERR_UNAVAILABLE (421), SMTPC_ERR_RESOURCE_EXHAUSTED, ...; on a
 * session already closed or failed SMTPC_ERR_WRONG_STATE (bytes ignored).
 * SMTPC_ERR_NULL_POINTER for a NULL session or NULL data with len > 0. */
SMTPC_EXPORT int smtpc_session_receive(smtpc_session* session,
                                       const uint8_t* data, size_t len,
                                       int64_t now_ns);

/* smtpc_session_receive_eof reports that the server closed its side.
 * Returns 0 when expected (after QUIT), else SMTPC_ERR_UNAVAILABLE (the
 * session fails; a CLOSED event follows) or SMTPC_ERR_WRONG_STATE when
 * already closed; SMTPC_ERR_NULL_POINTER. */
SMTPC_EXPORT int smtpc_session_receive_eof(smtpc_session* session,
                                           int64_t now_ns);

/* smtpc_session_handle_timeout fires the stage timer if `now_ns` is at or
 * after smtpc_session_next_deadline (no-op if early). An expired timer
 * fails the session (CLOSED event with SMTPC_ERR_TIMEOUT). Returns 0, or
 * SMTPC_ERR_NULL_POINTER / SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_handle_timeout(smtpc_session* session,
                                              int64_t now_ns);

/* smtpc_session_tls_established reports that the TLS handshake succeeded:
 * after SMTPC_EVENT_TLS_UPGRADE_REQUIRED, or before the greeting with
 * SMTPC_TLS_IMPLICIT. `info` and its strings are copied. Errors:
 * SMTPC_ERR_NULL_POINTER, SMTPC_ERR_WRONG_STATE (not expected now),
 * SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_tls_established(smtpc_session* session,
                                               const smtpc_tls_info* info,
                                               int64_t now_ns);

/* smtpc_session_deliver queues one message for `from` (NUL-terminated
 * reverse-path without angle brackets; "" is the null sender) to the
 * `num_rcpts` NUL-terminated addresses in `rcpts`, with the RFC 5322
 * message `body` of `body_len` bytes (CRLF line endings; bare LF/CR are
 * normalised; dot-stuffing is done by the library).
 *
 * Ownership: `from`, `rcpts` and `body` are COPIED: the caller may free or
 * reuse them as soon as this returns (the copy is freed after the
 * delivery's final event). This costs one copy of the body; it keeps
 * garbage-collected callers (Python) safe.
 *
 * On success stores the delivery's id (>= 1) in `*out_id` (if `out_id` is
 * not NULL) and returns 0; the outcome arrives as RECIPIENT,
 * TRANSACTION_COMPLETE and one final DELIVERY_DONE or DELIVERY_FAILED
 * event. Deliveries may be queued before the greeting.
 * Errors (nothing queued, session unchanged): SMTPC_ERR_NULL_POINTER
 * (`session`, `from`, `rcpts` with num_rcpts > 0, any rcpts[i], or `body`
 * with body_len > 0 is NULL); SMTPC_ERR_INVALID_ARGUMENT (no recipients,
 * CR/LF/control character in an address -> detail control_character, bad
 * address syntax, line too long); SMTPC_ERR_WRONG_STATE (after close or a
 * fatal error); SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_deliver(smtpc_session* session,
                                       const char* from,
                                       const char* const* rcpts,
                                       size_t num_rcpts, const uint8_t* body,
                                       size_t body_len, int64_t now_ns,
                                       uint64_t* out_id);

/* smtpc_session_close asks for QUIT once queued deliveries are done; the
 * session ends with a CLOSED event (error 0) on 221. Idempotent. Errors:
 * SMTPC_ERR_NULL_POINTER, SMTPC_ERR_WRONG_STATE (the session already
 * failed), SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_close(smtpc_session* session, int64_t now_ns);

/* smtpc_session_poll_transmit fills `out` with up to `num_out` slices of
 * bytes to send, in order, and returns how many it filled (0: nothing to
 * send). It does not consume them: calling it again gives the same slices.
 * The slices point into memory owned by the session; they stay valid until
 * smtpc_session_consume_transmit covers them or the session is freed.
 * Errors: SMTPC_ERR_NULL_POINTER (`session` NULL, or `out` NULL with
 * num_out > 0), SMTPC_ERR_NOMEM. At most INT_MAX slices per call. */
SMTPC_EXPORT int smtpc_session_poll_transmit(smtpc_session* session,
                                             smtpc_iovec* out, size_t num_out);

/* smtpc_session_consume_transmit records that the first `n` bytes of what
 * poll_transmit offers were written (`n` may end inside a slice; larger
 * values are clamped). Returns 0, or SMTPC_ERR_NULL_POINTER /
 * SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_consume_transmit(smtpc_session* session,
                                                size_t n, int64_t now_ns);

/* smtpc_session_next_deadline stores in `*out_ns` the time at which
 * smtpc_session_handle_timeout must be called and returns 1, or returns 0
 * (`*out_ns` untouched) when no timer is armed. SMTPC_ERR_NULL_POINTER if
 * `session` or `out_ns` is NULL. */
SMTPC_EXPORT int smtpc_session_next_deadline(const smtpc_session* session,
                                             int64_t* out_ns);

/* smtpc_session_poll_event fills `*out` with the next event and returns 1,
 * or returns 0 (and sets out->type = SMTPC_EVENT_NONE) when there is none.
 * Each call invalidates the strings of the previous event (see
 * smtpc_event). Errors: SMTPC_ERR_NULL_POINTER, SMTPC_ERR_NOMEM (the event
 * is lost). */
SMTPC_EXPORT int smtpc_session_poll_event(smtpc_session* session,
                                          smtpc_event* out);

/* smtpc_session_last_error_detail returns the core ErrorDetail of the last
 * call on `session` that returned an error (0 if none yet, or `session` is
 * NULL). Name it with smtpc_error_detail_name. */
SMTPC_EXPORT int smtpc_session_last_error_detail(const smtpc_session* session);

/* smtpc_session_last_error_message returns the message of the last failed
 * call on `session` (NUL-terminated, "" if none). Owned by the session,
 * valid until the next failing call or smtpc_session_free. */
SMTPC_EXPORT const char* smtpc_session_last_error_message(
    const smtpc_session* session);

/* --- Requests: VRFY, EXPN, HELP, ETRN ---------------------------------- */

/* smtpc_session_vrfy, _expn, _help and _etrn queue VRFY <argument>
 * (RFC 5321 §4.1.1.6), EXPN <argument> (§4.1.1.7), HELP [<argument>]
 * (§4.1.1.8; NULL or "" for plain HELP) and ETRN <argument> (RFC 1985; a
 * node, "@domain" or "#queue"). `argument` is NUL-terminated and copied.
 * They go out when the session is idle (after the greeting, EHLO, STARTTLS
 * and AUTH, between deliveries), in call order; the reply comes as a
 * SMTPC_EVENT_VRFY, _EXPN, _HELP or _ETRN event. ETRN is only sent to a
 * server that lists ETRN; otherwise its event has code 0 and outcome
 * SMTPC_ETRN_NOT_OFFERED. A 421 ends the session instead (CLOSED).
 * On success stores the request id (>= 1) in `*out_request_id` (if not
 * NULL) and returns 0. Errors (nothing queued): SMTPC_ERR_NULL_POINTER
 * (`session`, or `argument` of VRFY/EXPN/ETRN), SMTPC_ERR_INVALID_ARGUMENT
 * (CR/LF or another control character, an empty VRFY/EXPN argument, a
 * space in the ETRN node, a line over 512 octets), SMTPC_ERR_WRONG_STATE
 * (after close or a fatal error), SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_vrfy(smtpc_session* session,
                                    const char* argument, int64_t now_ns,
                                    uint64_t* out_request_id);
SMTPC_EXPORT int smtpc_session_expn(smtpc_session* session,
                                    const char* argument, int64_t now_ns,
                                    uint64_t* out_request_id);
SMTPC_EXPORT int smtpc_session_help(smtpc_session* session,
                                    const char* argument, int64_t now_ns,
                                    uint64_t* out_request_id);
SMTPC_EXPORT int smtpc_session_etrn(smtpc_session* session,
                                    const char* argument, int64_t now_ns,
                                    uint64_t* out_request_id);

/* smtpc_lookup_outcome: what a VRFY or EXPN reply says (RFC 5321 §3.5;
 * core/service_reply.h). */
typedef enum smtpc_lookup_outcome {
  SMTPC_LOOKUP_FOUND = 0,           /* 250: valid; EXPN: the list members */
  SMTPC_LOOKUP_WILL_FORWARD = 1,    /* 251: not local, will be forwarded */
  SMTPC_LOOKUP_CANNOT_VERIFY = 2,   /* 252: no answer, but mail is taken */
  SMTPC_LOOKUP_NOT_FOUND = 3,       /* 550 */
  SMTPC_LOOKUP_NOT_LOCAL = 4,       /* 551: try the forward-path entry */
  SMTPC_LOOKUP_AMBIGUOUS = 5,       /* 553: the entries are candidates */
  SMTPC_LOOKUP_NOT_IMPLEMENTED = 6, /* 500, 502 */
  SMTPC_LOOKUP_TEMPORARY = 7,       /* other 4xx */
  SMTPC_LOOKUP_REFUSED = 8          /* other 5xx */
} smtpc_lookup_outcome;

/* smtpc_help_outcome: what a HELP reply says. */
typedef enum smtpc_help_outcome {
  SMTPC_HELP_HELP = 0,            /* 2xx (211, 214): the entries are lines */
  SMTPC_HELP_NOT_IMPLEMENTED = 1, /* 500, 502 */
  SMTPC_HELP_UNKNOWN_TOPIC = 2,   /* 504 */
  SMTPC_HELP_TEMPORARY = 3,       /* other 4xx */
  SMTPC_HELP_REFUSED = 4          /* other 5xx */
} smtpc_help_outcome;

/* smtpc_etrn_outcome: what an ETRN reply says (RFC 1985 §5). */
typedef enum smtpc_etrn_outcome {
  SMTPC_ETRN_QUEUE_STARTED = 0,   /* 250 */
  SMTPC_ETRN_NO_MESSAGES = 1,     /* 251 */
  SMTPC_ETRN_PENDING_STARTED = 2, /* 252 */
  SMTPC_ETRN_PENDING_COUNT = 3,   /* 253: see pending_messages */
  SMTPC_ETRN_UNABLE_TO_QUEUE = 4, /* 458 */
  SMTPC_ETRN_NODE_NOT_ALLOWED = 5,/* 459 */
  SMTPC_ETRN_SYNTAX_ERROR = 6,    /* 500, 501 */
  SMTPC_ETRN_NOT_IMPLEMENTED = 7, /* 502 */
  SMTPC_ETRN_TEMPORARY = 8,       /* other 4xx */
  SMTPC_ETRN_REFUSED = 9,         /* other 5xx */
  SMTPC_ETRN_NOT_OFFERED = 10     /* not sent: the server lacks ETRN */
} smtpc_etrn_outcome;

/* smtpc_request_result is the typed result of the last polled VRFY, EXPN,
 * HELP or ETRN event. Version 1: set `struct_size` to sizeof(*out); the
 * library writes only the fields within it (a larger size than it knows
 * is refused with SMTPC_ERR_VERSION). Strings live as long as the event's
 * (until the next smtpc_session_poll_event or smtpc_session_free). */
typedef struct smtpc_request_result {
  size_t struct_size;
  /* request_id: the id the call returned. */
  uint64_t request_id;
  /* outcome: an smtpc_lookup_outcome (VRFY, EXPN), smtpc_help_outcome or
   * smtpc_etrn_outcome, by the event's type; outcome_name its stable
   * lower-case name ("cannot_verify", "pending_count", ...). */
  int outcome;
  const char* outcome_name;
  size_t outcome_name_len;
  /* pending_messages: ETRN 253's message count, -1 when unknown or not
   * ETRN. */
  int64_t pending_messages;
  /* num_entries: VRFY/EXPN mailbox lines, HELP text lines, 0 for ETRN;
   * read them with smtpc_session_request_entry. */
  size_t num_entries;
} smtpc_request_result;

/* SMTPC_REQUEST_RESULT_V1_SIZE is the `struct_size` of version 1. */
#define SMTPC_REQUEST_RESULT_V1_SIZE \
  (offsetof(smtpc_request_result, num_entries) + sizeof(size_t))

/* smtpc_session_request_result fills `*out` and returns 1 when the last
 * polled event is VRFY, EXPN, HELP or ETRN; returns 0 (`*out` untouched)
 * otherwise. Errors: SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_session_request_result(const smtpc_session* session,
                                              smtpc_request_result* out);

/* smtpc_entry is one entry of a request result. Version 1, versioned like
 * smtpc_request_result. For VRFY/EXPN: `text` is the reply line (enhanced
 * code removed), `name` the user name before the mailbox ("Fred Smith",
 * may be empty), `mailbox` the address ("fred@example.org"); for HELP,
 * `text` is one line and the others are empty. Strings as in
 * smtpc_request_result; never NULL. */
typedef struct smtpc_entry {
  size_t struct_size;
  const char* text;
  size_t text_len;
  const char* name;
  size_t name_len;
  const char* mailbox;
  size_t mailbox_len;
} smtpc_entry;

/* SMTPC_ENTRY_V1_SIZE is the `struct_size` of version 1. */
#define SMTPC_ENTRY_V1_SIZE (offsetof(smtpc_entry, mailbox_len) + sizeof(size_t))

/* smtpc_session_request_entry fills `*out` with entry `index` (from 0) of
 * the last polled request event and returns 1, or returns 0 when there is
 * no such entry. Errors: SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_session_request_entry(const smtpc_session* session,
                                             size_t index, smtpc_entry* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SMTP_BINDINGS_C_SMTPC_H_ */
