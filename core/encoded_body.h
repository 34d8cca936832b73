// EncodedBody: a complete message body already encoded by DotStuffer, ready
// for the connection's DATA or BDAT LAST, so that the session's precheck
// and the transfer share one pass over the body's bytes (issue 13): the
// delivery flow encodes the body once when it must know its facts (SIZE,
// 8BITMIME, bare line endings; core/delivery_precheck.h `FactsOfEncoding`),
// and hands the finished encoding to `Connection::Submit` in `Data::encoded`
// or `Bdat::encoded` (core/command.h) instead of the bytes.
//
// Rules:
//  1. Only `EncodedBody::Encode` makes one, and it runs `DotStuffer::
//     EncodeCord`: the connection can be handed an encoding, never
//     unencoded bytes under that name. DotStuffer stays the one authority on
//     body bytes.
//  2. Zero copy. The slices point into the chunks of a Cord the EncodedBody
//     owns (a copy of the caller's Cord sharing its chunks, kept at a stable
//     heap address so that even bytes stored inline in a small Cord stay
//     put) or into static storage. The caller keeps external memory
//     (absl::MakeCordFromExternal) unchanged as long as for any body it
//     sends.
//  3. Not finished: the end of the encoding (the end-of-data marker for
//     DATA, the CRLF completing an unterminated last line for BDAT) is left
//     to the encoder state that goes with the slices, so the connection
//     finishes the body exactly as it finishes one it encoded itself.
//  4. Spent once taken: `Take` moves the owner, the slices and the encoder
//     state out; a spent EncodedBody cannot be sent again (the connection
//     refuses it).
//  5. Sent again only as a copy: `Copy` makes a new, unspent EncodedBody
//     from an unspent one without scanning the body: a new heap Cord
//     sharing the same chunks (so the same addresses, kept alive by every
//     copy), a copy of the slices and of the encoder state. It refuses
//     (nullptr) when a slice points into the Cord object itself (bytes kept
//     inline in a small Cord: a copy's bytes would live elsewhere); slices
//     into the chunks or into static storage stay valid for every copy
//     (core/body_meter_memo.h keeps one as a template).
//
// Not thread-safe; a value held by `std::shared_ptr` so that a `Command`
// carrying it stays copyable.

#ifndef SMTP_CORE_ENCODED_BODY_H_
#define SMTP_CORE_ENCODED_BODY_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "core/dot_stuffer.h"
#include "core/io_slice.h"

namespace smtpcore {

// EncodedBody is one complete body encoded with one DotStufferOptions.
class EncodedBody {
 public:
  // Parts is what `Take` hands over: the Cord the slices point into (null
  // for an empty body), the slices, and the encoder after the last chunk
  // (not finished: call `Finish` on it to get the tail).
  struct Parts {
    std::unique_ptr<absl::Cord> owner;
    std::vector<IoSlice> slices;
    DotStuffer stuffer;
  };

  // Encode encodes every chunk of `body` with a new DotStuffer configured by
  // `options` (DotStuffer::EncodeCord). `body` is not copied: the result
  // shares its chunks (rule 2). Errors are EncodeCord's (kInvalidArgument
  // with kBareLineEnding or kLineTooLong under a kReject policy); with
  // LineEndingPolicy::kNormalize and LongLinePolicy::kIgnore or kReport it
  // cannot fail.
  static absl::StatusOr<std::shared_ptr<EncodedBody>> Encode(
      const absl::Cord& body, const DotStufferOptions& options);

  // Copy returns a new, unspent EncodedBody that gives exactly the bytes
  // `original` would (slices, then the tail of its encoder's `Finish`),
  // without scanning the body (rule 5). It does not change `original`;
  // the copy owns its own Cord (sharing `original`'s chunks, which stay
  // alive and unchanged while any copy lives), so it stays valid after
  // `original` and the caller's Cord are gone. Returns nullptr when
  // `original` is spent or a slice points into its Cord object (inline
  // bytes of a small body): encode such a body again instead.
  static std::shared_ptr<EncodedBody> Copy(const EncodedBody& original);

  EncodedBody(const EncodedBody&) = delete;
  EncodedBody& operator=(const EncodedBody&) = delete;

  // options returns the options the body was encoded with.
  const DotStufferOptions& options() const { return stuffer_.options(); }
  // stuffer returns the encoder state after the last chunk (not finished;
  // valid until `Take`, which leaves a default encoder behind).
  const DotStuffer& stuffer() const { return stuffer_; }
  // body returns the Cord the slices point into (shares the encoded body's
  // chunks); valid until `Take`, after which it is an empty Cord. Read-only.
  const absl::Cord& body() const;
  // chunks counts the Cord chunks encoded.
  uint64_t chunks() const { return chunks_; }
  // slices_size is the number of slices encoded (0 once spent).
  size_t slices_size() const { return slices_.size(); }
  // spent is true once `Take` was called.
  bool spent() const { return spent_; }

  // FinishedStats returns the encoder's statistics as they will be after
  // `Finish` (a final CR counted as bare, output including the tail).
  // Does not change anything.
  DotStufferStats FinishedStats() const;

  // Take moves the parts out (see Parts) and marks the body spent. The
  // slices stay valid as long as the returned owner lives. A second call
  // returns empty parts.
  Parts Take();

 private:
  EncodedBody(std::unique_ptr<absl::Cord> owner, DotStuffer stuffer);

  std::unique_ptr<absl::Cord> owner_;
  std::vector<IoSlice> slices_;
  DotStuffer stuffer_;
  uint64_t chunks_ = 0;
  bool spent_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_ENCODED_BODY_H_
