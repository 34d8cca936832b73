#include "tests/transcript_meta.h"

#include <cstddef>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace internal {
namespace {

constexpr int kMaxDepth = 16;

class MetaParser {
 public:
  explicit MetaParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<MetaValue> ParseDocument() {
    MetaValue value;
    absl::Status status = ParseValue(0, &value);
    if (!status.ok()) return status;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the value");
    return value;
  }

 private:
  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("meta: ", why, " at offset ", pos_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(int depth, MetaValue* out) {
    if (depth > kMaxDepth) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("value expected");
    char c = text_[pos_];
    if (c == '{') return ParseObject(depth, out);
    if (c == '[') return ParseArray(depth, out);
    if (c == '"') {
      out->type = MetaValue::Type::kString;
      return ParseString(&out->string);
    }
    if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return ParseInteger(out);
    }
    if (Consume("true")) {
      out->type = MetaValue::Type::kBool;
      out->boolean = true;
      return absl::OkStatus();
    }
    if (Consume("false")) {
      out->type = MetaValue::Type::kBool;
      out->boolean = false;
      return absl::OkStatus();
    }
    if (Consume("null")) {
      out->type = MetaValue::Type::kNull;
      return absl::OkStatus();
    }
    return Error("value expected");
  }

  absl::Status ParseObject(int depth, MetaValue* out) {
    out->type = MetaValue::Type::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (Consume("}")) return absl::OkStatus();
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return Error("object key expected");
      }
      std::string key;
      absl::Status status = ParseString(&key);
      if (!status.ok()) return status;
      if (out->Find(key) != nullptr) {
        return Error(absl::StrCat("duplicate key \"", key, "\""));
      }
      SkipSpace();
      if (!Consume(":")) return Error("':' expected");
      MetaValue value;
      status = ParseValue(depth + 1, &value);
      if (!status.ok()) return status;
      out->object.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume("}")) return absl::OkStatus();
      if (!Consume(",")) return Error("',' or '}' expected");
    }
  }

  absl::Status ParseArray(int depth, MetaValue* out) {
    out->type = MetaValue::Type::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (Consume("]")) return absl::OkStatus();
    while (true) {
      MetaValue value;
      absl::Status status = ParseValue(depth + 1, &value);
      if (!status.ok()) return status;
      out->array.push_back(std::move(value));
      SkipSpace();
      if (Consume("]")) return absl::OkStatus();
      if (!Consume(",")) return Error("',' or ']' expected");
    }
  }

  absl::Status ParseInteger(MetaValue* out) {
    bool negative = Consume("-");
    size_t start = pos_;
    const uint64_t limit =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t magnitude = 0;
    while (pos_ < text_.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
      uint64_t digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (magnitude > (limit - digit) / 10) {
        return Error("integer too large");
      }
      magnitude = magnitude * 10 + digit;
      ++pos_;
    }
    size_t digits = pos_ - start;
    if (digits == 0) return Error("digit expected");
    if (digits > 1 && text_[start] == '0') return Error("leading zero");
    if (pos_ < text_.size() &&
        (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      return Error("only integers are accepted");
    }
    out->type = MetaValue::Type::kInteger;
    out->integer = negative ? -static_cast<int64_t>(magnitude)
                            : static_cast<int64_t>(magnitude);
    return absl::OkStatus();
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // ReadHex reads `count` hex digits at pos_ into *value.
  bool ReadHex(int count, unsigned* value) {
    if (text_.size() - pos_ < static_cast<size_t>(count)) return false;
    unsigned v = 0;
    for (int i = 0; i < count; ++i) {
      int h = HexValue(text_[pos_ + i]);
      if (h < 0) return false;
      v = v * 16 + static_cast<unsigned>(h);
    }
    pos_ += count;
    *value = v;
    return true;
  }

  static void AppendUtf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error("raw control character in string (use an escape)");
      }
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return Error("unterminated escape");
      char e = text_[pos_++];
      unsigned value = 0;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u':
          if (!ReadHex(4, &value)) return Error("bad \\u escape");
          if (value >= 0xD800 && value <= 0xDFFF) {
            return Error("surrogates are not accepted (write UTF-8 instead)");
          }
          AppendUtf8(value, out);
          break;
        case 'x':
          if (!ReadHex(2, &value)) return Error("bad \\x escape");
          out->push_back(static_cast<char>(value));
          break;
        default:
          --pos_;
          return Error("unknown escape");
      }
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

const MetaValue* MetaValue::Find(absl::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& member : object) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

absl::string_view MetaValue::TypeName() const {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "bool";
    case Type::kInteger:
      return "integer";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "unknown";
}

absl::StatusOr<MetaValue> ParseMeta(absl::string_view text) {
  return MetaParser(text).ParseDocument();
}

}  // namespace internal
}  // namespace smtpcore
