#include "sasl/oauth_token.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// Fetches records every request and hands out "t1", "t2", ...
struct Fetches {
  std::vector<OAuthTokenRequest> requests;
  OAuthTokenProvider provider() {
    return [this](const OAuthTokenRequest& r) -> absl::StatusOr<std::string> {
      requests.push_back(r);
      if (r.server_error == "fail") return absl::UnavailableError("down");
      return absl::StrCat("t", requests.size());
    };
  }
};

TEST(CachingTokenProviderTest, CachesUntilRefresh) {
  Fetches fetches;
  OAuthTokenProvider p = CachingTokenProvider(fetches.provider());
  EXPECT_EQ(*p(OAuthTokenRequest{}), "t1");
  EXPECT_EQ(*p(OAuthTokenRequest{}), "t1");
  ASSERT_EQ(fetches.requests.size(), 1u);
  EXPECT_FALSE(fetches.requests[0].refresh);

  OAuthTokenRequest refresh;
  refresh.refresh = true;
  refresh.server_error = R"({"status":"401"})";
  EXPECT_EQ(*p(refresh), "t2");
  ASSERT_EQ(fetches.requests.size(), 2u);
  EXPECT_TRUE(fetches.requests[1].refresh);
  EXPECT_EQ(fetches.requests[1].server_error, R"({"status":"401"})");
  // The refreshed token is what later plain requests get, from any copy.
  OAuthTokenProvider copy = p;
  EXPECT_EQ(*copy(OAuthTokenRequest{}), "t2");
  EXPECT_EQ(fetches.requests.size(), 2u);
}

TEST(CachingTokenProviderTest, ErrorsAreNotCached) {
  Fetches fetches;
  OAuthTokenProvider p = CachingTokenProvider(fetches.provider());
  EXPECT_EQ(*p(OAuthTokenRequest{}), "t1");
  OAuthTokenRequest failing;
  failing.refresh = true;
  failing.server_error = "fail";
  absl::StatusOr<std::string> r = p(failing);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*p(OAuthTokenRequest{}), "t1");  // the old one stays
}

}  // namespace
}  // namespace smtpcore
