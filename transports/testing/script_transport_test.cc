#include "transports/testing/script_transport.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/connection.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using ::testing::HasSubstr;

// LineEcho is a fake endpoint: for every complete line it receives it
// answers "ACK <line>\r\n" and emits a Trace event "trace S: <line>". The
// line "ERR" makes Receive fail. It hands out its output in slices of at
// most 3 bytes to exercise multi-slice transmits.
class LineEcho : public ScriptEndpoint {
 public:
  absl::Status Receive(absl::string_view bytes, Instant now) override {
    chunks.emplace_back(bytes);
    partial_.append(bytes.data(), bytes.size());
    size_t eol;
    while ((eol = partial_.find("\r\n")) != std::string::npos) {
      std::string line = partial_.substr(0, eol);
      partial_.erase(0, eol + 2);
      if (line == "ERR") {
        return MakeError(absl::StatusCode::kDataLoss,
                         ErrorDetail::kMalformedReply, "ERR");
      }
      output_ += absl::StrCat("ACK ", line, "\r\n");
      events_.push_back(Trace{false, line});
    }
    return absl::OkStatus();
  }
  absl::Status ReceiveEof(Instant now) override {
    ++eofs;
    return absl::OkStatus();
  }
  void HandleTimeout(Instant now) override { timeouts.push_back(now); }
  absl::Status OnTlsEstablished(TlsInfo info, Instant now) override {
    tls.push_back(info);
    return absl::OkStatus();
  }
  void OnTlsFailed(absl::Status status, Instant now) override {}
  size_t PollTransmit(absl::Span<IoSlice> out) override {
    size_t n = 0;
    size_t pos = 0;
    while (n < out.size() && pos < output_.size()) {
      size_t len = std::min<size_t>(3, output_.size() - pos);
      out[n++] = IoSlice{output_.data() + pos, len};
      pos += len;
    }
    if (unstable_ && n > 0) output_[0] ^= 1;
    return n;
  }
  void ConsumeTransmit(size_t bytes_written, Instant now) override {
    consumes.push_back(bytes_written);
    output_.erase(0, bytes_written);
  }
  absl::optional<Instant> NextDeadline() const override { return deadline; }
  absl::optional<Event> PollEvent() override {
    if (events_.empty()) return absl::nullopt;
    Event e = events_.front();
    events_.erase(events_.begin());
    return e;
  }

  void Say(absl::string_view bytes) {
    output_.append(bytes.data(), bytes.size());
  }
  void MakeUnstable() { unstable_ = true; }

  std::vector<std::string> chunks;
  std::vector<Instant> timeouts;
  std::vector<size_t> consumes;
  std::vector<TlsInfo> tls;
  int eofs = 0;
  absl::optional<Instant> deadline;

 private:
  std::string partial_;
  std::string output_;
  std::vector<Event> events_;
  bool unstable_ = false;
};

Script EchoScript() {
  Script s;
  s.Server("ab\r\n")  // offsets 0..3
      .Server("cd\r\n")  // one flight with the line above: 0..7
      .ExpectClient("ACK ab\r\n")
      .ExpectClient("ACK cd\r\n")
      .Server("ef\r\n")  // 8..11
      .ExpectClient("ACK ef\r\n");
  return s;
}

TEST(ScriptTransportTest, WholeFlights) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  ASSERT_TRUE(t.Run(EchoScript()).ok());
  EXPECT_EQ(echo.chunks, (std::vector<std::string>{"ab\r\ncd\r\n", "ef\r\n"}));
  EXPECT_EQ(t.client_bytes(), "ACK ab\r\nACK cd\r\nACK ef\r\n");
  EXPECT_EQ(t.events(), (std::vector<std::string>{"trace S: ab", "trace S: cd",
                                                  "trace S: ef"}));
  EXPECT_EQ(EchoScript().server_bytes(), 12u);
}

TEST(ScriptTransportTest, SplitAtOneOffsetOfTheWholeStream) {
  for (size_t at : {size_t{3}, size_t{9}}) {
    LineEcho echo;
    ScriptOptions o;
    o.feed = ScriptFeed::kSplitAt;
    o.split_at = at;
    ScriptTransport t(&echo, o);
    ASSERT_TRUE(t.Run(EchoScript()).ok());
    if (at == 3) {
      EXPECT_EQ(echo.chunks,
                (std::vector<std::string>{"ab\r", "\ncd\r\n", "ef\r\n"}));
    } else {
      EXPECT_EQ(echo.chunks,
                (std::vector<std::string>{"ab\r\ncd\r\n", "e", "f\r\n"}));
    }
  }
}

TEST(ScriptTransportTest, ByteByByte) {
  LineEcho echo;
  ScriptOptions o;
  o.feed = ScriptFeed::kByteByByte;
  ScriptTransport t(&echo, o);
  ASSERT_TRUE(t.Run(EchoScript()).ok());
  EXPECT_EQ(echo.chunks.size(), 12u);
  for (const std::string& c : echo.chunks) EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(t.client_bytes(), "ACK ab\r\nACK cd\r\nACK ef\r\n");
}

TEST(ScriptTransportTest, PartialWrites) {
  LineEcho echo;
  ScriptOptions o;
  o.max_write = 2;
  o.max_slices = 1;
  ScriptTransport t(&echo, o);
  ASSERT_TRUE(t.Run(EchoScript()).ok());
  EXPECT_EQ(t.client_bytes(), "ACK ab\r\nACK cd\r\nACK ef\r\n");
  for (size_t n : echo.consumes) EXPECT_LE(n, 2u);
  EXPECT_EQ(echo.consumes.size(), 12u);
}

TEST(ScriptTransportTest, MismatchShowsEscapedDiffWithCaret) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  Script s;
  s.Server("ab\r\n").Label("here.md:7").ExpectClient("ACK aX\r\n");
  absl::Status status = t.Run(s);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("step 1: client bytes differ"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("  expected: \"ACK aX\\r\\n\"\n"
                        "  actual:   \"ACK ab\\r\\n\"\n"
                        "                  ^ first difference at byte 5\n"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("trace S: ab"));
}

TEST(ScriptTransportTest, LabelsNameTheSourceLine) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  Script s;
  s.Server("ab\r\n").ExpectClient("nope").Label("file.md:12");
  absl::Status status = t.Run(s);
  EXPECT_THAT(std::string(status.message()), HasSubstr("step 1 (file.md:12)"));
}

TEST(ScriptTransportTest, UnexpectedClientBytesBeforeAFlightFail) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  Script s;
  s.Server("ab\r\n").Server("").ExpectClient("ACK ab\r\n");
  ASSERT_TRUE(t.Run(s).ok());  // one flight: fine
  Script s2;
  s2.Server("cd\r\n").ExpectClient("ACK").Server("ef\r\n");
  absl::Status status = t.Run(s2);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("the client wrote bytes the script does not expect "
                        "before this server flight"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\" cd\\r\\n\""));
}

TEST(ScriptTransportTest, LeftoverClientBytesFailAtTheEnd) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  Script s;
  s.Server("ab\r\n");
  absl::Status status = t.Run(s);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("end of script"));
  EXPECT_EQ(t.unmatched_client_bytes(), "ACK ab\r\n");
}

TEST(ScriptTransportTest, TimeAdvancesAndDeadlinesAreChecked) {
  LineEcho echo;
  ScriptOptions o;
  o.start = InstantFromSeconds(50);
  ScriptTransport t(&echo, o);
  echo.deadline = InstantFromSeconds(80);
  Script s;
  s.ExpectDeadline(absl::Seconds(30))
      .Advance(absl::Seconds(10))
      .ExpectDeadline(absl::Seconds(20))
      .Advance(absl::Milliseconds(500));
  ASSERT_TRUE(t.Run(s).ok());
  EXPECT_EQ(echo.timeouts, (std::vector<Instant>{InstantFromSeconds(60),
                                                 InstantFromSeconds(60.5)}));
  EXPECT_EQ(t.now(), InstantFromSeconds(60.5));

  Script bad;
  bad.ExpectDeadline(absl::nullopt);
  absl::Status status = t.Run(bad);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("NextDeadline() is +19.5s, expected none"));
}

TEST(ScriptTransportTest, InputErrorStopsReading) {
  LineEcho echo;
  ScriptOptions o;
  o.feed = ScriptFeed::kByteByByte;
  ScriptTransport t(&echo, o);
  Script s;
  s.Server("ab\r\nERR\r\nzz\r\n").ExpectClient("ACK ab\r\n").Server("cd\r\n")
      .ServerEof();
  ASSERT_TRUE(t.Run(s).ok());
  EXPECT_EQ(GetErrorDetail(t.input_error()), ErrorDetail::kMalformedReply);
  // Fed up to and including the LF of "ERR\r\n", nothing after.
  EXPECT_EQ(echo.chunks.size(), 9u);
  EXPECT_EQ(echo.eofs, 0);
}

TEST(ScriptTransportTest, EofAndTlsStepsReachTheEndpoint) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  Script s;
  s.TlsEstablished().ServerEof();
  ASSERT_TRUE(t.Run(s).ok());
  ASSERT_EQ(echo.tls.size(), 1u);
  EXPECT_EQ(echo.tls[0].version, "TLSv1.3");
  EXPECT_TRUE(echo.tls[0].verified);
  EXPECT_EQ(echo.eofs, 1);
}

TEST(ScriptTransportTest, CallsRunAtTheirTimeAndReportFailures) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  Script s;
  Instant seen;
  s.Advance(absl::Seconds(5))
      .Call("say hi",
            [&](Instant now) {
              seen = now;
              echo.Say("hi\r\n");
              return absl::OkStatus();
            })
      .ExpectClient("hi\r\n")
      .Call("fail", [](Instant) { return absl::InternalError("boom"); });
  absl::Status status = t.Run(s);
  EXPECT_EQ(seen, InstantFromSeconds(1005));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("step 3: fail: INTERNAL: boom"));
}

TEST(ScriptTransportTest, UnstablePollTransmitIsReported) {
  LineEcho echo;
  ScriptTransport t(&echo, ScriptOptions());
  echo.MakeUnstable();
  Script s;
  s.Server("ab\r\n");
  absl::Status status = t.Run(s);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("PollTransmit offered different bytes"));
}

// The transport drives the real low-level Connection too.
TEST(ScriptTransportConnectionTest, EhloAndNoop) {
  ConnectionOptions options;
  ScriptOptions o;
  Connection connection(options, o.start);
  ScriptEndpointFor<Connection> endpoint(&connection);
  ScriptTransport t(&endpoint, o);
  Script s;
  s.Server("220 mx.example.org ESMTP\r\n")
      .Call("EHLO",
            [&](Instant now) {
              return connection.Submit(Ehlo{"client.example.org"}, now)
                  .status();
            })
      .ExpectClient("EHLO client.example.org\r\n")
      .Server("250-mx.example.org\r\n250 PIPELINING\r\n")
      .Call("NOOP",
            [&](Instant now) {
              return connection.Submit(Noop{}, now).status();
            })
      .ExpectClient("NOOP\r\n")
      .Server("250 2.0.0 Ok\r\n");
  absl::Status status = t.Run(s);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(t.events(),
            (std::vector<std::string>{"greeting 220", "reply EHLO 250",
                                      "capabilities PIPELINING",
                                      "reply NOOP 250 2.0.0"}));
}

}  // namespace
}  // namespace smtpcore
