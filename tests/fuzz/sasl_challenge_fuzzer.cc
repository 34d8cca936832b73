// sasl_challenge_fuzzer: the SASL mechanisms' challenge parsers (sasl/)
// against arbitrary server data: SCRAM server-first and server-final (RFC
// 5802), the DIGEST-MD5 digest-challenge and rspauth (RFC 2831), the
// XOAUTH2 / OAUTHBEARER error JSON (RFC 7628 §3.2.2), CRAM-MD5 and LOGIN,
// both directly and through the core's RFC 4954 exchange (base64, 334 loop,
// "*", 235 additional data: core/sasl_exchange.h).
//
// Input layout:
//   byte 0  bits 0-2 the mechanism (kMechanisms); bit 3: drive it through
//           SaslExchange with "334 base64(challenge)" replies (else call
//           Respond/Finish directly); bit 4: in SaslExchange mode, send the
//           challenge text raw, not base64 (the exchange must cancel)
//   rest    challenges separated by "\0\0"; the last one is also given to
//           Finish (the 235's additional data)
// The credentials are those of the RFC examples (user "user", password
// "pencil"; DIGEST-MD5 "chris"/"secret" at elwood.innosoft.com) with fixed
// client nonces, so the committed seeds reach the signature checks.
//
// Invariants (abort on violation): no crash; a secret (password, token)
// never appears in a status message, a trace-safe response or
// server_error() unless the server sent it itself; every response line of
// the exchange ends in CRLF and holds no other CR or LF; XOAUTH2 and
// OAUTHBEARER answer an error challenge with "" / "\x01" and keep it; the
// same input gives the same outputs twice (no hidden state).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/reply_parser.h"
#include "core/sasl_exchange.h"
#include "core/sasl_mechanism.h"
#include "sasl/cram_md5.h"
#include "sasl/digest_md5.h"
#include "sasl/login.h"
#include "sasl/oauthbearer.h"
#include "sasl/scram.h"
#include "sasl/xoauth2.h"

namespace {

using smtpcore::SaslMechanism;

constexpr absl::string_view kPassword = "pencil";
constexpr absl::string_view kDigestPassword = "secret";
constexpr absl::string_view kToken = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

enum Mech : uint8_t {
  kScramSha1,
  kScramSha256,
  kScramSha256Plus,
  kDigestMd5,
  kXoauth2,
  kOAuthBearer,
  kCramMd5,
  kLogin,
};

smtpcore::TlsInfo FakeTls() {
  smtpcore::TlsInfo tls;
  tls.version = "TLSv1.3";
  tls.channel_binding_type = "tls-exporter";
  tls.channel_binding = std::string(32, '\x5a');
  tls.verified = true;
  return tls;
}

std::unique_ptr<SaslMechanism> Make(Mech mech) {
  switch (mech) {
    case kScramSha1:
    case kScramSha256:
    case kScramSha256Plus: {
      smtpcore::ScramOptions o;
      o.hash = mech == kScramSha1 ? smtpcore::ScramHash::kSha1
                                  : smtpcore::ScramHash::kSha256;
      o.plus = mech == kScramSha256Plus;
      o.username = "user";
      o.password = std::string(kPassword);
      // RFC 5802 §5 and RFC 7677 §3 example nonces.
      o.client_nonce = mech == kScramSha1 ? "fyko+d2lbbFgONRv9qkxdawL"
                                          : "rOprNGfwEbeRWgbNEkqO";
      o.max_iterations = 4096;  // keep each run fast
      return std::make_unique<smtpcore::ScramMechanism>(o);
    }
    case kDigestMd5: {
      smtpcore::DigestMd5Options o;
      o.username = "chris";
      o.password = std::string(kDigestPassword);
      o.host = "elwood.innosoft.com";
      o.service = "imap";
      o.cnonce = "OA6MHXh6VqTrRk";  // RFC 2831 §4
      return std::make_unique<smtpcore::DigestMd5Mechanism>(o);
    }
    case kXoauth2:
      return std::make_unique<smtpcore::Xoauth2Mechanism>("user@example.com",
                                                          std::string(kToken));
    case kOAuthBearer: {
      smtpcore::OAuthBearerOptions o;
      o.username = "user@example.com";
      o.token = std::string(kToken);
      o.host = "server.example.com";
      o.port = 587;
      return std::make_unique<smtpcore::OAuthBearerMechanism>(o);
    }
    case kCramMd5:
      return std::make_unique<smtpcore::CramMd5Mechanism>(
          "tim", std::string(kPassword));
    case kLogin:
      return std::make_unique<smtpcore::LoginMechanism>("user",
                                                        std::string(kPassword));
  }
  return nullptr;
}

[[noreturn]] void Violation(const std::string& what) {
  std::fprintf(stderr, "sasl_challenge_fuzzer: %s\n", what.c_str());
  std::abort();
}

// Secret returns the secret of `mech` (what must never leak).
absl::string_view Secret(Mech mech) {
  switch (mech) {
    case kDigestMd5: return kDigestPassword;
    case kXoauth2:
    case kOAuthBearer: return kToken;
    default: return kPassword;
  }
}

// Run is one pass; it returns a transcript of everything observable, so two
// passes can be compared.
std::string Run(Mech mech, bool exchange, bool raw,
                const std::vector<absl::string_view>& challenges,
                absl::string_view input) {
  const absl::string_view secret = Secret(mech);
  const bool server_sent_secret =
      input.find(secret) != absl::string_view::npos;
  auto check_text = [&](absl::string_view where, absl::string_view text) {
    if (!server_sent_secret && text.find(secret) != absl::string_view::npos) {
      Violation(std::string("secret leaked in ") + std::string(where));
    }
  };
  std::string log;
  smtpcore::TlsInfo tls = FakeTls();
  std::unique_ptr<SaslMechanism> m = Make(mech);
  const bool tls_needed = mech == kScramSha256Plus;

  if (!exchange) {
    absl::Status s = m->Start(tls_needed ? &tls : nullptr);
    check_text("Start status", s.message());
    if (!s.ok()) return log + "start failed";
    absl::optional<std::string> initial = m->InitialResponse();
    if (initial.has_value()) log += "I:" + *initial + "\n";
    for (absl::string_view c : challenges) {
      absl::StatusOr<std::string> r = m->Respond(c);
      if (!r.ok()) {
        check_text("Respond status", r.status().message());
        log += "E:" + std::string(r.status().message()) + "\n";
        break;
      }
      if (mech != kLogin && mech != kXoauth2 && mech != kOAuthBearer) {
        check_text("response", *r);  // these never send the secret itself
      }
      if (!c.empty() && (mech == kXoauth2 || mech == kOAuthBearer)) {
        const std::string want = mech == kXoauth2 ? "" : "\x01";
        if (*r != want) Violation("OAuth error challenge not answered right");
      }
      log += "R:" + *r + "\n";
    }
    if (mech == kXoauth2) {
      const auto* x = static_cast<smtpcore::Xoauth2Mechanism*>(m.get());
      check_text("server_error", x->server_error());
    } else if (mech == kOAuthBearer) {
      const auto* x = static_cast<smtpcore::OAuthBearerMechanism*>(m.get());
      check_text("server_error", x->server_error());
    }
    absl::Status f = m->Finish(challenges.empty() ? "" : challenges.back());
    check_text("Finish status", f.message());
    log += "F:" + std::string(f.message()) + "\n";
    return log;
  }

  // Through the core's AUTH exchange (RFC 4954).
  smtpcore::SaslExchange ex(std::move(m), /*max_challenges=*/8);
  std::string line;
  absl::Status s = ex.Start(tls_needed ? &tls : nullptr, 512, &line);
  check_text("exchange Start status", s.message());
  if (!s.ok()) return log + "start failed";
  log += "L:" + line;
  smtpcore::ReplyParser parser;
  auto reply_for = [&](int code, absl::string_view text,
                       std::string* storage) -> bool {
    std::string encoded = raw ? std::string(text) : absl::Base64Escape(text);
    *storage = std::to_string(code) + " " + encoded + "\r\n";
    parser.Reset();
    smtpcore::ReplyView view;
    smtpcore::ParseResult r = parser.Parse(*storage, &view);
    return r.status == smtpcore::ParseStatus::kComplete &&
           r.consumed == storage->size();
  };
  for (absl::string_view c : challenges) {
    std::string storage;
    if (!reply_for(334, c, &storage)) break;  // not a valid reply line
    smtpcore::ReplyView view;
    parser.Reset();
    (void)parser.Parse(storage, &view);
    smtpcore::SaslExchange::Step step = ex.OnChallenge(view);
    check_text("exchange step error", step.error.message());
    if (step.line.size() < 2 || step.line.substr(step.line.size() - 2) != "\r\n" ||
        step.line.find_first_of("\r\n") != step.line.size() - 2) {
      Violation("exchange response is not one CRLF-terminated line");
    }
    std::string decoded;
    if (absl::Base64Unescape(step.line.substr(0, step.line.size() - 2),
                             &decoded) &&
        mech != kLogin && mech != kXoauth2 && mech != kOAuthBearer) {
      check_text("exchange response", decoded);
    }
    log += "S:" + step.line;
    if (step.cancelled) break;
  }
  std::string storage;
  if (reply_for(235, challenges.empty() ? "" : challenges.back(), &storage)) {
    smtpcore::ReplyView view;
    parser.Reset();
    (void)parser.Parse(storage, &view);
    absl::Status f = ex.OnFinal(view);
    check_text("exchange final status", f.message());
    log += "F:" + std::string(f.message()) + "\n";
  }
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Mech mech = static_cast<Mech>(data[0] & 7);
  const bool exchange = (data[0] & 8) != 0;
  const bool raw = (data[0] & 16) != 0;
  absl::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<absl::string_view> challenges;
  if (!input.empty()) {
    challenges = absl::StrSplit(input, absl::string_view("\0\0", 2));
  }
  if (challenges.size() > 10) challenges.resize(10);
  std::string first = Run(mech, exchange, raw, challenges, input);
  std::string second = Run(mech, exchange, raw, challenges, input);
  if (first != second) Violation("two runs of the same input differ");
  return 0;
}
