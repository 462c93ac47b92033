// A capture clock that jumps hours backwards and forwards inside one segment: recovery keeps
// every committed record, and time lookups still find the first record (in file order) at or
// after any time, checked against a brute-force scan.
#include "ring_test_util.h"
#include "snapflow/ring/time_index.h"
#include "snapflow/ring/window.h"

namespace snapflow::ring::testing {
namespace {

constexpr int64_t kHour = 3600 * base::kNsPerSec;

// Record i's time: stretches two hours back, three hours forward, back to the first clock, and
// the last few records (after the last index entry, where recovery rescans) five hours back.
int64_t jumpy_ts(uint64_t i) {
  const int64_t step = static_cast<int64_t>(i) * kStepNs;
  if (i < 300) return kBaseTsNs + step;
  if (i < 600) return kBaseTsNs - 2 * kHour + step;
  if (i < 900) return kBaseTsNs + 3 * kHour + step;
  if (i < 1195) return kBaseTsNs + step;
  return kBaseTsNs - 5 * kHour + step;
}

void append_jumpy(RingWriter& w, uint64_t first, uint64_t count) {
  for (uint64_t i = first; i < first + count; ++i) {
    const TestPacket p = make_packet(i);
    ASSERT_TRUE(w.append(jumpy_ts(i), p.bytes, p.wire_length).ok());
  }
}

class TimeJump : public ::testing::Test {
 protected:
  static constexpr uint64_t kCount = 1200;
  void SetUp() override {
    config_ = small_config(tmp_.ring());
    config_.segment_bytes = 256 << 10;  // every jump inside one segment
    auto w = RingWriter::open(config_);
    ASSERT_TRUE(w.ok());
    append_jumpy(**w, 0, kCount);
    ASSERT_TRUE((*w)->close().ok());
    layout_ = *open_ring(tmp_.ring());
  }
  // First record (file order) with ts >= t: its number, or kCount.
  static uint64_t brute_first_at_or_after(int64_t t) {
    for (uint64_t i = 0; i < kCount; ++i) {
      if (jumpy_ts(i) >= t) return i;
    }
    return kCount;
  }
  TempDir tmp_;
  RingConfig config_;
  RingLayout layout_;
};

TEST_F(TimeJump, ReopeningKeepsEveryCommittedRecord) {
  ASSERT_EQ(list_segments(layout_).value().size(), 1u);
  for (int round = 0; round < 2; ++round) {
    auto w = RingWriter::open(config_);  // recovery scans the active segment each time
    ASSERT_TRUE(w.ok());
    const RecoveryReport& rep = (*w)->recovery_report();
    EXPECT_EQ(rep.records_missing, 0u) << rep.summary();
    EXPECT_EQ(rep.head.packets, kCount);
    ASSERT_TRUE((*w)->close().ok());
  }
  const SegmentInfo s = read_segment_info(layout_, 0).value();
  EXPECT_EQ(s.packets, kCount);
  EXPECT_EQ(s.first_ts_ns, jumpy_ts(0));
  EXPECT_EQ(s.last_ts_ns, jumpy_ts(899));  // the largest, not the last
  auto r = RingReader::open(tmp_.ring());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(is_range(all.numbers, 0, kCount));
}

TEST_F(TimeJump, LookupsFindTheFirstRecordAtOrAfterAnyTime) {
  std::vector<int64_t> probes;
  for (uint64_t i = 0; i < kCount; i += 7) {
    probes.push_back(jumpy_ts(i));
    probes.push_back(jumpy_ts(i) + 1);
    probes.push_back(jumpy_ts(i) - 1);
  }
  probes.push_back(kBaseTsNs - 3 * kHour);
  probes.push_back(kBaseTsNs + 10 * kHour);
  for (const int64_t t : probes) {
    const uint64_t want = brute_first_at_or_after(t);
    auto p = find_position(layout_, t);
    ASSERT_TRUE(p.ok()) << p.error().to_string();
    ASSERT_EQ(p->packets, want) << "t = " << t;
  }
}

TEST_F(TimeJump, RecoveredIndexGivesTheSameLookups) {
  // Drop the index entirely: recovery rebuilds it from the records with the segment's interval.
  SegmentInfo s = read_segment_info(layout_, 0).value();
  std::filesystem::resize_file(layout_.index_path(0), 0);
  auto w = RingWriter::open(config_);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->recovery_report().records_missing, 0u);
  ASSERT_TRUE((*w)->close().ok());
  s = read_segment_info(layout_, 0).value();
  EXPECT_EQ(s.packets, kCount);
  for (uint64_t i = 0; i < kCount; i += 13) {
    const int64_t t = jumpy_ts(i) + 1;
    auto p = find_position(layout_, t);
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->packets, brute_first_at_or_after(t)) << i;
  }
}

}  // namespace
}  // namespace snapflow::ring::testing
