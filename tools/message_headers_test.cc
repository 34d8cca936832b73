#include "tools/message_headers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseHeaderSectionTest, UnfoldsAndFindsTheBody) {
  const std::string m =
      "From: a@x\r\nTo: b@y,\r\n  c@z\r\nSubject: hi\r\n\r\nbody\r\n";
  HeaderSection s = ParseHeaderSection(m);
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_EQ(s.fields[1].name, "To");
  EXPECT_EQ(s.fields[1].value, "b@y,  c@z");
  EXPECT_EQ(m.substr(s.body_offset), "\r\nbody\r\n");
  EXPECT_TRUE(s.Has("subject"));
  EXPECT_THAT(s.Values("TO"), ElementsAre("b@y,  c@z"));
}

TEST(ParseHeaderSectionTest, LfOnlyAndNoBody) {
  HeaderSection s = ParseHeaderSection("Subject: x\nX-A: 1\n");
  ASSERT_EQ(s.fields.size(), 2u);
  EXPECT_EQ(s.fields[1].value, "1");
}

TEST(ParseHeaderSectionTest, NonFieldLineEndsTheSection) {
  HeaderSection s = ParseHeaderSection("Subject: x\nnot a field\nTo: b\n");
  EXPECT_EQ(s.fields.size(), 1u);
  EXPECT_EQ(s.body_offset, 11u);
}

TEST(RemoveHeaderFieldsTest, RemovesEveryBccWithContinuations) {
  const std::string m =
      "To: a@x\nBcc: s@x,\n t@x\nSubject: s\nbcc: u@x\n\nBcc: in body\n";
  EXPECT_EQ(RemoveHeaderFields(m, "Bcc"),
            "To: a@x\nSubject: s\n\nBcc: in body\n");
}

TEST(ParseAddressListTest, RfcForms) {
  EXPECT_THAT(ParseAddressList("Ann <a@x>, b@y, \"Smith, C\" <c@z>"),
              ElementsAre("a@x", "b@y", "c@z"));
  EXPECT_THAT(ParseAddressList("team: d@w, Eve <e@v>; f@u"),
              ElementsAre("d@w", "e@v", "f@u"));
  EXPECT_THAT(ParseAddressList("undisclosed-recipients:;"), IsEmpty());
  EXPECT_THAT(ParseAddressList("g@t (Gee, comment)"), ElementsAre("g@t"));
  EXPECT_THAT(ParseAddressList("<@relay:h@s>"), ElementsAre("h@s"));
  EXPECT_THAT(ParseAddressList("\"odd local\"@x"),
              ElementsAre("\"oddlocal\"@x"));
  EXPECT_THAT(ParseAddressList("jürgen@bücher.example"),
              ElementsAre("jürgen@bücher.example"));
  EXPECT_THAT(ParseAddressList("\"Only a name\""), IsEmpty());
  EXPECT_THAT(ParseAddressList("localuser"), ElementsAre("localuser"));
  EXPECT_THAT(ParseAddressList(" , "), IsEmpty());
}

TEST(LineEndingOfTest, FollowsTheFirstLine) {
  EXPECT_EQ(LineEndingOf("a\r\nb\n"), "\r\n");
  EXPECT_EQ(LineEndingOf("a\nb\r\n"), "\n");
  EXPECT_EQ(LineEndingOf(""), "\n");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
