// MessageCorpus: deterministic, realistic e-mail bodies for benchmarks.
//
// A generated message looks like real mail on the wire: a header block
// (Received chains, a folded DKIM-Signature, From/To/Subject/...), then a
// multipart/mixed body alternating text/plain paragraphs (word-wrapped
// English-like text, blank lines between paragraphs) and base64 attachment
// parts (76-character lines). By default about 1.5% of all lines start with
// '.' and the mean line length is about 55 bytes, line ending included.
// The same seed always gives the same bytes, on every platform (own PRNG,
// no std:: distributions).

#ifndef SMTP_BENCH_MESSAGE_CORPUS_H_
#define SMTP_BENCH_MESSAGE_CORPUS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace smtpcore {
namespace bench {

// CorpusOptions says what MakeMessage generates.
struct CorpusOptions {
  // size: the message has at least this many bytes (whole lines; at most one
  // line more).
  size_t size = size_t{1} << 20;
  // bare_lf: end lines with "\n" instead of "\r\n".
  bool bare_lf = false;
  // dot_line_fraction: probability that a body line (text, blank, base64)
  // is a text line starting with '.'. Headers and MIME part headers never
  // are, so the share of all lines is about 0.9 of this; the default gives
  // about 1.5% (see DescribeCorpus).
  double dot_line_fraction = 0.018;
  uint64_t seed = 1;
};

// MakeMessage returns a new message as described in the file comment.
// Never fails.
std::string MakeMessage(const CorpusOptions& options);

// CorpusShape describes a text: what the benchmarks print next to figures.
struct CorpusShape {
  size_t bytes = 0;
  size_t lines = 0;            // line breaks ("\n")
  size_t dot_lines = 0;        // lines starting with '.'
  double mean_line_bytes = 0;  // bytes / lines, line ending included
};

// DescribeCorpus measures `text`. Never fails.
CorpusShape DescribeCorpus(absl::string_view text);

}  // namespace bench
}  // namespace smtpcore

#endif  // SMTP_BENCH_MESSAGE_CORPUS_H_
