#include "sasl/digest_md5.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {
namespace {

using internal::HashAlgorithm;
using internal::MechanismError;

constexpr size_t kCnonceBytes = 18;

// Directives of a digest-challenge (RFC 2831 §2.1.1). Keys lower-cased;
// only the first realm is kept.
using Directives = std::map<std::string, std::string>;

bool IsLws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// ParseDirectives parses `#( key "=" ( token | quoted-string ) )`. Returns
// false on syntax errors or a repeated directive other than realm.
bool ParseDirectives(absl::string_view in, Directives* out) {
  size_t i = 0;
  for (;;) {
    while (i < in.size() && (IsLws(in[i]) || in[i] == ',')) ++i;
    if (i == in.size()) return true;
    const size_t key_start = i;
    while (i < in.size() && in[i] != '=' && in[i] != ',' && !IsLws(in[i])) ++i;
    std::string key =
        absl::AsciiStrToLower(in.substr(key_start, i - key_start));
    while (i < in.size() && IsLws(in[i])) ++i;
    if (key.empty() || i == in.size() || in[i] != '=') return false;
    ++i;
    while (i < in.size() && IsLws(in[i])) ++i;
    std::string value;
    if (i < in.size() && in[i] == '"') {
      ++i;
      bool closed = false;
      while (i < in.size()) {
        char c = in[i++];
        if (c == '\\' && i < in.size()) {
          value.push_back(in[i++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return false;
    } else {
      const size_t start = i;
      while (i < in.size() && in[i] != ',' && !IsLws(in[i])) ++i;
      value = std::string(in.substr(start, i - start));
    }
    if (out->count(key) != 0) {
      if (key != "realm") return false;  // RFC 2831: at most once
      continue;
    }
    (*out)[key] = std::move(value);
  }
}

// Quote returns `s` as a quoted-string.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// ToLatin1 converts UTF-8 `s` to ISO 8859-1, or nullopt if `s` is not valid
// UTF-8 or holds a character beyond U+00FF.
absl::optional<std::string> ToLatin1(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size() &&
               (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      out.push_back(static_cast<char>(
          ((c & 0x03) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F)));
      ++i;
    } else {
      return absl::nullopt;
    }
  }
  return out;
}

// HashForm is RFC 2831 §2.1.2.1's rule: with charset=utf-8, a string that
// fits ISO 8859-1 is hashed in ISO 8859-1; otherwise as is.
std::string HashForm(absl::string_view s) {
  absl::optional<std::string> latin1 = ToLatin1(s);
  return latin1.has_value() ? *std::move(latin1) : std::string(s);
}

std::string HexMd5(absl::string_view data) {
  return internal::HexLower(internal::Hash(HashAlgorithm::kMd5, data));
}

}  // namespace

DigestMd5Mechanism::DigestMd5Mechanism(DigestMd5Options options)
    : options_(std::move(options)) {}

DigestMd5Mechanism::~DigestMd5Mechanism() { internal::Wipe(options_.password); }

absl::Status DigestMd5Mechanism::Start(const TlsInfo* tls) {
  if (options_.username.empty() || options_.host.empty()) {
    return internal::MechanismPreconditionError(
        "DIGEST-MD5 needs a user name and the server host name");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DigestMd5Mechanism::Respond(
    absl::string_view challenge) {
  switch (step_) {
    case Step::kInit:
      return HandleChallenge(challenge);
    case Step::kSentResponse: {
      absl::Status ok = HandleRspAuth(challenge);
      if (!ok.ok()) return ok;
      return std::string();
    }
    case Step::kVerified:
      return MechanismError("DIGEST-MD5: unexpected challenge after rspauth");
    case Step::kFailed:
      break;
  }
  return MechanismError("DIGEST-MD5: exchange already failed");
}

absl::StatusOr<std::string> DigestMd5Mechanism::HandleChallenge(
    absl::string_view challenge) {
  step_ = Step::kFailed;
  Directives d;
  if (!ParseDirectives(challenge, &d)) {
    return MechanismError("DIGEST-MD5: malformed challenge");
  }
  const auto nonce = d.find("nonce");
  if (nonce == d.end() || nonce->second.empty()) {
    return MechanismError("DIGEST-MD5: challenge without nonce");
  }
  const auto algorithm = d.find("algorithm");
  if (algorithm == d.end() ||
      !absl::EqualsIgnoreCase(algorithm->second, "md5-sess")) {
    return MechanismError("DIGEST-MD5: algorithm is not md5-sess");
  }
  // qop-options defaults to "auth" (RFC 2831 §2.1.1).
  bool auth_offered = d.count("qop") == 0;
  if (!auth_offered) {
    for (absl::string_view qop : absl::StrSplit(d["qop"], ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(qop), "auth")) {
        auth_offered = true;
      }
    }
  }
  if (!auth_offered) {
    return MechanismError("DIGEST-MD5: server does not offer qop=auth");
  }
  const bool utf8 =
      d.count("charset") != 0 && absl::EqualsIgnoreCase(d["charset"], "utf-8");
  const std::string realm = d.count("realm") != 0 ? d["realm"] : "";

  std::string user = options_.username;
  std::string password = options_.password;
  std::string hashed_user, hashed_password;
  if (utf8) {
    hashed_user = HashForm(user);
    hashed_password = HashForm(password);
  } else {
    absl::optional<std::string> u = ToLatin1(user);
    absl::optional<std::string> p = ToLatin1(password);
    if (!u.has_value() || !p.has_value()) {
      internal::Wipe(password);
      return MechanismError(
          "DIGEST-MD5: credentials need UTF-8 but the server did not offer "
          "charset=utf-8");
    }
    user = hashed_user = *u;
    hashed_password = *std::move(p);
  }
  const std::string hashed_realm = utf8 ? HashForm(realm) : realm;

  const std::string cnonce = options_.cnonce.empty()
                                 ? internal::RandomNonce(kCnonceBytes)
                                 : options_.cnonce;
  const std::string nc = "00000001";
  const std::string digest_uri =
      absl::StrCat(options_.service, "/", options_.host);

  // RFC 2831 §2.1.2.1.
  std::string secret =
      absl::StrCat(hashed_user, ":", hashed_realm, ":", hashed_password);
  std::string a1 = absl::StrCat(internal::Hash(HashAlgorithm::kMd5, secret),
                                ":", nonce->second, ":", cnonce);
  internal::Wipe(secret);
  internal::Wipe(hashed_password);
  internal::Wipe(password);
  if (!options_.authzid.empty()) absl::StrAppend(&a1, ":", options_.authzid);
  const std::string ha1 = HexMd5(a1);
  internal::Wipe(a1);
  const std::string kd_prefix =
      absl::StrCat(ha1, ":", nonce->second, ":", nc, ":", cnonce, ":auth:");
  const std::string response =
      HexMd5(absl::StrCat(kd_prefix, HexMd5("AUTHENTICATE:" + digest_uri)));
  // RFC 2831 §2.1.3: rspauth uses A2 without "AUTHENTICATE".
  expected_rspauth_ = HexMd5(absl::StrCat(kd_prefix, HexMd5(":" + digest_uri)));

  std::string out;
  if (utf8) out = "charset=utf-8,";
  absl::StrAppend(&out, "username=", Quote(user));
  if (d.count("realm") != 0) absl::StrAppend(&out, ",realm=", Quote(realm));
  absl::StrAppend(&out, ",nonce=", Quote(nonce->second), ",nc=", nc,
                  ",cnonce=", Quote(cnonce), ",digest-uri=", Quote(digest_uri),
                  ",response=", response, ",qop=auth");
  if (!options_.authzid.empty()) {
    absl::StrAppend(&out, ",authzid=", Quote(options_.authzid));
  }
  step_ = Step::kSentResponse;
  return out;
}

absl::Status DigestMd5Mechanism::HandleRspAuth(absl::string_view message) {
  step_ = Step::kFailed;
  Directives d;
  if (!ParseDirectives(message, &d) || d.count("rspauth") == 0) {
    return MechanismError("DIGEST-MD5: expected rspauth");
  }
  if (!internal::ConstantTimeEquals(absl::AsciiStrToLower(d["rspauth"]),
                                    expected_rspauth_)) {
    return MechanismError("DIGEST-MD5: wrong rspauth");
  }
  step_ = Step::kVerified;
  return absl::OkStatus();
}

absl::Status DigestMd5Mechanism::Finish(absl::string_view server_final) {
  if (step_ == Step::kVerified) return absl::OkStatus();
  if (step_ == Step::kSentResponse && !server_final.empty()) {
    return HandleRspAuth(server_final);
  }
  step_ = Step::kFailed;
  return MechanismError("DIGEST-MD5: rspauth missing");
}

}  // namespace smtpcore
