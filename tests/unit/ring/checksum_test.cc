// Per-block checksums: bit flips, truncation and damaged checksum files in committed segments
// are detected, never returned as records, and skipped with exact totals; rings without
// checksums still open; recovery rebuilds checksums and keeps damaged committed data.
#include "snapflow/ring/checksum.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "block_sums.h"  // private: the entry codec and CRC32C (core/ring/src)
#include "ring_test_util.h"
#include "snapflow/ring/window.h"

namespace snapflow::ring::testing {
namespace {

constexpr size_t kBlock = 1024;

RingConfig sum_config(const std::string& dir, size_t block = kBlock) {
  RingConfig c = small_config(dir);
  c.checksum_block_bytes = block;
  return c;
}

void write_packets(const RingConfig& config, uint64_t first, uint64_t count) {
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  append_range(**w, first, count);
  ASSERT_TRUE((*w)->close().ok());
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

// Record offsets of packets [first, first + count) written to one segment from its start.
std::vector<uint64_t> offsets_of(uint64_t first, uint64_t count) {
  std::vector<uint64_t> out;
  uint64_t off = kSegmentHeaderBytes;
  for (uint64_t i = first; i < first + count; ++i) {
    out.push_back(off);
    off += record_bytes_of(i);
  }
  out.push_back(off);
  return out;
}

// The packets of [first, first + count) (in slot 0 from its start) that overlap the file
// bytes [lo, hi): what a reader must skip when those bytes are damaged, with totals.
struct Expected {
  std::vector<uint64_t> skipped;
  uint64_t wire = 0;
  uint64_t record = 0;
};
Expected overlapping(uint64_t first, uint64_t count, uint64_t lo, uint64_t hi) {
  Expected e;
  const auto off = offsets_of(first, count);
  for (uint64_t k = 0; k < count; ++k) {
    if (off[k + 1] > lo && off[k] < hi) {
      e.skipped.push_back(first + k);
      e.wire += wire_bytes_of(first + k);
      e.record += record_bytes_of(first + k);
    }
  }
  return e;
}

TEST(Crc32c, KnownVectorAndChaining) {
  const std::string text = "123456789";
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  EXPECT_EQ(crc32c(p, text.size()), 0xe3069283u);  // the CRC-32C check value
  EXPECT_EQ(crc32c(p + 4, 5, crc32c(p, 4)), 0xe3069283u);
  EXPECT_EQ(crc32c(p, 0), 0u);
}

TEST(SumEntry, RoundTripsAndRejectsDamageAndMisplacement) {
  SumEntry e{0xdeadbeef, 100, 12345, 678910};
  std::byte buf[kSumEntryBytes];
  encode_sum_entry(e, 7, buf);
  SumEntry d;
  ASSERT_TRUE(decode_sum_entry(buf, 7, d));
  EXPECT_EQ(d.crc, e.crc);
  EXPECT_EQ(d.first_record, 100u);
  EXPECT_EQ(d.packets, 12345u);
  EXPECT_EQ(d.wire_bytes, 678910u);
  EXPECT_FALSE(decode_sum_entry(buf, 8, d));  // another block's entry
  buf[9] ^= std::byte{1};
  EXPECT_FALSE(decode_sum_entry(buf, 7, d));
}

TEST(RingChecksums, ConfigIsValidated) {
  TempDir tmp;
  RingConfig c = sum_config(tmp.ring(), 3000);
  EXPECT_FALSE(validate(c).ok());
  c.checksum_block_bytes = 256;
  EXPECT_FALSE(validate(c).ok());
  c.checksum_block_bytes = 0;
  EXPECT_TRUE(validate(c).ok());
}

TEST(RingChecksums, EveryCommittedBlockHasAnEntryAndVerifies) {
  TempDir tmp;
  const RingConfig config = sum_config(tmp.ring());
  write_packets(config, 0, 1000);  // about 2.7 segments of 64 KiB
  const RingLayout layout = *open_ring(tmp.ring());
  auto segs = list_segments(layout).value();
  ASSERT_EQ(segs.size(), 3u);
  uint64_t records = 0;
  for (const auto& s : segs) {
    EXPECT_EQ(s.checksum_log2, 10);
    EXPECT_EQ(s.index_interval_ns, config.index_interval_ns);
    EXPECT_EQ(std::filesystem::file_size(layout.sum_path(s.slot)),
              (s.committed_bytes / kBlock) * kSumEntryBytes);
    auto v = verify_segment(layout, s.slot);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    EXPECT_TRUE(v->has_checksums);
    EXPECT_TRUE(v->damage.empty());
    EXPECT_EQ(v->records, s.packets);
    EXPECT_EQ(v->bytes_checked, s.committed_bytes);
    records += v->records;
  }
  EXPECT_EQ(records, 1000u);
  // Each entry names the first record that starts in its block.
  const auto off = offsets_of(0, segs[0].packets);
  auto entries = load_sum_entries(layout.sum_path(0), segs[0].committed_bytes / kBlock).value();
  ASSERT_EQ(entries.size(), segs[0].committed_bytes / kBlock);
  for (size_t b = 0; b < entries.size(); ++b) {
    const auto first = std::lower_bound(off.begin(), off.end(), b * kBlock);
    const bool has = first != off.end() && *first < (b + 1) * kBlock &&
                     static_cast<uint64_t>(first - off.begin()) < segs[0].packets;
    ASSERT_EQ(entries[b].has_record_start(), has) << "block " << b;
    if (!has) continue;
    const uint64_t k = static_cast<uint64_t>(first - off.begin());
    EXPECT_EQ(entries[b].first_record, *first - b * kBlock);
    EXPECT_EQ(entries[b].packets, k);
  }
}

// One flipped byte per case, in a sealed segment: the reader returns every other record
// untouched and reports the skipped ones once, exactly.
TEST(RingChecksums, BitFlipInASealedSegmentIsSkippedExactly) {
  for (const uint64_t flip_at : {uint64_t{30}, uint64_t{5000}, uint64_t{20 * 1024 + 17}}) {
    SCOPED_TRACE("flip at " + std::to_string(flip_at));
    TempDir tmp;
    const RingConfig config = sum_config(tmp.ring());
    write_packets(config, 0, 700);
    const RingLayout layout = *open_ring(tmp.ring());
    const SegmentInfo s0 = read_segment_info(layout, 0).value();
    ASSERT_EQ(s0.state, SegmentState::kSealed);
    flip_byte(layout.segment_path(0), flip_at);

    const uint64_t lo = flip_at / kBlock * kBlock;
    const Expected want = overlapping(0, s0.packets, lo, lo + kBlock);
    ASSERT_FALSE(want.skipped.empty());
    auto r = RingReader::open(tmp.ring());
    ASSERT_TRUE(r.ok());
    const ReadAll all = read_all(**r, 50);
    EXPECT_EQ(all.bad, 0u);
    ASSERT_EQ(all.damage.size(), 1u);
    const Corruption& c = all.damage[0];
    EXPECT_EQ(c.segment_seq, 1u);
    EXPECT_EQ(c.file_offset, lo);
    EXPECT_EQ(c.file_bytes, kBlock);
    EXPECT_EQ(c.lost.packets, want.skipped.size());
    EXPECT_EQ(c.lost.wire_bytes, want.wire);
    EXPECT_EQ(c.lost.record_bytes, want.record);
    EXPECT_EQ(c.from.packets, want.skipped.front());
    EXPECT_EQ(c.to.packets, want.skipped.back() + 1);
    EXPECT_EQ(all.numbers.size() + c.lost.packets, 700u);
    for (uint64_t n : want.skipped) {
      EXPECT_EQ(std::count(all.numbers.begin(), all.numbers.end(), n), 0) << n;
    }
    EXPECT_EQ((*r)->corruptions(), 1u);
    // The scrub finds the same.
    auto v = verify_segment(layout, 0).value();
    ASSERT_EQ(v.damage.size(), 1u);
    EXPECT_EQ(v.damage[0].lost.packets, c.lost.packets);
    EXPECT_EQ(v.records + c.lost.packets, s0.packets);
  }
}

TEST(RingChecksums, AdjacentDamagedBlocksAreOneExtentSeparateOnesTwo) {
  TempDir tmp;
  write_packets(sum_config(tmp.ring()), 0, 700);
  const RingLayout layout = *open_ring(tmp.ring());
  const SegmentInfo s0 = read_segment_info(layout, 0).value();
  flip_byte(layout.segment_path(0), 3 * kBlock + 5);
  flip_byte(layout.segment_path(0), 4 * kBlock + 900);
  flip_byte(layout.segment_path(0), 40 * kBlock + 1);
  const Expected a = overlapping(0, s0.packets, 3 * kBlock, 5 * kBlock);
  const Expected b = overlapping(0, s0.packets, 40 * kBlock, 41 * kBlock);
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r, 1000);
  EXPECT_EQ(all.bad, 0u);
  ASSERT_EQ(all.damage.size(), 2u);
  EXPECT_EQ(all.damage[0].file_offset, 3 * kBlock);
  EXPECT_EQ(all.damage[0].file_bytes, 2 * kBlock);
  EXPECT_EQ(all.damage[0].lost.packets, a.skipped.size());
  EXPECT_EQ(all.damage[0].lost.wire_bytes, a.wire);
  EXPECT_EQ(all.damage[1].lost.packets, b.skipped.size());
  EXPECT_EQ(all.damage[1].lost.wire_bytes, b.wire);
  EXPECT_EQ(all.numbers.size() + a.skipped.size() + b.skipped.size(), 700u);
}

TEST(RingChecksums, DamageInTheActiveSegmentsCommittedTailIsDetected) {
  TempDir tmp;
  const RingConfig config = sum_config(tmp.ring());
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok());
  append_range(**w, 0, 100);
  ASSERT_TRUE((*w)->commit().ok());
  const RingLayout layout = (*w)->layout();
  const SegmentInfo s = read_segment_info(layout, 0).value();
  ASSERT_EQ(s.state, SegmentState::kActive);
  ASSERT_NE(s.committed_bytes % kBlock, 0u);
  const uint64_t tail = s.committed_bytes / kBlock * kBlock;
  flip_byte(layout.segment_path(0), s.committed_bytes - 3);  // the last committed record
  const Expected want = overlapping(0, 100, tail, s.committed_bytes);
  {
    auto r = RingReader::open(tmp.ring());
    const ReadAll all = read_all(**r);
    ASSERT_EQ(all.damage.size(), 1u);
    EXPECT_EQ(all.damage[0].lost.packets, want.skipped.size());
    EXPECT_EQ(all.damage[0].to, s.end());
    EXPECT_EQ(all.numbers.size() + want.skipped.size(), 100u);
  }
  // The damaged bytes are still in the writer's partial block, which it rewrites in place from
  // memory as it fills: the next commit repairs them.
  append_range(**w, 100, 50);
  ASSERT_TRUE((*w)->close().ok());
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(all.damage.empty());
  EXPECT_TRUE(is_range(all.numbers, 0, 150));
}

TEST(RingChecksums, DamagedChecksumFileAndShortSegmentFileAreDamage) {
  TempDir tmp;
  write_packets(sum_config(tmp.ring()), 0, 700);
  const RingLayout layout = *open_ring(tmp.ring());
  const SegmentInfo s0 = read_segment_info(layout, 0).value();
  const SegmentInfo s1 = read_segment_info(layout, 1).value();
  flip_byte(layout.sum_path(0), 7 * kSumEntryBytes + 3);  // block 7's entry
  std::filesystem::resize_file(layout.segment_path(1), s1.committed_bytes - 2000);
  const Expected a = overlapping(0, s0.packets, 7 * kBlock, 8 * kBlock);
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r, 1000);
  EXPECT_EQ(all.bad, 0u);
  ASSERT_EQ(all.damage.size(), 2u);
  EXPECT_EQ(all.damage[0].lost.packets, a.skipped.size());
  EXPECT_EQ(all.damage[1].segment_seq, 2u);
  EXPECT_EQ(all.damage[1].to, s1.end());
  uint64_t lost = 0;
  for (const auto& d : all.damage) lost += d.lost.packets;
  EXPECT_EQ(all.numbers.size() + lost, 700u);
}

TEST(RingChecksums, RecordsLargerThanABlockAreSkippedWhole) {
  TempDir tmp;
  RingConfig config = sum_config(tmp.ring(), 512);
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok());
  // 3000-byte records: most blocks hold no record start at all.
  for (uint64_t i = 0; i < 15; ++i) {
    const TestPacket p = make_packet(i, 3000, 1);
    ASSERT_TRUE((*w)->append(p.ts_ns, p.bytes, p.wire_length).ok());
  }
  ASSERT_TRUE((*w)->close().ok());
  const RingLayout layout = *open_ring(tmp.ring());
  const uint64_t rec = 16 + 3000;
  // Damage inside record 4, in a block where no record starts: records 4 only.
  const uint64_t at = kSegmentHeaderBytes + 4 * rec + 1500;
  flip_byte(layout.segment_path(0), at);
  auto r = RingReader::open(tmp.ring());
  pcap::PacketBatch batch;
  uint64_t seen = 0, lost = 0;
  std::vector<uint64_t> firsts;
  while (true) {
    auto st = (*r)->next_batch(batch, 100);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    if (*st == ReadStatus::kEnd) break;
    if (*st == ReadStatus::kCorrupt) {
      lost += (*r)->last_corruption().lost.packets;
      firsts.push_back((*r)->last_corruption().from.packets);
      continue;
    }
    for (const auto& rec_view : batch.records) EXPECT_EQ(rec_view.captured_length, 3000u);
    seen += batch.size();
  }
  EXPECT_EQ(firsts, std::vector<uint64_t>{4});
  EXPECT_EQ(lost, 1u);
  EXPECT_EQ(seen, 14u);
}

// A ring written without checksums (as before they existed) reads unverified; a writer with
// checksums does not continue its active segment but starts a new one, checksummed.
TEST(RingChecksums, RingsWithoutChecksumsStillOpenAndGainThemInNewSegments) {
  TempDir tmp;
  RingConfig old_config = sum_config(tmp.ring(), 0);
  write_packets(old_config, 0, 150);
  const RingLayout layout = *open_ring(tmp.ring());
  EXPECT_EQ(read_segment_info(layout, 0).value().checksum_log2, 0);
  EXPECT_FALSE(std::filesystem::exists(layout.sum_path(0)));
  {
    auto r = RingReader::open(tmp.ring());
    EXPECT_TRUE(is_range(read_all(**r).numbers, 0, 150));
  }
  write_packets(sum_config(tmp.ring()), 150, 100);
  auto segs = list_segments(layout).value();
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].state, SegmentState::kSealed);
  EXPECT_EQ(segs[0].checksum_log2, 0);
  EXPECT_EQ(segs[1].checksum_log2, 10);
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(is_range(all.numbers, 0, 250));
  EXPECT_TRUE(all.damage.empty());
  auto v = verify_segment(layout, 0).value();
  EXPECT_FALSE(v.has_checksums);
  EXPECT_EQ(v.records, 150u);
}

TEST(RingChecksums, ReopenResumesTheSegmentAndKeepsItVerifiable) {
  TempDir tmp;
  const RingConfig config = sum_config(tmp.ring());
  for (uint64_t i = 0; i < 5; ++i) write_packets(config, i * 37, 37);  // 5 opens, 185 records
  const RingLayout layout = *open_ring(tmp.ring());
  const auto segs = list_segments(layout).value();
  for (const auto& s : segs) {
    auto v = verify_segment(layout, s.slot).value();
    EXPECT_TRUE(v.damage.empty()) << "segment " << s.seq;
  }
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r);
  EXPECT_TRUE(is_range(all.numbers, 0, 185));
  EXPECT_TRUE(all.damage.empty());
  EXPECT_EQ(list_segments(layout).value().size(), 1u);  // resumed, not rolled
}

TEST(RingChecksums, RecoveryRebuildsChecksumsOfATornTail) {
  TempDir tmp;
  const RingConfig config = sum_config(tmp.ring());
  std::string meta_at_100;
  {
    auto w = RingWriter::open(config);
    append_range(**w, 0, 100);
    ASSERT_TRUE((*w)->commit().ok());
    meta_at_100 = [&] {
      std::ifstream in((*w)->layout().meta_path(0), std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    append_range(**w, 100, 100);
    ASSERT_TRUE((*w)->close().ok());
  }
  const RingLayout layout = *open_ring(tmp.ring());
  // Stale metadata (crash before the last commit) and a torn last record.
  std::ofstream(layout.meta_path(0), std::ios::binary | std::ios::trunc) << meta_at_100;
  const auto off = offsets_of(0, 200);
  std::filesystem::resize_file(layout.segment_path(0), off[190] + 9);
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    EXPECT_EQ((*w)->recovery_report().head.packets, 190u);
    append_range(**w, 190, 10);
    ASSERT_TRUE((*w)->close().ok());
  }
  auto v = verify_segment(layout, 0).value();
  EXPECT_TRUE(v.damage.empty());
  EXPECT_EQ(v.records, 200u);
  auto r = RingReader::open(tmp.ring());
  EXPECT_TRUE(is_range(read_all(**r).numbers, 0, 200));
}

TEST(RingChecksums, RecoveryKeepsDamagedCommittedDataAndSealsIt) {
  TempDir tmp;
  const RingConfig config = sum_config(tmp.ring());
  write_packets(config, 0, 150);  // one active segment
  const RingLayout layout = *open_ring(tmp.ring());
  const SegmentInfo before = read_segment_info(layout, 0).value();
  // Damage after the last index entry's record: recovery's scan walks into it.
  const auto idx = load_index(layout.index_path(0), before.index_count).value();
  const uint64_t at = idx.back().offset + 3;  // a record header byte
  flip_byte(layout.segment_path(0), at);
  const uint64_t lo = at / kBlock * kBlock;
  const Expected want = overlapping(0, 150, lo, std::min(lo + kBlock, before.committed_bytes));
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    EXPECT_EQ((*w)->recovery_report().segments_damaged, 1u);
    EXPECT_EQ((*w)->recovery_report().records_missing, 0u);
    append_range(**w, 150, 20);
    ASSERT_TRUE((*w)->close().ok());
  }
  const SegmentInfo after = read_segment_info(layout, 0).value();
  EXPECT_EQ(after.state, SegmentState::kSealed);
  EXPECT_EQ(after.packets, 150u);
  EXPECT_EQ(after.committed_bytes, before.committed_bytes);
  auto r = RingReader::open(tmp.ring());
  const ReadAll all = read_all(**r);
  ASSERT_EQ(all.damage.size(), 1u);
  EXPECT_EQ(all.damage[0].lost.packets, want.skipped.size());
  EXPECT_EQ(all.numbers.size() + want.skipped.size(), 170u);
  EXPECT_EQ(all.numbers.back(), 169u);
}

TEST(RingChecksums, WindowsCountDamagedRecordsAndLookupsStopAtDamage) {
  TempDir tmp;
  write_packets(sum_config(tmp.ring()), 0, 700);
  const RingLayout layout = *open_ring(tmp.ring());
  const SegmentInfo s0 = read_segment_info(layout, 0).value();
  flip_byte(layout.segment_path(0), 10 * kBlock + 100);
  const Expected want = overlapping(0, s0.packets, 10 * kBlock, 11 * kBlock);
  uint64_t seen = 0;
  auto w = for_each_record_in(layout, make_packet(0).ts_ns, make_packet(700).ts_ns,
                              [&](const pcap::PacketRecord&) {
                                ++seen;
                                return base::ok_status();
                              });
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  EXPECT_EQ(w->corrupt_packets, want.skipped.size());
  EXPECT_EQ(seen + w->corrupt_packets, 700u);
  // A lookup for a time inside the damage lands on a record boundary at or before it.
  const uint64_t inside = want.skipped[want.skipped.size() / 2];
  auto p = find_position(layout, make_packet(inside).ts_ns);
  ASSERT_TRUE(p.ok());
  EXPECT_LE(p->packets, inside);
  EXPECT_GE(p->packets, want.skipped.front());
  const auto off = offsets_of(0, s0.packets);
  EXPECT_EQ(p->offset, off[p->packets]);
}

}  // namespace
}  // namespace snapflow::ring::testing
