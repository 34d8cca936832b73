#include "tools/message_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace smtpcore {
namespace cli {
namespace {

// LineAt returns the line starting at `pos` without its line ending, and
// sets `*next` to the offset after the line ending.
absl::string_view LineAt(absl::string_view message, size_t pos,
                         size_t* next) {
  size_t nl = message.find('\n', pos);
  size_t stop = nl == absl::string_view::npos ? message.size() : nl;
  *next = nl == absl::string_view::npos ? message.size() : nl + 1;
  absl::string_view line = message.substr(pos, stop - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// FieldNameLength returns the length of the field name when `line` starts
// with "name:" (printable ASCII except ':' and space, RFC 5322 §2.2), else
// 0.
size_t FieldNameLength(absl::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ':') return i;
    if (c <= ' ' || c >= 127) return 0;
  }
  return 0;
}

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool HeaderSection::Has(absl::string_view name) const {
  for (const HeaderField& f : fields) {
    if (absl::EqualsIgnoreCase(f.name, name)) return true;
  }
  return false;
}

std::vector<std::string> HeaderSection::Values(absl::string_view name) const {
  std::vector<std::string> out;
  for (const HeaderField& f : fields) {
    if (absl::EqualsIgnoreCase(f.name, name)) out.push_back(f.value);
  }
  return out;
}

HeaderSection ParseHeaderSection(absl::string_view message) {
  HeaderSection section;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t next = 0;
    absl::string_view line = LineAt(message, pos, &next);
    const size_t name_length = FieldNameLength(line);
    if (line.empty() || name_length == 0) break;
    HeaderField field;
    field.name = std::string(line.substr(0, name_length));
    std::string value(line.substr(name_length + 1));
    field.begin = pos;
    pos = next;
    while (pos < message.size() && IsWsp(message[pos])) {
      absl::string_view more = LineAt(message, pos, &next);
      value.append(more.data(), more.size());
      pos = next;
    }
    field.end = pos;
    field.value = std::string(absl::StripAsciiWhitespace(value));
    section.fields.push_back(std::move(field));
  }
  section.body_offset = pos;
  return section;
}

std::string RemoveHeaderFields(absl::string_view message,
                               absl::string_view name) {
  const HeaderSection section = ParseHeaderSection(message);
  std::string out;
  out.reserve(message.size());
  size_t copied = 0;
  for (const HeaderField& f : section.fields) {
    if (!absl::EqualsIgnoreCase(f.name, name)) continue;
    out.append(message.data() + copied, f.begin - copied);
    copied = f.end;
  }
  out.append(message.data() + copied, message.size() - copied);
  return out;
}

std::vector<std::string> ParseAddressList(absl::string_view value) {
  std::vector<std::string> out;
  std::string current;    // text outside comments, quotes kept out
  std::string angle;      // the text inside <...>
  bool has_angle = false;
  bool in_angle = false;
  bool in_quote = false;
  int comment_depth = 0;
  auto flush = [&]() {
    std::string address = has_angle ? angle : current;
    address = std::string(absl::StripAsciiWhitespace(address));
    // An obsolete route ("@a,@b:user@c") keeps only the mailbox.
    if (has_angle && !address.empty() && address[0] == '@') {
      const size_t colon = address.find(':');
      address = colon == std::string::npos ? "" : address.substr(colon + 1);
    }
    if (!address.empty()) out.push_back(address);
    current.clear();
    angle.clear();
    has_angle = false;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (in_quote) {
      // Quoted text is a display name or a quoted local part; kept as
      // written (a display name is dropped when <...> follows).
      std::string& sink = in_angle ? angle : current;
      if (c == '\\' && i + 1 < value.size()) {
        sink.push_back(c);
        sink.push_back(value[++i]);
        continue;
      }
      if (c == '"') in_quote = false;
      sink.push_back(c);
      continue;
    }
    if (comment_depth > 0) {
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        ++comment_depth;
      } else if (c == ')') {
        --comment_depth;
      }
      continue;
    }
    if (in_angle) {
      if (c == '>') {
        in_angle = false;
      } else if (c == '"') {
        in_quote = true;
        angle.push_back(c);
      } else if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
        angle.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        in_quote = true;
        current.push_back(c);
        break;
      case '(':
        comment_depth = 1;
        break;
      case '<':
        in_angle = true;
        has_angle = true;
        angle.clear();
        break;
      case ':':
        // A group name ends: what came before was its display name.
        current.clear();
        break;
      case ',':
      case ';':
        flush();
        break;
      default:
        current.push_back(c);
    }
  }
  flush();
  // A quoted display name without <...> is not an address: keep only
  // entries that do not start with a quote unless they contain '@' after
  // the quotes (a quoted local part).
  std::vector<std::string> kept;
  for (std::string& a : out) {
    if (a[0] == '"' && a.find('@', a.rfind('"')) == std::string::npos) {
      continue;
    }
    // Bare addresses may carry folding white space between tokens.
    std::string compact;
    for (char c : a) {
      if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
        compact.push_back(c);
      }
    }
    kept.push_back(std::move(compact));
  }
  return kept;
}

absl::string_view LineEndingOf(absl::string_view message) {
  const size_t nl = message.find('\n');
  if (nl != absl::string_view::npos && nl > 0 && message[nl - 1] == '\r') {
    return "\r\n";
  }
  return "\n";
}

}  // namespace cli
}  // namespace smtpcore
