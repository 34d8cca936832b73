// WaitableCounter: a thread-safe count that threads can wait on. Test-only.
//
// The transport tests use it to control the order of events between the
// client under test and the LoopbackServer's connection threads, instead of
// assuming a schedule: a `LoopbackHook` (which runs on a connection thread
// and may block) counts an event and waits until other connections have
// reached theirs, e.g. "hold the first MAIL reply on each connection until
// both connections have sent a MAIL".
//
// Waits take a limit only as a safety net, so that a broken test fails with
// a message instead of hanging until Bazel's timeout: a passing run never
// depends on it.

#ifndef SMTP_TRANSPORTS_TESTING_WAITABLE_COUNTER_H_
#define SMTP_TRANSPORTS_TESTING_WAITABLE_COUNTER_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace smtpcore {

// kSafetyNet is the default wait limit: far longer than any passing run
// takes, shorter than Bazel's timeout for a small test (60 s).
inline constexpr absl::Duration kSafetyNet = absl::Seconds(20);

// WaitableCounter counts events from any thread.
class WaitableCounter {
 public:
  WaitableCounter() = default;
  WaitableCounter(const WaitableCounter&) = delete;
  WaitableCounter& operator=(const WaitableCounter&) = delete;

  // Add increases the count by `n` and wakes the waiters. Returns the new
  // count.
  int Add(int n = 1);

  // value returns the current count.
  int value() const;

  // WaitFor blocks until the count is at least `n`; false if `limit`
  // passed first.
  bool WaitFor(int n, absl::Duration limit = kSafetyNet) const;

  // ArriveAndWait is a rendezvous of `parties` threads: Add(1), then
  // WaitFor(parties). False if `limit` passed first.
  bool ArriveAndWait(int parties, absl::Duration limit = kSafetyNet);

 private:
  mutable absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_WAITABLE_COUNTER_H_
