// Instant and Duration: time as data.
//
// The core never reads a clock (enforced by //core:no_io_test). Every
// state-changing call takes the caller's current time `now`, and the core
// answers with deadlines (`Connection::NextDeadline`). Any monotonic timeline
// works: a transport maps its monotonic clock into `Instant` (e.g. with
// `InstantFromMonotonicNanos`), tests simply use numbers.

#ifndef SMTP_CORE_INSTANT_H_
#define SMTP_CORE_INSTANT_H_

#include <cstdint>

#include "absl/time/time.h"

namespace smtpcore {

// Instant is a point on the caller's monotonic timeline. It is an
// `absl::Time` so arithmetic with `Duration` and comparisons come for free;
// its epoch is whatever the caller chose and carries no wall-clock meaning.
using Instant = absl::Time;

// Duration is a span of time (`absl::Duration`).
using Duration = absl::Duration;

// InstantFromMonotonicNanos maps `nanos` since the caller's epoch to an
// Instant. Never fails.
inline Instant InstantFromMonotonicNanos(int64_t nanos) {
  return absl::UnixEpoch() + absl::Nanoseconds(nanos);
}

// InstantFromSeconds maps `seconds` since the caller's epoch to an Instant;
// convenient in tests ("now = 10s").
inline Instant InstantFromSeconds(double seconds) {
  return absl::UnixEpoch() + absl::Seconds(seconds);
}

// ToMonotonicNanos is the inverse of `InstantFromMonotonicNanos`.
inline int64_t ToMonotonicNanos(Instant t) {
  return absl::ToInt64Nanoseconds(t - absl::UnixEpoch());
}

}  // namespace smtpcore

#endif  // SMTP_CORE_INSTANT_H_
