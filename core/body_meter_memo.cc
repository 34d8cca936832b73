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

const BodyMeter& BodyMeterMemo::Measure(const absl::Cord& body) {
  if (valid_ && SameChunks(body_, body)) {
    ++hits_;
    return meter_;
  }
  BodyMeter meter;
  meter.Add(body);
  meter.Finish();
  meter_ = meter;
  body_ = body;  // shares the chunks: the memo's reference (file comment)
  valid_ = true;
  return meter_;
}

}  // namespace smtpcore
