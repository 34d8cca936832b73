// replay_main: a plain main() that feeds files to LLVMFuzzerTestOneInput.
//
// Linked into every `<name>_fuzzer_corpus_test` (see bazel/fuzz.bzl) so the
// committed corpora run as ordinary tests under g++, ASan and UBSan. Each
// argument is a file or a directory (walked recursively). Fails if no input
// was found, so a misplaced corpus cannot pass silently.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  // Copy to an exactly sized heap buffer so ASan catches over-reads.
  std::vector<uint8_t> buf(bytes.begin(), bytes.end());
  uint8_t* data = buf.empty() ? nullptr : buf.data();
  LLVMFuzzerTestOneInput(data, buf.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry :
           std::filesystem::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) count += RunFile(entry.path());
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      count += RunFile(arg);
    } else {
      std::fprintf(stderr, "replay_main: no such file or directory: %s\n",
                   argv[i]);
      return 1;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "replay_main: no corpus files found\n");
    return 1;
  }
  std::printf("replay_main: %d inputs replayed without a crash\n", count);
  return 0;
}
