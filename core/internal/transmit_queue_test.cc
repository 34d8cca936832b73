#include "core/internal/transmit_queue.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace smtpcore {
namespace internal {
namespace {

std::string PollAll(const TransmitQueue& q, size_t max = 64) {
  std::vector<IoSlice> slices(max);
  size_t n = q.Poll(absl::MakeSpan(slices));
  std::string out;
  AppendSlices(absl::MakeConstSpan(slices.data(), n), &out);
  return out;
}

TEST(TransmitQueueTest, CopiesAreCoalescedAndConsumedPartially) {
  TransmitQueue q;
  EXPECT_TRUE(q.empty());
  q.AppendCopy("MAIL FROM:<a>\r\n");
  q.AppendCopy("RCPT TO:<b>\r\n");
  IoSlice s[4];
  ASSERT_EQ(q.Poll(absl::MakeSpan(s)), 1u);  // contiguous: one slice
  EXPECT_EQ(s[0].view(), "MAIL FROM:<a>\r\nRCPT TO:<b>\r\n");
  EXPECT_EQ(q.Consume(5), 5u);
  EXPECT_EQ(PollAll(q), "FROM:<a>\r\nRCPT TO:<b>\r\n");
  EXPECT_EQ(q.pending_bytes(), 23u);
  EXPECT_EQ(q.Consume(1000), 23u);  // clamped
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.consumed_offset(), q.queued_offset());
}

TEST(TransmitQueueTest, BorrowedSlicesKeepOwnerUntilConsumed) {
  TransmitQueue q;
  auto owner = std::make_unique<absl::Cord>(std::string(100, 'x'));
  absl::string_view flat = owner->Flatten();
  IoSlice body[2] = {{flat.data(), 60}, {flat.data() + 60, 40}};
  q.AppendCopy("DATA\r\n");
  q.AppendBorrowed(body, std::move(owner));
  static const char kEnd[] = ".\r\n";
  IoSlice end{kEnd, 3};
  q.AppendBorrowed(absl::MakeConstSpan(&end, 1), nullptr);
  IoSlice s[8];
  ASSERT_EQ(q.Poll(absl::MakeSpan(s)), 4u);
  EXPECT_EQ(s[1].data, flat.data());  // zero copy
  ASSERT_EQ(q.Poll(absl::MakeSpan(s, 2)), 2u);  // bounded by out.size()
  q.Consume(6 + 70);
  ASSERT_EQ(q.Poll(absl::MakeSpan(s)), 2u);
  EXPECT_EQ(s[0].data, flat.data() + 70);
  EXPECT_EQ(s[0].size, 30u);
  EXPECT_EQ(PollAll(q), std::string(30, 'x') + ".\r\n");
  q.Consume(30);
  EXPECT_EQ(PollAll(q), ".\r\n");
}

TEST(TransmitQueueTest, LongLinesGetTheirOwnBlockAndBlocksAreReused) {
  TransmitQueue q;
  std::string big(TransmitQueue::kBlockSize + 10, 'a');
  q.AppendCopy("x");
  q.AppendCopy(big);
  EXPECT_EQ(PollAll(q), "x" + big);
  q.Consume(q.pending_bytes());
  q.AppendCopy("y");
  EXPECT_EQ(PollAll(q), "y");
  q.AppendBorrowed({}, nullptr);
  EXPECT_EQ(q.pending_bytes(), 1u);
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(PollAll(q), "");
}

}  // namespace
}  // namespace internal
}  // namespace smtpcore
