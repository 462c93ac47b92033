// Time index encoding and search, and exact window totals against a brute-force count.
#include "ring_test_util.h"
#include "snapflow/ring/time_index.h"
#include "snapflow/ring/window.h"

namespace snapflow::ring::testing {
namespace {

TEST(TimeIndex, EntryRoundTripsAndDetectsCorruption) {
  const IndexEntry e{kBaseTsNs, 4096, 10, 1500, 1700};
  std::byte buf[kIndexEntryBytes];
  encode_index_entry(e, buf);
  IndexEntry d;
  ASSERT_TRUE(decode_index_entry(buf, d));
  EXPECT_EQ(d, e);
  buf[9] ^= std::byte{1};
  EXPECT_FALSE(decode_index_entry(buf, d));
}

TEST(TimeIndex, FindScanStartIsTheLastEntryBeforeTheTarget) {
  const std::vector<IndexEntry> entries = {
      {100, 24, 0, 0, 0}, {200, 500, 5, 0, 0}, {200, 900, 9, 0, 0}, {300, 1300, 13, 0, 0}};
  EXPECT_EQ(find_scan_start(entries, 50), 0u);
  EXPECT_EQ(find_scan_start(entries, 100), 0u);
  EXPECT_EQ(find_scan_start(entries, 150), 0u);
  EXPECT_EQ(find_scan_start(entries, 200), 0u);  // equal timestamps: start before them
  EXPECT_EQ(find_scan_start(entries, 201), 2u);
  EXPECT_EQ(find_scan_start(entries, 1000), 3u);
}

TEST(TimeIndex, PolicyAddsEntriesByTimeAndBytes) {
  IndexPolicy p(1000, 100);
  EXPECT_TRUE(p.take(0, 24));      // first record
  EXPECT_FALSE(p.take(500, 60));   // neither interval passed
  EXPECT_TRUE(p.take(1000, 80));   // time interval
  EXPECT_TRUE(p.take(1001, 180));  // byte interval
}

class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = RingWriter::open(small_config(tmp_.ring()));
    ASSERT_TRUE(w.ok());
    // 1000 records spread over 3 segments, nothing overwritten.
    append_range(**w, 0, kCount);
    ASSERT_TRUE((*w)->close().ok());
    layout_ = *open_ring(tmp_.ring());
  }
  // Brute force: records i with start <= ts(i) < stop.
  static WindowStats expected(int64_t start_ns, int64_t stop_ns) {
    WindowStats w;
    w.pcap_bytes = 24;
    for (uint64_t i = 0; i < kCount; ++i) {
      const int64_t ts = make_packet(i).ts_ns;
      if (ts < start_ns || ts >= stop_ns) continue;
      w.packets += 1;
      w.wire_bytes += wire_bytes_of(i);
      w.pcap_bytes += record_bytes_of(i);
    }
    return w;
  }
  static constexpr uint64_t kCount = 1000;
  TempDir tmp_;
  RingLayout layout_;
};

TEST_F(WindowTest, IndexHasEntriesAboutEveryMillisecond) {
  auto segs = list_segments(layout_);
  ASSERT_TRUE(segs.ok());
  ASSERT_GE(segs->size(), 3u);
  uint64_t entries = 0;
  for (const auto& s : *segs) {
    auto idx = load_index(layout_.index_path(s.slot), s.index_count);
    ASSERT_TRUE(idx.ok());
    ASSERT_EQ(idx->size(), s.index_count);
    EXPECT_EQ(idx->front().offset, kSegmentHeaderBytes);
    EXPECT_EQ(idx->front().packets, s.base.packets);
    entries += idx->size();
  }
  // 1000 records at 100 us: 100 ms of traffic, an entry at least every 1 ms.
  EXPECT_GE(entries, 100u);
  EXPECT_LE(entries, 130u);
}

TEST_F(WindowTest, FindPositionLandsOnTheFirstRecordAtOrAfterTheTime) {
  for (uint64_t i : {0ull, 1ull, 9ull, 10ull, 11ull, 377ull, 378ull, 999ull}) {
    const int64_t ts = make_packet(i).ts_ns;
    for (int64_t delta : {-1, 0}) {
      auto p = find_position(layout_, ts + delta);
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->packets, i) << i << " delta " << delta;
    }
    auto after = find_position(layout_, ts + 1);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->packets, i + 1);
  }
  auto end = find_position(layout_, kBaseTsNs + 1'000'000'000'000);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->packets, kCount);
}

TEST_F(WindowTest, WindowStatsAreExact) {
  const int64_t t0 = kBaseTsNs;
  const std::vector<std::pair<int64_t, int64_t>> windows = {
      {t0, t0 + 100 * base::kNsPerMs},         // everything
      {t0 - base::kNsPerSec, t0 + 5'000'000},  // from before the ring
      {t0 + 3'333'333, t0 + 47'123'456},       // spans segments
      {t0 + 50 * kStepNs, t0 + 50 * kStepNs},  // empty
      {t0 + 50 * kStepNs, t0 + 51 * kStepNs},  // one record
      {t0 + 99 * base::kNsPerMs, t0 + base::kNsPerSec},
  };
  for (const auto& [a, b] : windows) {
    auto got = window_stats(layout_, a, b);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    const WindowStats want = expected(a, b);
    EXPECT_EQ(got->packets, want.packets) << a - t0 << ".." << b - t0;
    EXPECT_EQ(got->wire_bytes, want.wire_bytes);
    EXPECT_EQ(got->pcap_bytes, want.pcap_bytes);
  }
}

TEST_F(WindowTest, ForEachRecordInDeliversExactlyTheWindow) {
  const int64_t a = kBaseTsNs + 12'345'678, b = kBaseTsNs + 77'000'001;
  std::vector<uint64_t> seen;
  auto got = for_each_record_in(layout_, a, b, [&](const pcap::PacketRecord& r) {
    EXPECT_TRUE(matches(r, packet_number(r)));
    seen.push_back(packet_number(r));
    return base::ok_status();
  });
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  const WindowStats want = expected(a, b);
  EXPECT_EQ(got->packets, want.packets);
  EXPECT_EQ(got->pcap_bytes, want.pcap_bytes);
  ASSERT_FALSE(seen.empty());
  EXPECT_GE(make_packet(seen.front()).ts_ns, a);
  EXPECT_LT(make_packet(seen.front() - 1).ts_ns, a);
  EXPECT_TRUE(is_range(seen, seen.front(), want.packets));
}

TEST_F(WindowTest, CallbackErrorStopsTheWalk) {
  int calls = 0;
  auto got = for_each_record_in(layout_, kBaseTsNs, kBaseTsNs + base::kNsPerSec,
                                [&](const pcap::PacketRecord&) -> base::Status {
                                  if (++calls == 5) {
                                    return base::make_error(base::ErrorCode::kIo, "client gone");
                                  }
                                  return base::ok_status();
                                });
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(calls, 5);
}

}  // namespace
}  // namespace snapflow::ring::testing
