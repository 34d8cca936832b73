#include "core/body_meter_memo.h"

namespace smtpcore {

bool SameChunks(const absl::Cord& a, const absl::Cord& b) {
  if (a.size() != b.size()) return false;
  absl::Cord::ChunkIterator ia = a.chunk_begin();
  absl::Cord::ChunkIterator ib = b.chunk_begin();
  const absl::Cord::ChunkIterator ea = a.chunk_end();
  const absl::Cord::ChunkIterator eb = b.chunk_end();
  for (; ia != ea && ib != eb; ++ia, ++ib) {
    const absl::string_view ca = *ia;
    const absl::string_view cb = *ib;
    if (ca.data() != cb.data() || ca.size() != cb.size()) return false;
  }
  return ia == ea && ib == eb;
}

const BodyFacts* BodyMeterMemo::Find(const absl::Cord& body) {
  if (!valid_ || !SameChunks(body_, body)) return nullptr;
  ++hits_;
  return &facts_;
}

void BodyMeterMemo::Remember(const absl::Cord& body, const BodyFacts& facts) {
  facts_ = facts;
  body_ = body;  // shares the chunks: the memo's reference (file comment)
  valid_ = true;
}

const BodyFacts& BodyMeterMemo::Measure(const absl::Cord& body) {
  if (const BodyFacts* known = Find(body)) return *known;
  BodyMeter meter;
  meter.Add(body);
  meter.Finish();
  Remember(body, meter.facts());
  return facts_;
}

}  // namespace smtpcore
