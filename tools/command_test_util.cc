#include "tools/command_test_util.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace smtpcore {
namespace cli {

RunResult RunCaptured(CommandFunction command,
                      const std::vector<std::string>& args) {
  char* out_buf = nullptr;
  size_t out_len = 0;
  char* err_buf = nullptr;
  size_t err_len = 0;
  CommandIo io;
  io.out = open_memstream(&out_buf, &out_len);
  io.err = open_memstream(&err_buf, &err_len);
  RunResult r;
  r.status = command(args, io);
  std::fclose(io.out);
  std::fclose(io.err);
  r.out.assign(out_buf, out_len);
  r.err.assign(err_buf, err_len);
  std::free(out_buf);
  std::free(err_buf);
  return r;
}

}  // namespace cli
}  // namespace smtpcore
