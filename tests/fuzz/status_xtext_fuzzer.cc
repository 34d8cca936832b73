// status_xtext_fuzzer: RFC 3463 enhanced status codes and RFC 3461 xtext.
//
// Input layout:
//   byte 0  bit 0: the rest is text after a reply code ("250 " + text),
//           parsed by ParseEnhancedCode directly and inside a reply by
//           ReplyParser; else the rest is an argument for xtext
//           (XtextEncode, MAIL ... ENVID=, RCPT ... ORCPT=rfc822;)
//   rest
//
// Invariants (abort on violation):
//   enhanced codes: a parsed code has class 2, 4 or 5 and subject and
//     detail in 0..999; `consumed` covers exactly "c.s.d" plus at most one
//     space; the code's ToString() parses back to the same code; a failed
//     parse leaves the output untouched; ReplyView::enhanced() agrees with
//     ParseEnhancedCode on the first line's text;
//   xtext: the output holds only octets 33..126, '+' only as "+XX" with
//     upper-case hex, never '='; decoding it gives the input back (a
//     reference decoder written from RFC 3461 §4); a serialized MAIL or
//     RCPT line with it is one CRLF-terminated line with no control bytes,
//     or a local error.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/reply.h"
#include "core/reply_parser.h"

namespace {

using smtpcore::EnhancedCode;

[[noreturn]] void Violation(const std::string& what) {
  std::fprintf(stderr, "status_xtext_fuzzer: %s\n", what.c_str());
  std::abort();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // RFC 3461 §4: upper-case hex only
}

// RefXtextDecode decodes xtext (RFC 3461 §4): "+" followed by two
// upper-case hex digits is one octet; other octets are 33..126 except "+"
// and "=". Returns false on anything else.
bool RefXtextDecode(absl::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '+') {
      if (i + 2 >= text.size()) return false;
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      continue;
    }
    if (c < 33 || c > 126 || c == '=') return false;
    out->push_back(static_cast<char>(c));
  }
  return true;
}

void CheckEnhanced(absl::string_view text) {
  EnhancedCode code{-1, -1, -1};
  size_t consumed = 12345;
  if (!smtpcore::ParseEnhancedCode(text, &code, &consumed)) {
    if (code.klass != -1 || code.subject != -1 || code.detail != -1 ||
        consumed != 12345) {
      Violation("failed parse touched its outputs");
    }
    return;
  }
  if (code.klass != 2 && code.klass != 4 && code.klass != 5) {
    Violation("bad class");
  }
  if (code.subject < 0 || code.subject > 999 || code.detail < 0 ||
      code.detail > 999) {
    Violation("subject or detail out of 0..999");
  }
  if (consumed > text.size() || consumed < 5) Violation("bad consumed");
  absl::string_view used = text.substr(0, consumed);
  if (used.back() == ' ') used.remove_suffix(1);
  for (char c : used) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
      Violation("consumed more than the code and one space");
    }
  }
  if (consumed < text.size() && text[consumed - 1] != ' ') {
    Violation("code not followed by a space or the end");
  }
  std::string again = code.ToString();
  EnhancedCode back;
  size_t back_consumed = 0;
  if (!smtpcore::ParseEnhancedCode(again, &back, &back_consumed) ||
      back != code || back_consumed != again.size()) {
    Violation("ToString does not parse back: " + again);
  }
}

void CheckReply(absl::string_view text) {
  std::string wire = "250 " + std::string(text) + "\r\n";
  smtpcore::ReplyParser parser;
  smtpcore::ReplyView reply;
  smtpcore::ParseResult r = parser.Parse(wire, &reply);
  if (r.status != smtpcore::ParseStatus::kComplete) return;
  EnhancedCode direct;
  size_t consumed = 0;
  absl::string_view first = reply.first_line();
  const bool parsed = smtpcore::ParseEnhancedCode(first, &direct, &consumed);
  const auto& enhanced = reply.enhanced();
  if (enhanced.has_value() && (!parsed || *enhanced != direct)) {
    Violation("ReplyView::enhanced disagrees with ParseEnhancedCode");
  }
}

void CheckXtext(absl::string_view text) {
  std::string encoded = smtpcore::XtextEncode(text);
  for (size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (c < 33 || c > 126 || c == '=') Violation("bad octet in xtext");
  }
  std::string decoded;
  if (!RefXtextDecode(encoded, &decoded)) Violation("xtext does not decode");
  if (decoded != text) Violation("xtext round trip differs");

  // Inside commands.
  std::string line;
  smtpcore::MailFrom mail{"a@example.org", {}};
  mail.params.envid = std::string(text);
  if (smtpcore::SerializeCommand(smtpcore::Command(mail), &line).ok()) {
    if (line.size() < 2 || line.find_first_of("\r\n") != line.size() - 2) {
      Violation("MAIL line with ENVID is not one line");
    }
    for (size_t i = 0; i + 2 < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      if (c < 32 || c == 127) Violation("control byte in a MAIL line");
    }
  }
  line.clear();
  smtpcore::RcptTo rcpt{"b@example.org", {}};
  rcpt.params.orcpt = std::string(text);
  if (smtpcore::SerializeCommand(smtpcore::Command(rcpt), &line).ok()) {
    if (line.size() < 2 || line.find_first_of("\r\n") != line.size() - 2) {
      Violation("RCPT line with ORCPT is not one line");
    }
    for (size_t i = 0; i + 2 < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      if (c < 32 || c == 127) Violation("control byte in a RCPT line");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    CheckEnhanced(text);
    CheckReply(text);
  } else {
    CheckXtext(text);
  }
  return 0;
}
