// SansIoScript: a tiny scripted driver for unit tests of `Connection` and
// `Session` (both have the same inputs and outputs). A script is a list of
// steps: server bytes, expected client bytes, actions (Submit, Deliver,
// OnTlsEstablished, HandleTimeout, ...). `Run` replays it with the server
// bytes whole, split at a given offset, or byte by byte, and checks that the
// client bytes are exactly as expected and that the event strings
// (`EventToString`) are identical in every replay.
//
// Test-only; not part of the library.

#ifndef SMTP_CORE_INTERNAL_SANS_IO_TEST_DRIVER_H_
#define SMTP_CORE_INTERNAL_SANS_IO_TEST_DRIVER_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace internal {

// DrainTransmit takes everything the machine has to send, using `max_slices`
// slices per poll, acknowledges it at `now` and returns the bytes.
template <typename Machine>
std::string DrainTransmit(Machine& m, Instant now, size_t max_slices = 64) {
  std::string out;
  std::vector<IoSlice> slices(max_slices);
  for (;;) {
    size_t n = m.PollTransmit(absl::MakeSpan(slices));
    if (n == 0) break;
    size_t before = out.size();
    AppendSlices(absl::MakeConstSpan(slices.data(), n), &out);
    m.ConsumeTransmit(out.size() - before, now);
  }
  return out;
}

// DrainEvents returns the strings of all queued events.
template <typename Machine>
std::vector<std::string> DrainEvents(Machine& m) {
  std::vector<std::string> out;
  while (absl::optional<Event> e = m.PollEvent()) {
    out.push_back(EventToString(*e));
  }
  return out;
}

template <typename Machine>
class SansIoScript {
 public:
  using Factory = std::function<std::unique_ptr<Machine>(Instant)>;
  using Action = std::function<void(Machine&, Instant)>;

  explicit SansIoScript(Factory factory) : factory_(std::move(factory)) {}

  // Server queues bytes from the server, received at `at_seconds`.
  SansIoScript& Server(std::string bytes, double at_seconds = 0) {
    steps_.push_back(Step{kServer, std::move(bytes), nullptr, at_seconds});
    return *this;
  }
  // Client expects exactly `bytes` to be transmitted (all pending output).
  SansIoScript& Client(std::string bytes, double at_seconds = 0) {
    steps_.push_back(Step{kClient, std::move(bytes), nullptr, at_seconds});
    return *this;
  }
  // Do runs `action` at `at_seconds`.
  SansIoScript& Do(Action action, double at_seconds = 0) {
    steps_.push_back(Step{kAction, "", std::move(action), at_seconds});
    return *this;
  }
  // Eof delivers the server's EOF.
  SansIoScript& Eof(double at_seconds = 0) {
    steps_.push_back(Step{kEof, "", nullptr, at_seconds});
    return *this;
  }

  // Run replays the script once. `split` = 0: server bytes whole;
  // `split` = 1: byte by byte; `split` = k > 1: each server step is fed as
  // two Receive calls split at offset k-1 (when inside the step). Returns
  // the events (strings). Client mismatches are reported with the split.
  std::vector<std::string> Run(size_t split) {
    SCOPED_TRACE(absl::StrCat("split mode ", split));
    std::unique_ptr<Machine> m = factory_(InstantFromSeconds(0));
    std::vector<std::string> events;
    auto collect = [&] {
      for (std::string& e : DrainEvents(*m)) events.push_back(std::move(e));
    };
    for (size_t i = 0; i < steps_.size(); ++i) {
      Step& step = steps_[i];
      Instant now = InstantFromSeconds(step.at);
      switch (step.kind) {
        case kServer: {
          absl::string_view bytes = step.bytes;
          if (split == 0) {
            (void)m->Receive(bytes, now);
          } else if (split == 1) {
            for (size_t j = 0; j < bytes.size(); ++j) {
              (void)m->Receive(bytes.substr(j, 1), now);
            }
          } else {
            size_t k = std::min(split - 1, bytes.size());
            // Copy each piece so that nothing can keep pointing into it.
            std::string a(bytes.substr(0, k)), b(bytes.substr(k));
            (void)m->Receive(a, now);
            a.assign(a.size(), '#');
            (void)m->Receive(b, now);
          }
          break;
        }
        case kClient:
          EXPECT_EQ(DrainTransmit(*m, now), step.bytes)
              << "client bytes at step " << i;
          break;
        case kAction:
          step.action(*m, now);
          break;
        case kEof:
          (void)m->ReceiveEof(now);
          break;
      }
      collect();
    }
    return events;
  }

  // RunAllSplits runs whole, byte by byte and at every split offset up to
  // the longest server step, and expects the same `expected` events each
  // time.
  void RunAllSplits(const std::vector<std::string>& expected) {
    size_t longest = 0;
    for (const Step& s : steps_) longest = std::max(longest, s.bytes.size());
    for (size_t split = 0; split <= longest + 1; ++split) {
      std::vector<std::string> got = Run(split);
      EXPECT_EQ(got, expected) << "split mode " << split;
      if (got != expected) break;
    }
  }

 private:
  enum Kind { kServer, kClient, kAction, kEof };
  struct Step {
    Kind kind;
    std::string bytes;
    Action action;
    double at;
  };

  Factory factory_;
  std::vector<Step> steps_;
};

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_CORE_INTERNAL_SANS_IO_TEST_DRIVER_H_
