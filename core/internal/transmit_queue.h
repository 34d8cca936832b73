// TransmitQueue: the outgoing byte stream of a connection as a queue of
// borrowed slices, plus the small arena that owns formatted command lines.
//
// Invariant: every queued slice points into memory the queue keeps alive
// until `Consume` has passed the slice's last byte: an arena block, a kept
// `absl::Cord` (a body, never copied) or static storage. Appending never
// moves existing bytes, so slices handed out by `Poll` stay valid across
// later appends.

#ifndef SMTP_CORE_INTERNAL_TRANSMIT_QUEUE_H_
#define SMTP_CORE_INTERNAL_TRANSMIT_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/io_slice.h"

namespace smtpcore {
namespace internal {

// TransmitQueue is a FIFO of slices. Not thread-safe.
class TransmitQueue {
 public:
  // kBlockSize is the arena's block size: several pipelined command lines
  // of up to 512 octets fit in one block; longer lines get their own block.
  static constexpr size_t kBlockSize = 4096;

  TransmitQueue() = default;
  TransmitQueue(const TransmitQueue&) = delete;
  TransmitQueue& operator=(const TransmitQueue&) = delete;

  // AppendCopy copies `bytes` into the arena and queues them. Returns the
  // absolute stream offset just past them.
  uint64_t AppendCopy(absl::string_view bytes);

  // AppendBorrowed queues `slices` that point into `*owner` (or static
  // storage) and keeps `owner` alive until they are consumed. `owner` is
  // held by pointer because a small Cord keeps its bytes inline: the Cord
  // object itself must not move while slices point into it. `owner` may be
  // null (static storage only). Empty slices are skipped. Returns the
  // absolute stream offset just past them.
  uint64_t AppendBorrowed(absl::Span<const IoSlice> slices,
                          std::unique_ptr<absl::Cord> owner);

  // Poll copies up to `out.size()` queued slices (the first one trimmed by
  // what was already consumed) into `out`; returns how many.
  size_t Poll(absl::Span<IoSlice> out) const;

  // Consume drops `n` bytes from the front (clamped to what is pending) and
  // frees owners no longer needed. Returns the bytes actually consumed.
  size_t Consume(size_t n);

  // Clear forgets everything queued (memory is released, so only call it
  // when no slice from `Poll` is in use anymore).
  void Clear();

  size_t pending_bytes() const {
    return static_cast<size_t>(queued_ - consumed_);
  }
  bool empty() const { return queued_ == consumed_; }
  // queued_offset is the absolute offset just past the last queued byte.
  uint64_t queued_offset() const { return queued_; }
  // consumed_offset is the absolute offset of the next byte to send.
  uint64_t consumed_offset() const { return consumed_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t used = 0;
    uint64_t end = 0;  // absolute offset past its last queued byte
  };
  struct Owner {
    std::unique_ptr<absl::Cord> cord;
    uint64_t end = 0;
  };

  std::deque<IoSlice> slices_;
  size_t front_skip_ = 0;  // bytes of slices_.front() already consumed
  std::deque<Block> blocks_;
  std::deque<Owner> owners_;
  uint64_t queued_ = 0;
  uint64_t consumed_ = 0;
};

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_CORE_INTERNAL_TRANSMIT_QUEUE_H_
