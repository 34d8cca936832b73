#include "tests/transcript_extensions.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "idna/idna.h"
#include "sasl/oauth_token.h"
#include "sasl/select.h"

namespace smtpcore {
namespace internal {
namespace {

constexpr absl::string_view kOptions[] = {"lmtp", "idna", "oauth"};
constexpr absl::string_view kActions[] = {"noop", "vrfy", "expn", "help",
                                          "etrn"};

absl::Status Bad(absl::string_view where, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("options.", where, ": ", why));
}

// OAuthChooser authenticates with `mechanism` when the server offers it,
// with a provider that hands out `tokens` in order: the first, then the
// next one per refresh (the last one stays).
absl::StatusOr<AuthChooser> OAuthChooser(const MetaValue& v) {
  if (v.type != MetaValue::Type::kObject) return Bad("oauth", "not an object");
  std::string mechanism;
  SaslCredentials creds;
  auto tokens = std::make_shared<std::vector<std::string>>();
  for (const auto& m : v.object) {
    if (m.first == "mechanism" && m.second.type == MetaValue::Type::kString) {
      mechanism = m.second.string;
    } else if (m.first == "user" &&
               m.second.type == MetaValue::Type::kString) {
      creds.username = m.second.string;
    } else if (m.first == "tokens" &&
               m.second.type == MetaValue::Type::kArray) {
      for (const MetaValue& t : m.second.array) {
        if (t.type != MetaValue::Type::kString) {
          return Bad("oauth.tokens", "strings expected");
        }
        tokens->push_back(t.string);
      }
    } else {
      return Bad(absl::StrCat("oauth.", m.first), "unknown key or bad type");
    }
  }
  if (mechanism != "XOAUTH2" && mechanism != "OAUTHBEARER") {
    return Bad("oauth.mechanism", "must be XOAUTH2 or OAUTHBEARER");
  }
  if (tokens->empty()) return Bad("oauth.tokens", "at least one token");
  auto next = std::make_shared<size_t>(0);
  creds.oauth_token_provider = CachingTokenProvider(
      [tokens, next](const OAuthTokenRequest&) -> absl::StatusOr<std::string> {
        size_t i = std::min(*next, tokens->size() - 1);
        ++*next;
        return (*tokens)[i];
      });
  return AuthChooser([creds, mechanism](const Capabilities& caps,
                                        const TlsInfo* tls)
                         -> std::unique_ptr<SaslMechanism> {
    if (!caps.has_auth_mechanism(mechanism)) return nullptr;
    absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
        MakeSaslMechanism(mechanism, creds, caps.auth_mechanisms(), tls);
    return m.ok() ? *std::move(m) : nullptr;
  });
}

}  // namespace

absl::Status ApplyExtensionOption(absl::string_view key,
                                  const MetaValue& value,
                                  SessionOptions* options, bool* handled) {
  if (std::find(std::begin(kOptions), std::end(kOptions), key) ==
      std::end(kOptions)) {
    return absl::OkStatus();
  }
  *handled = true;
  if (key == "oauth") {
    absl::StatusOr<AuthChooser> chooser = OAuthChooser(value);
    if (!chooser.ok()) return chooser.status();
    options->auth = *std::move(chooser);
    return absl::OkStatus();
  }
  if (value.type != MetaValue::Type::kBool) return Bad(key, "expected bool");
  if (key == "lmtp") {
    options->lmtp = value.boolean;
  } else if (key == "idna") {
    options->idna = value.boolean ? IdnaToAsciiConverter() : IdnaConverter();
  }
  return absl::OkStatus();
}

bool IsExtensionAction(absl::string_view verb) {
  return std::find(std::begin(kActions), std::end(kActions), verb) !=
         std::end(kActions);
}

absl::Status RunExtensionActionOnSession(
    Session& session, const std::vector<std::string>& words, Instant now) {
  const std::string& verb = words[0];
  const std::string arg = absl::StrJoin(words.begin() + 1, words.end(), " ");
  if (verb == "noop") {
    if (words.size() != 1) return absl::InvalidArgumentError("A: noop");
    return session.Noop(now);
  }
  if (verb == "vrfy") return session.Vrfy(arg, now).status();
  if (verb == "expn") return session.Expn(arg, now).status();
  if (verb == "help") return session.Help(arg, now).status();
  if (verb == "etrn") return session.Etrn(arg, now).status();
  return absl::InvalidArgumentError(absl::StrCat("unknown action ", verb));
}

bool RecorderSupports(const TranscriptCase& c) {
  for (absl::string_view key : kOptions) {
    if (c.options.Find(key) != nullptr) return false;
  }
  for (const TranscriptStep& step : c.steps) {
    if (step.kind == TranscriptStepKind::kAction && !step.words.empty() &&
        IsExtensionAction(step.words[0])) {
      return false;
    }
  }
  return true;
}

}  // namespace internal
}  // namespace smtpcore
