#include "transports/dns/unbound_context.h"

#include <unbound.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/dns_name.h"
#include "route/dns_rdata.h"
#include "route/tlsa.h"

namespace smtpcore {
namespace {

absl::Status Refused(absl::string_view what, int err) {
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   ErrorDetail::kInvalidArgument,
                   absl::StrCat("DNS resolver setup: ", what, ": ",
                                ub_strerror(err)));
}

}  // namespace

void UnboundContextDeleter::operator()(ub_ctx* ctx) const {
  if (ctx != nullptr) ub_ctx_delete(ctx);
}

absl::StatusOr<UnboundContextPtr> MakeUnboundContext(
    const ResolverOptions& options) {
  UnboundContextPtr ctx(ub_ctx_create());
  if (ctx == nullptr) return absl::InternalError("ub_ctx_create failed");
  int err = ub_ctx_async(ctx.get(), 1);
  if (err != 0) return Refused("async", err);
  if (!options.forward_address.empty()) {
    const std::string fwd =
        absl::StrCat(options.forward_address, "@", options.forward_port);
    err = ub_ctx_set_fwd(ctx.get(), fwd.c_str());
    if (err != 0) return Refused(absl::StrCat("forwarder ", fwd), err);
    // RFC 6761 §6.2: test names may be resolved when configured to; the
    // forwarder is where a test serves them. (libunbound 1.17 keeps
    // answering NXDOMAIN with "nodefault"; "transparent" lets queries
    // through.)
    err = ub_ctx_set_option(ctx.get(), "local-zone:", "test. transparent");
    if (err != 0) return Refused("local-zone test. transparent", err);
    // Forwarders are usually on loopback in tests; allow it.
    err = ub_ctx_set_option(ctx.get(), "do-not-query-localhost:", "no");
    if (err != 0) return Refused("do-not-query-localhost", err);
  }
  const std::string anchor = options.trust_anchor_file.empty()
                                 ? std::string(kDebianRootTrustAnchor)
                                 : options.trust_anchor_file;
  // libunbound only reads the file at the first query; check it now.
  if (access(anchor.c_str(), R_OK) != 0) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kInvalidArgument,
                     absl::StrCat("DNS resolver setup: cannot read trust "
                                  "anchor file ", anchor,
                                  anchor == kDebianRootTrustAnchor
                                      ? " (install dns-root-data)"
                                      : ""));
  }
  err = ub_ctx_add_ta_file(ctx.get(), anchor.c_str());
  if (err != 0) return Refused(absl::StrCat("trust anchor ", anchor), err);
  return ctx;
}

DnsAnswer AnswerFromUnbound(const DnsQuestion& question, int err,
                            const ub_result* result) {
  DnsAnswer a;
  a.question = question;
  if (err != 0 || result == nullptr) {
    a.rcode = DnsRcode::kServFail;
    a.error = err != 0 ? ub_strerror(err) : "no result";
    return a;
  }
  if (result->bogus) {
    a.security = DnsSecurity::kBogus;
    a.error = result->why_bogus != nullptr ? result->why_bogus
                                           : "DNSSEC validation failed";
  } else if (result->secure) {
    a.security = DnsSecurity::kSecure;
  }
  if (result->rcode == 3) {
    a.rcode = DnsRcode::kNxDomain;
  } else if (result->rcode != 0) {
    a.rcode = DnsRcode::kServFail;
    if (a.error.empty()) a.error = absl::StrCat("rcode ", result->rcode);
  }
  if (result->canonname != nullptr) {
    std::string canonical = NormalizeDomain(result->canonname);
    if (canonical != question.name) a.canonical_name = canonical;
  }
  if (!result->havedata || result->data == nullptr) return a;
  int bad = 0;
  for (int i = 0; result->data[i] != nullptr; ++i) {
    absl::string_view rdata(result->data[i], result->len[i]);
    switch (question.type) {
      case DnsType::kA:
      case DnsType::kAaaa: {
        absl::StatusOr<IpAddress> ip = ParseAddressRdata(rdata);
        if (ip.ok()) a.addresses.push_back(*ip); else ++bad;
        break;
      }
      case DnsType::kMx: {
        absl::StatusOr<MxRecord> mx = ParseMxRdata(rdata);
        if (mx.ok()) a.mx.push_back(*mx); else ++bad;
        break;
      }
      case DnsType::kCname: {
        absl::StatusOr<std::string> c = ParseCnameRdata(rdata);
        if (c.ok()) a.cnames.push_back(*c); else ++bad;
        break;
      }
      case DnsType::kTxt: {
        absl::StatusOr<std::string> t = ParseTxtRdata(rdata);
        if (t.ok()) a.txt.push_back(*t); else ++bad;
        break;
      }
      case DnsType::kTlsa: {
        absl::StatusOr<TlsaRecord> t = ParseTlsaRdata(rdata);
        if (t.ok()) a.tlsa.push_back(*t); else ++bad;
        break;
      }
    }
  }
  if (bad > 0) {
    absl::StrAppend(&a.error, a.error.empty() ? "" : "; ", bad,
                    " malformed record(s) ignored");
  }
  return a;
}

}  // namespace smtpcore
