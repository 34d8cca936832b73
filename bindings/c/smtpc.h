/* smtpc: the C ABI of smtpcore's sans-I/O `Session` (core/session.h).
 *
 * Style: ngtcp2/nghttp2. The library never does I/O and never reads a
 * clock. The caller feeds server bytes (`smtpc_session_receive`), the
 * current time (`now_ns`, nanoseconds on any monotonic timeline of the
 * caller's choice, see core/instant.h) and operations (`smtpc_session_deliver`,
 * `smtpc_session_close`); it writes what `smtpc_session_poll_transmit`
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

/* smtpc_session_options configures a session. Version 1.
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
} smtpc_session_options;

/* SMTPC_SESSION_OPTIONS_V1_SIZE is the `struct_size` of version 1. */
#define SMTPC_SESSION_OPTIONS_V1_SIZE \
  (offsetof(smtpc_session_options, reply_events) + sizeof(int))

/* smtpc_session_options_default fills `*options` with the defaults and sets
 * `struct_size`. Does nothing if `options` is NULL. */
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
                                        deferred, unknown */
  SMTPC_EVENT_DELIVERY_FAILED = 12,  /* delivery_id, error fields, counts */
  SMTPC_EVENT_CLOSED = 13,           /* error == 0: clean close; always last */
  SMTPC_EVENT_TRACE = 14             /* text: line; from_client */
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
  /* Counts: TRANSACTION_COMPLETE: accepted/rejected; DELIVERY_DONE and
   * DELIVERY_FAILED: delivered/rejected/deferred/unknown. Else 0.
   * `unknown` counts recipients whose outcome is unknown: the whole message
   * was sent, then the connection ended before the server's reply, so it
   * may have been delivered (retrying may duplicate it; core/delivery.h
   * RecipientStatus::kUnknown). */
  uint32_t accepted;
  uint32_t delivered;
  uint32_t rejected;
  uint32_t deferred;
  uint32_t unknown;
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SMTP_BINDINGS_C_SMTPC_H_ */
