#include "core/body_meter_memo.h"

#include <memory>

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

const BodyFacts* BodyMeterMemo::Find(const absl::Cord& body,
                                     const DotStufferOptions* options,
                                     std::shared_ptr<EncodedBody>* encoding) {
  encoding->reset();
  const BodyFacts* facts = Find(body);
  if (facts == nullptr || encoding_ == nullptr || options == nullptr ||
      encoding_->options() != *options) {
    return facts;
  }
  // A copy of the slice vector: the body is not scanned.
  *encoding = EncodedBody::Copy(*encoding_);
  if (*encoding != nullptr) ++encoding_hits_;
  return facts;
}

void BodyMeterMemo::Remember(const absl::Cord& body, const BodyFacts& facts,
                             const EncodedBody* encoding) {
  facts_ = facts;
  body_ = body;  // shares the chunks: the memo's reference (file comment)
  valid_ = true;
  encoding_.reset();
  // The template must be an encoding of this very body: same chunks (so
  // the same bytes while the memo holds them).
  if (encoding != nullptr && !encoding->spent() &&
      SameChunks(encoding->body(), body)) {
    encoding_ = EncodedBody::Copy(*encoding);
  }
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
