// BodyMeterMemo: the measurement and the encoding of the last complete
// body, kept so that a sender delivering the same body many times over one
// session (a bulk sender reusing one absl::Cord; a VERP mailing list
// sending one transaction per recipient) has it scanned once rather than
// once per message. The delivery flow encodes a body it has not seen once,
// for both the precheck and the transfer (core/encoded_body.h), and
// remembers a copy of that encoding as a template (never sent itself). On a
// hit it gets the facts and a fresh copy of the encoding (a copy of the
// slice vector, core/encoded_body.h rule 5) for the connection: the
// remembered body is not scanned at all. The copy is given only when the
// template was encoded with exactly the options the transfer needs now
// (DATA or BDAT, normalising or not, line-ending policy); otherwise, and
// for a body the template cannot be copied from (bytes inline in a small
// Cord), the connection encodes the body itself (one pass). DotStuffer
// stays the one authority on body bytes: a template is its output.
//
// Memory: besides the body's chunks, the memo keeps the template's slice
// vector alive (16 bytes per slice: about one per chunk and per stuffed
// dot, two per completed line ending) until the next body replaces it.
// Time: a miss costs one copy of that vector more (making the template),
// a hit one copy (for the connection) instead of a scan of the body.
//
// Identity, not equality: a body is the remembered one when it has the same
// chunks, at the same addresses and of the same lengths, as the Cord the
// memo keeps. The memo holds a reference to those chunks, so they stay
// alive and, being shared, immutable (a Cord only changes a chunk in place
// that nothing else references; external memory is the caller's to keep
// unchanged, absl::MakeCordFromExternal): same addresses, same bytes. Equal
// bytes elsewhere are measured again (comparing them would cost a scan).
// Small bodies kept inline in a Cord object never match, and cost little.

#ifndef SMTP_CORE_BODY_METER_MEMO_H_
#define SMTP_CORE_BODY_METER_MEMO_H_

#include <cstdint>
#include <memory>

#include "absl/strings/cord.h"
#include "core/delivery_precheck.h"
#include "core/dot_stuffer.h"
#include "core/encoded_body.h"

namespace smtpcore {

// BodyMeterMemo remembers one body, its BodyFacts and optionally its
// encoding. A value type (a copy shares the immutable template);
// not thread-safe. It keeps the last body measured or remembered alive (a
// reference to its chunks, not a copy) until the next body replaces it or
// the memo dies.
class BodyMeterMemo {
 public:
  // Measure returns the facts of the complete body `body`: the remembered
  // ones when `body` has the same chunks as the last body, else a new
  // BodyMeter measurement, which is then remembered (without an encoding).
  // The reference is valid until the next non-const call or the memo's
  // destruction. Never fails.
  const BodyFacts& Measure(const absl::Cord& body);

  // Find returns the remembered facts when `body` has the same chunks as the
  // last body (counted as a hit), else nullptr; valid until the next
  // non-const call or the memo's destruction. Never measures.
  const BodyFacts* Find(const absl::Cord& body);

  // Find, with an encoding: as `Find(body)`; in addition, on a hit,
  // `*encoding` (not null) is set to a fresh, unspent copy of the
  // remembered encoding (EncodedBody::Copy; the caller owns it and may
  // Take it) when one is remembered and `options` is non-null and equal to
  // its options (counted in `encoding_hits`), else to nullptr. On a miss
  // `*encoding` is set to nullptr. Never scans the body.
  const BodyFacts* Find(const absl::Cord& body,
                        const DotStufferOptions* options,
                        std::shared_ptr<EncodedBody>* encoding);

  // Remember replaces the remembered body with `body` and its complete
  // `facts`, obtained elsewhere from the same DotStuffer code (e.g.
  // FactsOfEncoding of the body's encoding, core/delivery_precheck.h), and
  // forgets the previous encoding. `encoding` (borrowed for the call; may
  // be null) is an unspent encoding of `body` (its `body()` has the same
  // chunks as `body`); the memo keeps its own copy of it as the template
  // (EncodedBody::Copy), never handed out itself. An encoding that is
  // spent, cannot be copied or is not of `body` is not kept (the facts
  // are); never fails.
  void Remember(const absl::Cord& body, const BodyFacts& facts,
                const EncodedBody* encoding = nullptr);

  // has_encoding is true when a template is remembered.
  bool has_encoding() const { return encoding_ != nullptr; }
  // hits counts the calls answered from the memo (for tests and benches).
  uint64_t hits() const { return hits_; }
  // encoding_hits counts the hits that handed out a copy of the remembered
  // encoding: the bodies not scanned at all (for tests and benches).
  uint64_t encoding_hits() const { return encoding_hits_; }

 private:
  absl::Cord body_;
  BodyFacts facts_;
  // encoding_: the template, a copy of the body's encoding that is never
  // taken; null when none was remembered or it could not be copied.
  std::shared_ptr<const EncodedBody> encoding_;
  bool valid_ = false;
  uint64_t hits_ = 0;
  uint64_t encoding_hits_ = 0;
};

// SameChunks is true when `a` and `b` consist of the same chunks at the same
// addresses (so, while both live, the same bytes). Linear in the number of
// chunks, not of octets.
bool SameChunks(const absl::Cord& a, const absl::Cord& b);

}  // namespace smtpcore

#endif  // SMTP_CORE_BODY_METER_MEMO_H_
