// Capabilities: the service extensions a server lists in its EHLO reply
// (RFC 5321 §4.1.1.1, §2.2.2).
//
// Parsing rules:
//  - The first line of the 250 reply is the server's domain and greeting
//    text; every further line is "keyword[ params...]".
//  - Keywords are case-insensitive and stored upper-case; parameters are
//    kept verbatim (case and order preserved), split on ASCII white space
//    (SP, HTAB, ...: none of it can be part of an ehlo-param).
//  - The pre-RFC 2554 form "AUTH=PLAIN LOGIN" is merged into AUTH (mechanism
//    names upper-cased, duplicates dropped), at the position of the first
//    AUTH line.
//  - A keyword seen twice keeps its first position; parameters of the later
//    line are appended.
//  - Unknown keywords are kept verbatim (upper-cased) with their params.
//  - Lines that are empty or do not start with an ALPHA/DIGIT keyword are
//    ignored (counted in `ignored_lines()`); parsing never fails.
// Never sniff "ESMTP" in the greeting: only the EHLO reply counts.

#ifndef SMTP_CORE_CAPABILITIES_H_
#define SMTP_CORE_CAPABILITIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/reply.h"

namespace smtpcore {

// Capability is one advertised extension: upper-case keyword and its
// parameters in server order.
struct Capability {
  std::string keyword;
  std::vector<std::string> params;
};

// CapabilityFilter adjusts what a peer advertises, for broken servers:
// keywords in `ignore` are treated as absent; entries of `force` are added
// (with their params) when absent. Keywords compare case-insensitively.
// Applied by `Capabilities::Parse` and on every EHLO by the connection.
struct CapabilityFilter {
  std::vector<std::string> ignore;
  std::vector<Capability> force;

  bool empty() const { return ignore.empty() && force.empty(); }
};

// SmtpLimits are the RFC 9422 LIMITS values; absent when not advertised.
struct SmtpLimits {
  absl::optional<uint32_t> mailmax;        // transactions per connection
  absl::optional<uint32_t> rcptmax;        // recipients per transaction
  absl::optional<uint32_t> rcptdomainmax;  // distinct domains per transaction
};

// Capabilities is a parsed EHLO reply. A value type: copyable, owns all its
// strings. A default-constructed Capabilities is empty (what HELO gives).
class Capabilities {
 public:
  Capabilities() = default;

  // Parse builds Capabilities from the reply to EHLO (normally 250), then
  // applies `filter`. Never fails (see file comment).
  static Capabilities Parse(const ReplyView& ehlo_reply,
                            const CapabilityFilter& filter = {});

  // ParseLines is `Parse` from the keyword lines only (no domain line).
  static Capabilities ParseLines(absl::Span<const absl::string_view> lines,
                                 const CapabilityFilter& filter = {});

  // has returns true if `keyword` (any case) was advertised.
  bool has(absl::string_view keyword) const;
  // params returns the parameters of `keyword`, or nullptr if absent. The
  // pointer is valid until this object is modified or destroyed.
  const std::vector<std::string>* params(absl::string_view keyword) const
      ABSL_ATTRIBUTE_LIFETIME_BOUND;
  // all returns every capability in server order.
  const std::vector<Capability>& all() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return entries_;
  }
  bool empty() const { return entries_.empty(); }

  // size_advertised is true if SIZE was listed (RFC 1870), with or without
  // a value.
  bool size_advertised() const { return has("SIZE"); }
  // size_limit returns the SIZE value, or nullopt when SIZE is absent, has
  // no value, a zero value ("no fixed limit", RFC 1870 §4) or a bad value.
  absl::optional<uint64_t> size_limit() const;
  // auth_mechanisms returns the upper-case SASL mechanism names of AUTH.
  std::vector<std::string> auth_mechanisms() const;
  // has_auth_mechanism returns true if `name` (any case) is in AUTH.
  bool has_auth_mechanism(absl::string_view name) const;

  bool pipelining() const { return has("PIPELINING"); }        // RFC 2920
  bool starttls() const { return has("STARTTLS"); }            // RFC 3207
  bool eight_bit_mime() const { return has("8BITMIME"); }      // RFC 6152
  bool binary_mime() const { return has("BINARYMIME"); }       // RFC 3030
  bool chunking() const { return has("CHUNKING"); }            // RFC 3030
  bool smtputf8() const { return has("SMTPUTF8"); }            // RFC 6531
  bool dsn() const { return has("DSN"); }                      // RFC 3461
  bool enhanced_status_codes() const {                         // RFC 2034
    return has("ENHANCEDSTATUSCODES");
  }
  bool requiretls() const { return has("REQUIRETLS"); }        // RFC 8689
  bool etrn() const { return has("ETRN"); }                    // RFC 1985
  // limits returns the LIMITS values (RFC 9422 §4); bad values are ignored.
  SmtpLimits limits() const;
  // deliverby returns the DELIVERBY minimum seconds (RFC 2852), 0 when
  // advertised without a value, nullopt when absent.
  absl::optional<int64_t> deliverby() const;
  // mt_priority returns the MT-PRIORITY policy name (RFC 6710), "" when
  // advertised without one, nullopt when absent.
  absl::optional<std::string> mt_priority() const;

  // ToString renders the capabilities for events and logs: keywords in
  // server order separated by spaces, each with "=" and its params joined
  // by ',' when it has any: "PIPELINING SIZE=10240000 AUTH=PLAIN,LOGIN".
  std::string ToString() const;

  // ignored_lines counts EHLO lines that were not keyword lines.
  size_t ignored_lines() const { return ignored_lines_; }

 private:
  void Add(absl::string_view line);
  void Apply(const CapabilityFilter& filter);
  const Capability* Find(absl::string_view keyword) const;

  std::vector<Capability> entries_;
  size_t ignored_lines_ = 0;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_CAPABILITIES_H_
