#include "core/capabilities.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/reply.h"
#include "core/reply_parser.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

Capabilities FromLines(std::vector<absl::string_view> lines,
                       const CapabilityFilter& filter = {}) {
  return Capabilities::ParseLines(lines, filter);
}

// Found by capabilities_fuzzer: a HTAB stayed inside a parameter ("B\t"),
// so an AUTH list could hold "B" and "B\t" and parsing the rendered lines
// again lost one (not idempotent).
TEST(CapabilitiesTest, TabsSeparateParameters) {
  Capabilities caps =
      FromLines({"AUTH PLAIN\tLOGIN B\t B", "SIZE\t1000", "X-EXT a\t\tb"});
  EXPECT_EQ(caps.auth_mechanisms(),
            (std::vector<std::string>{"PLAIN", "LOGIN", "B"}));
  EXPECT_EQ(caps.size_limit(), 1000u);
  ASSERT_NE(caps.params("X-EXT"), nullptr);
  EXPECT_EQ(*caps.params("X-EXT"), (std::vector<std::string>{"a", "b"}));
}

TEST(CapabilitiesTest, ParsesEhloReplySkippingDomainLine) {
  ReplyParser parser;
  ReplyView view;
  absl::string_view raw =
      "250-mx.example.org Hello client [192.0.2.1]\r\n"
      "250-PIPELINING\r\n"
      "250-SIZE 10240000\r\n"
      "250-auth PLAIN login\r\n"
      "250-8BITMIME\r\n"
      "250 STARTTLS\r\n";
  ParseResult r = parser.Parse(raw, &view);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  Capabilities caps = Capabilities::Parse(view);
  EXPECT_EQ(caps.ToString(),
            "PIPELINING SIZE=10240000 AUTH=PLAIN,LOGIN 8BITMIME STARTTLS");
  EXPECT_TRUE(caps.pipelining());
  EXPECT_TRUE(caps.starttls());
  EXPECT_TRUE(caps.eight_bit_mime());
  EXPECT_FALSE(caps.chunking());
  EXPECT_FALSE(caps.has("MX.EXAMPLE.ORG"));
  EXPECT_EQ(caps.size_limit(), 10240000u);
  EXPECT_EQ(caps.auth_mechanisms(),
            (std::vector<std::string>{"PLAIN", "LOGIN"}));
  EXPECT_TRUE(caps.has_auth_mechanism("plain"));
  EXPECT_FALSE(caps.has_auth_mechanism("CRAM-MD5"));
}

TEST(CapabilitiesTest, SingleLineEhloReplyHasNoCapabilities) {
  ReplyParser parser;
  ReplyView view;
  ASSERT_EQ(parser.Parse("250 mx.example.org\r\n", &view).status,
            ParseStatus::kComplete);
  Capabilities caps = Capabilities::Parse(view);
  EXPECT_TRUE(caps.empty());
  EXPECT_EQ(caps.ToString(), "");
}

TEST(CapabilitiesTest, KeywordsCaseInsensitiveParamsVerbatim) {
  Capabilities caps = FromLines({"x-Custom Foo bAr", "chunking", "BinaryMIME"});
  EXPECT_TRUE(caps.has("X-CUSTOM"));
  EXPECT_TRUE(caps.has("x-custom"));
  ASSERT_NE(caps.params("X-Custom"), nullptr);
  EXPECT_EQ(*caps.params("X-Custom"),
            (std::vector<std::string>{"Foo", "bAr"}));
  EXPECT_EQ(caps.params("nope"), nullptr);
  EXPECT_TRUE(caps.chunking());
  EXPECT_TRUE(caps.binary_mime());
  EXPECT_EQ(caps.ToString(), "X-CUSTOM=Foo,bAr CHUNKING BINARYMIME");
}

TEST(CapabilitiesTest, LegacyAuthEqualsMerged) {
  Capabilities caps =
      FromLines({"AUTH=LOGIN PLAIN", "SIZE", "AUTH PLAIN CRAM-MD5 login"});
  EXPECT_EQ(caps.auth_mechanisms(),
            (std::vector<std::string>{"LOGIN", "PLAIN", "CRAM-MD5"}));
  EXPECT_EQ(caps.ToString(), "AUTH=LOGIN,PLAIN,CRAM-MD5 SIZE");
  Capabilities only_legacy = FromLines({"AUTH=PLAIN"});
  EXPECT_EQ(only_legacy.auth_mechanisms(),
            (std::vector<std::string>{"PLAIN"}));
}

TEST(CapabilitiesTest, SizeVariants) {
  EXPECT_TRUE(FromLines({"SIZE"}).size_advertised());
  EXPECT_EQ(FromLines({"SIZE"}).size_limit(), absl::nullopt);
  EXPECT_EQ(FromLines({"SIZE 0"}).size_limit(), absl::nullopt);
  EXPECT_EQ(FromLines({"SIZE junk"}).size_limit(), absl::nullopt);
  EXPECT_EQ(FromLines({"SIZE -5"}).size_limit(), absl::nullopt);
  EXPECT_EQ(FromLines({"SIZE 35882577"}).size_limit(), 35882577u);
  EXPECT_FALSE(FromLines({"PIPELINING"}).size_advertised());
}

TEST(CapabilitiesTest, AllKnownExtensions) {
  Capabilities caps = FromLines(
      {"PIPELINING", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8", "DSN",
       "ENHANCEDSTATUSCODES", "STARTTLS", "REQUIRETLS", "ETRN",
       "LIMITS MAILMAX=5 RCPTMAX=100 rcptdomainmax=3 FOO=1",
       "DELIVERBY 240", "MT-PRIORITY MIXER", "VRFY"});
  EXPECT_TRUE(caps.pipelining());
  EXPECT_TRUE(caps.eight_bit_mime());
  EXPECT_TRUE(caps.binary_mime());
  EXPECT_TRUE(caps.chunking());
  EXPECT_TRUE(caps.smtputf8());
  EXPECT_TRUE(caps.dsn());
  EXPECT_TRUE(caps.enhanced_status_codes());
  EXPECT_TRUE(caps.starttls());
  EXPECT_TRUE(caps.requiretls());
  EXPECT_TRUE(caps.etrn());
  EXPECT_TRUE(caps.has("VRFY"));
  SmtpLimits limits = caps.limits();
  EXPECT_EQ(limits.mailmax, 5u);
  EXPECT_EQ(limits.rcptmax, 100u);
  EXPECT_EQ(limits.rcptdomainmax, 3u);
  EXPECT_EQ(caps.deliverby(), 240);
  EXPECT_EQ(caps.mt_priority(), "MIXER");
  Capabilities none;
  EXPECT_EQ(none.deliverby(), absl::nullopt);
  EXPECT_EQ(none.mt_priority(), absl::nullopt);
  EXPECT_FALSE(none.limits().rcptmax.has_value());
  EXPECT_EQ(FromLines({"DELIVERBY"}).deliverby(), 0);
  EXPECT_EQ(FromLines({"MT-PRIORITY"}).mt_priority(), "");
}

TEST(CapabilitiesTest, BadLimitsIgnored) {
  SmtpLimits l = FromLines({"LIMITS RCPTMAX=x MAILMAX=0 RCPTDOMAINMAX"})
                     .limits();
  EXPECT_FALSE(l.rcptmax.has_value());
  EXPECT_FALSE(l.mailmax.has_value());
  EXPECT_FALSE(l.rcptdomainmax.has_value());
}

TEST(CapabilitiesTest, IgnoresJunkLines) {
  Capabilities caps = FromLines({"", " PIPELINING", "-X", "OK"});
  EXPECT_EQ(caps.ToString(), "OK");
  EXPECT_EQ(caps.ignored_lines(), 3u);
}

TEST(CapabilitiesTest, DuplicateKeywordKeepsFirstPosition) {
  Capabilities caps = FromLines({"X A", "PIPELINING", "x B"});
  EXPECT_EQ(caps.ToString(), "X=A,B PIPELINING");
}

TEST(CapabilitiesTest, Filter) {
  CapabilityFilter filter;
  filter.ignore = {"pipelining", "CHUNKING"};
  filter.force = {Capability{"8bitmime", {}}, Capability{"SIZE", {"1"}},
                  Capability{"SMTPUTF8", {}}};
  Capabilities caps =
      FromLines({"PIPELINING", "SIZE 100", "CHUNKING", "DSN"}, filter);
  EXPECT_EQ(caps.ToString(), "SIZE=100 DSN 8BITMIME SMTPUTF8");
  EXPECT_FALSE(caps.pipelining());
  EXPECT_EQ(caps.size_limit(), 100u);  // present: not overridden by force
}

}  // namespace
}  // namespace smtpcore
