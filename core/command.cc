#include "core/command.h"

#include <string>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

absl::Status Invalid(absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   ErrorDetail::kInvalidArgument, message);
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// ValidatePath checks a reverse- or forward-path without its brackets: no
// controls, no '<' or '>', no space outside a quoted local part
// (RFC 5321 §4.1.2 Quoted-string).
absl::Status ValidatePath(absl::string_view path, absl::string_view what) {
  if (absl::Status s = ValidateArgument(path, what); !s.ok()) return s;
  bool quoted = false;
  bool escaped = false;
  for (char ch : path) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (quoted && ch == '\\') {
      escaped = true;
    } else if (ch == '"') {
      quoted = !quoted;
    } else if (ch == '<' || ch == '>') {
      return Invalid(absl::StrCat(what, " contains '<' or '>'"));
    } else if (ch == ' ' && !quoted) {
      return Invalid(absl::StrCat(what, " contains a space"));
    }
  }
  if (quoted) return Invalid(absl::StrCat(what, " has an unterminated quote"));
  return absl::OkStatus();
}

absl::Status ValidateWord(absl::string_view word, absl::string_view what,
                          bool allow_empty) {
  if (word.empty() && !allow_empty) {
    return Invalid(absl::StrCat(what, " is empty"));
  }
  if (absl::Status s = ValidateArgument(word, what); !s.ok()) return s;
  if (word.find(' ') != absl::string_view::npos) {
    return Invalid(absl::StrCat(what, " contains a space"));
  }
  return absl::OkStatus();
}

// ValidateKeyword: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
absl::Status ValidateKeyword(absl::string_view keyword) {
  if (keyword.empty() || !absl::ascii_isalnum(keyword[0])) {
    return Invalid("ESMTP parameter keyword is empty or malformed");
  }
  for (char ch : keyword) {
    if (!absl::ascii_isalnum(ch) && ch != '-') {
      if (IsControl(static_cast<unsigned char>(ch))) {
        return MakeError(absl::StatusCode::kInvalidArgument,
                         ErrorDetail::kControlCharacter,
                         "ESMTP parameter keyword contains a control "
                         "character");
      }
      return Invalid("ESMTP parameter keyword is malformed");
    }
  }
  return absl::OkStatus();
}

// ValidateValue: esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 octets
// (RFC 6531 §3.3).
absl::Status ValidateValue(absl::string_view value) {
  if (absl::Status s = ValidateArgument(value, "ESMTP parameter value");
      !s.ok()) {
    return s;
  }
  for (char ch : value) {
    if (ch == ' ' || ch == '=') {
      return Invalid("ESMTP parameter value contains ' ' or '='");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePrintableAscii(absl::string_view text,
                                    absl::string_view what) {
  if (absl::Status s = ValidateArgument(text, what); !s.ok()) return s;
  if (!IsAscii(text)) return Invalid(absl::StrCat(what, " is not ASCII"));
  return absl::OkStatus();
}

absl::Status AppendExtra(const std::vector<EsmtpParam>& extra,
                         std::string* line) {
  for (const EsmtpParam& p : extra) {
    if (absl::Status s = ValidateKeyword(p.keyword); !s.ok()) return s;
    absl::StrAppend(line, " ", p.keyword);
    if (!p.value.empty()) {
      if (absl::Status s = ValidateValue(p.value); !s.ok()) return s;
      absl::StrAppend(line, "=", p.value);
    }
  }
  return absl::OkStatus();
}

absl::string_view BodyTypeValue(BodyType body) {
  switch (body) {
    case BodyType::k7Bit: return "7BIT";
    case BodyType::k8BitMime: return "8BITMIME";
    case BodyType::kBinaryMime: return "BINARYMIME";
  }
  return "7BIT";
}

absl::Status SerializeMail(const MailFrom& m, std::string* line) {
  if (absl::Status s = ValidatePath(m.reverse_path, "reverse-path"); !s.ok()) {
    return s;
  }
  absl::StrAppend(line, "MAIL FROM:<", m.reverse_path, ">");
  const MailParams& p = m.params;
  if (p.size.has_value()) absl::StrAppend(line, " SIZE=", *p.size);
  if (p.body.has_value()) {
    absl::StrAppend(line, " BODY=", BodyTypeValue(*p.body));
  }
  if (p.smtputf8) absl::StrAppend(line, " SMTPUTF8");
  if (p.requiretls) absl::StrAppend(line, " REQUIRETLS");
  if (p.ret.has_value()) {
    absl::StrAppend(line, " RET=", *p.ret == DsnRet::kFull ? "FULL" : "HDRS");
  }
  if (p.envid.has_value()) {
    if (absl::Status s = ValidatePrintableAscii(*p.envid, "ENVID"); !s.ok()) {
      return s;
    }
    absl::StrAppend(line, " ENVID=", XtextEncode(*p.envid));
  }
  return AppendExtra(p.extra, line);
}

absl::Status SerializeRcpt(const RcptTo& r, std::string* line) {
  if (r.forward_path.empty()) return Invalid("forward-path is empty");
  if (absl::Status s = ValidatePath(r.forward_path, "forward-path"); !s.ok()) {
    return s;
  }
  absl::StrAppend(line, "RCPT TO:<", r.forward_path, ">");
  const RcptParams& p = r.params;
  if (p.notify != kNotifyDefault) {
    if ((p.notify & kNotifyNever) != 0) {
      if (p.notify != kNotifyNever) {
        return Invalid("NOTIFY=NEVER combined with other NOTIFY values");
      }
      absl::StrAppend(line, " NOTIFY=NEVER");
    } else {
      std::string value;
      if (p.notify & kNotifySuccess) absl::StrAppend(&value, ",SUCCESS");
      if (p.notify & kNotifyFailure) absl::StrAppend(&value, ",FAILURE");
      if (p.notify & kNotifyDelay) absl::StrAppend(&value, ",DELAY");
      if (value.empty()) return Invalid("unknown NOTIFY flags");
      absl::StrAppend(line, " NOTIFY=", absl::string_view(value).substr(1));
    }
  }
  if (p.orcpt.has_value()) {
    if (p.orcpt->empty()) return Invalid("ORCPT is empty");
    if (absl::Status s = ValidatePrintableAscii(*p.orcpt, "ORCPT"); !s.ok()) {
      return s;
    }
    absl::StrAppend(line, " ORCPT=rfc822;", XtextEncode(*p.orcpt));
  }
  return AppendExtra(p.extra, line);
}

absl::Status CheckLength(const std::string& line, size_t max_line_length) {
  if (line.size() + 2 > max_line_length) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kLineTooLong,
                     absl::StrCat("command line of ", line.size() + 2,
                                  " octets exceeds the limit of ",
                                  max_line_length,
                                  " (RFC 5321 §4.5.3.1.4)"));
  }
  return absl::OkStatus();
}

// BuildLine writes the line without CRLF to `*line`.
absl::Status BuildLine(const Command& command, std::string* line) {
  return std::visit(
      [line](const auto& c) -> absl::Status {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Ehlo> || std::is_same_v<T, Helo> ||
                      std::is_same_v<T, Lhlo>) {
          constexpr absl::string_view verb =
              std::is_same_v<T, Ehlo>   ? "EHLO"
              : std::is_same_v<T, Lhlo> ? "LHLO"
                                        : "HELO";
          if (absl::Status s = ValidateWord(c.domain, "EHLO/HELO/LHLO domain",
                                            /*allow_empty=*/false);
              !s.ok()) {
            return s;
          }
          absl::StrAppend(line, verb, " ", c.domain);
        } else if constexpr (std::is_same_v<T, StartTls>) {
          line->append("STARTTLS");
        } else if constexpr (std::is_same_v<T, Auth>) {
          if (c.mechanism == nullptr) return Invalid("AUTH without mechanism");
          absl::string_view name = c.mechanism->name();
          if (absl::Status s = ValidateKeyword(name); !s.ok()) {
            return Invalid("SASL mechanism name is malformed");
          }
          absl::StrAppend(line, "AUTH ", name);
        } else if constexpr (std::is_same_v<T, MailFrom>) {
          return SerializeMail(c, line);
        } else if constexpr (std::is_same_v<T, RcptTo>) {
          return SerializeRcpt(c, line);
        } else if constexpr (std::is_same_v<T, Data>) {
          line->append("DATA");
        } else if constexpr (std::is_same_v<T, Bdat>) {
          return Invalid("BDAT is serialized with SerializeBdat");
        } else if constexpr (std::is_same_v<T, Rset>) {
          line->append("RSET");
        } else if constexpr (std::is_same_v<T, Quit>) {
          line->append("QUIT");
        } else if constexpr (std::is_same_v<T, Noop> ||
                             std::is_same_v<T, Help>) {
          constexpr absl::string_view verb =
              std::is_same_v<T, Noop> ? "NOOP" : "HELP";
          if (absl::Status s = ValidateArgument(c.argument, verb); !s.ok()) {
            return s;
          }
          line->append(verb.data(), verb.size());
          if (!c.argument.empty()) absl::StrAppend(line, " ", c.argument);
        } else if constexpr (std::is_same_v<T, Vrfy> ||
                             std::is_same_v<T, Expn>) {
          constexpr absl::string_view verb =
              std::is_same_v<T, Vrfy> ? "VRFY" : "EXPN";
          if (c.argument.empty()) return Invalid("VRFY/EXPN argument is empty");
          if (absl::Status s = ValidateArgument(c.argument, verb); !s.ok()) {
            return s;
          }
          absl::StrAppend(line, verb, " ", c.argument);
        } else if constexpr (std::is_same_v<T, Etrn>) {
          if (absl::Status s =
                  ValidateWord(c.node, "ETRN node", /*allow_empty=*/false);
              !s.ok()) {
            return s;
          }
          absl::StrAppend(line, "ETRN ", c.node);
        }
        return absl::OkStatus();
      },
      command);
}

}  // namespace

absl::string_view CommandKindName(CommandKind kind) {
  switch (kind) {
    case CommandKind::kGreeting: return "GREETING";
    case CommandKind::kEhlo: return "EHLO";
    case CommandKind::kHelo: return "HELO";
    case CommandKind::kStartTls: return "STARTTLS";
    case CommandKind::kAuth: return "AUTH";
    case CommandKind::kMailFrom: return "MAIL";
    case CommandKind::kRcptTo: return "RCPT";
    case CommandKind::kData: return "DATA";
    case CommandKind::kBdat: return "BDAT";
    case CommandKind::kRset: return "RSET";
    case CommandKind::kNoop: return "NOOP";
    case CommandKind::kQuit: return "QUIT";
    case CommandKind::kVrfy: return "VRFY";
    case CommandKind::kExpn: return "EXPN";
    case CommandKind::kHelp: return "HELP";
    case CommandKind::kEtrn: return "ETRN";
    case CommandKind::kLhlo: return "LHLO";
  }
  return "UNKNOWN";
}

CommandKind KindOf(const Command& command) {
  static constexpr CommandKind kKinds[] = {
      CommandKind::kEhlo,  CommandKind::kHelo,     CommandKind::kStartTls,
      CommandKind::kAuth,  CommandKind::kMailFrom, CommandKind::kRcptTo,
      CommandKind::kData,  CommandKind::kBdat,     CommandKind::kRset,
      CommandKind::kNoop,  CommandKind::kQuit,     CommandKind::kVrfy,
      CommandKind::kExpn,  CommandKind::kHelp,     CommandKind::kEtrn,
      CommandKind::kLhlo,
  };
  static_assert(sizeof(kKinds) / sizeof(kKinds[0]) ==
                    std::variant_size_v<Command>,
                "one CommandKind per Command alternative");
  return kKinds[command.index()];
}

absl::Status ValidateArgument(absl::string_view text, absl::string_view what) {
  for (char ch : text) {
    if (IsControl(static_cast<unsigned char>(ch))) {
      return MakeError(
          absl::StatusCode::kInvalidArgument, ErrorDetail::kControlCharacter,
          absl::StrCat(what,
                       " contains a control character (CR, LF, NUL, another "
                       "C0 control or DEL)"));
    }
  }
  return absl::OkStatus();
}

bool IsAscii(absl::string_view text) {
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  }
  return true;
}

std::string XtextEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 33 || c > 126 || c == '+' || c == '=') {
      out.push_back('+');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

absl::Status SerializeCommand(const Command& command, std::string* out,
                              size_t max_line_length) {
  std::string line;
  if (absl::Status s = BuildLine(command, &line); !s.ok()) return s;
  if (absl::Status s = CheckLength(line, max_line_length); !s.ok()) return s;
  out->append(line);
  out->append("\r\n");
  return absl::OkStatus();
}

absl::Status SerializeAuth(absl::string_view mechanism,
                           absl::optional<absl::string_view> initial_response,
                           std::string* out, size_t max_line_length) {
  if (absl::Status s = ValidateKeyword(mechanism); !s.ok()) {
    return Invalid("SASL mechanism name is malformed");
  }
  std::string line = absl::StrCat("AUTH ", mechanism);
  if (initial_response.has_value()) {
    if (initial_response->empty()) return Invalid("empty SASL-IR; use \"=\"");
    if (absl::Status s = ValidateArgument(*initial_response, "SASL-IR");
        !s.ok()) {
      return s;
    }
    absl::StrAppend(&line, " ", *initial_response);
  }
  if (absl::Status s = CheckLength(line, max_line_length); !s.ok()) return s;
  out->append(line);
  out->append("\r\n");
  return absl::OkStatus();
}

void SerializeBdat(uint64_t size, bool last, std::string* out) {
  absl::StrAppend(out, "BDAT ", size, last ? " LAST\r\n" : "\r\n");
}

std::string CommandDebugString(const Command& command) {
  if (const auto* auth = std::get_if<Auth>(&command)) {
    if (auth->mechanism == nullptr) return "AUTH";
    return absl::StrCat("AUTH ", auth->mechanism->name());
  }
  if (const auto* data = std::get_if<Data>(&command)) {
    if (data->encoded != nullptr) return "DATA <encoded body>";
    return absl::StrCat("DATA <body ", data->body.size(), " bytes",
                        data->more_body ? ", more to come>" : ">");
  }
  if (const auto* bdat = std::get_if<Bdat>(&command)) {
    if (bdat->encoded != nullptr) {
      return absl::StrCat("BDAT <encoded body>", bdat->last ? " LAST" : "");
    }
    return absl::StrCat("BDAT <chunk ", bdat->chunk.size(), " bytes>",
                        bdat->last ? " LAST" : "");
  }
  std::string line;
  if (!BuildLine(command, &line).ok()) {
    return absl::StrCat(CommandKindName(KindOf(command)), " <invalid>");
  }
  return line;
}

}  // namespace smtpcore
