// RingIndex: span and lookups against brute force over the records written, on filled,
// wrapped and empty rings, with bounded work per lookup.
#include "extract_test_util.h"
#include "snapflow/ring/ring.h"

namespace snapflow::extract::testing {
namespace {

// Ring-wide cumulative record bytes before record i (records are numbered from 0).
std::vector<uint64_t> cumulative(const std::vector<Rec>& recs) {
  std::vector<uint64_t> c(recs.size() + 1, 0);
  for (size_t i = 0; i < recs.size(); ++i) c[i + 1] = c[i] + 16 + recs[i].data.size();
  return c;
}

class RingIndexTest : public ::testing::Test {
 protected:
  void write(size_t n, uint32_t segments) {
    recs_ = make_records(n, 11, 200'000, 3'000'000'000);
    write_ring(ring_config(dir(), 256 << 10, segments), recs_);
    cum_ = cumulative(recs_);
    index_ = open_index(dir());
  }
  std::string dir() const { return tmp_.path() + "/ring"; }
  // The first live record (the ring-wide number of the oldest segment's first record).
  size_t oldest() {
    auto span = index_->span();
    EXPECT_TRUE(span.ok());
    return static_cast<size_t>(span->start().packets);
  }

  TempDir tmp_;
  std::vector<Rec> recs_;
  std::vector<uint64_t> cum_;
  std::unique_ptr<RingIndex> index_;
};

TEST_F(RingIndexTest, SpanMatchesTheRingsOwnSegmentList) {
  write(20'000, 64);
  auto span = index_->span();
  ASSERT_TRUE(span.ok()) << span.error().to_string();
  auto segs = ring::list_segments(index_->layout());
  ASSERT_TRUE(segs.ok());
  ASSERT_GE(segs->size(), 10u);
  EXPECT_FALSE(span->empty);
  EXPECT_EQ(span->oldest.seq, segs->front().seq);
  EXPECT_EQ(span->newest.seq, segs->back().seq);
  EXPECT_EQ(span->first_ts_ns, recs_.front().ts);
  EXPECT_EQ(span->last_ts_ns, recs_.back().ts);
  EXPECT_EQ(span->packets(), recs_.size());
  EXPECT_EQ(span->segments(), segs->size());
}

TEST_F(RingIndexTest, WrappedRingSpanAndBinarySearchOverSlots) {
  write(40'000, 8);  // ~4x the ring: the oldest data is gone
  auto segs = ring::list_segments(index_->layout());
  ASSERT_TRUE(segs.ok());
  ASSERT_EQ(segs->size(), 8u);
  auto span = index_->span();
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(span->oldest.seq, segs->front().seq);
  EXPECT_EQ(span->newest.seq, segs->back().seq);
  EXPECT_GT(span->oldest.seq, 8u);
  EXPECT_EQ(span->end().packets, recs_.size());
  EXPECT_EQ(span->first_ts_ns, recs_[span->start().packets].ts);
  // O(log slots) metadata reads, not one per slot (1 + log2(8) + the oldest's).
  const uint64_t before = index_->counters().metadata_reads;
  ASSERT_TRUE(index_->span().ok());
  EXPECT_LE(index_->counters().metadata_reads - before, 6u);
}

TEST_F(RingIndexTest, LocateTimeIsTheFirstRecordAtOrAfter) {
  write(30'000, 16);  // wrapped
  const size_t first = oldest();
  std::mt19937_64 rng(5);
  const int64_t lo = recs_.front().ts - 1'000'000;
  const int64_t hi = recs_.back().ts + 1'000'000;
  for (int i = 0; i < 3000; ++i) {
    int64_t t = lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo));
    if (i % 3 == 0) t = recs_[rng() % recs_.size()].ts;  // exact hits, runs of equal times
    auto found = index_->locate_time(t);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    size_t expect = window_of(recs_, t, t).first;
    if (expect < first) expect = first;  // before the oldest data: the oldest record
    ASSERT_EQ(found->position.packets, expect) << "t=" << t;
    EXPECT_EQ(found->position.record_bytes, cum_[expect]);
    EXPECT_EQ(found->has_record, expect < recs_.size());
    if (found->has_record) {
      EXPECT_EQ(found->ts_ns, recs_[expect].ts);
    }
  }
}

TEST_F(RingIndexTest, LocateBytesIsTheLastBoundaryAtOrBefore) {
  write(20'000, 64);
  std::mt19937_64 rng(6);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t target = rng() % (cum_.back() + 1000);
    auto found = index_->locate_bytes(target);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    const size_t expect =
        static_cast<size_t>(std::upper_bound(cum_.begin(), cum_.end(), target) - cum_.begin() - 1);
    ASSERT_EQ(found->position.packets, expect) << "target=" << target;
    EXPECT_EQ(found->position.record_bytes, cum_[expect]);
    if (found->has_record) {
      EXPECT_EQ(found->ts_ns, recs_[expect].ts);
    }
  }
}

TEST_F(RingIndexTest, WorkPerLookupIsBounded) {
  write(40'000, 64);
  std::mt19937_64 rng(8);
  for (int i = 0; i < 200; ++i) {
    const IndexCounters before = index_->counters();
    auto found = index_->locate_time(recs_[rng() % recs_.size()].ts + 1);
    ASSERT_TRUE(found.ok());
    const IndexCounters& after = index_->counters();
    // One index interval (16 KiB here) plus one chunk's slack; a few dozen small reads.
    EXPECT_LE(after.scanned_bytes - before.scanned_bytes, (16u << 10) + (64u << 10));
    EXPECT_LE(after.index_reads - before.index_reads, 24u);
    EXPECT_LE(after.metadata_reads - before.metadata_reads, 24u);
  }
}

TEST_F(RingIndexTest, AtGivesTheRecordAtABoundary) {
  write(5'000, 64);
  auto span = index_->span();
  ASSERT_TRUE(span.ok());
  for (size_t i : {size_t{0}, size_t{1}, size_t{2500}, size_t{4999}}) {
    auto l = index_->locate_bytes(cum_[i]);
    ASSERT_TRUE(l.ok());
    auto a = index_->at(l->position);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->has_record);
    EXPECT_EQ(a->ts_ns, recs_[i].ts);
  }
  // The end of a sealed segment is the next segment's first record.
  auto segs = ring::list_segments(index_->layout());
  ASSERT_TRUE(segs.ok());
  auto a = index_->at((*segs)[0].end());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->position, (*segs)[1].start());
  EXPECT_EQ(a->ts_ns, recs_[(*segs)[1].base.packets].ts);
  auto end = index_->at(span->end());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_record);
}

TEST_F(RingIndexTest, EmptyAndMissingRings) {
  auto missing = RingIndex::open(tmp_.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kNotFound);
  auto w = ring::RingWriter::open(ring_config(dir()));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->close().ok());
  index_ = open_index(dir());
  auto span = index_->span();
  ASSERT_TRUE(span.ok());
  EXPECT_TRUE(span->empty);
  auto l = index_->locate_time(kBaseNs);
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE(l->has_record);
}

TEST_F(RingIndexTest, FallsBackToAFullScanWhenSlotsBreakThePattern) {
  write(20'000, 64);
  // Slot 0's metadata lost (e.g. an operator removed it): the rotated pattern cannot be used,
  // the scan still finds the live segments.
  const ring::RingLayout layout = index_->layout();
  std::filesystem::remove(layout.meta_path(0));
  index_ = open_index(dir());
  auto span = index_->span();
  ASSERT_TRUE(span.ok());
  auto segs = ring::list_segments(layout);
  ASSERT_TRUE(segs.ok());
  EXPECT_EQ(span->oldest.seq, segs->front().seq);
  EXPECT_EQ(span->newest.seq, segs->back().seq);
}

}  // namespace
}  // namespace snapflow::extract::testing
