#include "tools/json_writer.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

std::string Quote(absl::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(JsonWriterTest, NestedContainersGetCommasAndColons) {
  JsonWriter w;
  w.BeginObject();
  w.Key("code");
  w.Int(250);
  w.Key("lines");
  w.BeginArray();
  w.String("ok");
  w.String("two");
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Key("tls");
  w.Null();
  w.Key("ok");
  w.Bool(true);
  w.Key("big");
  w.Uint(18446744073709551615u);
  w.Key("neg");
  w.Int(-5);
  w.EndObject();
  EXPECT_EQ(w.str(),
            R"({"code":250,"lines":["ok","two",{},[]],"tls":null,"ok":true,)"
            R"("big":18446744073709551615,"neg":-5})");
}

TEST(JsonWriterTest, TopLevelScalar) {
  JsonWriter w;
  w.String("x");
  EXPECT_EQ(w.str(), "\"x\"");
}

TEST(JsonWriterTest, OptionalString) {
  JsonWriter w;
  w.BeginArray();
  w.OptionalString(std::string("a"));
  w.OptionalString(absl::nullopt);
  w.EndArray();
  EXPECT_EQ(w.str(), R"(["a",null])");
}

TEST(JsonWriterTest, Doubles) {
  JsonWriter w;
  w.BeginArray();
  w.Double(1.5);
  w.Double(0.000123456789);
  w.Double(12345678.9);
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.Double(std::numeric_limits<double>::infinity());
  w.EndArray();
  EXPECT_EQ(w.str(), "[1.5,0.000123457,1.23457e+07,null,null]");
}

TEST(JsonStringTest, EscapesSpecialCharacters) {
  EXPECT_EQ(Quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quote("\r\n\t\b\f"), R"("\r\n\t\b\f")");
  EXPECT_EQ(Quote(absl::string_view("\x00\x01\x1f\x7f", 4)),
            R"("\u0000\u0001\u001f\u007f")");
  EXPECT_EQ(Quote("/"), R"("/")");
}

TEST(JsonStringTest, ValidUtf8PassesThrough) {
  EXPECT_EQ(Quote("j\xC3\xBCrgen"), "\"j\xC3\xBCrgen\"");          // ü
  EXPECT_EQ(Quote("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");              // €
  EXPECT_EQ(Quote("\xF0\x9F\x93\xA7"), "\"\xF0\x9F\x93\xA7\"");      // 📧
  EXPECT_EQ(Quote("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");      // U+10FFFF
}

TEST(JsonStringTest, InvalidUtf8BecomesReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Quote("caf\xE9!"), "\"caf" + fffd + "!\"");          // Latin-1
  EXPECT_EQ(Quote("\xC0\xAF"), "\"" + fffd + fffd + "\"");        // overlong
  EXPECT_EQ(Quote("\xE0\x80\xAF"), "\"" + fffd + fffd + fffd + "\"");
  EXPECT_EQ(Quote("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // D800
  EXPECT_EQ(Quote("\xF4\x90\x80\x80"),
            "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(Quote("\xE2\x82"), "\"" + fffd + fffd + "\"");  // truncated
  EXPECT_EQ(Quote("\x80x"), "\"" + fffd + "x\"");            // lone continuation
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
