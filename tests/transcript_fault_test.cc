// transcript_fault_test: every transcript (tests/transcripts/*.md) replayed
// with the connection closed at every byte offset of the server's stream,
// and with a read error at every offset (tests/fault_replay.h). Each run
// must end in a typed error (or a clean close after QUIT), report every
// recipient's outcome (delivered, refused, deferred, or unknown after an
// unanswered end of data), refuse further deliveries, and leak nothing
// (the sanitizer build runs LeakSanitizer).

#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fault_replay.h"
#include "tests/transcript_parser.h"
#include "tests/transcript_runner.h"

namespace smtpcore {
namespace internal {

// PrintTo keeps gtest from dumping the case's bytes in messages.
void PrintTo(const TranscriptCase& c, std::ostream* os) { *os << c.Label(); }

namespace {

std::string TranscriptDir() {
  if (const char* dir = std::getenv("TRANSCRIPT_DIR")) return dir;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return std::string(srcdir) + "/" + workspace + "/tests/transcripts";
  }
  return "tests/transcripts";
}

std::vector<TranscriptCase> LoadCases() {
  absl::StatusOr<std::vector<TranscriptCase>> cases =
      LoadTranscriptDir(TranscriptDir());
  if (!cases.ok()) return {};
  return *std::move(cases);
}

TEST(TranscriptFaultFilesTest, Load) {
  absl::StatusOr<std::vector<TranscriptCase>> cases =
      LoadTranscriptDir(TranscriptDir());
  ASSERT_TRUE(cases.ok()) << cases.status();
  EXPECT_FALSE(cases->empty());
}

class TranscriptFaultTest : public ::testing::TestWithParam<TranscriptCase> {};

TEST_P(TranscriptFaultTest, EveryOffset) {
  const TranscriptCase& c = GetParam();
  const size_t total = ServerBytes(c);
  for (FaultKind kind : {FaultKind::kEof, FaultKind::kReadError}) {
    const char* name = kind == FaultKind::kEof ? "EOF" : "read error";
    for (size_t offset = 0; offset <= total; ++offset) {
      absl::Status s = ReplayWithFault(c, offset, kind);
      ASSERT_TRUE(s.ok()) << c.Label() << ": " << name << " after " << offset
                          << " of " << total << " server bytes: "
                          << s.message();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Transcripts, TranscriptFaultTest, ::testing::ValuesIn(LoadCases()),
    [](const ::testing::TestParamInfo<TranscriptCase>& info) {
      return TestNameFor(info.param);
    });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TranscriptFaultTest);

}  // namespace
}  // namespace internal
}  // namespace smtpcore
