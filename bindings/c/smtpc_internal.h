// smtpc_internal.h: what the C ABI's two translation units share (the
// session ABI in smtpc.cc, the blocking smtpc_send in smtpc_send.cc). Not
// installed; C++ only.

#ifndef SMTP_BINDINGS_C_SMTPC_INTERNAL_H_
#define SMTP_BINDINGS_C_SMTPC_INTERNAL_H_

#include <cstddef>
#include <cstring>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "bindings/c/smtpc.h"
#include "core/delivery.h"
#include "core/session.h"
#include "core/smtp_error.h"

namespace smtpcore {
namespace capi {

// FromStatusCode maps a canonical code to an smtpc_error.
int FromStatusCode(absl::StatusCode code);

// CheckStructSize returns SMTPC_OK when `size` is within [min, max], else
// SMTPC_ERR_VERSION.
inline int CheckStructSize(size_t size, size_t min, size_t max) {
  return size < min || size > max ? SMTPC_ERR_VERSION : SMTPC_OK;
}

// InitStruct zeroes the first `size` bytes of `*p` and stores `size` in its
// leading struct_size, after checking `size` against [min, sizeof(T)].
template <typename T>
int InitStruct(T* p, size_t size, size_t min) {
  if (p == nullptr) return SMTPC_ERR_NULL_POINTER;
  if (int rc = CheckStructSize(size, min, sizeof(T)); rc != SMTPC_OK) {
    return rc;
  }
  std::memset(static_cast<void*>(p), 0, size);
  p->struct_size = size;
  return SMTPC_OK;
}

// CopyOut writes `value` into the caller's `*out` (a versioned struct whose
// struct_size the caller set), only `out->struct_size` bytes of it.
template <typename T>
int CopyOut(const T& value, T* out, size_t min) {
  if (out == nullptr) return SMTPC_ERR_NULL_POINTER;
  const size_t size = out->struct_size;
  if (int rc = CheckStructSize(size, min, sizeof(T)); rc != SMTPC_OK) {
    return rc;
  }
  T copy = value;
  copy.struct_size = size;
  std::memcpy(static_cast<void*>(out), &copy, size);
  return SMTPC_OK;
}

// ReadOptions copies the caller's versioned options (NULL: defaults) into
// `*out`, the current layout with defaults beyond the caller's size.
// Returns SMTPC_OK or SMTPC_ERR_VERSION.
int ReadOptions(const smtpc_session_options* options,
                smtpc_session_options* out);

// BuildSessionOptions turns C options into core SessionOptions (the auth
// chooser, IDNA converter, timeouts and capability filter included).
// Returns SMTPC_OK, or SMTPC_ERR_INVALID_ARGUMENT with `*error` set.
// May throw std::bad_alloc.
int BuildSessionOptions(const smtpc_session_options& o, SessionOptions* out,
                        std::string* error);

// ReadEnvelope turns a C envelope into an Envelope. Returns SMTPC_OK,
// SMTPC_ERR_NULL_POINTER, SMTPC_ERR_VERSION or SMTPC_ERR_INVALID_ARGUMENT
// (`*error` set). May throw std::bad_alloc.
int ReadEnvelope(const smtpc_envelope* envelope, Envelope* out,
                 std::string* error);

// RecipientOut is a RecipientResult in C form, owning its strings.
struct RecipientOut {
  std::string address;
  int status = SMTPC_RCPT_PENDING;
  int code = 0;
  EnhancedCode enhanced;
  std::string text;
  int rcpt_code = 0;
  int data_code = 0;
  // Version 2: RecipientNotSent and RecipientOutcomeName (core/delivery.h).
  bool not_sent = false;
  std::string outcome;

  static RecipientOut From(const RecipientResult& r);
  // Fill writes this result into `*out` (versioned); its strings point
  // into this object.
  int Fill(smtpc_recipient_result* out) const;
};

// ErrorOut is an SmtpError in C form, owning its strings.
struct ErrorOut {
  int error = 0;
  int detail = 0;
  bool permanent = false;
  int code = 0;
  EnhancedCode enhanced;
  std::string command;
  std::string text;
  std::string message;

  static ErrorOut From(const SmtpError& e);
  int Fill(smtpc_error_info* out) const;
};

// Guard runs `body` (returning an smtpc_error int) and turns every C++
// exception into an error code: none crosses the C boundary.
template <typename Body>
int Guard(Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return SMTPC_ERR_NOMEM;
  } catch (...) {
    return SMTPC_ERR_INTERNAL;
  }
}

}  // namespace capi
}  // namespace smtpcore

#endif  // SMTP_BINDINGS_C_SMTPC_INTERNAL_H_
