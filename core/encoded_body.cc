#include "core/encoded_body.h"

#include <utility>

namespace smtpcore {

EncodedBody::EncodedBody(std::unique_ptr<absl::Cord> owner, DotStuffer stuffer)
    : owner_(std::move(owner)), stuffer_(std::move(stuffer)) {}

absl::StatusOr<std::shared_ptr<EncodedBody>> EncodedBody::Encode(
    const absl::Cord& body, const DotStufferOptions& options) {
  // The copy shares `body`'s chunks (a reference count, no octets copied);
  // held behind a pointer so that inline bytes keep their address.
  std::shared_ptr<EncodedBody> encoded(
      new EncodedBody(std::make_unique<absl::Cord>(body), DotStuffer(options)));
  absl::Status s =
      encoded->stuffer_.EncodeCord(*encoded->owner_, &encoded->slices_);
  if (!s.ok()) return s;
  for (auto it = encoded->owner_->chunk_begin();
       it != encoded->owner_->chunk_end(); ++it) {
    ++encoded->chunks_;
  }
  return encoded;
}

DotStufferStats EncodedBody::FinishedStats() const {
  DotStuffer copy = stuffer_;
  copy.Finish(nullptr);
  return copy.stats();
}

EncodedBody::Parts EncodedBody::Take() {
  Parts parts;
  if (spent_) return parts;
  spent_ = true;
  parts.owner = std::move(owner_);
  parts.slices = std::move(slices_);
  slices_.clear();
  parts.stuffer = std::move(stuffer_);
  stuffer_ = DotStuffer();
  return parts;
}

}  // namespace smtpcore
