#include "tools/message_composer.h"

#include <random>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/header_encoding.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr char kCrlf[] = "\r\n";

bool IsAddressField(absl::string_view name) {
  for (absl::string_view f : {"From", "To", "Cc", "Bcc", "Reply-To", "Sender"}) {
    if (absl::EqualsIgnoreCase(name, f)) return true;
  }
  return false;
}

// EncodeAddressField encodes the display names of a list of "Name
// <addr>" mailboxes (RFC 2047 §5(3)); addresses are left as they are
// (SMTPUTF8 addresses stay UTF-8, RFC 6532).
std::string EncodeAddressField(absl::string_view value) {
  if (IsAscii(value)) return std::string(value);
  std::vector<std::string> out;
  // Split on commas outside quotes and angle brackets.
  std::string current;
  bool quote = false;
  bool angle = false;
  std::vector<std::string> items;
  for (char c : value) {
    if (c == '"' && !angle) quote = !quote;
    if (c == '<' && !quote) angle = true;
    if (c == '>' && !quote) angle = false;
    if (c == ',' && !quote && !angle) {
      items.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  items.push_back(current);
  for (const std::string& item : items) {
    absl::string_view it = absl::StripAsciiWhitespace(item);
    const size_t lt = it.rfind('<');
    if (lt == absl::string_view::npos || IsAscii(it.substr(0, lt))) {
      out.push_back(std::string(it));
      continue;
    }
    absl::string_view name = absl::StripAsciiWhitespace(it.substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    absl::string_view address = it.substr(lt + 1);
    if (absl::EndsWith(address, ">")) address.remove_suffix(1);
    out.push_back(FormatMailbox(name, address));
  }
  return absl::StrJoin(out, ", ");
}

// Base64Lines returns `data` in base64, lines of 76 characters ending in
// CRLF (RFC 2045 §6.8).
std::string Base64Lines(absl::string_view data) {
  const std::string b64 = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) {
    absl::StrAppend(&out, absl::string_view(b64).substr(i, 76), kCrlf);
  }
  return out;
}

// CrlfText returns `text` with every line ending CRLF and a final CRLF.
std::string CrlfText(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out.append(kCrlf);
    } else if (text[i] == '\n') {
      out.append(kCrlf);
    } else {
      out.push_back(text[i]);
    }
  }
  if (!absl::EndsWith(out, kCrlf)) out.append(kCrlf);
  return out;
}

// TextPart returns the Content-Type and Content-Transfer-Encoding fields
// and the encoded body of a text/plain part.
std::string TextPart(absl::string_view body) {
  const std::string text = CrlfText(body);
  bool seven_bit = IsAscii(text);
  size_t line = 0;
  for (char c : text) {
    line = c == '\n' ? 0 : line + 1;
    if (line > 998) seven_bit = false;  // RFC 5322 §2.1.1
    if (c == '\0') seven_bit = false;
  }
  if (seven_bit) {
    return absl::StrCat("Content-Type: text/plain; charset=us-ascii", kCrlf,
                        "Content-Transfer-Encoding: 7bit", kCrlf, kCrlf, text);
  }
  return absl::StrCat("Content-Type: text/plain; charset=utf-8", kCrlf,
                      "Content-Transfer-Encoding: base64", kCrlf, kCrlf,
                      Base64Lines(text));
}

// QuotedParameter returns a MIME parameter value as a quoted-string.
std::string QuotedParameter(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= ' ') out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Rfc2231Value percent-encodes `value` as an RFC 2231 §4 extended value:
// UTF-8''%E2%82%AC.txt (attribute-chars kept).
std::string Rfc2231Value(absl::string_view value) {
  std::string out = "UTF-8''";
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool keep = absl::ascii_isalnum(c) ||
                      absl::string_view("!#$&+-.^_`|~").find(ch) !=
                          absl::string_view::npos;
    if (keep) {
      out.push_back(ch);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::string AttachmentPart(const Attachment& a) {
  const std::string type = GuessContentType(a.name);
  std::string name_parameter;
  std::string filename_parameter;
  if (IsAscii(a.name)) {
    name_parameter = absl::StrCat("; name=", QuotedParameter(a.name));
    filename_parameter = absl::StrCat("; filename=", QuotedParameter(a.name));
  } else {
    name_parameter = absl::StrCat("; name*=", Rfc2231Value(a.name));
    filename_parameter = absl::StrCat("; filename*=", Rfc2231Value(a.name));
  }
  return absl::StrCat("Content-Type: ", type, name_parameter, kCrlf,
                      "Content-Disposition: attachment", filename_parameter,
                      kCrlf, "Content-Transfer-Encoding: base64", kCrlf, kCrlf,
                      Base64Lines(a.content));
}

}  // namespace

std::string GuessContentType(absl::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == absl::string_view::npos) return "application/octet-stream";
  const std::string ext = absl::AsciiStrToLower(file_name.substr(dot + 1));
  static constexpr struct {
    const char* ext;
    const char* type;
  } kTypes[] = {
      {"txt", "text/plain"},        {"text", "text/plain"},
      {"log", "text/plain"},        {"md", "text/markdown"},
      {"csv", "text/csv"},          {"html", "text/html"},
      {"htm", "text/html"},         {"css", "text/css"},
      {"ics", "text/calendar"},     {"patch", "text/x-diff"},
      {"diff", "text/x-diff"},      {"xml", "application/xml"},
      {"json", "application/json"}, {"pdf", "application/pdf"},
      {"zip", "application/zip"},   {"gz", "application/gzip"},
      {"tar", "application/x-tar"}, {"png", "image/png"},
      {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},         {"svg", "image/svg+xml"},
      {"webp", "image/webp"},       {"mp3", "audio/mpeg"},
      {"mp4", "video/mp4"},         {"doc", "application/msword"},
      {"docx",
       "application/vnd.openxmlformats-officedocument.wordprocessingml."
       "document"},
      {"xlsx",
       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"odt", "application/vnd.oasis.opendocument.text"},
  };
  for (const auto& t : kTypes) {
    if (ext == t.ext) return t.type;
  }
  return "application/octet-stream";
}

std::string MakeBoundary() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  // '=' and '_' cannot occur in base64 output lines; "=_" cannot start an
  // encoded text line we write.
  return absl::StrFormat("=_smtpc_%016x%016x", dist(rd), dist(rd));
}

absl::StatusOr<std::string> ComposeMessage(const Composition& c) {
  std::vector<std::pair<std::string, std::string>> user;
  for (const std::string& h : c.headers) {
    const size_t colon = h.find(':');
    absl::string_view name =
        colon == std::string::npos ? absl::string_view()
                                   : absl::string_view(h).substr(0, colon);
    bool ok = !name.empty();
    for (char ch : name) {
      ok = ok && static_cast<unsigned char>(ch) > ' ' &&
           static_cast<unsigned char>(ch) < 127;
    }
    if (!ok || h.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--header '", h, "': expected \"Name: value\" on one line"));
    }
    user.emplace_back(std::string(name),
                      std::string(absl::StripAsciiWhitespace(
                          absl::string_view(h).substr(colon + 1))));
  }
  auto given = [&](absl::string_view name) {
    for (const auto& [n, v] : user) {
      if (absl::EqualsIgnoreCase(n, name)) return true;
    }
    return false;
  };
  std::string out;
  auto field = [&](absl::string_view name, absl::string_view value) {
    const std::string encoded = IsAddressField(name)
                                    ? EncodeAddressField(value)
                                    : EncodeHeaderText(value);
    absl::StrAppend(&out, name, ": ", encoded, kCrlf);
  };
  if (!given("From")) field("From", c.from.empty() ? "<>" : c.from);
  if (!given("To")) field("To", absl::StrJoin(c.to, ", "));
  if (!given("Subject")) field("Subject", c.subject);
  if (!given("Date")) field("Date", c.date);
  if (!given("Message-ID")) field("Message-ID", c.message_id);
  for (const auto& [name, value] : user) field(name, value);
  if (!given("MIME-Version")) field("MIME-Version", "1.0");
  if (c.attachments.empty()) {
    absl::StrAppend(&out, TextPart(c.body));
    return out;
  }
  absl::StrAppend(&out, "Content-Type: multipart/mixed; boundary=\"",
                  c.boundary, "\"", kCrlf, kCrlf,
                  "This is a multi-part message in MIME format.", kCrlf);
  absl::StrAppend(&out, "--", c.boundary, kCrlf, TextPart(c.body));
  for (const Attachment& a : c.attachments) {
    absl::StrAppend(&out, "--", c.boundary, kCrlf, AttachmentPart(a));
  }
  absl::StrAppend(&out, "--", c.boundary, "--", kCrlf);
  return out;
}

}  // namespace cli
}  // namespace smtpcore
