#include "tools/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

const FlagSpec kSpecs[] = {
    {"from", "ADDR", "sender"},
    {"to", "ADDR", "recipient", true},
    {"insecure", nullptr, "no verification"},
    {"data", "FILE|-", "message"},
};

absl::StatusOr<ParsedFlags> Parse(std::vector<std::string> args,
                                  bool positional = false) {
  return ParseFlags(kSpecs, args, positional);
}

TEST(FlagsTest, ValuesInBothForms) {
  absl::StatusOr<ParsedFlags> f =
      Parse({"--from", "a@x", "--to=b@x", "--to", "c@x", "--insecure"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->value("from"), "a@x");
  EXPECT_EQ(f->values("to"), (std::vector<std::string>{"b@x", "c@x"}));
  EXPECT_EQ(f->value("to"), "c@x");
  EXPECT_TRUE(f->has("insecure"));
  EXPECT_FALSE(f->has("data"));
  EXPECT_EQ(f->value("data", "dflt"), "dflt");
  EXPECT_TRUE(f->values("data").empty());
}

TEST(FlagsTest, ValuesMayStartWithDashOrBeEmpty) {
  absl::StatusOr<ParsedFlags> f = Parse({"--data", "-", "--from", ""});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->value("data"), "-");
  EXPECT_TRUE(f->has("from"));
  EXPECT_EQ(f->value("from", "x"), "");
  absl::StatusOr<ParsedFlags> g = Parse({"--from="});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->value("from", "x"), "");
}

TEST(FlagsTest, Help) {
  for (const char* h : {"-h", "--help"}) {
    absl::StatusOr<ParsedFlags> f = Parse({"--from", "a", h});
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_TRUE(f->has("help"));
  }
}

TEST(FlagsTest, Errors) {
  EXPECT_EQ(Parse({"--fro", "a"}).status().message(),
            "unknown option --fro (did you mean --from?)");
  EXPECT_EQ(Parse({"--verbose"}).status().message(), "unknown option --verbose");
  EXPECT_EQ(Parse({"-v"}).status().message(),
            "unknown option -v (options are spelled --name)");
  EXPECT_EQ(Parse({"--to"}).status().message(),
            "option --to needs a value (ADDR)");
  EXPECT_EQ(Parse({"--insecure=yes"}).status().message(),
            "option --insecure takes no value");
  EXPECT_EQ(Parse({"--from", "a", "--from", "b"}).status().message(),
            "option --from given more than once");
  EXPECT_EQ(Parse({"--insecure", "--insecure"}).status().message(),
            "option --insecure given more than once");
  EXPECT_EQ(Parse({"stray"}).status().message(), "unexpected argument 'stray'");
  EXPECT_EQ(Parse({"-"}).status().message(), "unexpected argument '-'");
  EXPECT_EQ(Parse({"--from", "a"}).status().code(), absl::StatusCode::kOk);
  EXPECT_EQ(Parse({"--bogus"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FlagsTest, PositionalAndDoubleDash) {
  absl::StatusOr<ParsedFlags> f =
      Parse({"one", "--from", "a", "--", "--to", "-"}, true);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->positional(),
            (std::vector<std::string>{"one", "--to", "-"}));
  EXPECT_FALSE(f->has("to"));
}

TEST(FlagsTest, FormatFlagHelpAlignsColumns) {
  EXPECT_EQ(FormatFlagHelp(kSpecs),
            "  --from ADDR    sender\n"
            "  --to ADDR      recipient\n"
            "  --insecure     no verification\n"
            "  --data FILE|-  message\n");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
