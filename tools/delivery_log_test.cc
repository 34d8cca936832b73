#include "tools/delivery_log.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

DeliveryLogEntry Entry() {
  DeliveryLogEntry e;
  e.time = absl::FromUnixSeconds(1764824400);  // 2025-12-04T05:00:00Z
  e.account = "work";
  e.server = "smtp.example.org:587";
  e.tls = "starttls";
  e.from = "a@example.org";
  e.recipients = {"b@example.org", "c d@example.org"};
  e.size = 1234;
  e.status = "EX_OK";
  e.reply = "250 2.0.0 Ok: \"queued\"\r\n";
  return e;
}

TEST(FormatDeliveryLogLineTest, OneLineWithEveryField) {
  EXPECT_EQ(FormatDeliveryLogLine(Entry()),
            "2025-12-04T05:00:00Z account=work host=smtp.example.org:587 "
            "tls=starttls from=<a@example.org> "
            "recipients=b@example.org,c?d@example.org size=1234 status=EX_OK "
            "reply=\"250 2.0.0 Ok: \\\"queued\\\"??\"");
}

TEST(FormatDeliveryLogLineTest, EmptyValues) {
  DeliveryLogEntry e;
  const std::string line = FormatDeliveryLogLine(e);
  EXPECT_NE(line.find("account=- "), std::string::npos);
  EXPECT_NE(line.find("recipients=- "), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AppendDeliveryLogTest, AppendsLinesToAPrivateFile) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/delivery.log";
  ASSERT_TRUE(AppendDeliveryLog(path, "one").ok());
  ASSERT_TRUE(AppendDeliveryLog(path, "two").ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "one\ntwo\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AppendDeliveryLogTest, UnwritableFileIsAnError) {
  absl::Status s = AppendDeliveryLog("/nonexistent-dir/x.log", "line");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot open logfile /nonexistent-dir/x.log"),
            std::string::npos);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
