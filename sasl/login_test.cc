#include "sasl/login.h"

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(LoginTest, StandardPrompts) {
  LoginMechanism m("user@example.org", "secret");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.name(), "LOGIN");
  EXPECT_EQ(m.InitialResponse(), absl::nullopt);
  EXPECT_EQ(*m.Respond("Username:"), "user@example.org");
  EXPECT_EQ(*m.Respond("Password:"), "secret");
  EXPECT_TRUE(m.Finish("").ok());
  EXPECT_EQ(GetErrorDetail(m.Respond("Password:").status()),
            ErrorDetail::kAuthMechanism);
}

TEST(LoginTest, OtherPromptSpellings) {
  LoginMechanism m("u", "p");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.Respond(std::string("User Name\0", 10)), "u");
  EXPECT_EQ(*m.Respond(std::string("Password\0", 9)), "p");
}

TEST(LoginTest, EmptyOrUnknownPromptsAnsweredByOrder) {
  LoginMechanism m("u", "p");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.Respond(""), "u");
  EXPECT_EQ(*m.Respond(""), "p");
  EXPECT_FALSE(m.Respond("").ok());

  LoginMechanism other("u", "p");
  ASSERT_TRUE(other.Start(nullptr).ok());
  EXPECT_EQ(*other.Respond("Benutzer"), "u");
  EXPECT_EQ(*other.Respond("Kennwort"), "p");
}

TEST(LoginTest, PasswordPromptFirstIsAnsweredByText) {
  LoginMechanism m("u", "p");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.Respond("Password:"), "p");
  EXPECT_EQ(*m.Respond("Username:"), "u");
}

TEST(LoginTest, RepeatedPromptFails) {
  LoginMechanism m("u", "p");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.Respond("Username:"), "u");
  EXPECT_FALSE(m.Respond("Username:").ok());
}

}  // namespace
}  // namespace smtpcore
