// JsonWriter: a small streaming JSON (RFC 8259) writer for `smtpc --json`.
//
// The writer appends to an internal string; it tracks nesting so commas and
// colons are placed automatically. Strings are written as UTF-8 (like
// Python's `json.dumps(ensure_ascii=False)`): valid UTF-8 passes through,
// control characters, `"` and `\` are escaped, and every byte that is not
// part of a valid UTF-8 sequence becomes U+FFFD (server replies may carry
// Latin-1 text; the output must still be valid JSON).
//
// Example:
//   JsonWriter w;
//   w.BeginObject();
//   w.Key("code"); w.Int(250);
//   w.Key("lines"); w.BeginArray(); w.String("ok"); w.EndArray();
//   w.EndObject();
//   w.str() == R"({"code":250,"lines":["ok"]})"
//
// Misuse (a value where a key is expected, unbalanced End*) is a programming
// error and is caught by assertions in debug builds only.

#ifndef SMTP_TOOLS_JSON_WRITER_H_
#define SMTP_TOOLS_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace smtpcore {
namespace cli {

// JsonWriter builds one JSON text. Not thread-safe; owns its output.
class JsonWriter {
 public:
  JsonWriter() = default;

  // BeginObject/EndObject and BeginArray/EndArray open and close containers.
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();

  // Key writes an object member name; the next call writes its value.
  void Key(absl::string_view key);

  // String, Int, Uint, Double, Bool and Null write one value.
  void String(absl::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  // Double writes `value` with up to 6 significant decimals; NaN and
  // infinities (not representable in JSON) are written as null.
  void Double(double value);
  void Bool(bool value);
  void Null();

  // OptionalString writes `value` or null when it is absent.
  void OptionalString(const absl::optional<std::string>& value);

  // str returns the text written so far. Complete once every container is
  // closed. The reference is valid until the next call on this writer.
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // stack_: one entry per open container: true for an object.
  std::vector<bool> stack_;
  // first_: whether the open container has no member yet.
  std::vector<bool> first_;
  bool after_key_ = false;
};

// AppendJsonString appends `value` as a quoted JSON string (escaping as
// described in the file comment) to `*out`. Never fails.
void AppendJsonString(absl::string_view value, std::string* out);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_JSON_WRITER_H_
