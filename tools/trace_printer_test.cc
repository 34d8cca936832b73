#include "tools/trace_printer.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

TEST(TracePrinterTest, FormatEvent) {
  EXPECT_EQ(TracePrinter::FormatEvent(Trace{true, "EHLO me"}, ""),
            "C: EHLO me\n");
  EXPECT_EQ(TracePrinter::FormatEvent(Trace{false, "250 ok"}, ""),
            "S: 250 ok\n");
  TlsInfo info;
  info.version = "TLSv1.3";
  info.cipher = "TLS_AES_128_GCM_SHA256";
  info.server_name = "127.0.0.1";
  info.verified = true;
  EXPECT_EQ(TracePrinter::FormatEvent(TlsEstablished{info}, ""),
            "* TLS established: TLSv1.3, TLS_AES_128_GCM_SHA256, certificate "
            "verified for 127.0.0.1\n");
  info.verified = false;
  info.verify_error = "self-signed certificate";
  EXPECT_EQ(TracePrinter::FormatEvent(TlsEstablished{info}, ""),
            "* TLS established: TLSv1.3, TLS_AES_128_GCM_SHA256, certificate "
            "NOT verified (self-signed certificate)\n");
  EXPECT_EQ(TracePrinter::FormatEvent(Authenticated{"PLAIN"}, "demo"),
            "* authenticated as demo with PLAIN\n");
  EXPECT_EQ(TracePrinter::FormatEvent(Authenticated{"LOGIN"}, ""),
            "* authenticated with LOGIN\n");
  EXPECT_EQ(TracePrinter::FormatEvent(SessionReady{}, ""), "");
}

TEST(TracePrinterTest, WritesWithAndWithoutColour) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  TracePrinter plain(f, false);
  plain.OnEvent(Trace{true, "QUIT"});
  plain.Info("hello");
  TracePrinter color(f, true);
  color.OnEvent(Trace{false, "221 bye"});
  color.OnEvent(SessionReady{});
  std::fclose(f);
  EXPECT_EQ(std::string(buf, len),
            "C: QUIT\n* hello\n\033[32mS: 221 bye\033[0m\n");
  std::free(buf);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
