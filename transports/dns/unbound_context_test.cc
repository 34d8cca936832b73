#include "transports/dns/unbound_context.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unbound.h>
#include <unistd.h>
#include <uv.h>

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "transports/dns/blocking_dns_resolver.h"
#include "transports/dns/uv_dns_resolver.h"

namespace smtpcore {
namespace {

// Result builds a ub_result the way libunbound fills one in.
struct Result {
  std::vector<std::string> records;
  std::vector<char*> data;
  std::vector<int> len;
  std::string canon;
  ub_result r = {};

  Result(std::vector<std::string> rdata, int rcode, int secure, int bogus,
         const char* canonname = nullptr)
      : records(std::move(rdata)) {
    for (std::string& s : records) {
      data.push_back(s.data());
      len.push_back(static_cast<int>(s.size()));
    }
    data.push_back(nullptr);
    len.push_back(0);
    r.data = data.data();
    r.len = len.data();
    r.rcode = rcode;
    r.havedata = records.empty() ? 0 : 1;
    r.nxdomain = rcode == 3;
    r.secure = secure;
    r.bogus = bogus;
    if (canonname != nullptr) {
      canon = canonname;
      r.canonname = canon.data();
    }
    r.why_bogus = bogus ? const_cast<char*>("signature expired") : nullptr;
  }
};

TEST(AnswerFromUnboundTest, ConvertsRecordsAndSecurity) {
  Result mx({std::string("\0\x0a\x02mx\x07" "example\0", 14),
             std::string("\0\x14\x03mx2\x07" "example\0", 15)},
            0, 1, 0);
  DnsAnswer a = AnswerFromUnbound({"example", DnsType::kMx}, 0, &mx.r);
  EXPECT_EQ(a.rcode, DnsRcode::kNoError);
  EXPECT_EQ(a.security, DnsSecurity::kSecure);
  ASSERT_EQ(a.mx.size(), 2u);
  EXPECT_EQ(a.mx[0].host, "mx.example");
  EXPECT_EQ(a.mx[1].preference, 20);

  Result addr({std::string("\x7f\0\0\x01", 4)}, 0, 0, 0, "real.example.");
  a = AnswerFromUnbound({"mx.example", DnsType::kA}, 0, &addr.r);
  EXPECT_EQ(a.security, DnsSecurity::kInsecure);
  EXPECT_EQ(a.addresses[0].ToString(), "127.0.0.1");
  EXPECT_EQ(a.canonical_name, "real.example");

  Result bogus({}, 2, 0, 1);
  a = AnswerFromUnbound({"x.example", DnsType::kTlsa}, 0, &bogus.r);
  EXPECT_EQ(a.security, DnsSecurity::kBogus);
  EXPECT_EQ(a.error, "signature expired");

  Result nx({}, 3, 1, 0, "x.example.");
  a = AnswerFromUnbound({"x.example", DnsType::kA}, 0, &nx.r);
  EXPECT_EQ(a.rcode, DnsRcode::kNxDomain);
  EXPECT_TRUE(a.canonical_name.empty());

  Result tlsa({std::string("\x03\x01\x01", 3) + std::string(32, 'k'),
               std::string("\x03", 1)},
              0, 1, 0);
  a = AnswerFromUnbound({"_25._tcp.mx.example", DnsType::kTlsa}, 0, &tlsa.r);
  ASSERT_EQ(a.tlsa.size(), 1u);
  EXPECT_NE(a.error.find("malformed"), std::string::npos);

  Result txt2({std::string("\x07v=STSv1", 8) + std::string("\x06; id=1", 7)},
              0, 0, 0);
  a = AnswerFromUnbound({"_mta-sts.example", DnsType::kTxt}, 0, &txt2.r);
  ASSERT_EQ(a.txt.size(), 1u);
  EXPECT_EQ(a.txt[0], "v=STSv1; id=1");

  a = AnswerFromUnbound({"x.example", DnsType::kA}, UB_NOMEM, nullptr);
  EXPECT_EQ(a.rcode, DnsRcode::kServFail);
  EXPECT_FALSE(a.error.empty());
}

TEST(MakeUnboundContextTest, RefusesMissingTrustAnchor) {
  ResolverOptions o;
  o.trust_anchor_file = "/nonexistent/anchor.key";
  absl::StatusOr<UnboundContextPtr> ctx = MakeUnboundContext(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("anchor"), std::string::npos);
}

// SilentServer is a UDP socket on 127.0.0.1 that never answers.
struct SilentServer {
  int fd = -1;
  uint16_t port = 0;
  SilentServer() {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
    socklen_t n = sizeof(sin);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &n);
    port = ntohs(sin.sin_port);
  }
  ~SilentServer() { close(fd); }
};

ResolverOptions SilentOptions(const SilentServer& server) {
  ResolverOptions o;
  o.forward_address = "127.0.0.1";
  o.forward_port = server.port;
  o.timeout = absl::Milliseconds(300);
  return o;
}

TEST(BlockingDnsResolverTest, UnansweredQueriesBecomeServFail) {
  SilentServer server;
  auto resolver = BlockingDnsResolver::Create(SilentOptions(server));
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  std::vector<DnsAnswer> answers = (*resolver)->ResolveAll(
      {{"mx.example.test", DnsType::kA}, {"mx.example.test", DnsType::kAaaa}});
  ASSERT_EQ(answers.size(), 2u);
  for (const DnsAnswer& a : answers) {
    EXPECT_EQ(a.rcode, DnsRcode::kServFail);
    EXPECT_FALSE(a.error.empty());
  }
  EXPECT_EQ(answers[1].question.type, DnsType::kAaaa);
}

TEST(UvDnsResolverTest, AnswersArriveOnTheLoopAndDestroyIsClean) {
  SilentServer server;
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    auto resolver = UvDnsResolver::Create(&loop, SilentOptions(server));
    ASSERT_TRUE(resolver.ok()) << resolver.status();
    int answered = 0;
    bool inside = true;
    std::unique_ptr<UvDnsResolver> r = *std::move(resolver);
    r->Resolve({"a.example.test", DnsType::kMx}, [&](DnsAnswer a) {
      EXPECT_FALSE(inside);
      EXPECT_EQ(a.rcode, DnsRcode::kServFail);
      ++answered;
      r.reset();  // destroying the resolver from its own callback is allowed
    });
    inside = false;
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(answered, 1);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace smtpcore
