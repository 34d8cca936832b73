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
 * No C++ exception ever crosses this boundary: an allocation failure
 * returns SMTPC_ERR_NOMEM and any other internal exception
 * SMTPC_ERR_INTERNAL.
 *
 * Threads: a session is not thread-safe (one thread at a time drives it);
 * distinct sessions are independent and may be driven from different
 * threads at once. The free functions (`smtpc_strerror`,
 * `smtpc_error_detail_name`, `smtpc_version`, the *_init functions) are
 * thread-safe. `smtpc_send` may be called from many threads at once (each
 * call has its own connection); a `smtpc_send_result` is not shared state
 * and may be read from any one thread at a time. Callbacks run on the
 * thread that made the call that triggered them.
 *
 * Versions and ABI: the library's SONAME is libsmtpc.so.SMTPC_VERSION_MAJOR.
 * Structs the caller allocates carry a `struct_size` first field and only
 * ever grow at the end; enum values and error codes are never renumbered;
 * see docs/abi.md for every promise and when the major version changes.
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

/* The version of this header. The library's own version is
 * smtpc_version(); a program may run against any library of the same
 * major version whose minor version is at least the header's it was built
 * with (docs/abi.md). */
#define SMTPC_VERSION_MAJOR 1
#define SMTPC_VERSION_MINOR 2
#define SMTPC_VERSION_PATCH 0
#define SMTPC_VERSION_STRING "1.2.0"

/* smtpc_version returns the library's version, "MAJOR.MINOR.PATCH"
 * (static storage, valid forever), and stores the numbers in the non-NULL
 * out arguments. Thread-safe; never fails. */
SMTPC_EXPORT const char* smtpc_version(int* major, int* minor, int* patch);

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

/* smtpc_auth_chooser picks the SASL mechanism for one AUTH
 * (smtpc_session_options.auth_chooser). `offered` holds the `num_offered`
 * upper-case mechanism names the server lists (NUL-terminated, valid only
 * during the call); `tls` is nonzero over TLS and `channel_binding`
 * nonzero when the TLS session has channel-binding data (what the -PLUS
 * variants need). Return one of the `offered` pointers (or any
 * NUL-terminated name that stays valid until the call returns), or NULL to
 * authenticate with nothing: the AUTH then fails (AUTH_FAILED, detail
 * needs_auth), as it does when the credentials cannot serve the name
 * returned. Runs inside the smtpc_session_* input call that read the EHLO
 * reply; it must not call smtpc_session_* on the same session. */
typedef const char* (*smtpc_auth_chooser)(void* user_data,
                                          const char* const* offered,
                                          size_t num_offered, int tls,
                                          int channel_binding);

/* SMTPC_MAX_TOKEN_SIZE is the `token_cap` given to a token provider: a
 * longer token cannot fit one SASL response (RFC 4954 §4: 12288 octets of
 * base64). */
#define SMTPC_MAX_TOKEN_SIZE 8192

/* smtpc_session_options configures a session (smtpc_session_new) and the
 * protocol side of smtpc_send. Version 3.
 *
 * `struct_size` is the versioning field: initialise the struct with
 * smtpc_session_options_init(&options, sizeof(options)), which sets it. A
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

  /* --- Version 3 --- */

  /* auth_password: NUL-terminated password for the password mechanisms
   * (SCRAM-SHA-256[-PLUS], SCRAM-SHA-1[-PLUS], CRAM-MD5, PLAIN, LOGIN;
   * DIGEST-MD5 when named in auth_mechanisms), with `auth_user`. Copied by
   * smtpc_session_new; the copy is wiped when the session is freed. NULL:
   * none. Default NULL. */
  const char* auth_password;
  /* auth_authzid: NUL-terminated authorization identity (PLAIN, SCRAM,
   * OAUTHBEARER), copied; NULL: none. Default NULL. */
  const char* auth_authzid;
  /* oauth_token: a fixed OAuth 2.0 access token for XOAUTH2/OAUTHBEARER
   * (copied, wiped on free), used when oauth_token_provider is NULL; it
   * cannot be renewed. Default NULL. */
  const char* oauth_token;
  /* auth_mechanisms: NUL-terminated, comma-separated mechanism names in
   * order of preference ("SCRAM-SHA-256,PLAIN"); the first one the server
   * offers and the credentials can serve is used. NULL: the default order
   * (sasl/select.h: OAUTHBEARER, XOAUTH2 with a token; SCRAM-SHA-256-PLUS,
   * SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN
   * with a password). Copied. Unknown names make smtpc_session_new fail
   * with SMTPC_ERR_INVALID_ARGUMENT. Default NULL. */
  const char* auth_mechanisms;
  /* auth_chooser: when not NULL, called once per AUTH with the mechanisms
   * the server offers; it picks one (see smtpc_auth_chooser) and overrides
   * auth_mechanisms. Default NULL. */
  smtpc_auth_chooser auth_chooser;
  /* auth_chooser_user_data: passed as is to auth_chooser. Default NULL. */
  void* auth_chooser_user_data;
  /* allow_insecure_auth: nonzero to permit AUTH without TLS (the core's
   * allow_insecure_auth); otherwise credentials are only sent over TLS
   * (AUTH_FAILED, detail insecure_auth). smtpc_send sets it by itself for
   * a loopback peer. Default 0. */
  int allow_insecure_auth;
  /* capability_ignore: comma-separated EHLO keywords to treat as absent
   * ("CHUNKING,PIPELINING"), for broken servers. Copied. Default NULL. */
  const char* capability_ignore;
  /* capability_force: comma-separated EHLO lines to treat as present when
   * absent, each "KEYWORD[ param...]" ("ETRN,SIZE 1000000"). Copied.
   * Default NULL. */
  const char* capability_force;
  /* Per-stage timeouts in milliseconds (RFC 5321 §4.5.3.2; core/timers.h):
   * 0 keeps the RFC default (greeting, MAIL, RCPT 5 min; DATA 354 2 min;
   * each body block 3 min; end of data 10 min; TLS handshake and any other
   * reply 5 min); a negative value disables that stage's timer. Each stage
   * restarts on progress. Default 0. */
  int64_t timeout_greeting_ms;
  int64_t timeout_mail_ms;
  int64_t timeout_rcpt_ms;
  int64_t timeout_data_init_ms;
  int64_t timeout_data_block_ms;
  int64_t timeout_data_termination_ms;
  int64_t timeout_tls_handshake_ms;
  int64_t timeout_other_ms;
  /* reject_bare_line_endings: nonzero to refuse a body with a bare CR or
   * LF (DELIVERY_FAILED, detail bare_line_ending) instead of turning it
   * into CRLF. Default 0. */
  int reject_bare_line_endings;
  /* force_helo: nonzero to send HELO instead of EHLO (no extensions).
   * Default 0. */
  int force_helo;
} smtpc_session_options;

/* SMTPC_SESSION_OPTIONS_V1_SIZE is the `struct_size` of version 1. */
#define SMTPC_SESSION_OPTIONS_V1_SIZE \
  (offsetof(smtpc_session_options, reply_events) + sizeof(int))

/* SMTPC_SESSION_OPTIONS_V2_SIZE is the `struct_size` of version 2. */
#define SMTPC_SESSION_OPTIONS_V2_SIZE \
  (offsetof(smtpc_session_options, oauth_user_data) + sizeof(void*))

/* SMTPC_SESSION_OPTIONS_V3_SIZE is the `struct_size` of version 3. */
#define SMTPC_SESSION_OPTIONS_V3_SIZE \
  (offsetof(smtpc_session_options, force_helo) + sizeof(int))

/* smtpc_session_options_init fills the first `size` bytes of `*options`
 * with the defaults (every field that fits whole in `size`) and sets
 * `struct_size` to `size`. It never writes past `size` bytes, so a caller
 * built against an older header passes its own sizeof and is safe with a
 * newer library. Call it as
 *   smtpc_session_options_init(&options, sizeof(options));
 * Returns 0; SMTPC_ERR_NULL_POINTER when `options` is NULL;
 * SMTPC_ERR_VERSION (nothing written) when `size` is below
 * SMTPC_SESSION_OPTIONS_V1_SIZE or above the library's
 * sizeof(smtpc_session_options) (a header newer than the library). */
SMTPC_EXPORT int smtpc_session_options_init(smtpc_session_options* options,
                                            size_t size);

/* smtpc_session_options_default is kept for programs built against
 * version 1.0 headers before smtpc_session_options_init existed: the
 * exported function writes exactly SMTPC_SESSION_OPTIONS_V2_SIZE bytes
 * (the layout it was written for) and sets `struct_size` to that, so its
 * callers never see a version 3 field. Code compiled against this header
 * gets the macro below instead, which initialises the caller's whole
 * struct. Does nothing if `options` is NULL. Deprecated: call
 * smtpc_session_options_init. */
SMTPC_EXPORT void smtpc_session_options_default(
    smtpc_session_options* options);
#define smtpc_session_options_default(options) \
  ((void)smtpc_session_options_init((options), sizeof(*(options))))

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
  SMTPC_EVENT_TRACE = 14,            /* text: line; from_client */
  SMTPC_EVENT_RECIPIENT_DATA = 15,   /* LMTP: one recipient's data reply:
                                        delivery_id, address, code, text */
  SMTPC_EVENT_AUTH_RETRY = 16,       /* token refused and renewed; AUTH
                                        runs once more: error fields */
  SMTPC_EVENT_VRFY = 17,             /* reply to smtpc_session_vrfy */
  SMTPC_EVENT_EXPN = 18,             /* reply to smtpc_session_expn */
  SMTPC_EVENT_HELP = 19,             /* reply to smtpc_session_help */
  SMTPC_EVENT_ETRN = 20,             /* reply to smtpc_session_etrn */
  /* VRFY..ETRN: code, enhanced, text (first line), summary; the request
   * id, the typed outcome and the entries come from
   * smtpc_session_request_result and smtpc_session_request_entry. */
  SMTPC_EVENT_NOOP = 21              /* reply to smtpc_session_noop: code,
                                        enhanced, text */
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
   * DELIVERY_DONE and DELIVERY_FAILED: delivered/rejected/deferred/unknown
   * (rejected and deferred count by status, so they include the recipients
   * that were not sent: smtpc_recipient_result's `not_sent` tells them
   * apart). Else 0. `unknown` counts recipients whose outcome is unknown:
   * the whole message was sent, then the connection ended before the
   * server's reply, so it may have been delivered (retrying may duplicate
   * it; core/delivery.h RecipientStatus::kUnknown). */
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
 * `struct_size`), SMTPC_ERR_INVALID_ARGUMENT (`tls_mode` out of range, an
 * unknown name in `auth_mechanisms`, an empty entry in `capability_force`),
 * SMTPC_ERR_NOMEM, SMTPC_ERR_INTERNAL. On error `*out` is set to NULL (when
 * `out` is not NULL). */
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


/* --- More session inputs and operations -------------------------------- */

/* smtpc_tls_session_info describes an established TLS session with the
 * channel-binding data SCRAM-*-PLUS needs. Versioned: set `struct_size`
 * with smtpc_tls_session_info_init (fields beyond it take their
 * defaults). All pointers may be NULL (meaning ""/none); everything is
 * copied by the call that takes the struct. */
typedef struct smtpc_tls_session_info {
  size_t struct_size;
  const char* version;     /* "TLSv1.3" */
  const char* cipher;      /* "TLS_AES_128_GCM_SHA256" */
  const char* server_name; /* SNI / verified name */
  int verified;            /* nonzero: certificate verification passed */
  /* client_certificate: nonzero when a client certificate was sent (SASL
   * EXTERNAL). */
  int client_certificate;
  /* channel_binding_type: "tls-unique" (RFC 5929, TLS 1.2) or
   * "tls-exporter" (RFC 9266, TLS 1.3); channel_binding its
   * `channel_binding_len` bytes. */
  const char* channel_binding_type;
  const uint8_t* channel_binding;
  size_t channel_binding_len;
} smtpc_tls_session_info;

#define SMTPC_TLS_SESSION_INFO_V1_SIZE \
  (offsetof(smtpc_tls_session_info, channel_binding_len) + sizeof(size_t))

/* smtpc_tls_session_info_init zeroes the first `size` bytes of `*info` and
 * sets `struct_size`. Returns 0, SMTPC_ERR_NULL_POINTER or
 * SMTPC_ERR_VERSION (size below V1 or above the library's sizeof). */
SMTPC_EXPORT int smtpc_tls_session_info_init(smtpc_tls_session_info* info,
                                             size_t size);

/* smtpc_session_tls_established2 is smtpc_session_tls_established with
 * the channel-binding data. Same errors, plus SMTPC_ERR_VERSION for a bad
 * `struct_size`. */
SMTPC_EXPORT int smtpc_session_tls_established2(
    smtpc_session* session, const smtpc_tls_session_info* info,
    int64_t now_ns);

/* smtpc_session_tls_failed reports that the TLS handshake the session
 * asked for (TLS_UPGRADE_REQUIRED, or implicit TLS) failed. `error` is
 * SMTPC_ERR_UNAUTHENTICATED when the server's certificate did not verify
 * (detail tls_verification) and anything else for any other handshake
 * failure (SMTPC_ERR_PROTOCOL, detail tls_handshake). `message` (NUL-
 * terminated, copied; NULL for none) says why, e.g. the TLS library's
 * text. The session fails: a CLOSED event with that error follows and
 * queued deliveries fail with it. Returns 0, SMTPC_ERR_NULL_POINTER
 * (`session`), SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_tls_failed(smtpc_session* session, int error,
                                          const char* message,
                                          int64_t now_ns);

/* smtpc_session_abort ends the session at once, without QUIT: for an I/O
 * error of the caller's transport, or when the caller gives up. `message`
 * (copied; NULL for none) is the reason. The CLOSED event carries
 * SMTPC_ERR_UNAVAILABLE (detail io) and queued deliveries fail with it
 * (their recipients deferred). A no-op on a session already over.
 * Returns 0, SMTPC_ERR_NULL_POINTER, SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_abort(smtpc_session* session,
                                     const char* message, int64_t now_ns);

/* smtpc_session_noop queues a NOOP (RFC 5321 §4.1.1.9), sent when the
 * session is idle, like the requests below; its reply is a
 * SMTPC_EVENT_NOOP event (a 421 ends the session instead). Errors (nothing
 * queued): SMTPC_ERR_NULL_POINTER, SMTPC_ERR_WRONG_STATE (after close or a
 * fatal error), SMTPC_ERR_NOMEM. RSET is sent by the session itself
 * between transactions when needed; there is no separate call. */
SMTPC_EXPORT int smtpc_session_noop(smtpc_session* session, int64_t now_ns);

/* smtpc_session_state returns the session's coarse state as a stable
 * lower-case name: "greeting", "hello", "starttls", "auth", "ready",
 * "transaction", "quitting", "closed", "failed" (static storage; "" for
 * NULL). */
SMTPC_EXPORT const char* smtpc_session_state(const smtpc_session* session);

/* smtpc_session_has_capability returns 1 when the server's current EHLO
 * reply (after the capability filter) lists `keyword` (any case), 0 when
 * not or before EHLO; SMTPC_ERR_NULL_POINTER. */
SMTPC_EXPORT int smtpc_session_has_capability(const smtpc_session* session,
                                              const char* keyword);

/* --- Envelopes ----------------------------------------------------------- */

/* DSN NOTIFY bits of a recipient (RFC 3461 §4.1). SMTPC_NOTIFY_NEVER must
 * not be combined with the others. 0: no NOTIFY parameter. */
#define SMTPC_NOTIFY_SUCCESS 1u
#define SMTPC_NOTIFY_FAILURE 2u
#define SMTPC_NOTIFY_DELAY 4u
#define SMTPC_NOTIFY_NEVER 8u

/* smtpc_body_type is the MAIL BODY= parameter. */
typedef enum smtpc_body_type {
  SMTPC_BODY_AUTO = 0,       /* 8BITMIME when the body has 8-bit octets */
  SMTPC_BODY_7BIT = 1,
  SMTPC_BODY_8BITMIME = 2,   /* RFC 6152 */
  SMTPC_BODY_BINARYMIME = 3  /* RFC 3030: needs CHUNKING; sent untouched */
} smtpc_body_type;

/* smtpc_dsn_ret is the MAIL RET= parameter (RFC 3461 §4.3). */
typedef enum smtpc_dsn_ret {
  SMTPC_RET_NONE = 0,
  SMTPC_RET_FULL = 1,
  SMTPC_RET_HDRS = 2
} smtpc_dsn_ret;

/* smtpc_envelope is one message's envelope with every parameter.
 * Versioned: initialise with smtpc_envelope_init. Every string is
 * NUL-terminated and, with the arrays, only read during the call that takes
 * the envelope (it copies what it keeps). */
typedef struct smtpc_envelope {
  size_t struct_size;
  /* from: reverse-path without angle brackets; "" is the null sender. */
  const char* from;
  /* rcpts: `num_rcpts` forward-paths (at least one). */
  const char* const* rcpts;
  size_t num_rcpts;
  /* rcpt_notify: NULL, or `num_rcpts` SMTPC_NOTIFY_* masks (0: none). */
  const unsigned* rcpt_notify;
  /* rcpt_orcpt: NULL, or `num_rcpts` entries, each NULL or the original
   * recipient sent as ORCPT=rfc822;<xtext> (printable ASCII). */
  const char* const* rcpt_orcpt;
  /* size: SIZE= to declare (RFC 1870); 0 lets the session declare the
   * body's size when the server offers SIZE (and refuse a body over the
   * server's limit before sending it). */
  uint64_t size;
  /* body: an smtpc_body_type. */
  int body;
  /* smtputf8: nonzero to send SMTPUTF8 (RFC 6531) even for ASCII
   * addresses; a non-ASCII address sets it by itself. */
  int smtputf8;
  /* requiretls: nonzero for REQUIRETLS (RFC 8689): refused before sending
   * (DELIVERY_FAILED, detail needs_requiretls) without TLS or without the
   * server's REQUIRETLS. */
  int requiretls;
  /* dsn_ret: an smtpc_dsn_ret. */
  int dsn_ret;
  /* envid: NULL, or the DSN envelope id (printable ASCII; xtext-encoded on
   * the wire). */
  const char* envid;
} smtpc_envelope;

#define SMTPC_ENVELOPE_V1_SIZE \
  (offsetof(smtpc_envelope, envid) + sizeof(const char*))

/* smtpc_envelope_init zeroes the first `size` bytes of `*envelope` (no
 * sender, no recipients, no parameters) and sets `struct_size`. Returns 0,
 * SMTPC_ERR_NULL_POINTER or SMTPC_ERR_VERSION (size out of range). */
SMTPC_EXPORT int smtpc_envelope_init(smtpc_envelope* envelope, size_t size);

/* smtpc_session_deliver2 is smtpc_session_deliver with a whole envelope:
 * it queues one message (`body`, `body_len` bytes, COPIED like the
 * envelope) and stores its id in `*out_id` (when not NULL). Errors
 * (nothing queued): SMTPC_ERR_NULL_POINTER (`session`, `envelope`, its
 * `from`, `rcpts` or an rcpts[i], or `body` with body_len > 0);
 * SMTPC_ERR_VERSION (bad struct_size); SMTPC_ERR_INVALID_ARGUMENT (no
 * recipients, a bad enum value, NOTIFY NEVER combined with other bits,
 * CR/LF or another control character, bad syntax, a line too long);
 * SMTPC_ERR_WRONG_STATE (after close or a fatal error); SMTPC_ERR_NOMEM.
 * Refusals that depend on the server (SIZE, 8BITMIME, SMTPUTF8,
 * REQUIRETLS, BINARYMIME) come later as the delivery's DELIVERY_FAILED. */
SMTPC_EXPORT int smtpc_session_deliver2(smtpc_session* session,
                                        const smtpc_envelope* envelope,
                                        const uint8_t* body, size_t body_len,
                                        int64_t now_ns, uint64_t* out_id);

/* smtpc_release_fn gives a borrowed body back to its owner (see
 * smtpc_session_deliver_borrowed): `body` and `len` are the values that
 * were passed. Called exactly once, on the thread that drives the session,
 * from inside an smtpc_session_* call or smtpc_session_free; it must not
 * call smtpc_session_* on the same session. */
typedef void (*smtpc_release_fn)(void* user_data, const uint8_t* body,
                                 size_t len);

/* smtpc_session_deliver_borrowed is smtpc_session_deliver2 WITHOUT the
 * body copy (the core's zero-copy DATA: the bytes go from `body` to the
 * transmit slices directly). `body` must stay valid and unchanged until
 * `release(release_user_data, body, body_len)` is called: once, when the
 * session no longer needs the bytes (after the delivery's final event, or
 * when the session is freed). `release` may be NULL when the body outlives
 * the session anyway. On an error return `release` has already been called
 * (nothing is queued). Same errors as smtpc_session_deliver2. */
SMTPC_EXPORT int smtpc_session_deliver_borrowed(
    smtpc_session* session, const smtpc_envelope* envelope,
    const uint8_t* body, size_t body_len, smtpc_release_fn release,
    void* release_user_data, int64_t now_ns, uint64_t* out_id);

/* smtpc_session_start_delivery queues a message whose body is streamed in
 * chunks with smtpc_session_append_body (core Session::StartDelivery), for
 * bodies produced on the fly or too large to hold at once. The envelope is
 * copied. Declare `body` in the envelope (SMTPC_BODY_8BITMIME ...) to get
 * the 8BITMIME refusals up front; SIZE is only sent when `size` is set.
 * Same errors as smtpc_session_deliver2; stores the id in `*out_id`. */
SMTPC_EXPORT int smtpc_session_start_delivery(smtpc_session* session,
                                              const smtpc_envelope* envelope,
                                              int64_t now_ns,
                                              uint64_t* out_id);

/* smtpc_session_append_body adds `len` bytes at `chunk` (COPIED; NULL
 * allowed when len is 0) to the body of streamed delivery `delivery_id`;
 * nonzero `last` completes it. Chunks may be appended at any time, before
 * or during the transaction; they are sent as the protocol allows. Errors
 * (the chunk is refused, the delivery stays open): SMTPC_ERR_NULL_POINTER;
 * SMTPC_ERR_WRONG_STATE (not an open streamed delivery);
 * SMTPC_ERR_INVALID_ARGUMENT (a bare CR/LF with reject_bare_line_endings,
 * detail bare_line_ending; 8-bit octets after MAIL went out as 7-bit,
 * detail needs_8bitmime, which also fails the delivery: see
 * core/session.h AppendBody); SMTPC_ERR_NOMEM. */
SMTPC_EXPORT int smtpc_session_append_body(smtpc_session* session,
                                           uint64_t delivery_id,
                                           const uint8_t* chunk, size_t len,
                                           int last, int64_t now_ns);

/* --- Per-recipient results and errors ------------------------------------ */

/* smtpc_recipient_status is a recipient's final outcome. REJECTED and
 * DEFERRED also cover recipients that were never offered to the server
 * (the sender was refused, the connection failed first): those carry the
 * permanence of the delivery's error and have `not_sent` set in their
 * smtpc_recipient_result (version 2). */
typedef enum smtpc_recipient_status {
  SMTPC_RCPT_PENDING = 0,   /* not decided (never in a final result) */
  SMTPC_RCPT_DELIVERED = 1, /* RCPT 2xx and the data's final reply 2xx */
  SMTPC_RCPT_REJECTED = 2,  /* a 5xx to RCPT or to the data, or not sent
                               for a permanent cause: permanent */
  SMTPC_RCPT_DEFERRED = 3,  /* a 4xx, retries exhausted, connection lost
                               before the end of data, or not sent for a
                               temporary cause */
  SMTPC_RCPT_UNKNOWN = 4    /* the whole message was sent, then the
                               connection ended before the reply: it may
                               have been delivered (do not blindly retry) */
} smtpc_recipient_status;

/* smtpc_recipient_result is one recipient's outcome. Version 2.
 * Versioned like smtpc_request_result: set `struct_size` to sizeof(*out)
 * (or use smtpc_recipient_result_init); the library writes only that many
 * bytes, so a caller built against the version 1 header (struct_size
 * SMTPC_RECIPIENT_RESULT_V1_SIZE) never sees the version 2 fields.
 * Strings are NUL-terminated, never NULL, owned by the object they were
 * read from (see the accessor). */
typedef struct smtpc_recipient_result {
  size_t struct_size;
  const char* address; /* as given in the envelope */
  size_t address_len;
  int status;          /* an smtpc_recipient_status */
  /* The reply that decided: the data reply when the recipient was accepted
   * and the data was answered, else the RCPT reply (code 0 and "" when
   * none: e.g. the connection failed first). */
  int code;
  int enhanced_class; /* 0 when the reply had no enhanced code */
  int enhanced_subject;
  int enhanced_detail;
  const char* text;   /* that reply's first line */
  size_t text_len;
  int rcpt_code;      /* the RCPT reply's code, 0 if none */
  int data_code;      /* the data reply's code, 0 if none */

  /* --- Version 2 (1.2.0) --- */

  /* not_sent: nonzero when the recipient was never refused by the server
   * although it failed (`status` REJECTED or DEFERRED): no data reply and
   * no RCPT reply or a 2xx one (core/delivery.h RecipientNotSent). The
   * delivery failed around it: the sender was refused (MAIL FROM 4xx/5xx),
   * the connection failed before or during the transaction, a local
   * refusal (message too large, REQUIRETLS unmet, ...). The cause is the
   * delivery's error (smtpc_session_event_error, smtpc_send_result_error);
   * `status` keeps its permanence (REJECTED: do not retry unchanged;
   * DEFERRED: retry later). 0 for every other recipient, among them one
   * the server refused at RCPT. */
  int not_sent;
  /* outcome: the stable lower-case name of the outcome to show a person
   * or a program: "not_sent" when `not_sent`, else the status's name
   * ("delivered", "rejected", "deferred", "unknown"; "pending" never in a
   * final result); core RecipientOutcomeName. Owned like `text`. */
  const char* outcome;
  size_t outcome_len;
} smtpc_recipient_result;

/* SMTPC_RECIPIENT_RESULT_V1_SIZE is the `struct_size` of version 1 (up to
 * `data_code`, library 1.0 and 1.1). */
#define SMTPC_RECIPIENT_RESULT_V1_SIZE \
  (offsetof(smtpc_recipient_result, data_code) + sizeof(int))

/* SMTPC_RECIPIENT_RESULT_V2_SIZE is the `struct_size` of version 2 (with
 * `not_sent` and `outcome`, library 1.2). */
#define SMTPC_RECIPIENT_RESULT_V2_SIZE \
  (offsetof(smtpc_recipient_result, outcome_len) + sizeof(size_t))

/* smtpc_recipient_result_init zeroes `size` bytes of `*out` and sets
 * `struct_size`. Returns 0, SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION
 * (size below SMTPC_RECIPIENT_RESULT_V1_SIZE or above the library's
 * sizeof(smtpc_recipient_result): a header newer than the library). */
SMTPC_EXPORT int smtpc_recipient_result_init(smtpc_recipient_result* out,
                                             size_t size);

/* smtpc_session_event_num_recipients returns how many per-recipient
 * results the last polled event carries: the envelope's recipients for
 * DELIVERY_DONE and DELIVERY_FAILED, 0 for any other event;
 * SMTPC_ERR_NULL_POINTER. */
SMTPC_EXPORT int smtpc_session_event_num_recipients(
    const smtpc_session* session);

/* smtpc_session_event_recipient fills `*out` with result `index` (from 0,
 * envelope order) of the last polled DELIVERY_DONE or DELIVERY_FAILED
 * event and returns 1, or returns 0 when there is no such result. Strings
 * live as long as the event's (until the next smtpc_session_poll_event or
 * smtpc_session_free). Errors: SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_session_event_recipient(const smtpc_session* session,
                                               size_t index,
                                               smtpc_recipient_result* out);

/* smtpc_error_info is a typed failure (core SmtpError): what failed, why,
 * and what the server said. Versioned like smtpc_recipient_result. Strings
 * are NUL-terminated, never NULL, owned by the object read from. */
typedef struct smtpc_error_info {
  size_t struct_size;
  int error;        /* negative smtpc_error; 0: no error */
  int detail;       /* core ErrorDetail (smtpc_error_detail_name) */
  int permanent;    /* nonzero: retrying the same thing fails again */
  int code;         /* the server's reply code, 0 without a reply */
  int enhanced_class;
  int enhanced_subject;
  int enhanced_detail;
  /* command: the verb that failed ("RCPT", "AUTH", "STARTTLS", "DATA",
   * "GREETING" for the greeting or a failure before any command). */
  const char* command;
  size_t command_len;
  const char* text;    /* the reply's first line, "" without a reply */
  size_t text_len;
  const char* message; /* one line: what happened and what to do */
  size_t message_len;
} smtpc_error_info;

#define SMTPC_ERROR_INFO_V1_SIZE \
  (offsetof(smtpc_error_info, message_len) + sizeof(size_t))

/* smtpc_error_info_init zeroes `size` bytes of `*out` and sets
 * `struct_size`. Returns 0, SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_error_info_init(smtpc_error_info* out, size_t size);

/* smtpc_session_event_error fills `*out` with the error of the last polled
 * event and returns 1 when it has one (AUTH_FAILED, AUTH_RETRY,
 * DELIVERY_FAILED, CLOSED with an error), else returns 0 (`*out`
 * untouched). Strings live as long as the event's. Errors:
 * SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_session_event_error(const smtpc_session* session,
                                           smtpc_error_info* out);

/* --- Blocking delivery --------------------------------------------------- */

/* smtpc_send_options configures smtpc_send. Versioned: initialise with
 * smtpc_send_options_init. Strings are NUL-terminated and read only during
 * the call. */
typedef struct smtpc_send_options {
  size_t struct_size;
  /* host: a DNS name or an IP literal ("127.0.0.1", "[::1]"). Required,
   * except with `unix_socket` (version 2). */
  const char* host;
  /* port: 0 picks 465 with SMTPC_TLS_IMPLICIT, 25 otherwise. */
  int port;
  /* session: the protocol options (EHLO name, tls_mode, AUTH, timeouts,
   * ...; see smtpc_session_options), or NULL for the defaults (which are
   * opportunistic STARTTLS and no AUTH). The callbacks in it run on the
   * calling thread, inside smtpc_send. */
  const smtpc_session_options* session;
  /* ca_file: PEM trust anchors to verify the server with; NULL: the system
   * store (/etc/ssl/certs/ca-certificates.crt). */
  const char* ca_file;
  /* client_cert_file, client_key_file: PEM client certificate chain and
   * key, sent when the server asks (SASL EXTERNAL); both or neither. */
  const char* client_cert_file;
  const char* client_key_file;
  /* insecure: nonzero to accept a certificate that does not verify (the
   * result still says whether it did). With SMTPC_TLS_OPPORTUNISTIC and no
   * ca_file, verification is off anyway (RFC 7435, as MTAs do); with
   * SMTPC_TLS_REQUIRED and SMTPC_TLS_IMPLICIT it is on unless this is set. */
  int insecure;
  /* tls_server_name: the name to send as SNI and verify; NULL: `host`. */
  const char* tls_server_name;
  /* connect_timeout_ms: bound on each TCP connect attempt; 0: 30 s;
   * negative: the kernel's. */
  int64_t connect_timeout_ms;

  /* --- Version 2 (issue 14) --- */

  /* unix_socket: the path of a Unix-domain stream socket to connect to
   * instead of TCP (an LMTP server such as Dovecot's; set the session's
   * `lmtp`). `host` may then be NULL ("localhost": it only names the
   * server); `port` is not used; the peer counts as loopback. With
   * `proxy_url` or `local_address`: SMTPC_ERR_INVALID_ARGUMENT. NULL: TCP.
   * Default NULL. */
  const char* unix_socket;
  /* local_address: a numeric IP the connection is bound to before it
   * connects (the source address); only destination addresses of its
   * family are dialed. Not numeric: SMTPC_ERR_INVALID_ARGUMENT; not an
   * address of this machine: SMTPC_ERR_INVALID_ARGUMENT at connect. With a
   * proxy it binds the connection to the proxy. NULL: the kernel's choice.
   * Default NULL. */
  const char* local_address;
  /* proxy_url: connect through a proxy: "socks5://[user:pass@]host[:port]"
   * (RFC 1928, RFC 1929 credentials; port 1080 by default), "socks5h://..."
   * (the same: the proxy always resolves the destination's name) or
   * "http://[user:pass@]host:port" (HTTP CONNECT, RFC 9110 §9.3.6, Basic
   * credentials). User and password may be percent-encoded. TLS runs
   * inside the tunnel, verified against `host`. A bad URL:
   * SMTPC_ERR_INVALID_ARGUMENT; a refusal by the proxy is typed (detail
   * proxy_*: proxy_connection_refused, proxy_auth_failed, ...). NULL: no
   * proxy. Default NULL. */
  const char* proxy_url;
} smtpc_send_options;

#define SMTPC_SEND_OPTIONS_V1_SIZE \
  (offsetof(smtpc_send_options, connect_timeout_ms) + sizeof(int64_t))
#define SMTPC_SEND_OPTIONS_V2_SIZE \
  (offsetof(smtpc_send_options, proxy_url) + sizeof(const char*))

/* smtpc_send_options_init fills `size` bytes of `*options` with the
 * defaults (all zero/NULL) and sets `struct_size`. Returns 0,
 * SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_send_options_init(smtpc_send_options* options,
                                         size_t size);

/* smtpc_send_result is the library-owned outcome of one smtpc_send: the
 * per-recipient results, the error when the delivery failed and what TLS
 * was used. Release it with smtpc_send_result_free. */
typedef struct smtpc_send_result smtpc_send_result;

/* smtpc_send delivers one message, blocking: resolve and connect, read the
 * greeting, EHLO, STARTTLS or implicit TLS per the session's tls_mode,
 * AUTH when credentials are configured, MAIL/RCPT/DATA (or BDAT) with the
 * envelope's parameters, QUIT. The body (`body_len` bytes at `body`, RFC
 * 5322, CRLF or LF line endings) is only read during the call. Every stage
 * is bounded by its timeout (smtpc_session_options timeout_*_ms).
 *
 * On return `*out` holds a new result (also on most errors: check it for
 * the per-recipient outcomes and the typed error) unless the call failed
 * before anything could be reported (SMTPC_ERR_NULL_POINTER,
 * SMTPC_ERR_VERSION, SMTPC_ERR_NOMEM, SMTPC_ERR_INTERNAL): then it is NULL.
 * Secrets in the options (password, token) are copied for the call and
 * wiped before it returns.
 *
 * Returns 0 when the message was accepted for at least one recipient
 * (partial delivery is a success: read each recipient's status), or the
 * negative error of the failure, the same as
 * smtpc_send_result_error(...)->error: SMTPC_ERR_UNAVAILABLE (connect or
 * resolve failure, connection lost, 421, every recipient refused with a
 * 4xx), SMTPC_ERR_WRONG_STATE (a 5xx refusal: MAIL, every RCPT, the
 * data; permanent), SMTPC_ERR_UNAUTHENTICATED (TLS verification),
 * SMTPC_ERR_PROTOCOL (TLS handshake, a broken server), SMTPC_ERR_TIMEOUT,
 * SMTPC_ERR_PERMISSION_DENIED (AUTH refused), SMTPC_ERR_INVALID_ARGUMENT
 * (bad envelope or options, a message the server cannot take such as
 * SIZE over its limit: detail message_too_large), SMTPC_ERR_NULL_POINTER,
 * SMTPC_ERR_VERSION, SMTPC_ERR_NOMEM. Thread-safe (see the top). */
SMTPC_EXPORT int smtpc_send(const smtpc_send_options* options,
                            const smtpc_envelope* envelope,
                            const uint8_t* body, size_t body_len,
                            smtpc_send_result** out);

/* smtpc_send_result_free releases `result` and every string read from it.
 * NULL is a no-op. */
SMTPC_EXPORT void smtpc_send_result_free(smtpc_send_result* result);

/* smtpc_send_result_num_recipients returns the number of recipient
 * results (the envelope's recipients, in order; 0 when the envelope never
 * got that far), or SMTPC_ERR_NULL_POINTER. Each has a final status, never
 * SMTPC_RCPT_PENDING: when the call failed before the server could answer
 * for a recipient (bad options, connect, DNS, TLS or greeting failure, a
 * refused sender) it is DEFERRED or REJECTED by the error's permanence,
 * with `not_sent` set (version 2). */
SMTPC_EXPORT int smtpc_send_result_num_recipients(
    const smtpc_send_result* result);

/* smtpc_send_result_recipient fills `*out` with recipient `index` and
 * returns 1, or 0 when out of range. Strings are owned by `result` and
 * valid until smtpc_send_result_free. Errors: SMTPC_ERR_NULL_POINTER,
 * SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_send_result_recipient(const smtpc_send_result* result,
                                             size_t index,
                                             smtpc_recipient_result* out);

/* smtpc_send_result_error fills `*out` with the failure and returns 1, or
 * returns 0 (`*out` untouched) when the delivery succeeded. Strings owned
 * by `result`. Errors: SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION. */
SMTPC_EXPORT int smtpc_send_result_error(const smtpc_send_result* result,
                                         smtpc_error_info* out);

/* smtpc_send_result_tls_version returns the negotiated TLS version
 * ("TLSv1.3"), or "" when the connection was not encrypted or never made;
 * "" for NULL. Owned by `result`. */
SMTPC_EXPORT const char* smtpc_send_result_tls_version(
    const smtpc_send_result* result);

/* smtpc_send_result_auth_mechanism returns the SASL mechanism that
 * authenticated ("SCRAM-SHA-256"), or "" when there was no AUTH; "" for
 * NULL. Owned by `result`. */
SMTPC_EXPORT const char* smtpc_send_result_auth_mechanism(
    const smtpc_send_result* result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SMTP_BINDINGS_C_SMTPC_H_ */
