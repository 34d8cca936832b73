// Tests for the pure delivery precheck and the BodyMeter: no connection,
// just capabilities, envelopes and bodies in, plans or refusals out.

#include "core/delivery_precheck.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/dot_stuffer.h"
#include "core/errors.h"
#include "core/io_slice.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

Capabilities Caps(std::vector<absl::string_view> lines) {
  return Capabilities::ParseLines(lines, CapabilityFilter());
}

Envelope Env(std::string from, std::vector<std::string> to) {
  Envelope e;
  e.from = std::move(from);
  for (std::string& r : to) e.AddRecipient(std::move(r));
  return e;
}

BodyFacts FactsOf(absl::string_view body) {
  BodyMeter meter;
  meter.Add(absl::Cord(body));
  meter.Finish();
  return meter.facts();
}

struct Check {
  Capabilities caps;
  PrecheckContext context;

  explicit Check(std::vector<absl::string_view> lines) : caps(Caps(lines)) {
    context.capabilities = &caps;
  }
  absl::StatusOr<TransferPlan> Run(const Envelope& envelope,
                                   absl::string_view body) {
    return PrecheckDelivery(envelope, FactsOf(body), context);
  }
};

// --- BodyMeter ---------------------------------------------------------------

TEST(BodyMeterTest, FactsOfAWholeBody) {
  BodyFacts f = FactsOf("Subject: x\r\n\r\nline\nmore\rend");
  EXPECT_TRUE(f.complete);
  EXPECT_EQ(f.input_size, 27u);
  EXPECT_EQ(f.bare_line_endings, 2u);  // "\n" after line, "\r" after more
  EXPECT_FALSE(f.eight_bit);
  // 27 octets + 1 per bare ending + CRLF closing "end".
  EXPECT_EQ(f.wire_size, 27u + 2 + 2);
}

TEST(BodyMeterTest, ChunkingDoesNotChangeTheFacts) {
  const std::string body = "a\r\nb\rc\n\xc3\xa9t\xc3\xa9\r\n.\r";
  const BodyFacts whole = FactsOf(body);
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    for (size_t cut2 = cut; cut2 <= body.size(); ++cut2) {
      BodyMeter meter;
      meter.Add(absl::Cord(body.substr(0, cut)));
      meter.Add(absl::Cord(body.substr(cut, cut2 - cut)));
      meter.Add(absl::Cord(body.substr(cut2)));
      meter.Finish();
      const BodyFacts f = meter.facts();
      EXPECT_EQ(f.input_size, whole.input_size) << cut << " " << cut2;
      EXPECT_EQ(f.wire_size, whole.wire_size) << cut << " " << cut2;
      EXPECT_EQ(f.bare_line_endings, whole.bare_line_endings)
          << cut << " " << cut2;
      EXPECT_EQ(f.eight_bit, whole.eight_bit) << cut << " " << cut2;
    }
  }
  EXPECT_TRUE(whole.eight_bit);
}

TEST(BodyMeterTest, ACrIsJudgedByTheNextChunkOrByFinish) {
  BodyMeter meter;
  meter.Add(absl::Cord("line\r"));
  EXPECT_EQ(meter.facts().bare_line_endings, 0u);  // undecided
  EXPECT_FALSE(meter.facts().complete);
  BodyMeter lf = meter;
  lf.Add(absl::Cord("\n"));
  lf.Finish();
  EXPECT_EQ(lf.facts().bare_line_endings, 0u);
  meter.Finish();
  EXPECT_EQ(meter.facts().bare_line_endings, 1u);
  EXPECT_EQ(meter.facts().wire_size, 6u);  // "line\r\n"
}

// The meter counts in DATA mode; its wire size must still be what BDAT
// (no dots, no marker) puts on the wire, and DataSliceBound must bound what
// the encoder emits, whatever the body and its chunking.
TEST(BodyMeterTest, WireSizeAndSliceBoundAgreeWithTheEncoder) {
  const std::vector<std::string> bodies = {
      "",       ".",         "\r",       "\n",          "a",
      "a\r\n",  ".\r\n",     "\r\n.",    "..\r\n.\n.\r", "x\ry\nz",
      "a\r\n.b\r\n\r\n.\r\n", "\n\n\n.", "line\r", ".\r.\n.\r\n."};
  for (const std::string& body : bodies) {
    for (size_t cut = 0; cut <= body.size(); ++cut) {
      absl::Cord cord;
      cord.Append(absl::Cord(body.substr(0, cut)));
      cord.Append(absl::Cord(body.substr(cut)));
      BodyMeter meter;
      meter.Add(cord);
      meter.Finish();
      const BodyFacts f = meter.facts();
      const std::string ctx = absl::StrCat("body ", absl::CEscape(body),
                                           " cut ", cut);
      for (bool data : {true, false}) {
        DotStufferOptions o;
        o.stuff_dots = data;
        o.terminator = data;
        DotStuffer encoder(o);
        std::vector<IoSlice> slices;
        ASSERT_TRUE(encoder.EncodeCord(cord, &slices).ok()) << ctx;
        encoder.Finish(&slices);
        EXPECT_LE(slices.size(), DataSliceBound(f, data)) << ctx;
        if (data) {
          EXPECT_EQ(f.dots_stuffed, encoder.stats().dots_stuffed) << ctx;
        } else {
          EXPECT_EQ(f.wire_size, encoder.stats().output_bytes) << ctx;
        }
      }
    }
  }
}

// --- PrecheckDelivery ----------------------------------------------------------

TEST(PrecheckDeliveryTest, DeclaresTheNormalisedSizeAndChoosesData) {
  Check c({"PIPELINING", "SIZE 1000"});
  absl::StatusOr<TransferPlan> plan =
      c.Run(Env("a@example.org", {"b@example.org"}), "hi\nthere");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->mail.size, 11u);  // hi CRLF there CRLF
  EXPECT_FALSE(plan->mail.body.has_value());
  EXPECT_FALSE(plan->use_bdat);
  EXPECT_FALSE(plan->binary);
  EXPECT_TRUE(plan->strip_dsn);
}

TEST(PrecheckDeliveryTest, SizeOverTheLimitIsRefused) {
  Check c({"SIZE 10"});
  absl::StatusOr<TransferPlan> plan =
      c.Run(Env("a@example.org", {"b@example.org"}), "0123456789");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kMessageTooLarge);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  // 8 octets + CRLF = 10: exactly at the limit is fine.
  EXPECT_TRUE(c.Run(Env("a@example.org", {"b@example.org"}), "01234567").ok());
}

TEST(PrecheckDeliveryTest, SizeIsDroppedWithoutTheExtension) {
  Check c({"PIPELINING"});
  Envelope e = Env("a@example.org", {"b@example.org"});
  e.mail.size = 99;
  absl::StatusOr<TransferPlan> plan = c.Run(e, "x\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->mail.size.has_value());
}

TEST(PrecheckDeliveryTest, EightBitBodiesNeed8BitMime) {
  const std::string body = "caf\xc3\xa9\r\n";
  Check without({"PIPELINING"});
  EXPECT_EQ(GetErrorDetail(
                without.Run(Env("a@x.org", {"b@x.org"}), body).status()),
            ErrorDetail::kNeeds8BitMime);
  Check with({"8BITMIME"});
  absl::StatusOr<TransferPlan> plan =
      with.Run(Env("a@x.org", {"b@x.org"}), body);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->mail.body, BodyType::k8BitMime);
}

TEST(PrecheckDeliveryTest, InternationalAddressesNeedSmtpUtf8) {
  Envelope e = Env("a@x.org", {"j\xc3\xb6rg@x.org"});
  Check without({"8BITMIME"});
  EXPECT_EQ(GetErrorDetail(without.Run(e, "x\r\n").status()),
            ErrorDetail::kNeedsSmtpUtf8);
  Check with({"SMTPUTF8"});
  absl::StatusOr<TransferPlan> plan = with.Run(e, "x\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->mail.smtputf8);
}

// FakeIdna converts the few domains the tests use and counts its calls.
struct FakeIdna {
  int calls = 0;
  IdnaConverter converter() {
    return [this](absl::string_view domain) -> absl::StatusOr<std::string> {
      ++calls;
      if (domain == "b\xc3\xbc" "cher.example") return "xn--bcher-kva.example";
      if (domain == "\xc3\xbc.example") return "xn--tda.example";
      if (domain == "long.\xc3\xbc") return std::string(505, 'a');
      return absl::InvalidArgumentError(
          absl::StrCat("fake: no A-label for ", domain));
    };
  }
};

// Without SMTPUTF8 a Unicode domain with an ASCII local part goes out as
// its A-label; the envelope (and so the results) keep the caller's form.
TEST(PrecheckDeliveryTest, UnicodeDomainsBecomeALabelsWithoutSmtpUtf8) {
  FakeIdna idna;
  IdnaConverter convert = idna.converter();
  Check without({"8BITMIME"});
  without.context.idna = &convert;
  Envelope e = Env("anna@b\xc3\xbc" "cher.example",
                   {"bob@x.org", "carl@\xc3\xbc.example"});
  absl::StatusOr<TransferPlan> plan = without.Run(e, "x\r\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->from, "anna@xn--bcher-kva.example");
  EXPECT_EQ(plan->recipients,
            (std::vector<std::string>{"bob@x.org", "carl@xn--tda.example"}));
  EXPECT_FALSE(plan->mail.smtputf8);
  EXPECT_EQ(idna.calls, 2);  // ASCII addresses are not converted
  EXPECT_EQ(e.recipients[1].address, "carl@\xc3\xbc.example");
}

// With SMTPUTF8 the UTF-8 form is kept and the converter is not called.
TEST(PrecheckDeliveryTest, Utf8KeptWithSmtpUtf8) {
  FakeIdna idna;
  IdnaConverter convert = idna.converter();
  Check with({"SMTPUTF8"});
  with.context.idna = &convert;
  Envelope e = Env("a@x.org", {"bob@b\xc3\xbc" "cher.example"});
  absl::StatusOr<TransferPlan> plan = with.Run(e, "x\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->recipients[0], "bob@b\xc3\xbc" "cher.example");
  EXPECT_TRUE(plan->mail.smtputf8);
  EXPECT_EQ(idna.calls, 0);
  // An ASCII envelope does not get SMTPUTF8 added.
  plan = with.Run(Env("a@x.org", {"b@x.org"}), "x\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->mail.smtputf8);
}

// A non-ASCII local part has no ASCII form: refused, whatever the domain.
TEST(PrecheckDeliveryTest, NonAsciiLocalPartRefusedWithoutSmtpUtf8) {
  FakeIdna idna;
  IdnaConverter convert = idna.converter();
  Check without({"8BITMIME"});
  without.context.idna = &convert;
  for (const char* address : {"j\xc3\xb6rg@x.org",
                              "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
                              "j\xc3\xb6rg"}) {
    absl::StatusOr<TransferPlan> plan =
        without.Run(Env("a@x.org", {"b@x.org", address}), "x\r\n");
    EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kNeedsSmtpUtf8)
        << address;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(plan.status().message(), "local part"));
  }
  absl::StatusOr<TransferPlan> plan =
      without.Run(Env("s\xc3\xa9nder@x.org", {"b@x.org"}), "x\r\n");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kNeedsSmtpUtf8);
  EXPECT_TRUE(absl::StrContains(plan.status().message(), "sender"));
}

// A domain the converter refuses is a bad address (kInvalidArgument); no
// converter at all keeps the old refusal (kNeedsSmtpUtf8); an A-label
// that makes the RCPT line too long is kLineTooLong.
TEST(PrecheckDeliveryTest, ConversionFailures) {
  FakeIdna idna;
  IdnaConverter convert = idna.converter();
  Check without({"8BITMIME"});
  without.context.idna = &convert;
  absl::StatusOr<TransferPlan> plan =
      without.Run(Env("a@x.org", {"b@bad.\xc3\xbc"}), "x\r\n");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(plan.status().message(), "fake: no A-label"));
  plan = without.Run(Env("a@x.org", {"b@long.\xc3\xbc"}), "x\r\n");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kLineTooLong);

  Check plain({"8BITMIME"});
  plan = plain.Run(Env("a@x.org", {"b@b\xc3\xbc" "cher.example"}), "x\r\n");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kNeedsSmtpUtf8);
  IdnaConverter empty;
  plain.context.idna = &empty;
  plan = plain.Run(Env("a@x.org", {"b@b\xc3\xbc" "cher.example"}), "x\r\n");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kNeedsSmtpUtf8);

  // SMTPUTF8 asked for explicitly still needs the extension.
  Envelope e = Env("a@x.org", {"b@b\xc3\xbc" "cher.example"});
  e.mail.smtputf8 = true;
  plan = without.Run(e, "x\r\n");
  EXPECT_EQ(GetErrorDetail(plan.status()), ErrorDetail::kNeedsSmtpUtf8);
}

TEST(PrecheckDeliveryTest, BinaryMimeNeedsTheExtensionsAndChunking) {
  Envelope e = Env("a@x.org", {"b@x.org"});
  e.mail.body = BodyType::kBinaryMime;
  const std::string body("\x00\x01\n\r\xff", 5);
  Check no_binary({"CHUNKING"});
  EXPECT_EQ(GetErrorDetail(no_binary.Run(e, body).status()),
            ErrorDetail::kNeedsBinaryMime);
  Check both({"CHUNKING", "BINARYMIME", "SIZE"});
  both.context.chunking = false;
  EXPECT_EQ(GetErrorDetail(both.Run(e, body).status()),
            ErrorDetail::kNeedsBinaryMime);
  both.context.chunking = true;
  both.context.line_endings = LineEndingPolicy::kReject;  // not for binary
  absl::StatusOr<TransferPlan> plan = both.Run(e, body);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->binary);
  EXPECT_TRUE(plan->use_bdat);
  EXPECT_EQ(plan->mail.size, 5u);  // sent unchanged
}

TEST(PrecheckDeliveryTest, BareLineEndingsRefusedOnlyUnderReject) {
  Check c({"CHUNKING"});
  Envelope e = Env("a@x.org", {"b@x.org"});
  absl::StatusOr<TransferPlan> plan = c.Run(e, "a\nb\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->use_bdat);
  c.context.line_endings = LineEndingPolicy::kReject;
  EXPECT_EQ(GetErrorDetail(c.Run(e, "a\nb\r\n").status()),
            ErrorDetail::kBareLineEnding);
  EXPECT_EQ(GetErrorDetail(c.Run(e, "ends in CR\r").status()),
            ErrorDetail::kBareLineEnding);
  EXPECT_TRUE(c.Run(e, "a\r\nb\r\n").ok());
}

TEST(PrecheckDeliveryTest, RequireTlsNeedsTlsAndTheExtension) {
  Envelope e = Env("a@x.org", {"b@x.org"});
  e.mail.requiretls = true;
  Check c({"REQUIRETLS"});
  EXPECT_EQ(GetErrorDetail(c.Run(e, "x\r\n").status()),
            ErrorDetail::kNeedsRequireTls);
  c.context.tls = true;
  // Unverified TLS (opportunistic, --insecure) is not enough (RFC 8689
  // §4.2.1).
  absl::Status unverified = c.Run(e, "x\r\n").status();
  EXPECT_EQ(GetErrorDetail(unverified), ErrorDetail::kNeedsRequireTls);
  EXPECT_NE(unverified.message().find("verified"), std::string::npos);
  c.context.tls_verified = true;
  EXPECT_TRUE(c.Run(e, "x\r\n").ok());
  Check no_ext({"PIPELINING"});
  no_ext.context.tls = true;
  no_ext.context.tls_verified = true;
  EXPECT_EQ(GetErrorDetail(no_ext.Run(e, "x\r\n").status()),
            ErrorDetail::kNeedsRequireTls);
}

TEST(PrecheckDeliveryTest, DsnParametersKeptOnlyWithDsn) {
  Envelope e = Env("a@x.org", {"b@x.org"});
  e.mail.ret = DsnRet::kHdrs;
  e.mail.envid = "id-1";
  Check with({"DSN"});
  absl::StatusOr<TransferPlan> plan = with.Run(e, "x\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->strip_dsn);
  EXPECT_TRUE(plan->mail.ret.has_value());
  Check without({"PIPELINING"});
  plan = without.Run(e, "x\r\n");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->strip_dsn);
  EXPECT_FALSE(plan->mail.ret.has_value());
  EXPECT_FALSE(plan->mail.envid.has_value());
}

TEST(PrecheckDeliveryTest, StreamedBodiesGetNoComputedSizeButThe8BitLabel) {
  Check c({"SIZE 100", "8BITMIME"});
  c.context.streamed = true;
  BodyMeter partial;  // nothing appended yet
  absl::StatusOr<TransferPlan> plan = PrecheckDelivery(
      Env("a@x.org", {"b@x.org"}), partial.facts(), c.context);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->mail.size.has_value());
  EXPECT_EQ(plan->mail.body, BodyType::k8BitMime);
  // A declared size is still checked against the limit.
  Envelope big = Env("a@x.org", {"b@x.org"});
  big.mail.size = 101;
  EXPECT_EQ(GetErrorDetail(
                PrecheckDelivery(big, partial.facts(), c.context).status()),
            ErrorDetail::kMessageTooLarge);
}

TEST(PrecheckDeliveryTest, AddedParametersMustStillFitTheLine) {
  // A MAIL line that fits as given, but not with " SIZE=n" added.
  Envelope e = Env("a@x.org", {"b@x.org"});
  std::string line;
  e.mail.extra.push_back(EsmtpParam{"X-PAD", "p"});
  ASSERT_TRUE(SerializeCommand(MailFrom{e.from, e.mail}, &line).ok());
  e.mail.extra.back().value =
      std::string(1 + kMaxCommandLineLength - line.size(), 'p');
  line.clear();
  ASSERT_TRUE(SerializeCommand(MailFrom{e.from, e.mail}, &line).ok());
  ASSERT_EQ(line.size(), kMaxCommandLineLength);
  Check without_size({"PIPELINING"});
  EXPECT_TRUE(without_size.Run(e, "x\r\n").ok());
  Check with_size({"SIZE"});
  EXPECT_EQ(GetErrorDetail(with_size.Run(e, "x\r\n").status()),
            ErrorDetail::kLineTooLong);
}

}  // namespace
}  // namespace smtpcore
