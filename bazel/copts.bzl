"""Compiler flags shared by every target (the Abseil pattern)."""

# Warnings are errors in our own code. Exceptions are added here, per
# compiler, with the reason next to them.
SMTP_DEFAULT_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",  # interface overrides name parameters they ignore
]

SMTP_TEST_COPTS = SMTP_DEFAULT_COPTS + [
    "-Wno-sign-compare",  # gtest EXPECT_EQ(size_t, int) comparisons
]
