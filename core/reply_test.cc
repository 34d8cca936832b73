#include "core/reply.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::vector<std::string> Lines(const ReplyView& view) {
  std::vector<std::string> out;
  for (absl::string_view line : view.lines()) out.emplace_back(line);
  return out;
}

TEST(EnhancedCodeTest, ToStringAndEquality) {
  EnhancedCode a{5, 1, 1};
  EXPECT_EQ(a.ToString(), "5.1.1");
  EXPECT_EQ((EnhancedCode{2, 100, 999}).ToString(), "2.100.999");
  EXPECT_EQ(a, (EnhancedCode{5, 1, 1}));
  EXPECT_NE(a, (EnhancedCode{5, 1, 2}));
  EXPECT_NE(a, (EnhancedCode{4, 1, 1}));
  EXPECT_NE(a, (EnhancedCode{5, 2, 1}));
}

struct EnhancedCase {
  absl::string_view text;
  bool ok;
  EnhancedCode code;
  size_t consumed;
};

TEST(ParseEnhancedCodeTest, Table) {
  const EnhancedCase kCases[] = {
      {"2.1.0 Ok", true, {2, 1, 0}, 6},
      {"5.1.1 User unknown", true, {5, 1, 1}, 6},
      {"4.7.0", true, {4, 7, 0}, 5},          // end of text
      {"5.7.1 ", true, {5, 7, 1}, 6},         // one space consumed
      {"5.7.1  two", true, {5, 7, 1}, 6},     // only one space consumed
      {"2.100.999 x", true, {2, 100, 999}, 10},
      {"5.001.002 x", true, {5, 1, 2}, 10},   // leading zeros: 1*3digit
      {"5.1", false, {}, 0},
      {"5.1.", false, {}, 0},
      {"5.1 x", false, {}, 0},
      {"6.0.0 x", false, {}, 0},   // class must be 2, 4 or 5 (RFC 3463 §2)
      {"3.0.0 x", false, {}, 0},
      {"1.0.0", false, {}, 0},
      {"5.1000.1 x", false, {}, 0},  // subject over 3 digits
      {"5.1.1000 x", false, {}, 0},  // detail over 3 digits
      {"5..1 x", false, {}, 0},
      {"5.1..1", false, {}, 0},
      {".1.1 x", false, {}, 0},
      {"55.1.1 x", false, {}, 0},
      {"5.1.1x", false, {}, 0},      // must be followed by space or end
      {"5.1.1\tx", false, {}, 0},
      {"5.1.1-x", false, {}, 0},
      {"5.a.1 x", false, {}, 0},
      {"", false, {}, 0},
      {"Ok", false, {}, 0},
      {" 5.1.1 x", false, {}, 0},
  };
  for (const EnhancedCase& c : kCases) {
    SCOPED_TRACE(std::string(c.text));
    EnhancedCode out{9, 9, 9};
    size_t consumed = 77;
    EXPECT_EQ(ParseEnhancedCode(c.text, &out, &consumed), c.ok);
    if (c.ok) {
      EXPECT_EQ(out, c.code);
      EXPECT_EQ(consumed, c.consumed);
    } else {
      // Touches nothing on failure.
      EXPECT_EQ(out, (EnhancedCode{9, 9, 9}));
      EXPECT_EQ(consumed, 77u);
    }
  }
}

TEST(ReplyViewTest, DefaultIsEmpty) {
  ReplyView view;
  EXPECT_EQ(view.code(), 0);
  EXPECT_EQ(view.line_count(), 0u);
  EXPECT_TRUE(view.raw().empty());
  EXPECT_TRUE(Lines(view).empty());
  EXPECT_EQ(view.first_line(), "");
  EXPECT_EQ(view.message(), "");
  EXPECT_EQ(view.DebugString(), "");
  EXPECT_FALSE(view.is_positive());
  EXPECT_FALSE(view.is_permanent());
  EXPECT_FALSE(view.enhanced().has_value());
}

TEST(ReplyViewTest, SingleLineWithEnhancedCode) {
  const std::string raw = "550 5.1.1 User unknown\r\n";
  ReplyView view(raw, 550, 1, kReplyFlagNone, EnhancedCode{5, 1, 1});
  EXPECT_EQ(view.code(), 550);
  EXPECT_EQ(view.raw(), raw);
  EXPECT_EQ(view.raw().data(), raw.data());
  EXPECT_EQ(Lines(view), std::vector<std::string>{"5.1.1 User unknown"});
  EXPECT_EQ(view.first_line(), "5.1.1 User unknown");
  EXPECT_EQ(view.message(), "User unknown");
  EXPECT_EQ(view.first_line().data(), raw.data() + 4);  // borrowed
  EXPECT_EQ(view.DebugString(), "550 5.1.1 User unknown");
  EXPECT_TRUE(view.is_permanent());
  EXPECT_FALSE(view.is_transient());
}

TEST(ReplyViewTest, MessageWithoutEnhancedCodeIsFirstLine) {
  const std::string raw = "250 2.1.0 Ok\r\n";
  // The parser decides whether a code is taken; the view trusts it.
  ReplyView view(raw, 250, 1, kReplyFlagNone, absl::nullopt);
  EXPECT_EQ(view.message(), "2.1.0 Ok");
  ReplyView view2(raw, 250, 1, kReplyFlagNone, EnhancedCode{2, 1, 0});
  EXPECT_EQ(view2.message(), "Ok");
}

TEST(ReplyViewTest, MultiLineMixedEndingsAndBareCode) {
  const std::string raw =
      "250-mx.example.com\r\n250-PIPELINING\n250-\r\n250-SIZE 1000\r\n"
      "250\r\n";
  ReplyView view(raw, 250, 5, kReplyFlagBareLf | kReplyFlagBareCode,
                 absl::nullopt);
  EXPECT_EQ(Lines(view), (std::vector<std::string>{
                             "mx.example.com", "PIPELINING", "", "SIZE 1000",
                             ""}));
  EXPECT_EQ(view.first_line(), "mx.example.com");
  EXPECT_EQ(view.DebugString(),
            "250-mx.example.com\n250-PIPELINING\n250-\n250-SIZE 1000\n250");
  EXPECT_TRUE(view.is_positive());
  EXPECT_EQ(view.flags(), kReplyFlagBareLf | kReplyFlagBareCode);
  // Iterator protocol: post-increment, equality, forward category.
  auto it = view.lines().begin();
  auto old = it++;
  EXPECT_EQ(*old, "mx.example.com");
  EXPECT_EQ(*it, "PIPELINING");
  EXPECT_NE(old, it);
  size_t n = 0;
  for (auto i = view.lines().begin(); i != view.lines().end(); ++i) ++n;
  EXPECT_EQ(n, 5u);
}

TEST(ReplyViewTest, BareLfBareCodeLine) {
  const std::string raw = "354\n";
  ReplyView view(raw, 354, 1, kReplyFlagBareCode | kReplyFlagBareLf,
                 absl::nullopt);
  EXPECT_EQ(Lines(view), std::vector<std::string>{""});
  EXPECT_EQ(view.first_line(), "");
  EXPECT_EQ(view.DebugString(), "354");
  EXPECT_TRUE(view.is_intermediate());
}

TEST(ReplyViewTest, TextKeepsInnerCrAndControls) {
  static constexpr char kRaw[] = "250-a\rb\r\n250 x\0y\r\r\n";
  const std::string raw(kRaw, sizeof(kRaw) - 1);
  ReplyView view(raw, 250, 2, kReplyFlagControlChars, absl::nullopt);
  EXPECT_EQ(Lines(view), (std::vector<std::string>{
                             "a\rb", std::string("x\0y\r", 4)}));
  // Controls are escaped in DebugString so a reply cannot forge log lines.
  EXPECT_EQ(view.DebugString(), "250-a\\x0db\n250 x\\x00y\\x0d");
}

TEST(ReplyViewTest, SeverityHelpers) {
  EXPECT_TRUE(ReplyView("421 bye\r\n", 421, 1, 0, absl::nullopt)
                  .is_transient());
  EXPECT_TRUE(ReplyView("334 \r\n", 334, 1, 0, absl::nullopt)
                  .is_intermediate());
  EXPECT_TRUE(ReplyView("599 x\r\n", 599, 1, 0, absl::nullopt)
                  .is_permanent());
  EXPECT_TRUE(ReplyView("200 x\r\n", 200, 1, 0, absl::nullopt)
                  .is_positive());
}

TEST(ReplyTest, ToOwnedOutlivesTheBuffer) {
  Reply owned;
  {
    std::string raw = "451-4.3.0 Try\r\n451 4.3.0 later\r\n";
    ReplyView view(raw, 451, 2, kReplyFlagNone, EnhancedCode{4, 3, 0});
    owned = view.ToOwned();
    EXPECT_NE(owned.raw().data(), raw.data());
    raw.assign(raw.size(), 'X');  // the borrowed bytes change
  }
  EXPECT_EQ(owned.code(), 451);
  EXPECT_EQ(owned.raw(), "451-4.3.0 Try\r\n451 4.3.0 later\r\n");
  EXPECT_EQ(owned.enhanced(), (EnhancedCode{4, 3, 0}));
  ReplyView v = owned.view();
  EXPECT_EQ(v.raw().data(), owned.raw().data());
  EXPECT_EQ(v.line_count(), 2u);
  EXPECT_EQ(Lines(v), (std::vector<std::string>{"4.3.0 Try", "4.3.0 later"}));
  EXPECT_EQ(v.message(), "Try");
  EXPECT_EQ(owned.DebugString(), "451-4.3.0 Try\n451 4.3.0 later");
}

TEST(ReplyTest, CopyAndMove) {
  // Short enough for the small-string buffer: the view must follow the
  // object it is taken from, not the source of a copy or move.
  const std::string raw = "250 ok\r\n";
  Reply a = ReplyView(raw, 250, 1, kReplyFlagNone, absl::nullopt).ToOwned();
  Reply b(a);
  EXPECT_EQ(b.view().raw().data(), b.raw().data());
  EXPECT_EQ(b.view().first_line(), "ok");
  Reply c(std::move(b));
  EXPECT_EQ(c.view().raw().data(), c.raw().data());
  EXPECT_EQ(c.view().first_line(), "ok");
  Reply d;
  d = c;
  EXPECT_EQ(d.view().raw(), "250 ok\r\n");
  Reply e;
  e = std::move(d);
  EXPECT_EQ(e.code(), 250);
  EXPECT_EQ(e.view().raw().data(), e.raw().data());
  EXPECT_EQ(e.view().line_count(), 1u);
  Reply empty;
  EXPECT_EQ(empty.code(), 0);
  EXPECT_EQ(empty.view().line_count(), 0u);
}

}  // namespace
}  // namespace smtpcore
