// Wire-format rdata parsers (RFC 1035 §3.3, RFC 3596 §2.2, RFC 6698 §2.1)
// for the record types the route layer uses. Adapters hand the rdata their
// resolver library returns (uncompressed names, as libunbound gives them)
// to these functions and never parse DNS themselves. Pure; fuzzed by
// //tests/fuzz:dns_rdata_fuzzer.
//
// Every parser fails with kInvalidArgument naming what is wrong; none reads
// past `rdata`.

#ifndef SMTP_ROUTE_DNS_RDATA_H_
#define SMTP_ROUTE_DNS_RDATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "route/dns_answer.h"
#include "route/ip_address.h"

namespace smtpcore {

// ParseWireName parses an uncompressed domain name at `rdata[*offset]`
// (length-prefixed labels ending with the root label), advances `*offset`
// past it and returns it normalised, without the trailing dot ("" for the
// root). Compression pointers, labels over 63 octets, names over 255 octets
// and labels holding '.' or control octets are refused.
absl::StatusOr<std::string> ParseWireName(absl::string_view rdata,
                                          size_t* offset);

// ParseMxRdata parses PREFERENCE (16 bits) and EXCHANGE.
absl::StatusOr<MxRecord> ParseMxRdata(absl::string_view rdata);

// ParseCnameRdata parses a CNAME target.
absl::StatusOr<std::string> ParseCnameRdata(absl::string_view rdata);

// ParseAddressRdata parses A (4 octets) or AAAA (16 octets) rdata.
absl::StatusOr<IpAddress> ParseAddressRdata(absl::string_view rdata);

// ParseTxtRdata concatenates the character-strings of one TXT record (RFC
// 1035 §3.3.14; RFC 8461 §3.1 and RFC 8460 §3 read records this way).
absl::StatusOr<std::string> ParseTxtRdata(absl::string_view rdata);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DNS_RDATA_H_
