#include "core/command.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::string Line(const Command& command) {
  std::string out;
  absl::Status s = SerializeCommand(command, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

ErrorDetail Detail(const Command& command) {
  std::string out = "keep";
  absl::Status s = SerializeCommand(command, &out);
  EXPECT_EQ(out, "keep") << "output must be untouched on error";
  return GetErrorDetail(s);
}

class FakeMechanism : public SaslMechanism {
 public:
  explicit FakeMechanism(std::string name) : name_(std::move(name)) {}
  absl::string_view name() const override { return name_; }
  absl::optional<std::string> InitialResponse() override {
    return std::string("secret");
  }
  absl::StatusOr<std::string> Respond(absl::string_view) override {
    return std::string();
  }

 private:
  std::string name_;
};

TEST(CommandTest, SimpleCommands) {
  EXPECT_EQ(Line(Ehlo{"client.example"}), "EHLO client.example\r\n");
  EXPECT_EQ(Line(Helo{"[192.0.2.1]"}), "HELO [192.0.2.1]\r\n");
  EXPECT_EQ(Line(Lhlo{"client.example"}), "LHLO client.example\r\n");
  EXPECT_EQ(Line(StartTls{}), "STARTTLS\r\n");
  EXPECT_EQ(Line(Data{}), "DATA\r\n");
  EXPECT_EQ(Line(Rset{}), "RSET\r\n");
  EXPECT_EQ(Line(Noop{}), "NOOP\r\n");
  EXPECT_EQ(Line(Noop{"ping"}), "NOOP ping\r\n");
  EXPECT_EQ(Line(Quit{}), "QUIT\r\n");
  EXPECT_EQ(Line(Vrfy{"bob"}), "VRFY bob\r\n");
  EXPECT_EQ(Line(Expn{"staff"}), "EXPN staff\r\n");
  EXPECT_EQ(Line(Help{}), "HELP\r\n");
  EXPECT_EQ(Line(Help{"MAIL"}), "HELP MAIL\r\n");
  EXPECT_EQ(Line(Etrn{"@example.org"}), "ETRN @example.org\r\n");
  EXPECT_EQ(Line(Auth{std::make_unique<FakeMechanism>("PLAIN")}),
            "AUTH PLAIN\r\n");
}

TEST(CommandTest, MailFromWithAllParams) {
  MailFrom m;
  m.reverse_path = "alice@example.org";
  EXPECT_EQ(Line(m), "MAIL FROM:<alice@example.org>\r\n");
  m.params.size = 12345;
  m.params.body = BodyType::k8BitMime;
  m.params.smtputf8 = true;
  m.params.requiretls = true;
  m.params.ret = DsnRet::kHdrs;
  m.params.envid = "id+1=2 x";
  m.params.extra.push_back({"MT-PRIORITY", "3"});
  m.params.extra.push_back({"XFOO", ""});
  EXPECT_EQ(Line(m),
            "MAIL FROM:<alice@example.org> SIZE=12345 BODY=8BITMIME SMTPUTF8 "
            "REQUIRETLS RET=HDRS ENVID=id+2B1+3D2+20x MT-PRIORITY=3 XFOO\r\n");
  MailFrom null_sender;
  null_sender.params.body = BodyType::kBinaryMime;
  null_sender.params.ret = DsnRet::kFull;
  EXPECT_EQ(Line(null_sender), "MAIL FROM:<> BODY=BINARYMIME RET=FULL\r\n");
}

TEST(CommandTest, RcptToWithDsn) {
  RcptTo r;
  r.forward_path = "bob@example.org";
  EXPECT_EQ(Line(r), "RCPT TO:<bob@example.org>\r\n");
  r.params.notify = kNotifySuccess | kNotifyDelay;
  r.params.orcpt = "bob+tag@example.org";
  EXPECT_EQ(Line(r),
            "RCPT TO:<bob@example.org> NOTIFY=SUCCESS,DELAY "
            "ORCPT=rfc822;bob+2Btag@example.org\r\n");
  r.params.notify = kNotifyNever;
  r.params.orcpt.reset();
  EXPECT_EQ(Line(r), "RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n");
  r.params.notify = kNotifyNever | kNotifyFailure;
  EXPECT_EQ(Detail(r), ErrorDetail::kInvalidArgument);
}

TEST(CommandTest, Utf8AndQuotedPathsAllowed) {
  RcptTo r;
  r.forward_path = "\xC3\xA9l\xC3\xA8ve@\xC3\xA9" "cole.example";
  EXPECT_EQ(Line(r), absl::StrCat("RCPT TO:<", r.forward_path, ">\r\n"));
  r.forward_path = "\"john doe\"@example.org";
  EXPECT_EQ(Line(r), "RCPT TO:<\"john doe\"@example.org>\r\n");
}

TEST(CommandTest, RefusesEveryControlCharacterInEveryArgument) {
  for (int c = 0; c < 0x20; ++c) {
    std::string bad = absl::StrCat("a", std::string(1, static_cast<char>(c)),
                                   "b@example.org");
    SCOPED_TRACE(c);
    EXPECT_EQ(Detail(MailFrom{bad, {}}), ErrorDetail::kControlCharacter);
    EXPECT_EQ(Detail(RcptTo{bad, {}}), ErrorDetail::kControlCharacter);
    EXPECT_EQ(Detail(Ehlo{bad}), ErrorDetail::kControlCharacter);
    EXPECT_EQ(Detail(Vrfy{bad}), ErrorDetail::kControlCharacter);
    EXPECT_EQ(Detail(Noop{bad}), ErrorDetail::kControlCharacter);
  }
  EXPECT_EQ(Detail(Ehlo{"a\x7f"}), ErrorDetail::kControlCharacter);
  EXPECT_EQ(Detail(Help{"x\r\nRCPT TO:<evil@example.org>"}),
            ErrorDetail::kControlCharacter);
  MailFrom m{"a@example.org", {}};
  m.params.envid = "x\ny";
  EXPECT_EQ(Detail(m), ErrorDetail::kControlCharacter);
  m.params.envid.reset();
  m.params.extra.push_back({"X", "a\rb"});
  EXPECT_EQ(Detail(m), ErrorDetail::kControlCharacter);
  RcptTo r{"b@example.org", {}};
  r.params.orcpt = std::string("a\0b", 3);
  EXPECT_EQ(Detail(r), ErrorDetail::kControlCharacter);
}

TEST(CommandTest, RefusesSyntaxErrors) {
  EXPECT_EQ(Detail(Ehlo{""}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Ehlo{"two words"}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Lhlo{""}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Lhlo{"a\r\nRSET"}), ErrorDetail::kControlCharacter);
  EXPECT_EQ(Detail(RcptTo{"", {}}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(RcptTo{"a>b@example.org", {}}),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(MailFrom{"<a@example.org>", {}}),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(MailFrom{"a b@example.org", {}}),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(MailFrom{"\"open@example.org", {}}),
            ErrorDetail::kInvalidArgument);
  MailFrom m{"a@example.org", {}};
  m.params.extra.push_back({"-X", ""});
  EXPECT_EQ(Detail(m), ErrorDetail::kInvalidArgument);
  m.params.extra = {{"X", "a=b"}};
  EXPECT_EQ(Detail(m), ErrorDetail::kInvalidArgument);
  m.params.extra = {{"X", "a b"}};
  EXPECT_EQ(Detail(m), ErrorDetail::kInvalidArgument);
  m.params.extra.clear();
  m.params.envid = "\xC3\xA9";
  EXPECT_EQ(Detail(m), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Vrfy{""}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Etrn{"a b"}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Auth{nullptr}), ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Auth{std::make_unique<FakeMechanism>("BAD NAME")}),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(Detail(Bdat{}), ErrorDetail::kInvalidArgument);
}

TEST(CommandTest, LineLengthLimitIsExactly512WithCrlf) {
  // "RCPT TO:<" + local + "@x>" + CRLF
  const size_t overhead = std::string("RCPT TO:<@x>\r\n").size();
  std::string local(kMaxCommandLineLength - overhead, 'a');
  RcptTo ok{local + "@x", {}};
  EXPECT_EQ(Line(ok).size(), kMaxCommandLineLength);
  RcptTo too_long{local + "a@x", {}};
  EXPECT_EQ(Detail(too_long), ErrorDetail::kLineTooLong);
  std::string out;
  EXPECT_TRUE(SerializeCommand(too_long, &out, 1000).ok());
}

TEST(CommandTest, SerializeAuthAndBdat) {
  std::string out;
  ASSERT_TRUE(SerializeAuth("PLAIN", absl::string_view("AGEAYg=="), &out).ok());
  ASSERT_TRUE(SerializeAuth("EXTERNAL", absl::string_view("="), &out).ok());
  ASSERT_TRUE(SerializeAuth("LOGIN", absl::nullopt, &out).ok());
  EXPECT_EQ(out, "AUTH PLAIN AGEAYg==\r\nAUTH EXTERNAL =\r\nAUTH LOGIN\r\n");
  std::string big(600, 'A');
  EXPECT_EQ(GetErrorDetail(SerializeAuth("PLAIN", absl::string_view(big),
                                         &out)),
            ErrorDetail::kLineTooLong);
  EXPECT_EQ(GetErrorDetail(
                SerializeAuth("PLAIN", absl::string_view("a\r\nb"), &out)),
            ErrorDetail::kControlCharacter);
  out.clear();
  SerializeBdat(0, true, &out);
  SerializeBdat(1234, false, &out);
  EXPECT_EQ(out, "BDAT 0 LAST\r\nBDAT 1234\r\n");
}

TEST(CommandTest, XtextEncode) {
  EXPECT_EQ(XtextEncode(""), "");
  EXPECT_EQ(XtextEncode("abc"), "abc");
  EXPECT_EQ(XtextEncode("a+b=c d~\x7f"), "a+2Bb+3Dc+20d~+7F");
}

TEST(CommandTest, KindAndNames) {
  EXPECT_EQ(KindOf(Command(MailFrom{})), CommandKind::kMailFrom);
  EXPECT_EQ(KindOf(Command(Etrn{})), CommandKind::kEtrn);
  EXPECT_EQ(KindOf(Command(Bdat{})), CommandKind::kBdat);
  EXPECT_EQ(KindOf(Command(Lhlo{})), CommandKind::kLhlo);
  EXPECT_EQ(CommandKindName(CommandKind::kLhlo), "LHLO");
  EXPECT_EQ(CommandKindName(CommandKind::kMailFrom), "MAIL");
  EXPECT_EQ(CommandKindName(CommandKind::kRcptTo), "RCPT");
  EXPECT_EQ(CommandKindName(CommandKind::kGreeting), "GREETING");
  EXPECT_EQ(CommandKindName(CommandKind::kStartTls), "STARTTLS");
}

TEST(CommandTest, DebugStringRedactsAndSummarizes) {
  EXPECT_EQ(CommandDebugString(Auth{std::make_unique<FakeMechanism>("PLAIN")}),
            "AUTH PLAIN");
  EXPECT_EQ(CommandDebugString(Data{absl::Cord("hello\r\n"), false}),
            "DATA <body 7 bytes>");
  EXPECT_EQ(CommandDebugString(Bdat{absl::Cord("xyz"), true, true}),
            "BDAT <chunk 3 bytes> LAST");
  EXPECT_EQ(CommandDebugString(RcptTo{"b@example.org", {}}),
            "RCPT TO:<b@example.org>");
  EXPECT_EQ(CommandDebugString(RcptTo{"b\r\n@example.org", {}}),
            "RCPT <invalid>");
}

}  // namespace
}  // namespace smtpcore
