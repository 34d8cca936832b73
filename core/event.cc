#include "core/event.h"

#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

std::string CodeAndEnhanced(int code,
                            const absl::optional<EnhancedCode>& enhanced) {
  std::string out = absl::StrCat(code);
  if (enhanced.has_value()) absl::StrAppend(&out, " ", enhanced->ToString());
  return out;
}

// UnknownSuffix is " unknown=N" when N > 0 recipients have an unknown
// outcome, else "".
std::string UnknownSuffix(const DeliveryResult& result) {
  size_t n = result.unknown();
  return n == 0 ? std::string() : absl::StrCat(" unknown=", n);
}

}  // namespace

std::string EventToString(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, Greeting>) {
          return absl::StrCat("greeting ", e.reply.code());
        } else if constexpr (std::is_same_v<T, ReplyReceived>) {
          std::string out = absl::StrCat(
              "reply ", CommandKindName(e.kind), " ",
              CodeAndEnhanced(e.reply.code(), e.reply.enhanced()));
          if (e.more_replies > 0) {
            absl::StrAppend(&out, " more=", e.more_replies);
          }
          return out;
        } else if constexpr (std::is_same_v<T, CapabilitiesUpdated>) {
          std::string caps = e.capabilities.ToString();
          return caps.empty() ? std::string("capabilities")
                              : absl::StrCat("capabilities ", caps);
        } else if constexpr (std::is_same_v<T, TlsUpgradeRequired>) {
          return "tls_upgrade_required";
        } else if constexpr (std::is_same_v<T, TlsEstablished>) {
          return "tls_established";
        } else if constexpr (std::is_same_v<T, Authenticated>) {
          return absl::StrCat("authenticated ", e.mechanism);
        } else if constexpr (std::is_same_v<T, AuthFailed>) {
          if (e.error.code == 0) {
            return absl::StrCat("auth_failed ", ErrorDetailName(e.error.cause));
          }
          return absl::StrCat("auth_failed ",
                              CodeAndEnhanced(e.error.code, e.error.enhanced));
        } else if constexpr (std::is_same_v<T, AuthRetry>) {
          return absl::StrCat("auth_retry ",
                              CodeAndEnhanced(e.error.code, e.error.enhanced));
        } else if constexpr (std::is_same_v<T, SessionReady>) {
          return "ready";
        } else if constexpr (std::is_same_v<T, RecipientReply>) {
          return absl::StrCat("recipient <", e.address, "> ",
                              CodeAndEnhanced(e.reply.code(),
                                              e.reply.enhanced()));
        } else if constexpr (std::is_same_v<T, TransactionComplete>) {
          if (e.lmtp) {
            return absl::StrCat("lmtp_complete accepted=", e.accepted,
                                " delivered=", e.delivered,
                                " rejected=", e.rejected);
          }
          bool ok = e.reply.code() >= 200 && e.reply.code() < 300;
          return absl::StrCat(ok ? "delivered " : "data_rejected ",
                              CodeAndEnhanced(e.reply.code(),
                                              e.reply.enhanced()),
                              " accepted=", e.accepted,
                              " rejected=", e.rejected);
        } else if constexpr (std::is_same_v<T, DeliveryDone>) {
          return absl::StrCat("delivery_done delivered=",
                              e.result.delivered(),
                              " rejected=", e.result.rejected(),
                              " deferred=", e.result.deferred(),
                              UnknownSuffix(e.result));
        } else if constexpr (std::is_same_v<T, DeliveryFailed>) {
          return absl::StrCat("delivery_failed ",
                              ErrorDetailName(e.error.cause), " ",
                              CodeAndEnhanced(e.error.code, e.error.enhanced),
                              UnknownSuffix(e.result));
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          if (e.status.ok()) return "closed ok";
          return absl::StrCat("closed ",
                              ErrorDetailName(GetErrorDetail(e.status)));
        } else if constexpr (std::is_same_v<T, Trace>) {
          return absl::StrCat("trace ", e.from_client ? "C: " : "S: ", e.line);
        } else if constexpr (std::is_same_v<T, NoopDone>) {
          return absl::StrCat("noop ", CodeAndEnhanced(e.reply.code(),
                                                       e.reply.enhanced()));
        } else if constexpr (std::is_same_v<T, RecipientDataReply>) {
          return absl::StrCat("data_reply <", e.address, "> ",
                              CodeAndEnhanced(e.reply.code(),
                                              e.reply.enhanced()));
        } else if constexpr (std::is_same_v<T, VrfyDone> ||
                             std::is_same_v<T, ExpnDone>) {
          return absl::StrCat(std::is_same_v<T, VrfyDone> ? "vrfy " : "expn ",
                              CodeAndEnhanced(e.reply.code(),
                                              e.reply.enhanced()),
                              " ", LookupOutcomeName(e.result.outcome),
                              " entries=", e.result.entries.size());
        } else if constexpr (std::is_same_v<T, HelpDone>) {
          return absl::StrCat("help ",
                              CodeAndEnhanced(e.reply.code(),
                                              e.reply.enhanced()),
                              " ", HelpOutcomeName(e.result.outcome),
                              " lines=", e.result.lines.size());
        } else if constexpr (std::is_same_v<T, EtrnDone>) {
          std::string out = absl::StrCat(
              "etrn ", CodeAndEnhanced(e.reply.code(), e.reply.enhanced()),
              " ", EtrnOutcomeName(e.result.outcome));
          if (e.result.pending_messages.has_value()) {
            absl::StrAppend(&out, " messages=", *e.result.pending_messages);
          }
          return out;
        }
      },
      event);
}

}  // namespace smtpcore
