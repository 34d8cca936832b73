#include "core/internal/transmit_queue.h"

#include <algorithm>
#include <cstring>

namespace smtpcore {
namespace internal {

uint64_t TransmitQueue::AppendCopy(absl::string_view bytes) {
  if (bytes.empty()) return queued_;
  if (blocks_.empty() ||
      blocks_.back().capacity - blocks_.back().used < bytes.size()) {
    Block block;
    block.capacity = std::max(kBlockSize, bytes.size());
    block.data = std::make_unique<char[]>(block.capacity);
    blocks_.push_back(std::move(block));
  }
  Block& block = blocks_.back();
  char* dst = block.data.get() + block.used;
  std::memcpy(dst, bytes.data(), bytes.size());
  block.used += bytes.size();
  queued_ += bytes.size();
  block.end = queued_;
  // Coalesce with the previous slice when contiguous (pipelined lines go
  // out as one slice).
  if (!slices_.empty() && slices_.back().data + slices_.back().size == dst) {
    slices_.back().size += bytes.size();
  } else {
    slices_.push_back(IoSlice{dst, bytes.size()});
  }
  return queued_;
}

uint64_t TransmitQueue::AppendBorrowed(absl::Span<const IoSlice> slices,
                                       std::unique_ptr<absl::Cord> owner) {
  for (const IoSlice& s : slices) {
    if (s.size == 0) continue;
    slices_.push_back(s);
    queued_ += s.size;
  }
  if (owner != nullptr) owners_.push_back(Owner{std::move(owner), queued_});
  return queued_;
}

size_t TransmitQueue::Poll(absl::Span<IoSlice> out) const {
  size_t n = 0;
  for (size_t i = 0; i < slices_.size() && n < out.size(); ++i, ++n) {
    IoSlice s = slices_[i];
    if (i == 0) {
      s.data += front_skip_;
      s.size -= front_skip_;
    }
    out[n] = s;
  }
  return n;
}

size_t TransmitQueue::Consume(size_t n) {
  n = std::min(n, pending_bytes());
  consumed_ += n;
  size_t left = n;
  while (left > 0) {
    IoSlice& front = slices_.front();
    size_t avail = front.size - front_skip_;
    if (left >= avail) {
      left -= avail;
      slices_.pop_front();
      front_skip_ = 0;
    } else {
      front_skip_ += left;
      left = 0;
    }
  }
  while (!owners_.empty() && owners_.front().end <= consumed_) {
    owners_.pop_front();
  }
  while (!blocks_.empty() && blocks_.front().end <= consumed_) {
    if (blocks_.size() == 1) {
      // Fully sent: reuse the last block from its start.
      blocks_.front().used = 0;
      break;
    }
    blocks_.pop_front();
  }
  return n;
}

void TransmitQueue::Clear() {
  slices_.clear();
  front_skip_ = 0;
  owners_.clear();
  blocks_.clear();
  consumed_ = queued_;
}

}  // namespace internal
}  // namespace smtpcore
