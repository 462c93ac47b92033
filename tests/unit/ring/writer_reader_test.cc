// Round trips, resume after close, wrap-around, overrun gaps and PCAP validity of segments.
#include <sys/stat.h>

#include <numeric>

#include "ring_test_util.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::ring::testing {
namespace {

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(RingWriter, RoundTripWithExactCounters) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  append_range(**w, 0, 200);
  ASSERT_TRUE((*w)->commit().ok());
  const RingPosition end = (*w)->committed_position();
  EXPECT_EQ(end.packets, 200u);
  uint64_t wire = 0, rec = 0;
  for (uint64_t i = 0; i < 200; ++i) wire += wire_bytes_of(i), rec += record_bytes_of(i);
  EXPECT_EQ(end.wire_bytes, wire);
  EXPECT_EQ(end.record_bytes, rec);

  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const ReadAll all = read_all(**r, 17);
  EXPECT_TRUE(is_range(all.numbers, 0, 200));
  EXPECT_EQ(all.bad, 0u);
  EXPECT_TRUE(all.gaps.empty());
  EXPECT_EQ((*r)->position(), end);
  EXPECT_EQ((*r)->last_ts_ns(), make_packet(199).ts_ns);
}

TEST(RingWriter, UncommittedRecordsAreInvisible) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  append_range(**w, 0, 30);
  ASSERT_TRUE((*w)->commit().ok());
  append_range(**w, 30, 200);  // several full blocks reach the disk, but are not committed
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(is_range(read_all(**r).numbers, 0, 30));
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_TRUE(is_range(read_all(**r).numbers, 30, 200));
}

TEST(RingWriter, RejectsRecordsOutsideLimits) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  std::vector<std::byte> big(20000);
  EXPECT_FALSE((*w)->append(kBaseTsNs, big, 20000).ok());  // > snaplen
  EXPECT_FALSE((*w)->append(kBaseTsNs, {}, 0).ok());
  std::vector<std::byte> small(10);
  EXPECT_FALSE((*w)->append(kBaseTsNs, small, 5).ok());  // wire < captured
  EXPECT_FALSE((*w)->append(-1, small, 10).ok());
  EXPECT_TRUE((*w)->append(kBaseTsNs, small, 10).ok());
}

TEST(RingWriter, SecondWriterIsRefusedWhileFirstHoldsTheLock) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  auto w2 = RingWriter::open(small_config(tmp.ring()));
  ASSERT_FALSE(w2.ok());
  EXPECT_EQ(w2.error().code(), base::ErrorCode::kUnavailable);
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_TRUE(RingWriter::open(small_config(tmp.ring())).ok());
}

TEST(RingWriter, GeometryMismatchIsRefused) {
  TempDir tmp;
  ASSERT_TRUE(RingWriter::open(small_config(tmp.ring())).ok());
  RingConfig other = small_config(tmp.ring());
  other.segment_count = 5;
  EXPECT_FALSE(RingWriter::open(other).ok());
  other = small_config(tmp.ring());
  other.segment_bytes = 1000;  // not a multiple of 4096
  EXPECT_FALSE(validate(other).ok());
}

TEST(RingWriter, CloseThenReopenResumesInTheSameSegment) {
  TempDir tmp;
  {
    auto w = RingWriter::open(small_config(tmp.ring()));
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 100);
    ASSERT_TRUE((*w)->close().ok());
  }
  auto segs = list_segments(*open_ring(tmp.ring()));
  ASSERT_TRUE(segs.ok());
  ASSERT_EQ(segs->size(), 1u);
  // close() cut the O_DIRECT padding: the file is exactly the committed PCAP.
  EXPECT_EQ(file_size(open_ring(tmp.ring())->segment_path(0)), segs->front().committed_bytes);
  {
    auto w = RingWriter::open(small_config(tmp.ring()));
    ASSERT_TRUE(w.ok());
    EXPECT_EQ((*w)->recovery_report().segments_repaired, 0u) << (*w)->recovery_report().summary();
    EXPECT_EQ((*w)->head_position().packets, 100u);
    append_range(**w, 100, 100);
    ASSERT_TRUE((*w)->close().ok());
  }
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(is_range(all.numbers, 0, 200));
  EXPECT_EQ(all.bad, 0u);
  EXPECT_EQ(list_segments(*open_ring(tmp.ring()))->size(), 1u);
}

TEST(RingWriter, WrapsAroundAndReusesTheOldestSegment) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  constexpr uint64_t kCount = 5000;  // ~3.4 laps of a 4 x 64 KiB ring
  for (uint64_t i = 0; i < kCount; i += 100) {
    append_range(**w, i, 100);
    ASSERT_TRUE((*w)->commit().ok());
  }
  EXPECT_GT((*w)->stats().segments_overwritten, 4u);
  auto segs = list_segments((*w)->layout());
  ASSERT_TRUE(segs.ok());
  ASSERT_EQ(segs->size(), 4u);
  for (size_t k = 1; k < segs->size(); ++k) {
    EXPECT_EQ((*segs)[k].seq, (*segs)[k - 1].seq + 1);
    EXPECT_EQ((*segs)[k].base, (*segs)[k - 1].end().packets == (*segs)[k].base.packets
                                   ? (*segs)[k].base
                                   : RingPosition{});
    EXPECT_EQ((*segs)[k].base.record_bytes, (*segs)[k - 1].end().record_bytes);
  }
  const uint64_t oldest_first = segs->front().base.packets;
  EXPECT_GT(oldest_first, 0u);
  auto r = RingReader::open(tmp.ring());  // starts at the oldest surviving data: no gap
  ASSERT_TRUE(r.ok());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(all.gaps.empty());
  EXPECT_TRUE(is_range(all.numbers, oldest_first, kCount - oldest_first));
  EXPECT_EQ(all.bad, 0u);
}

TEST(RingReader, OverrunReportsTheExactGapAndResumesAtTheOldest) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  append_range(**w, 0, 300);
  ASSERT_TRUE((*w)->commit().ok());
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  pcap::PacketBatch batch;
  auto st = (*r)->next_batch(batch, 120);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(*st, ReadStatus::kRecords);
  ASSERT_EQ(batch.size(), 120u);
  const int64_t last_seen_ts = batch.records.back().ts_ns;

  for (uint64_t i = 300; i < 4000; i += 50) {  // > one lap: the reader's segment is reused
    append_range(**w, i, 50);
    ASSERT_TRUE((*w)->commit().ok());
  }
  st = (*r)->next_batch(batch, 64);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(*st, ReadStatus::kGap);
  const Gap gap = (*r)->last_gap();
  const uint64_t resume = (*r)->position().packets;  // first surviving record
  EXPECT_EQ(gap.packets, resume - 120);
  uint64_t wire = 0, rec = 0;
  for (uint64_t i = 120; i < resume; ++i) wire += wire_bytes_of(i), rec += record_bytes_of(i);
  EXPECT_EQ(gap.wire_bytes, wire);
  EXPECT_EQ(gap.record_bytes, rec);
  EXPECT_EQ(gap.start_ns, last_seen_ts);
  EXPECT_EQ(gap.end_ns, make_packet(resume).ts_ns);
  EXPECT_EQ((*r)->gaps(), 1u);

  const ReadAll rest = read_all(**r);
  EXPECT_TRUE(rest.gaps.empty());
  EXPECT_TRUE(is_range(rest.numbers, resume, 4000 - resume));
  EXPECT_EQ(rest.bad, 0u);
}

TEST(RingReader, SavedCursorBehindTheOldestDataYieldsAGap) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  auto r = RingReader::open(tmp.ring());  // empty ring: position {} (before everything)
  ASSERT_TRUE(r.ok());
  append_range(**w, 0, 3000);
  ASSERT_TRUE((*w)->commit().ok());
  pcap::PacketBatch batch;
  auto st = (*r)->next_batch(batch, 10);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(*st, ReadStatus::kGap);
  const uint64_t resume = (*r)->position().packets;
  EXPECT_EQ((*r)->last_gap().packets, resume);
  EXPECT_EQ((*r)->last_gap().start_ns, 0);
  EXPECT_TRUE(is_range(read_all(**r).numbers, resume, 3000 - resume));
}

TEST(RingSegments, SealedAndActiveSegmentsAreValidNanosecondPcap) {
  TempDir tmp;
  uint64_t total = 0;
  {
    auto w = RingWriter::open(small_config(tmp.ring()));
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 900);  // two sealed segments and an active one
    ASSERT_TRUE((*w)->close().ok());
    total = 900;
  }
  const RingLayout layout = *open_ring(tmp.ring());
  auto segs = list_segments(layout);
  ASSERT_TRUE(segs.ok());
  ASSERT_GE(segs->size(), 3u);
  uint64_t next = 0;
  for (const auto& s : *segs) {
    auto reader = pcap::PacketReader::open(layout.segment_path(s.slot));
    ASSERT_TRUE(reader.ok()) << reader.error().to_string();
    pcap::PacketBatch batch;
    while (true) {
      auto n = (*reader)->next_batch(batch, 256);
      ASSERT_TRUE(n.ok()) << n.error().to_string();
      if (*n == 0) break;
      for (const auto& rec : batch.records) {
        EXPECT_TRUE(matches(rec, next)) << next;
        EXPECT_EQ(rec.link_type, pcap::kLinkEthernet);
        ++next;
      }
    }
    EXPECT_EQ((*reader)->stats().records, s.packets);
  }
  EXPECT_EQ(next, total);
}

// A consumer that uses only the head of each batch and seeks back for the rest (pcap2json's
// part cuts) reads every record once, also when a batch is the first of a new segment (the
// reader's position before the read is then the previous segment's end).
TEST(RingReader, SeekingBackToTheRestOfABatchReadsEveryRecordOnce) {
  TempDir tmp;
  {
    auto w = RingWriter::open(small_config(tmp.ring()));
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 1000);  // 3 segments of 64 KiB
    ASSERT_TRUE((*w)->close().ok());
  }
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  pcap::PacketBatch batch;
  std::vector<uint64_t> numbers;
  for (int i = 0; i < 10000; ++i) {
    auto st = (*r)->next_batch(batch, 64);
    ASSERT_TRUE(st.ok());
    if (*st == ReadStatus::kEnd) break;
    const size_t cut = batch.size() > 3 ? batch.size() / 2 : batch.size();
    const std::span<const pcap::PacketRecord> head(batch.records.data(), cut);
    const std::span<const pcap::PacketRecord> tail(batch.records.data() + cut, batch.size() - cut);
    for (const auto& rec : head) numbers.push_back(packet_number(rec));
    (*r)->seek(position_before((*r)->position(), tail), head.back().ts_ns);
  }
  EXPECT_TRUE(is_range(numbers, 0, 1000)) << numbers.size();
}

}  // namespace
}  // namespace snapflow::ring::testing
