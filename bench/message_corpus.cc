#include "bench/message_corpus.h"

#include <cstring>

namespace smtpcore {
namespace bench {
namespace {

// Rng is SplitMix64: tiny, fast, and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Below returns a number in [0, n), n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // Chance returns true with probability p.
  bool Chance(double p) {
    return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0) < p;
  }

 private:
  uint64_t state_;
};

constexpr const char* kWords[] = {
    "the",     "of",       "and",      "to",      "in",       "a",
    "is",      "that",     "for",      "it",      "as",       "was",
    "with",    "be",       "by",       "on",      "not",      "he",
    "this",    "are",      "or",       "his",     "from",     "at",
    "which",   "but",      "have",     "an",      "had",      "they",
    "you",     "were",     "their",    "one",     "all",      "we",
    "can",     "her",      "has",      "there",   "been",     "if",
    "more",    "when",     "will",     "would",   "who",      "so",
    "meeting", "schedule", "report",   "quarter", "attached", "please",
    "review",  "budget",   "project",  "server",  "message",  "delivery",
    "thanks",  "regards",  "tomorrow", "update",  "customer", "invoice",
    "Monday",  "Friday",   "team",     "release", "deadline", "question",
};
constexpr size_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);

constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

class Writer {
 public:
  Writer(const CorpusOptions& o, std::string* out)
      : o_(o), out_(out), rng_(o.seed) {}

  bool Full() const { return out_->size() >= o_.size; }

  void Line(const std::string& text) {
    out_->append(text);
    out_->append(o_.bare_lf ? "\n" : "\r\n");
  }

  // DotLine writes, with the configured probability, a text line starting
  // with '.' and returns true. Called before every body line so that the
  // share is the same for every kind of line.
  bool DotLine() {
    if (!rng_.Chance(o_.dot_line_fraction)) return false;
    static constexpr const char* kDotStarts[] = {".", "...", ". ", ".NET ",
                                                 ".com "};
    TextLine(kDotStarts[rng_.Below(5)], 20 + rng_.Below(56));
    return true;
  }

  // TextLine writes one word-wrapped line of about `width` characters
  // starting with `start`.
  void TextLine(const char* start, size_t width) {
    std::string line = start;
    while (line.size() < width) {
      if (!line.empty() && line.back() != ' ' && line.back() != '.') {
        line += rng_.Below(12) == 0 ? ", " : " ";
      }
      line += kWords[rng_.Below(kNumWords)];
    }
    if (rng_.Below(4) == 0) line += '.';
    Line(line);
  }

  void Headers() {
    Line("Return-Path: <alice@example.org>");
    for (int i = 0; i < 3; ++i) {
      Line("Received: from mx" + std::to_string(i) +
           ".example.net (mx.example.net [192.0.2." + std::to_string(10 + i) +
           "])");
      Line("\tby mail.example.com (Postfix) with ESMTPS id 4Q" +
           std::to_string(rng_.Next() % 100000000));
      Line("\tfor <bob@example.com>; Tue, 11 Jun 2024 09:1" +
           std::to_string(i) + ":00 +0000 (UTC)");
    }
    Line(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;");
    Line("\ts=s1; t=1718097000; h=from:to:subject:date:message-id;");
    Line("\tbh=" + Base64Chars(44) + ";");
    for (int i = 0; i < 4; ++i) Line("\tb=" + Base64Chars(70));
    Line("From: Alice Example <alice@example.org>");
    Line("To: Bob Example <bob@example.com>");
    Line("Subject: Quarterly report and the attached budget");
    Line("Date: Tue, 11 Jun 2024 09:10:00 +0000");
    Line("Message-ID: <" + std::to_string(rng_.Next()) + "@example.org>");
    Line("MIME-Version: 1.0");
    Line("Content-Type: multipart/mixed; boundary=\"b1_smtpcore\"");
    Line("");
  }

  void TextPart() {
    DotLine();
    Line("--b1_smtpcore");
    Line("Content-Type: text/plain; charset=us-ascii");
    Line("");
    const size_t paragraphs = 2 + rng_.Below(4);
    for (size_t p = 0; p < paragraphs && !Full(); ++p) {
      const size_t lines = 1 + rng_.Below(7);
      for (size_t l = 0; l < lines; ++l) {
        if (DotLine()) continue;
        TextLine("",
                 l + 1 == lines ? 16 + rng_.Below(50) : 56 + rng_.Below(20));
      }
      if (!DotLine()) Line("");
    }
  }

  void Base64Part() {
    DotLine();
    Line("--b1_smtpcore");
    Line("Content-Type: application/octet-stream; name=\"data.bin\"");
    Line("Content-Transfer-Encoding: base64");
    Line("");
    const size_t lines = 4 + rng_.Below(28);
    for (size_t l = 0; l < lines && !Full(); ++l) {
      if (!DotLine()) Line(Base64Chars(76));
    }
    Line("");
  }

  std::string Base64Chars(size_t n) {
    std::string s(n, 'A');
    for (char& c : s) c = kBase64[rng_.Below(64)];
    return s;
  }

  void Message() {
    Headers();
    while (!Full()) {
      if (rng_.Below(3) == 0) {
        Base64Part();
      } else {
        TextPart();
      }
    }
  }

 private:
  const CorpusOptions& o_;
  std::string* out_;
  Rng rng_;
};

}  // namespace

std::string MakeMessage(const CorpusOptions& options) {
  std::string out;
  out.reserve(options.size + 256);
  Writer w(options, &out);
  w.Message();
  return out;
}

CorpusShape DescribeCorpus(absl::string_view text) {
  CorpusShape shape;
  shape.bytes = text.size();
  bool line_start = true;
  for (char c : text) {
    if (line_start && c == '.') ++shape.dot_lines;
    line_start = c == '\n';
    if (c == '\n') ++shape.lines;
  }
  shape.mean_line_bytes =
      shape.lines == 0
          ? 0.0
          : static_cast<double>(text.size()) / static_cast<double>(shape.lines);
  return shape;
}

}  // namespace bench
}  // namespace smtpcore
