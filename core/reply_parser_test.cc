#include "core/reply_parser.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/reply.h"
#include "core/reply_parser_test_util.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using test_util::FeedChunks;
using test_util::FinalState;
using test_util::Outcome;
using test_util::ReferenceParse;
using test_util::SplitAt;
using test_util::SplitEvery;

constexpr uint8_t kLf = kReplyFlagBareLf;
constexpr uint8_t kCtl = kReplyFlagControlChars;
constexpr uint8_t kBare = kReplyFlagBareCode;

// An expected reply: code, line texts, flags, enhanced code ("" for none)
// and message.
struct Want {
  int code;
  std::vector<std::string> lines;
  uint8_t flags = 0;
  std::string enhanced;
  std::string message;
};

struct Case {
  std::string name;
  std::string input;
  std::vector<Want> replies;
  FinalState final_state = FinalState::kClean;
  ReplyError error = ReplyError::kNone;
  ReplyLimits limits;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

ReplyLimits Limits(size_t line, size_t lines, size_t size) {
  ReplyLimits l;
  l.max_line_length = line;
  l.max_lines = lines;
  l.max_reply_size = size;
  return l;
}

std::string S(absl::string_view s) { return std::string(s); }

// A realistic 12-line EHLO reply.
const char kEhlo[] =
    "250-mx.example.com Hello client.example.org [192.0.2.1]\r\n"
    "250-SIZE 52428800\r\n"
    "250-8BITMIME\r\n"
    "250-PIPELINING\r\n"
    "250-PIPE_CONNECT\r\n"
    "250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n"
    "250-CHUNKING\r\n"
    "250-STARTTLS\r\n"
    "250-SMTPUTF8\r\n"
    "250-DSN\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250 HELP\r\n";

Want EhloWant() {
  return {250,
          {"mx.example.com Hello client.example.org [192.0.2.1]",
           "SIZE 52428800", "8BITMIME", "PIPELINING", "PIPE_CONNECT",
           "AUTH PLAIN LOGIN SCRAM-SHA-256", "CHUNKING", "STARTTLS",
           "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES", "HELP"},
          0,
          "",
          "mx.example.com Hello client.example.org [192.0.2.1]"};
}

std::vector<Case> Cases() {
  std::vector<Case> c;
  auto add = [&c](std::string name, std::string input, std::vector<Want> r,
                  FinalState f = FinalState::kClean,
                  ReplyError e = ReplyError::kNone,
                  ReplyLimits limits = ReplyLimits()) {
    c.push_back(Case{std::move(name), std::move(input), std::move(r), f, e,
                     limits});
  };
  const FinalState kClean = FinalState::kClean;
  const FinalState kPartial = FinalState::kPartial;
  const FinalState kErr = FinalState::kError;

  // --- Valid replies.
  add("empty", "", {});
  add("single_enhanced", "250 2.1.0 Ok\r\n",
      {{250, {"2.1.0 Ok"}, 0, "2.1.0", "Ok"}});
  add("greeting", "220 mx.example.com ESMTP ready\r\n",
      {{220, {"mx.example.com ESMTP ready"}, 0, "", "mx.example.com ESMTP ready"}});
  add("code_200", "200 x\r\n", {{200, {"x"}, 0, "", "x"}});
  add("code_599", "599 x\r\n", {{599, {"x"}, 0, "", "x"}});
  add("empty_text", "250 \r\n", {{250, {""}, 0, "", ""}});
  add("multi3", "250-mx.example.com\r\n250-PIPELINING\r\n250 HELP\r\n",
      {{250, {"mx.example.com", "PIPELINING", "HELP"}, 0, "", "mx.example.com"}});
  add("ehlo12", kEhlo, {EhloWant()});
  add("multi_enhanced", "550-5.1.1 No such\r\n550 5.1.1 user\r\n",
      {{550, {"5.1.1 No such", "5.1.1 user"}, 0, "5.1.1", "No such"}});
  add("continuation_empty_text", "250-\r\n250 x\r\n",
      {{250, {"", "x"}, 0, "", ""}});
  add("long_line_ok", "250 " + std::string(2042, 'a') + "\r\n",
      {{250, {std::string(2042, 'a')}, 0, "", std::string(2042, 'a')}});

  // --- Bare code and bare LF.
  add("bare_code_crlf", "250\r\n", {{250, {""}, kBare, "", ""}});
  add("bare_code_lf", "354\n", {{354, {""}, kBare | kLf, "", ""}});
  add("bare_code_last", "250-first\r\n250\r\n",
      {{250, {"first", ""}, kBare, "", "first"}});
  add("bare_code_ends_reply", "250\r\n250 x\r\n",
      {{250, {""}, kBare, "", ""}, {250, {"x"}, 0, "", "x"}});
  add("bare_lf", "250 ok\n", {{250, {"ok"}, kLf, "", "ok"}});
  add("bare_lf_empty_text", "250 \n", {{250, {""}, kLf, "", ""}});
  add("bare_lf_mixed", "250-a\n250 b\r\n", {{250, {"a", "b"}, kLf, "", "a"}});
  add("bare_lf_enhanced", "250 2.0.0 Ok\n",
      {{250, {"2.0.0 Ok"}, kLf, "2.0.0", "Ok"}});

  // --- Control characters are flagged, kept, and never end a line.
  add("nul", S(absl::string_view("250 a\0b\r\n", 9)),
      {{250, {S(absl::string_view("a\0b", 3))}, kCtl, "", S(absl::string_view("a\0b", 3))}});
  add("lone_cr", "250 a\rb\r\n", {{250, {"a\rb"}, kCtl, "", "a\rb"}});
  add("cr_cr_lf", "250 ok\r\r\n", {{250, {"ok\r"}, kCtl, "", "ok\r"}});
  add("cr_then_bare_lf", "250 \r\r\n", {{250, {"\r"}, kCtl, "", "\r"}});
  add("tab_is_text", "250 a\tb\r\n", {{250, {"a\tb"}, 0, "", "a\tb"}});
  add("escape_del_8bit", "250 \x1b[0m\x7f\xc3\xa9\r\n",
      {{250, {"\x1b[0m\x7f\xc3\xa9"}, kCtl, "", "\x1b[0m\x7f\xc3\xa9"}});
  add("control_in_second_line", "250-a\r\n250 b\x01\r\n",
      {{250, {"a", "b\x01"}, kCtl, "", "a"}});
  add("all_flags", "250-x\x02\n250\r\n",
      {{250, {"x\x02", ""}, kCtl | kLf | kBare, "", "x\x02"}});

  // --- Enhanced codes: taken only when valid and of the reply's class.
  add("enh_class_mismatch", "250 5.1.1 x\r\n",
      {{250, {"5.1.1 x"}, 0, "", "5.1.1 x"}});
  add("enh_550", "550 5.1.1 User unknown\r\n",
      {{550, {"5.1.1 User unknown"}, 0, "5.1.1", "User unknown"}});
  add("enh_short", "550 5.1 x\r\n", {{550, {"5.1 x"}, 0, "", "5.1 x"}});
  add("enh_class6", "550 6.0.0 x\r\n", {{550, {"6.0.0 x"}, 0, "", "6.0.0 x"}});
  add("enh_subject4", "550 5.1000.1 x\r\n",
      {{550, {"5.1000.1 x"}, 0, "", "5.1000.1 x"}});
  add("enh_354", "354 2.0.0 go\r\n", {{354, {"2.0.0 go"}, 0, "", "2.0.0 go"}});
  add("enh_only", "451 4.3.0\r\n", {{451, {"4.3.0"}, 0, "4.3.0", ""}});
  add("enh_no_space", "451 4.3.0x\r\n", {{451, {"4.3.0x"}, 0, "", "4.3.0x"}});
  add("enh_three_digits", "421 4.421.999 bye\r\n",
      {{421, {"4.421.999 bye"}, 0, "4.421.999", "bye"}});

  // --- Pipelining: several replies in one input.
  add("pipelined4",
      "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
      "250-2.0.0 Ok\r\n250 2.0.0 queued as 4AB12\r\n",
      {{250, {"2.1.0 Ok"}, 0, "2.1.0", "Ok"},
       {250, {"2.1.5 Ok"}, 0, "2.1.5", "Ok"},
       {354, {"End data with <CR><LF>.<CR><LF>"}, 0, "",
        "End data with <CR><LF>.<CR><LF>"},
       {250, {"2.0.0 Ok", "2.0.0 queued as 4AB12"}, 0, "2.0.0", "Ok"}});
  {
    std::string batch;
    std::vector<Want> want;
    for (int i = 0; i < 40; ++i) {
      int code = i % 3 == 0 ? 250 : (i % 3 == 1 ? 451 : 550);
      std::string enh = absl::StrCat(code / 100, ".1.", i);
      absl::StrAppend(&batch, code, " ", enh, " reply ", i, "\r\n");
      want.push_back({code, {absl::StrCat(enh, " reply ", i)}, 0, enh,
                      absl::StrCat("reply ", i)});
    }
    absl::StrAppend(&batch, kEhlo);
    want.push_back(EhloWant());
    add("pipelined_batch", batch, want);
  }

  // --- Incomplete streams.
  add("partial_code", "25", {}, kPartial);
  add("partial_no_sep", "250", {}, kPartial);
  add("partial_text", "250 o", {}, kPartial);
  add("partial_cr", "250 ok\r", {}, kPartial);
  add("partial_bare_cr", "250\r", {}, kPartial);
  add("partial_multiline", "250-a\r\n250 b", {}, kPartial);
  add("partial_at_line_boundary", "250-a\r\n", {}, kPartial);
  add("partial_after_reply", "250 ok\r\n2", {{250, {"ok"}, 0, "", "ok"}},
      kPartial);

  // --- Bad codes and separators.
  add("code_199", "199 x\r\n", {}, kErr, ReplyError::kBadCode);
  add("code_600", "600 x\r\n", {}, kErr, ReplyError::kBadCode);
  add("code_letters", "abc\r\n", {}, kErr, ReplyError::kBadCode);
  add("code_early_error", "2x", {}, kErr, ReplyError::kBadCode);
  add("code_two_digits", "25 x\r\n", {}, kErr, ReplyError::kBadCode);
  add("code_short_lf", "25\n", {}, kErr, ReplyError::kBadCode);
  add("empty_line_crlf", "\r\n", {}, kErr, ReplyError::kBadCode);
  add("empty_line_lf", "\n", {}, kErr, ReplyError::kBadCode);
  add("http", "HTTP/1.1 400 Bad Request\r\n", {}, kErr, ReplyError::kBadCode);
  add("space_first", " 250 x\r\n", {}, kErr, ReplyError::kBadCode);
  add("four_digits", "2500 x\r\n", {}, kErr, ReplyError::kBadSeparator);
  add("sep_letter", "250x\r\n", {}, kErr, ReplyError::kBadSeparator);
  add("sep_tab", "250\tx\r\n", {}, kErr, ReplyError::kBadSeparator);
  add("sep_cr_x", "250\rx\r\n", {}, kErr, ReplyError::kBadSeparator);
  add("sep_cr_cr", "250\r\r\n", {}, kErr, ReplyError::kBadSeparator);
  add("sep_nul", S(absl::string_view("250\0x\r\n", 7)), {}, kErr,
      ReplyError::kBadSeparator);
  add("error_after_reply", "250 ok\r\nxyz\r\n", {{250, {"ok"}, 0, "", "ok"}},
      kErr, ReplyError::kBadCode);

  // --- Multi-line code mismatch.
  add("mismatch_251", "250-a\r\n251 b\r\n", {}, kErr,
      ReplyError::kCodeMismatch);
  add("mismatch_no_lf", "250-a\r\n251", {}, kErr, ReplyError::kCodeMismatch);
  add("mismatch_550", "250-a\r\n550 b\r\n", {}, kErr,
      ReplyError::kCodeMismatch);
  add("mismatch_bad_digit", "250-a\r\n2x0 b\r\n", {}, kErr,
      ReplyError::kBadCode);
  add("mismatch_bad_first", "250-a\r\n750 b\r\n", {}, kErr,
      ReplyError::kBadCode);
  add("mismatch_lf", "250-a\r\n25\n", {}, kErr, ReplyError::kBadCode);
  add("continuation_bad_sep", "250-a\r\n250x\r\n", {}, kErr,
      ReplyError::kBadSeparator);

  // --- Limits. Line length counts the line ending.
  const ReplyLimits l16 = Limits(16, 256, 65536);
  add("line_exactly_limit", "250 0123456789\r\n",
      {{250, {"0123456789"}, 0, "", "0123456789"}}, kClean, ReplyError::kNone,
      l16);
  add("line_over_limit", "250 01234567890\r\n", {}, kErr,
      ReplyError::kLineTooLong, l16);
  add("line_limit_bare_lf_ok", "250 01234567890\n",
      {{250, {"01234567890"}, kLf, "", "01234567890"}}, kClean,
      ReplyError::kNone, l16);
  add("line_over_limit_no_lf", "250 0123456789ab", {}, kErr,
      ReplyError::kLineTooLong, l16);
  add("line_at_limit_no_lf_is_partial", "250 0123456789\r", {}, kPartial,
      ReplyError::kNone, l16);
  add("endless_line_default", "250 " + std::string(5000, 'x'), {}, kErr,
      ReplyError::kLineTooLong);
  add("endless_line_bad_code_first", "2x0 " + std::string(5000, 'x'), {},
      kErr, ReplyError::kBadCode);
  add("line_limit_tiny_bare_code", "250\r\n", {}, kErr,
      ReplyError::kLineTooLong, Limits(4, 256, 65536));
  add("line_limit_tiny_bare_lf_ok", "250\n", {{250, {""}, kBare | kLf, "", ""}},
      kClean, ReplyError::kNone, Limits(4, 256, 65536));
  add("line_limit_zero", "250 x\r\n", {}, kErr, ReplyError::kLineTooLong,
      Limits(0, 256, 65536));
  const ReplyLimits l3 = Limits(2048, 3, 65536);
  add("lines_at_limit", "250-a\r\n250-b\r\n250 c\r\n",
      {{250, {"a", "b", "c"}, 0, "", "a"}}, kClean, ReplyError::kNone, l3);
  add("lines_over_limit", "250-a\r\n250-b\r\n250-c\r\n250 d\r\n", {}, kErr,
      ReplyError::kTooManyLines, l3);
  add("lines_over_limit_first_byte", "250-a\r\n250-b\r\n250-c\r\n2", {}, kErr,
      ReplyError::kTooManyLines, l3);
  add("lines_over_limit_garbage", "250-a\r\n250-b\r\n250-c\r\nX", {}, kErr,
      ReplyError::kTooManyLines, l3);
  add("lines_limit_zero", "250 x\r\n", {}, kErr, ReplyError::kTooManyLines,
      Limits(2048, 0, 65536));
  {
    std::string endless;
    for (int i = 0; i < 300; ++i) endless += "250-x\r\n";
    add("endless_multiline_default", endless, {}, kErr,
        ReplyError::kTooManyLines);
  }
  const ReplyLimits l20 = Limits(2048, 256, 20);
  add("size_at_limit", "250-abcd\r\n250 efgh\r\n",
      {{250, {"abcd", "efgh"}, 0, "", "abcd"}}, kClean, ReplyError::kNone, l20);
  add("size_over_limit", "250-abcd\r\n250 efghi\r\n", {}, kErr,
      ReplyError::kReplyTooLarge, l20);
  add("size_over_limit_no_lf", "250-abcd\r\n250 efghij", {}, kErr,
      ReplyError::kReplyTooLarge, l20);
  add("size_boundary_then_more_lines", "250-abcd\r\n250-efgh\r\n250 x\r\n", {},
      kErr, ReplyError::kReplyTooLarge, l20);
  add("size_boundary_bad_code_first", "250-abcd\r\n250-efgh\r\n2x", {}, kErr,
      ReplyError::kBadCode, l20);
  add("size_limit_is_per_reply", "250-abcd\r\n250 efgh\r\n250 0123456789ab\r\n",
      {{250, {"abcd", "efgh"}, 0, "", "abcd"},
       {250, {"0123456789ab"}, 0, "", "0123456789ab"}},
      kClean, ReplyError::kNone, l20);
  // Both limits bind: the earlier one (by position) is reported.
  add("size_before_line_limit", "250-abcd\r\n250 0123456789", {}, kErr,
      ReplyError::kReplyTooLarge, Limits(16, 256, 20));
  add("line_before_size_limit", "250 0123456789abcdefgh", {}, kErr,
      ReplyError::kLineTooLong, Limits(16, 256, 20));
  add("line_and_size_tie", "250 0123456789abcdefgh", {}, kErr,
      ReplyError::kLineTooLong, Limits(16, 256, 16));
  {
    std::string big;
    for (int i = 0; i < 100; ++i) big += "250-" + std::string(1000, 'y') + "\r\n";
    add("endless_multiline_size_default", big, {}, kErr,
        ReplyError::kReplyTooLarge);
  }
  return c;
}

std::string Describe(const Want& w) {
  std::string out = absl::StrCat(w.code, " flags=", w.flags, " enh=", w.enhanced,
                                 " msg=", w.message, " lines:");
  for (const std::string& l : w.lines) absl::StrAppend(&out, " [", l, "]");
  return out;
}

void ExpectMatches(const Outcome& got, const Case& c) {
  ASSERT_EQ(got.replies.size(), c.replies.size()) << got.DebugString();
  for (size_t i = 0; i < c.replies.size(); ++i) {
    const Want& w = c.replies[i];
    const test_util::RecordedReply& r = got.replies[i];
    SCOPED_TRACE(absl::StrCat("reply ", i, ": want ", Describe(w)));
    EXPECT_EQ(r.code, w.code);
    EXPECT_EQ(r.lines, w.lines);
    EXPECT_EQ(r.flags, w.flags);
    EXPECT_EQ(r.enhanced.has_value() ? r.enhanced->ToString() : "",
              w.enhanced);
    EXPECT_EQ(r.message, w.message);
  }
  EXPECT_EQ(got.final_state, c.final_state) << got.DebugString();
  EXPECT_EQ(got.error, c.error) << ReplyErrorName(got.error);
}

// WorthSplitting: inputs up to 4 KiB are split at every byte. Longer ones
// (the default-limit cases) at every 61st byte and within 8 bytes of each
// line end, which keeps the test linear enough for the sanitizer builds.
bool WorthSplitting(absl::string_view input, size_t at) {
  if (input.size() <= 4096 || at % 61 == 0) return true;
  size_t from = at >= 8 ? at - 8 : 0;
  return input.substr(from, 16).find('\n') != absl::string_view::npos;
}

class ReplyParserCaseTest : public ::testing::TestWithParam<Case> {};

// Every case: whole, split at every byte into two inputs (see
// WorthSplitting), and byte by byte (and in 2, 3, 7-byte pieces).
// All must give the same outcome (replies, end offsets, flags, final state),
// equal to the expectation and to the reference parser's.
TEST_P(ReplyParserCaseTest, AllChunkingsAgree) {
  const Case& c = GetParam();
  std::vector<std::string> violations;
  const Outcome whole = FeedChunks({c.input}, c.limits, &violations);
  EXPECT_TRUE(violations.empty()) << violations.front();
  ExpectMatches(whole, c);
  EXPECT_EQ(ReferenceParse(c.input, c.limits), whole)
      << "reference:\n"
      << ReferenceParse(c.input, c.limits).DebugString() << "parser:\n"
      << whole.DebugString();

  for (size_t at = 0; at <= c.input.size(); ++at) {
    if (!WorthSplitting(c.input, at)) continue;
    violations.clear();
    Outcome split = FeedChunks(SplitAt(c.input, at), c.limits, &violations);
    ASSERT_TRUE(violations.empty()) << "split at " << at << ": "
                                    << violations.front();
    ASSERT_EQ(split, whole) << "split at " << at << "\n"
                            << split.DebugString() << "vs whole\n"
                            << whole.DebugString();
  }
  for (size_t n : {1, 2, 3, 7}) {
    violations.clear();
    Outcome bytes = FeedChunks(SplitEvery(c.input, n), c.limits, &violations);
    ASSERT_TRUE(violations.empty()) << n << "-byte chunks: "
                                    << violations.front();
    ASSERT_EQ(bytes, whole) << n << "-byte chunks\n"
                            << bytes.DebugString() << "vs whole\n"
                            << whole.DebugString();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReplyParserCaseTest, ::testing::ValuesIn(Cases()),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(ReplyParserTest, CompleteReplyIsAViewIntoTheInput) {
  const std::string input = std::string(kEhlo) + "250 2.1.0 Ok\r\n";
  ReplyParser parser;
  ReplyView view;
  ParseResult r = parser.Parse(input, &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, sizeof(kEhlo) - 1);
  EXPECT_EQ(view.raw().data(), input.data());  // zero copy
  EXPECT_EQ(view.raw().size(), sizeof(kEhlo) - 1);
  EXPECT_EQ(view.line_count(), 12u);
  EXPECT_EQ((*view.lines().begin()).data(), input.data() + 4);
  EXPECT_FALSE(parser.has_partial());

  absl::string_view rest = absl::string_view(input).substr(r.consumed);
  r = parser.Parse(rest, &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(view.raw().data(), rest.data());
  EXPECT_EQ(view.code(), 250);
  EXPECT_EQ(view.message(), "Ok");
  EXPECT_EQ(view.message().data(), rest.data() + 10);
}

TEST(ReplyParserTest, StraddlingReplyIsCarriedAndConsumedAccounted) {
  ReplyParser parser;
  ReplyView view;
  ParseResult r = parser.Parse("250-first\r\n25", &view);
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
  EXPECT_EQ(r.consumed, 13u);
  EXPECT_TRUE(parser.has_partial());
  const std::string second = "0 last\r\n220 next\r\n";
  r = parser.Parse(second, &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, 8u);  // only the tail of the carried reply
  EXPECT_EQ(view.raw(), "250-first\r\n250 last\r\n");
  EXPECT_FALSE(parser.has_partial());
  EXPECT_EQ(view.DebugString(), "250-first\n250 last");
  // The view of a carried reply lives until the next Parse.
  Reply kept = view.ToOwned();
  r = parser.Parse(absl::string_view(second).substr(8), &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(view.raw().data(), second.data() + 8);
  EXPECT_EQ(kept.raw(), "250-first\r\n250 last\r\n");
}

TEST(ReplyParserTest, EmptyInputKeepsState) {
  ReplyParser parser;
  ReplyView view;
  EXPECT_EQ(parser.Parse("", &view).status, ParseStatus::kIncomplete);
  EXPECT_FALSE(parser.has_partial());
  EXPECT_EQ(parser.Parse("250 o", &view).status, ParseStatus::kIncomplete);
  ParseResult r = parser.Parse("", &view);
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_TRUE(parser.has_partial());
  r = parser.Parse("k\r\n", &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(view.first_line(), "ok");
}

TEST(ReplyParserTest, ErrorIsStickyUntilReset) {
  ReplyParser parser;
  ReplyView view;
  ParseResult r = parser.Parse("250-a\r\n251 b\r\n", &view);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, ReplyError::kCodeMismatch);
  EXPECT_EQ(view.code(), 0);  // *out untouched
  r = parser.Parse("250 ok\r\n", &view);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, ReplyError::kCodeMismatch);
  parser.Reset();
  r = parser.Parse("250 ok\r\n", &view);
  EXPECT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(view.code(), 250);
}

TEST(ReplyParserTest, ResetDropsCarriedBytes) {
  ReplyParser parser;
  ReplyView view;
  EXPECT_EQ(parser.Parse("250-a\r\n250 b", &view).status,
            ParseStatus::kIncomplete);
  EXPECT_TRUE(parser.has_partial());
  parser.Reset();
  EXPECT_FALSE(parser.has_partial());
  ParseResult r = parser.Parse("220 hi\r\n", &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(view.raw(), "220 hi\r\n");
}

// An endless line without LF fails as soon as it passes the limit, fed in
// small pieces: the parser does not buffer forever.
TEST(ReplyParserTest, EndlessLineFailsAtTheLimitWhileIncomplete) {
  ReplyParser parser;  // max_line_length 2048
  ReplyView view;
  std::string chunk(100, 'x');
  ParseResult r = parser.Parse("250 ", &view);
  ASSERT_EQ(r.status, ParseStatus::kIncomplete);
  size_t fed = 4;
  while (r.status == ParseStatus::kIncomplete) {
    r = parser.Parse(chunk, &view);
    fed += chunk.size();
    ASSERT_LT(fed, 10000u);
  }
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, ReplyError::kLineTooLong);
  EXPECT_EQ(fed, 2104u);  // the first chunk that reaches 2048 octets
  EXPECT_FALSE(parser.has_partial());
}

TEST(ReplyParserTest, LimitsAccessorAndErrorNames) {
  ReplyParser parser(Limits(100, 5, 1000));
  EXPECT_EQ(parser.limits().max_line_length, 100u);
  EXPECT_EQ(parser.limits().max_lines, 5u);
  EXPECT_EQ(parser.limits().max_reply_size, 1000u);
  ReplyLimits defaults;
  EXPECT_EQ(defaults.max_line_length, 2048u);
  EXPECT_EQ(defaults.max_lines, 256u);
  EXPECT_EQ(defaults.max_reply_size, 65536u);
  for (ReplyError e :
       {ReplyError::kNone, ReplyError::kBadCode, ReplyError::kBadSeparator,
        ReplyError::kCodeMismatch, ReplyError::kLineTooLong,
        ReplyError::kTooManyLines, ReplyError::kReplyTooLarge}) {
    EXPECT_FALSE(ReplyErrorName(e).empty());
  }
  EXPECT_EQ(ReplyErrorName(ReplyError::kCodeMismatch),
            "continuation line has a different reply code");
}

// picohttpparser's guard-page harness: each input ends exactly where a
// PROT_NONE page starts, so any read past the input faults.
class GuardPage {
 public:
  GuardPage() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(p, MAP_FAILED);
    base_ = static_cast<char*>(p);
    EXPECT_EQ(mprotect(base_ + page_, page_, PROT_NONE), 0);
  }
  ~GuardPage() { munmap(base_, 2 * page_); }
  // Place copies `s` so that it ends at the guard page.
  absl::string_view Place(absl::string_view s) {
    char* start = base_ + page_ - s.size();
    if (!s.empty()) std::memcpy(start, s.data(), s.size());
    return absl::string_view(start, s.size());
  }

 private:
  size_t page_ = 0;
  char* base_ = nullptr;
};

TEST(ReplyParserTest, NoReadPastTheInput) {
  GuardPage guard;
  struct GuardCase {
    std::string input;
    ParseStatus status;
  };
  const GuardCase kCases[] = {
      {"250 2.1.0 Ok\r\n", ParseStatus::kComplete},
      {"250 2.1.0", ParseStatus::kIncomplete},
      {"550 5.1.1\r\n", ParseStatus::kComplete},
      {kEhlo, ParseStatus::kComplete},
      {"250-a\r\n250 b", ParseStatus::kIncomplete},
      {"250 ok\r", ParseStatus::kIncomplete},
      {"250\r", ParseStatus::kIncomplete},
      {"250\r\n", ParseStatus::kComplete},
      {"250\n", ParseStatus::kComplete},
      {"250", ParseStatus::kIncomplete},
      {"25", ParseStatus::kIncomplete},
      {"2", ParseStatus::kIncomplete},
      {"250-", ParseStatus::kIncomplete},
      {"250 " + std::string(40, 'x'), ParseStatus::kIncomplete},
      {"250 " + std::string(40, 'x') + "\r\n", ParseStatus::kComplete},
      {"250 0123456\n", ParseStatus::kComplete},  // 12 bytes: SWAR tail
      {"250 012345678901234\r", ParseStatus::kIncomplete},
      {"250 ok\r\n250-a\r\n250-b", ParseStatus::kComplete},
  };
  for (const GuardCase& c : kCases) {
    SCOPED_TRACE(c.input);
    for (size_t cut = 0; cut <= c.input.size(); ++cut) {
      // Parse every prefix, and every prefix after a carried head.
      absl::string_view in = guard.Place(absl::string_view(c.input).substr(0, cut));
      ReplyParser parser;
      ReplyView view;
      ParseResult r = parser.Parse(in, &view);
      if (cut == c.input.size()) {
        EXPECT_EQ(r.status, c.status);
      }
      if (r.status == ParseStatus::kComplete) {
        for (absl::string_view line : view.lines()) (void)line;
        (void)view.message();
        (void)view.DebugString();
      }
      ReplyParser carried;
      ParseResult head = carried.Parse(absl::string_view(c.input).substr(0, 1),
                                       &view);
      if (head.status == ParseStatus::kIncomplete && cut >= 1) {
        in = guard.Place(absl::string_view(c.input).substr(1, cut - 1));
        r = carried.Parse(in, &view);
        if (r.status == ParseStatus::kComplete) {
          (void)view.message();
          (void)view.DebugString();
        }
      }
    }
  }
  // The views returned point at the guarded input.
  absl::string_view in = guard.Place("250 2.1.0 Ok\r\n");
  ReplyParser parser;
  ReplyView view;
  ASSERT_EQ(parser.Parse(in, &view).status, ParseStatus::kComplete);
  EXPECT_EQ(view.raw().data(), in.data());
  EXPECT_EQ(view.message(), "Ok");
}

}  // namespace
}  // namespace smtpcore
