// BodyMeterMemo: the measurement of the last complete body, kept so that a
// sender delivering the same body many times over one session (a bulk
// sender reusing one absl::Cord) has it scanned once for the precheck
// (core/delivery_precheck.h) rather than once per message. The encoder
// (core/dot_stuffer.h) still encodes every message. Since the delivery flow
// encodes a body it has not seen once, for both the precheck and the
// transfer (core/encoded_body.h), a remembered body saves no pass any more:
// it only moves the one pass from the precheck to the connection.
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

#include "absl/strings/cord.h"
#include "core/delivery_precheck.h"

namespace smtpcore {

// BodyMeterMemo remembers one body and its BodyFacts. A value type; not
// thread-safe. It keeps the last body measured or remembered alive (a
// reference to its chunks, not a copy) until the next body replaces it or
// the memo dies.
class BodyMeterMemo {
 public:
  // Measure returns the facts of the complete body `body`: the remembered
  // ones when `body` has the same chunks as the last body, else a new
  // BodyMeter measurement, which is then remembered. The reference is valid
  // until the next non-const call or the memo's destruction. Never fails.
  const BodyFacts& Measure(const absl::Cord& body);

  // Find returns the remembered facts when `body` has the same chunks as the
  // last body (counted as a hit), else nullptr; valid until the next
  // non-const call or the memo's destruction. Never measures.
  const BodyFacts* Find(const absl::Cord& body);

  // Remember replaces the remembered body with `body` and its complete
  // `facts`, obtained elsewhere from the same DotStuffer code (e.g.
  // FactsOfEncoding of the body's encoding, core/delivery_precheck.h).
  void Remember(const absl::Cord& body, const BodyFacts& facts);

  // hits counts the calls answered from the memo (for tests and benches).
  uint64_t hits() const { return hits_; }

 private:
  absl::Cord body_;
  BodyFacts facts_;
  bool valid_ = false;
  uint64_t hits_ = 0;
};

// SameChunks is true when `a` and `b` consist of the same chunks at the same
// addresses (so, while both live, the same bytes). Linear in the number of
// chunks, not of octets.
bool SameChunks(const absl::Cord& a, const absl::Cord& b);

}  // namespace smtpcore

#endif  // SMTP_CORE_BODY_METER_MEMO_H_
