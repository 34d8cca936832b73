// MetaValue and ParseMeta: the small, strict JSON subset used by the
// `<!-- meta={...} -->` line of transcript cases (tests/transcripts/README.md).
//
// Accepted: objects, arrays, strings, integers, true, false, null. Strings
// take the JSON escapes \" \\ \/ \b \f \n \r \t \uXXXX (BMP, UTF-8 encoded;
// surrogates refused) plus one extension, \xHH, for exact bytes that are not
// UTF-8 (a test body with a lone 0xFF). Refused: fractions and exponents,
// duplicate object keys, trailing commas, comments, anything after the value.

#ifndef SMTP_TESTS_TRANSCRIPT_META_H_
#define SMTP_TESTS_TRANSCRIPT_META_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {
namespace internal {

// MetaValue is one parsed value. It owns all its data.
struct MetaValue {
  enum class Type { kNull, kBool, kInteger, kString, kArray, kObject };

  Type type = Type::kNull;
  bool boolean = false;
  int64_t integer = 0;
  std::string string;
  std::vector<MetaValue> array;
  // object keeps the members in source order; keys are unique.
  std::vector<std::pair<std::string, MetaValue>> object;

  // Find returns the member `key` of an object, or nullptr if absent (or if
  // this is not an object). The pointer is valid while this value lives.
  const MetaValue* Find(absl::string_view key) const;

  // TypeName returns "null", "bool", "integer", "string", "array" or
  // "object", for error messages.
  absl::string_view TypeName() const;
};

// ParseMeta parses `text` as one MetaValue. Returns kInvalidArgument with
// the byte offset and reason on any syntax error; nesting is limited to 16.
absl::StatusOr<MetaValue> ParseMeta(absl::string_view text);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_TESTS_TRANSCRIPT_META_H_
