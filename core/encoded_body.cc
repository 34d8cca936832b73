#include "core/encoded_body.h"

#include <cstdint>
#include <memory>
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

std::shared_ptr<EncodedBody> EncodedBody::Copy(const EncodedBody& original) {
  if (original.spent_ || original.owner_ == nullptr) return nullptr;
  // Bytes inside the Cord object (inline data) would not be in the copy's
  // Cord object: refuse (rule 5). Compared as integers: the slices may point
  // anywhere (chunks, static storage).
  const uintptr_t begin = reinterpret_cast<uintptr_t>(original.owner_.get());
  const uintptr_t end = begin + sizeof(absl::Cord);
  for (const IoSlice& s : original.slices_) {
    const uintptr_t data = reinterpret_cast<uintptr_t>(s.data);
    if (s.size > 0 && data < end && data + s.size > begin) return nullptr;
  }
  // The new Cord shares the chunks (a reference count, no octets copied), so
  // the copied slices point into chunks it keeps alive.
  std::shared_ptr<EncodedBody> copy(new EncodedBody(
      std::make_unique<absl::Cord>(*original.owner_), original.stuffer_));
  copy->slices_ = original.slices_;
  copy->chunks_ = original.chunks_;
  return copy;
}

const absl::Cord& EncodedBody::body() const {
  static const absl::Cord* const kEmpty = new absl::Cord();
  return owner_ != nullptr ? *owner_ : *kEmpty;
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
