// Recovery from every kind of torn tail: the ring reopens with every complete record, the
// tail dropped, index and metadata consistent, and the writer continues after the last record.
#include "snapflow/ring/recover.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "ring_test_util.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/time_index.h"
#include "snapflow/ring/window.h"

namespace snapflow::ring::testing {
namespace {

constexpr uint64_t kWritten = 200;  // all in segment slot 0

uint64_t offset_of(uint64_t k) {
  uint64_t off = kSegmentHeaderBytes;
  for (uint64_t i = 0; i < k; ++i) off += record_bytes_of(i);
  return off;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}
void append_bytes(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::app) << data;
}

enum class Damage {
  kCutInRecordHeader,    ///< file ends 7 bytes into record 190's header
  kCutInRecordData,      ///< file ends 5 bytes into record 190's data
  kTrailingGarbage,      ///< random bytes after the last record
  kZeroTail,             ///< preallocated / padding zeros after the last record
  kMetadataAheadOfData,  ///< metadata counts 200 records, the file lost everything after 120
  kMetadataBehindData,   ///< metadata counts 150 records, the file holds all 200
};

struct Case {
  Damage damage;
  bool stale_metadata;  ///< metadata restored to its state after record 150
  uint64_t kept;        ///< records recovery must keep
  const char* name;
};

class RecoverTest : public ::testing::TestWithParam<Case> {};

TEST_P(RecoverTest, KeepsEveryCompleteRecordAndDropsTheTornTail) {
  const Case c = GetParam();
  TempDir tmp;
  const RingConfig config = small_config(tmp.ring());
  std::string meta_at_150;
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 150);
    ASSERT_TRUE((*w)->commit().ok());
    meta_at_150 = read_bytes((*w)->layout().meta_path(0));
    append_range(**w, 150, kWritten - 150);
    ASSERT_TRUE((*w)->close().ok());
  }
  const RingLayout layout = *open_ring(tmp.ring());
  const std::string seg = layout.segment_path(0);
  if (c.stale_metadata) write_bytes(layout.meta_path(0), meta_at_150);
  switch (c.damage) {
    case Damage::kCutInRecordHeader:
      std::filesystem::resize_file(seg, offset_of(190) + 7);
      break;
    case Damage::kCutInRecordData:
      std::filesystem::resize_file(seg, offset_of(190) + 16 + 5);
      break;
    case Damage::kTrailingGarbage: {
      std::mt19937 rng(42);
      std::string junk(3000, '\0');
      for (auto& ch : junk) ch = static_cast<char>(rng());
      append_bytes(seg, junk);
      break;
    }
    case Damage::kZeroTail:
      append_bytes(seg, std::string(8192, '\0'));
      break;
    case Damage::kMetadataAheadOfData:
      std::filesystem::resize_file(seg, offset_of(120) + 30);
      break;
    case Damage::kMetadataBehindData:
      break;
  }
  const uint64_t damaged_size = std::filesystem::file_size(seg);

  auto w = RingWriter::open(config);  // recovers
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  const RecoveryReport& rep = (*w)->recovery_report();
  SCOPED_TRACE(rep.summary());
  EXPECT_EQ(rep.segments_checked, 1u);
  EXPECT_EQ(rep.head.packets, c.kept);
  EXPECT_EQ(rep.bytes_dropped, damaged_size - offset_of(c.kept));
  const uint64_t meta_packets = c.stale_metadata ? 150 : kWritten;
  EXPECT_EQ(rep.records_beyond_metadata, c.kept > meta_packets ? c.kept - meta_packets : 0);
  EXPECT_EQ(rep.records_missing, meta_packets > c.kept ? meta_packets - c.kept : 0);
  EXPECT_EQ(std::filesystem::file_size(seg), offset_of(c.kept));

  // Metadata and index agree with the data: every counted entry points at its record.
  const SegmentInfo info = read_segment_info(layout, 0).value();
  EXPECT_EQ(info.packets, c.kept);
  EXPECT_EQ(info.committed_bytes, offset_of(c.kept));
  EXPECT_EQ(info.last_ts_ns, make_packet(c.kept - 1).ts_ns);
  auto idx = load_index(layout.index_path(0), info.index_count);
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(idx->size(), info.index_count);
  for (const auto& e : *idx) {
    ASSERT_LT(e.packets, c.kept);
    EXPECT_EQ(e.offset, offset_of(e.packets));
    EXPECT_EQ(e.ts_ns, make_packet(e.packets).ts_ns);
  }
  EXPECT_GE(idx->size(), c.kept / 10);  // one entry per ms = per 10 records at least

  // The writer continues right after the last kept record.
  append_range(**w, c.kept, 50);
  ASSERT_TRUE((*w)->close().ok());
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(is_range(all.numbers, 0, c.kept + 50));
  EXPECT_EQ(all.bad, 0u);
  auto ws = window_stats(layout, make_packet(c.kept - 5).ts_ns, make_packet(c.kept + 5).ts_ns);
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->packets, 10u);
}

INSTANTIATE_TEST_SUITE_P(
    TornTails, RecoverTest,
    ::testing::Values(Case{Damage::kCutInRecordHeader, true, 190, "CutInRecordHeader"},
                      Case{Damage::kCutInRecordData, true, 190, "CutInRecordData"},
                      Case{Damage::kTrailingGarbage, true, kWritten, "TrailingGarbage"},
                      Case{Damage::kZeroTail, true, kWritten, "ZeroTail"},
                      Case{Damage::kMetadataAheadOfData, false, 120, "MetadataAheadOfData"},
                      Case{Damage::kMetadataBehindData, true, kWritten, "MetadataBehindData"}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

TEST(Recover, CleanRingNeedsNoRepair) {
  TempDir tmp;
  {
    auto w = RingWriter::open(small_config(tmp.ring()));
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 1000);
    ASSERT_TRUE((*w)->close().ok());
  }
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->recovery_report().segments_repaired, 0u);
  EXPECT_EQ((*w)->recovery_report().head.packets, 1000u);
}

TEST(Recover, ActiveCaptureIsClosedAtTheRecoveredHead) {
  TempDir tmp;
  const RingConfig config = small_config(tmp.ring());
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 100);
    ASSERT_TRUE((*w)->commit().ok());
    auto cat = CaptureCatalog::open(tmp.ring());
    ASSERT_TRUE(cat->start("live", (*w)->committed_position(), make_packet(100).ts_ns).ok());
    append_range(**w, 100, 60);
    ASSERT_TRUE((*w)->close().ok());
  }
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->recovery_report().catalog_entries_fixed, 1u);
  auto cat = CaptureCatalog::open(tmp.ring());
  const CaptureEntry* e = cat->find("live");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->active);
  EXPECT_EQ(e->packets(), 60u);
  EXPECT_EQ(e->stop_ns, make_packet(159).ts_ns);
}

// A crash between reusing a slot's metadata and truncating its file leaves the previous
// generation's bytes under the new sequence number: they must not be resurrected.
TEST(Recover, StaleGenerationUnderANewSequenceNumberIsDiscarded) {
  TempDir tmp;
  const RingConfig config = small_config(tmp.ring());
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok());
    append_range(**w, 0, 1200);  // 4 segments, slot 0 holds seq 1
    ASSERT_TRUE((*w)->close().ok());
  }
  const RingLayout layout = *open_ring(tmp.ring());
  auto segs = list_segments(layout).value();
  ASSERT_EQ(segs.size(), 4u);
  ASSERT_EQ(segs.back().state, SegmentState::kActive);
  // Simulate: the writer sealed the newest, wrote metadata for seq 5 in slot 0, then died.
  const std::string saved_slot0_data = read_bytes(layout.segment_path(0));
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok());
    append_range(**w, 1200, 400);  // rolls into seq 5 (slot 0)
    ASSERT_TRUE((*w)->close().ok());
  }
  write_bytes(layout.segment_path(0), saved_slot0_data);  // old generation's bytes come back
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok());
  const SegmentInfo s0 = read_segment_info(layout, 0).value();
  EXPECT_EQ(s0.seq, 5u);
  EXPECT_EQ(s0.packets, 0u);
  EXPECT_EQ(std::filesystem::file_size(layout.segment_path(0)), 0u);
  ASSERT_TRUE((*w)->close().ok());
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r);
  EXPECT_EQ(all.bad, 0u);
  ASSERT_FALSE(all.numbers.empty());
  EXPECT_TRUE(is_range(all.numbers, all.numbers.front(), all.numbers.size()));
  EXPECT_LT(all.numbers.back(), 1600u);
}

}  // namespace
}  // namespace snapflow::ring::testing
