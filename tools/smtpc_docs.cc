// smtpc_docs: writes the smtpc(1) manual page (`smtpc_docs man`) or the
// bash completion script (`smtpc_docs bash`) on stdout, rendered from the
// sources (tools/cli_docs.h). Regenerate the checked-in copies with:
//   bazel run //tools:smtpc_docs -- man >tools/smtpc.1
//   bazel run //tools:smtpc_docs -- bash >tools/smtpc.bash

#include <cstdio>
#include <cstring>
#include <string>

#include "tools/cli_docs.h"

int main(int argc, char** argv) {
  if (argc != 2 ||
      (std::strcmp(argv[1], "man") != 0 && std::strcmp(argv[1], "bash") != 0)) {
    std::fputs("usage: smtpc_docs man|bash\n", stderr);
    return 64;
  }
  const auto docs = smtpcore::cli::SmtpcCommandDocs();
  const std::string text = std::strcmp(argv[1], "man") == 0
                               ? smtpcore::cli::RenderManPage(docs)
                               : smtpcore::cli::RenderBashCompletion(docs);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
