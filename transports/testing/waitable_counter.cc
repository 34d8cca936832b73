#include "transports/testing/waitable_counter.h"

namespace smtpcore {

int WaitableCounter::Add(int n) {
  absl::MutexLock lock(&mu_);
  count_ += n;
  return count_;
}

int WaitableCounter::value() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

bool WaitableCounter::WaitFor(int n, absl::Duration limit) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return count_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), limit);
}

bool WaitableCounter::ArriveAndWait(int parties, absl::Duration limit) {
  Add(1);
  return WaitFor(parties, limit);
}

}  // namespace smtpcore
