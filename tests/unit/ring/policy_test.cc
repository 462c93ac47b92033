// The block policy: the writer waits for registered cursors, times out, can be cancelled, and
// loses nothing when a consumer keeps up.
#include <atomic>
#include <thread>

#include "ring_test_util.h"
#include "snapflow/ring/cursor.h"

namespace snapflow::ring::testing {
namespace {

RingConfig block_config(const std::string& dir, int64_t timeout_ns) {
  RingConfig c = small_config(dir);
  c.policy = RingPolicy::kBlock;
  c.block_timeout_ns = timeout_ns;
  return c;
}

// Appends until an append fails; returns how many succeeded and the failure.
std::pair<uint64_t, base::Status> fill_until_blocked(RingWriter& w, uint64_t first,
                                                     uint64_t limit) {
  for (uint64_t i = first; i < limit; ++i) {
    const TestPacket p = make_packet(i);
    auto s = w.append(p.ts_ns, p.bytes, p.wire_length);
    if (!s.ok()) return {i - first, s};
  }
  return {limit - first, base::ok_status()};
}

TEST(BlockPolicy, WaitsForARegisteredCursorThenTimesOut) {
  TempDir tmp;
  auto w = RingWriter::open(block_config(tmp.ring(), 50 * base::kNsPerMs));
  ASSERT_TRUE(w.ok());
  CursorStore cursors(tmp.ring());
  ASSERT_TRUE(cursors.save("slow", Cursor{}).ok());  // registered, at the very start
  auto [written, status] = fill_until_blocked(**w, 0, 10000);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), base::ErrorCode::kTimeout) << status.error().to_string();
  EXPECT_GE((*w)->stats().block_wait_ns, 50 * base::kNsPerMs);
  EXPECT_EQ((*w)->stats().segments_overwritten, 0u);
  // Nothing was lost: the whole ring still starts at record 0.
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(is_range(all.numbers, 0, written));
  EXPECT_TRUE(all.gaps.empty());

  // The consumer moves past the first segment: the writer may go on, the failed append is
  // retried by the caller.
  auto segs = list_segments((*w)->layout());
  ASSERT_TRUE(segs.ok());
  ASSERT_TRUE(cursors.save("slow", Cursor{segs->at(1).start(), 0}).ok());
  const TestPacket p = make_packet(written);
  ASSERT_TRUE((*w)->append(p.ts_ns, p.bytes, p.wire_length).ok());
  EXPECT_EQ((*w)->stats().segments_overwritten, 1u);
  // An unregistered consumer does not hold the writer back.
  ASSERT_TRUE(cursors.remove("slow").ok());
  auto [more, s2] = fill_until_blocked(**w, written + 1, written + 3000);
  EXPECT_TRUE(s2.ok());
  EXPECT_EQ(more, 2999u);
}

TEST(BlockPolicy, CancelStopsAWaitingWriter) {
  TempDir tmp;
  auto w = RingWriter::open(block_config(tmp.ring(), -1));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(CursorStore(tmp.ring()).save("stuck", Cursor{}).ok());
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    (*w)->cancel();
  });
  auto [written, status] = fill_until_blocked(**w, 0, 100000);
  canceller.join();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), base::ErrorCode::kCancelled);
  EXPECT_GT(written, 1000u);
}

// A consumer thread following the ring and saving its cursor after every batch; the writer
// writes several laps' worth and must never overwrite unread data.
TEST(BlockPolicy, FollowingConsumerGetsEveryRecordAcrossManyLaps) {
  TempDir tmp;
  auto w = RingWriter::open(block_config(tmp.ring(), 20 * base::kNsPerSec));
  ASSERT_TRUE(w.ok());
  CursorStore cursors(tmp.ring());
  ASSERT_TRUE(cursors.save("follower", Cursor{}).ok());
  constexpr uint64_t kCount = 6000;  // ~4 laps
  std::vector<uint64_t> got;
  uint64_t bad = 0, gaps = 0;
  std::thread consumer([&] {
    RingReaderOptions opt;
    opt.follow = true;
    opt.follow_timeout_ns = 10 * base::kNsPerSec;
    auto r = RingReader::open(tmp.ring(), opt);
    ASSERT_TRUE(r.ok());
    (*r)->seek(RingPosition{});
    pcap::PacketBatch batch;
    while (got.size() < kCount) {
      auto st = (*r)->next_batch(batch, 100);
      ASSERT_TRUE(st.ok());
      if (*st == ReadStatus::kEnd) break;
      if (*st == ReadStatus::kGap) {
        ++gaps;
        continue;
      }
      for (const auto& rec : batch.records) {
        got.push_back(packet_number(rec));
        bad += !matches(rec, got.back());
      }
      ASSERT_TRUE(cursors.save("follower", (*r)->cursor()).ok());
    }
  });
  for (uint64_t i = 0; i < kCount; i += 50) {
    append_range(**w, i, 50);
    ASSERT_TRUE((*w)->commit().ok());
  }
  consumer.join();
  EXPECT_EQ(gaps, 0u);
  EXPECT_EQ(bad, 0u);
  EXPECT_TRUE(is_range(got, 0, kCount));
  EXPECT_GE((*w)->stats().segments_overwritten, 10u);
}

}  // namespace
}  // namespace snapflow::ring::testing
