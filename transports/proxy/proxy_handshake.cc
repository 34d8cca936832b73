#include "transports/proxy/proxy_handshake.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/optional.h"
#include "route/ip_address.h"
#include "transports/proxy/proxy_error.h"

namespace smtpcore {
namespace {

constexpr uint8_t kSocksVersion = 0x05;
constexpr uint8_t kMethodNoAuth = 0x00;
constexpr uint8_t kMethodUserPass = 0x02;
constexpr uint8_t kMethodNoneAcceptable = 0xff;
constexpr uint8_t kUserPassVersion = 0x01;  // RFC 1929 §2
constexpr uint8_t kCommandConnect = 0x01;
constexpr uint8_t kAtypIpv4 = 0x01;
constexpr uint8_t kAtypDomain = 0x03;
constexpr uint8_t kAtypIpv6 = 0x04;

absl::string_view StripBrackets(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

absl::Status Invalid(std::string what) {
  return ProxyError(ErrorDetail::kInvalidArgument, std::move(what))
      .ToStatus();
}

uint8_t Byte(absl::string_view s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}

}  // namespace

absl::string_view ProxyHandshakeStageName(ProxyHandshakeStage stage) {
  switch (stage) {
    case ProxyHandshakeStage::kMethod: return "method";
    case ProxyHandshakeStage::kAuth: return "auth";
    case ProxyHandshakeStage::kConnect: return "connect";
    case ProxyHandshakeStage::kDone: return "done";
    case ProxyHandshakeStage::kFailed: return "failed";
  }
  return "failed";
}

absl::StatusOr<ProxyHandshake> ProxyHandshake::Create(const ProxyConfig& proxy,
                                                      absl::string_view host,
                                                      uint16_t port) {
  if (!proxy.enabled()) return Invalid("no proxy configured");
  host = StripBrackets(host);
  if (host.empty()) return Invalid("no destination host for the proxy");
  if (port == 0) return Invalid("no destination port for the proxy");
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Invalid(absl::StrCat("bad destination host '",
                                  absl::CHexEscape(host), "' for the proxy"));
    }
  }
  ProxyHandshake h;
  h.proxy_ = proxy;
  h.host_ = std::string(host);
  h.port_ = port;
  if (proxy.kind == ProxyKind::kSocks5) {
    if (!ParseIpAddress(host).has_value() && host.size() > 255) {
      return Invalid(
          "a SOCKS5 destination name is at most 255 octets (RFC 1928 §5)");
    }
    if (proxy.username.size() > 255 || proxy.password.size() > 255) {
      return Invalid(
          "SOCKS5 user name and password are at most 255 octets each "
          "(RFC 1929 §2)");
    }
    h.stage_ = ProxyHandshakeStage::kMethod;
    h.out_.push_back(static_cast<char>(kSocksVersion));
    if (proxy.username.empty()) {
      h.out_.push_back(1);
      h.out_.push_back(static_cast<char>(kMethodNoAuth));
    } else {
      h.out_.push_back(2);
      h.out_.push_back(static_cast<char>(kMethodNoAuth));
      h.out_.push_back(static_cast<char>(kMethodUserPass));
    }
    return h;
  }
  // HTTP CONNECT: the authority form (RFC 9112 §3.2.3), with the IPv6
  // literal in brackets (RFC 3986 §3.2.2).
  const std::string target = h.Target();
  h.stage_ = ProxyHandshakeStage::kConnect;
  absl::StrAppend(&h.out_, "CONNECT ", target, " HTTP/1.1\r\nHost: ", target,
                  "\r\n");
  if (!proxy.username.empty()) {
    absl::StrAppend(
        &h.out_, "Proxy-Authorization: Basic ",
        absl::Base64Escape(absl::StrCat(proxy.username, ":", proxy.password)),
        "\r\n");
  }
  h.out_.append("\r\n");
  return h;
}

std::string ProxyHandshake::Target() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", host_, v6 ? "]" : "", ":", port_);
}

absl::string_view ProxyHandshake::PendingOutput() const {
  return absl::string_view(out_).substr(out_consumed_);
}

void ProxyHandshake::ConsumeOutput(size_t n) {
  out_consumed_ = std::min(out_.size(), out_consumed_ + n);
  if (out_consumed_ == out_.size()) {
    out_.clear();
    out_consumed_ = 0;
  }
}

absl::Status ProxyHandshake::Receive(absl::string_view bytes) {
  if (stage_ == ProxyHandshakeStage::kFailed) return status_;
  in_.append(bytes.data(), bytes.size());
  if (stage_ == ProxyHandshakeStage::kDone) return absl::OkStatus();
  return Process();
}

absl::Status ProxyHandshake::ReceiveEof() {
  if (stage_ == ProxyHandshakeStage::kFailed) return status_;
  if (stage_ == ProxyHandshakeStage::kDone) return absl::OkStatus();
  return Fail(ProxyError(ErrorDetail::kConnectionClosed,
                         absl::StrCat("the ", ProxyKindName(proxy_.kind),
                                      " proxy ", proxy_.ToString(),
                                      " closed the connection before its "
                                      "reply to the connection request "
                                      "for ",
                                      Target(), " was complete"))
                  .ToStatus());
}

std::string ProxyHandshake::TakeLeftover() {
  if (stage_ != ProxyHandshakeStage::kDone) return "";
  std::string out;
  out.swap(in_);
  return out;
}

absl::Status ProxyHandshake::Fail(absl::Status status) {
  stage_ = ProxyHandshakeStage::kFailed;
  status_ = std::move(status);
  out_.clear();
  out_consumed_ = 0;
  in_.clear();
  return status_;
}

absl::Status ProxyHandshake::Process() {
  for (;;) {
    const ProxyHandshakeStage before = stage_;
    absl::Status s;
    switch (stage_) {
      case ProxyHandshakeStage::kMethod:
        s = ProcessSocksMethod();
        break;
      case ProxyHandshakeStage::kAuth:
        s = ProcessSocksAuth();
        break;
      case ProxyHandshakeStage::kConnect:
        s = proxy_.kind == ProxyKind::kSocks5 ? ProcessSocksReply()
                                              : ProcessHttpReply();
        break;
      case ProxyHandshakeStage::kDone:
      case ProxyHandshakeStage::kFailed:
        return status_;
    }
    if (!s.ok()) return s;
    if (stage_ == before) return absl::OkStatus();  // needs more input
  }
}

absl::Status ProxyHandshake::ProcessSocksMethod() {
  if (in_.size() < 2) return absl::OkStatus();
  const uint8_t version = Byte(in_, 0);
  const uint8_t method = Byte(in_, 1);
  if (version != kSocksVersion) {
    return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                           absl::StrFormat("%s did not answer as a SOCKS5 "
                                           "proxy (version byte X'%02X')",
                                           proxy_.ToString(), version))
                    .ToStatus());
  }
  in_.erase(0, 2);
  if (method == kMethodNoneAcceptable) {
    return Fail(
        ProxyError(ErrorDetail::kProxyAuthRequired,
                   absl::StrCat("SOCKS5 proxy ", proxy_.ToString(),
                                " accepts none of the offered methods (",
                                proxy_.username.empty()
                                    ? "no authentication"
                                    : "no authentication, username/password",
                                ")"))
            .ToStatus());
  }
  if (method == kMethodNoAuth) {
    QueueSocksConnect();
    return absl::OkStatus();
  }
  if (method == kMethodUserPass && !proxy_.username.empty()) {
    out_.push_back(static_cast<char>(kUserPassVersion));
    out_.push_back(static_cast<char>(proxy_.username.size()));
    out_.append(proxy_.username);
    out_.push_back(static_cast<char>(proxy_.password.size()));
    out_.append(proxy_.password);
    stage_ = ProxyHandshakeStage::kAuth;
    return absl::OkStatus();
  }
  return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                         absl::StrFormat("SOCKS5 proxy %s chose method X'%02X'"
                                         ", which was not offered",
                                         proxy_.ToString(), method))
                  .ToStatus());
}

absl::Status ProxyHandshake::ProcessSocksAuth() {
  if (in_.size() < 2) return absl::OkStatus();
  const uint8_t version = Byte(in_, 0);
  const uint8_t status = Byte(in_, 1);
  if (version != kUserPassVersion && version != kSocksVersion) {
    return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                           absl::StrFormat("SOCKS5 proxy %s answered the "
                                           "username/password request with "
                                           "version X'%02X' (RFC 1929 §2)",
                                           proxy_.ToString(), version))
                    .ToStatus());
  }
  in_.erase(0, 2);
  if (status != 0) {
    reply_code_ = status;
    return Fail(ProxyError(ErrorDetail::kProxyAuthFailed,
                           absl::StrFormat("SOCKS5 proxy %s refused user '%s' "
                                           "(RFC 1929 status X'%02X')",
                                           proxy_.ToString(), proxy_.username,
                                           status))
                    .ToStatus());
  }
  QueueSocksConnect();
  return absl::OkStatus();
}

void ProxyHandshake::QueueSocksConnect() {
  out_.push_back(static_cast<char>(kSocksVersion));
  out_.push_back(static_cast<char>(kCommandConnect));
  out_.push_back(0);  // RSV
  absl::optional<IpAddress> ip = ParseIpAddress(host_);
  if (ip.has_value() && ip->family == IpFamily::kV4) {
    out_.push_back(static_cast<char>(kAtypIpv4));
    out_.append(reinterpret_cast<const char*>(ip->bytes.data()), 4);
  } else if (ip.has_value()) {
    out_.push_back(static_cast<char>(kAtypIpv6));
    out_.append(reinterpret_cast<const char*>(ip->bytes.data()), 16);
  } else {
    // RFC 1928 §5: a fully-qualified domain name, resolved by the proxy.
    out_.push_back(static_cast<char>(kAtypDomain));
    out_.push_back(static_cast<char>(host_.size()));
    out_.append(host_);
  }
  out_.push_back(static_cast<char>(port_ >> 8));
  out_.push_back(static_cast<char>(port_ & 0xff));
  stage_ = ProxyHandshakeStage::kConnect;
}

absl::Status ProxyHandshake::ProcessSocksReply() {
  if (in_.size() < 2) return absl::OkStatus();
  const uint8_t version = Byte(in_, 0);
  const uint8_t reply = Byte(in_, 1);
  if (version != kSocksVersion) {
    return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                           absl::StrFormat("SOCKS5 proxy %s sent a reply with "
                                           "version X'%02X'",
                                           proxy_.ToString(), version))
                    .ToStatus());
  }
  if (reply != 0) {
    // A refusal: nothing after REP matters (the proxy closes).
    reply_code_ = reply;
    return Fail(
        ProxyError(Socks5ReplyDetail(reply),
                   absl::StrFormat("SOCKS5 proxy %s could not connect to %s: "
                                   "%s (reply X'%02X', RFC 1928 §6)",
                                   proxy_.ToString(), Target(),
                                   Socks5ReplyText(reply), reply))
            .ToStatus());
  }
  if (in_.size() < 5) return absl::OkStatus();
  const uint8_t atyp = Byte(in_, 3);
  size_t address_size = 0;
  switch (atyp) {
    case kAtypIpv4: address_size = 4; break;
    case kAtypIpv6: address_size = 16; break;
    case kAtypDomain: address_size = 1 + Byte(in_, 4); break;
    default:
      return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                             absl::StrFormat("SOCKS5 proxy %s sent address "
                                             "type X'%02X' in its reply",
                                             proxy_.ToString(), atyp))
                      .ToStatus());
  }
  const size_t total = 4 + address_size + 2;
  if (in_.size() < total) return absl::OkStatus();
  absl::string_view address(in_.data() + 4, address_size);
  const uint16_t bound_port = static_cast<uint16_t>(
      (Byte(in_, 4 + address_size) << 8) | Byte(in_, 4 + address_size + 1));
  if (atyp == kAtypDomain) {
    bound_address_ = absl::StrCat(absl::CHexEscape(address.substr(1)), ":",
                                  bound_port);
  } else {
    absl::optional<IpAddress> ip = IpAddressFromBytes(address);
    const std::string text = ip.has_value() ? ip->ToString() : "?";
    bound_address_ = atyp == kAtypIpv6
                         ? absl::StrCat("[", text, "]:", bound_port)
                         : absl::StrCat(text, ":", bound_port);
  }
  reply_code_ = 0;
  in_.erase(0, total);
  stage_ = ProxyHandshakeStage::kDone;
  return absl::OkStatus();
}

absl::Status ProxyHandshake::ProcessHttpReply() {
  // The header block ends with an empty line; LF alone is accepted as a
  // line ending (RFC 9112 §2.2).
  size_t end = absl::string_view::npos;
  size_t body = 0;
  for (size_t i = 0; i < in_.size(); ++i) {
    if (in_[i] != '\n') continue;
    if (i + 1 < in_.size() && in_[i + 1] == '\n') {
      end = i;
      body = i + 2;
      break;
    }
    if (i + 2 < in_.size() && in_[i + 1] == '\r' && in_[i + 2] == '\n') {
      end = i;
      body = i + 3;
      break;
    }
  }
  if (end == absl::string_view::npos) {
    if (in_.size() > kMaxHttpHeaderBytes) {
      return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                             absl::StrCat("HTTP proxy ", proxy_.ToString(),
                                          " sent more than ",
                                          kMaxHttpHeaderBytes,
                                          " bytes without ending its reply "
                                          "header"))
                      .ToStatus());
    }
    return absl::OkStatus();
  }
  // Status line: HTTP/1.x SP 3DIGIT [SP reason] (RFC 9112 §4).
  absl::string_view headers(in_.data(), end);
  absl::string_view line = headers.substr(0, headers.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  int status = 0;
  const bool well_formed =
      line.size() >= 12 && absl::StartsWith(line, "HTTP/1.") &&
      absl::ascii_isdigit(static_cast<unsigned char>(line[7])) &&
      line[8] == ' ' && absl::SimpleAtoi(line.substr(9, 3), &status) &&
      absl::ascii_isdigit(static_cast<unsigned char>(line[9])) &&
      (line.size() == 12 || line[12] == ' ') && status >= 100;
  if (!well_formed) {
    return Fail(ProxyError(ErrorDetail::kProxyProtocol,
                           absl::StrCat("HTTP proxy ", proxy_.ToString(),
                                        " sent a malformed status line '",
                                        absl::CHexEscape(line.substr(0, 80)),
                                        "'"))
                    .ToStatus());
  }
  reply_code_ = status;
  if (status < 200 || status > 299) {
    absl::string_view reason =
        line.size() > 13 ? line.substr(13) : absl::string_view();
    return Fail(ProxyError(HttpConnectStatusDetail(
                               status, !proxy_.username.empty()),
                           absl::StrCat("HTTP proxy ", proxy_.ToString(),
                                        " refused CONNECT ", Target(), ": ",
                                        status,
                                        reason.empty() ? "" : " ",
                                        absl::CHexEscape(reason.substr(0, 80))))
                    .ToStatus());
  }
  in_.erase(0, body);
  stage_ = ProxyHandshakeStage::kDone;
  return absl::OkStatus();
}

}  // namespace smtpcore
