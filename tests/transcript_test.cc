// transcript_test: one gtest per case in tests/transcripts/*.md (found at run
// time, as data), each replayed in every mode of `TranscriptModes`.
// A case marked `<!-- known_failure: reason -->` must fail; its failure is
// printed so the core bug stays visible.

#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
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

absl::Status& LoadStatus() {
  static absl::Status* status = new absl::Status();
  return *status;
}

std::vector<TranscriptCase> LoadCases() {
  absl::StatusOr<std::vector<TranscriptCase>> cases =
      LoadTranscriptDir(TranscriptDir());
  if (!cases.ok()) {
    LoadStatus() = cases.status();
    return {};
  }
  return *std::move(cases);
}

TEST(TranscriptFilesTest, LoadAndParse) {
  ASSERT_TRUE(LoadStatus().ok()) << LoadStatus();
}

class TranscriptTest : public ::testing::TestWithParam<TranscriptCase> {};

TEST_P(TranscriptTest, Run) {
  const TranscriptCase& c = GetParam();
  absl::Status status = CheckTranscript(c);
  if (c.known_failure.empty()) {
    EXPECT_TRUE(status.ok()) << status.message();
    return;
  }
  EXPECT_FALSE(status.ok())
      << c.Label() << " is marked known_failure (" << c.known_failure
      << ") but passes: remove the marker.";
  std::cout << "[ KNOWN FAILURE ] " << c.Label() << ": " << c.known_failure
            << "\n"
            << status.message() << "\n";
}

INSTANTIATE_TEST_SUITE_P(
    Transcripts, TranscriptTest, ::testing::ValuesIn(LoadCases()),
    [](const ::testing::TestParamInfo<TranscriptCase>& info) {
      return TestNameFor(info.param);
    });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TranscriptTest);

}  // namespace
}  // namespace internal
}  // namespace smtpcore
