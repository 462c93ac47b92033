// RingInput's parts (docs/decisions/0005-document-identity.md): where parts begin (checkpoint
// times, recorded starts), that a batch never spans two parts and every record is read once,
// the consumer registration check, and that commits drop recorded starts behind the cursor.
#include "snapflow/pcap2json/ring_input.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "snapflow/base/time.h"
#include "snapflow/ring/capture_stats.h"
#include "snapflow/ring/writer.h"

namespace snapflow::pcap2json {
namespace {

constexpr int64_t kBaseNs = 1'700'000'000'000'000'000;  // a multiple of every checkpoint used
constexpr int64_t kStepNs = 100'000;                    // 100 us between packets
constexpr int64_t kCheckpointNs = 10'000'000;           // a part every 100 packets

class TempRing {
 public:
  TempRing() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/snapflow-ri-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
  }
  ~TempRing() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string ring() const { return dir_ + "/ring"; }

  // Appends packets [first, first + count), one every kStepNs from kBaseNs, and commits.
  // Small segments (about 200 records each) make batches start in a later segment than the
  // reader's position before the read.
  void write(uint64_t first, uint64_t count, uint64_t segment_bytes = 1 << 20,
             size_t checksum_block_bytes = 1024) {
    ring::RingConfig c;
    c.dir = ring();
    c.segment_bytes = segment_bytes;
    c.segment_count = 16;
    c.write_block_bytes = 4096;
    c.snaplen = 1024;
    c.checksum_block_bytes = checksum_block_bytes;
    auto w = ring::RingWriter::open(c);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    std::vector<std::byte> data(60);
    for (uint64_t i = first; i < first + count; ++i) {
      data[0] = std::byte(i & 0xff);
      ASSERT_TRUE((*w)->append(kBaseNs + static_cast<int64_t>(i) * kStepNs, data, 60).ok());
    }
    ASSERT_TRUE((*w)->close().ok());
  }

 private:
  std::string dir_;
};

RingInputOptions options(const TempRing& ring, std::string consumer = "",
                         std::string capture = "live") {
  RingInputOptions o;
  o.dir = ring.ring();
  o.consumer = std::move(consumer);
  o.observer = "probe";
  o.capture = std::move(capture);
  o.checkpoint_ns = kCheckpointNs;
  return o;
}

struct Read {
  std::vector<uint64_t> part_starts;  ///< record numbers where parts began
  uint64_t records = 0;
  bool numbering_ok = true;
};

Read read_to_end(RingInput& input, size_t max_packets = 64) {
  Read out;
  pcap::PacketBatch batch;
  for (int calls = 0; calls < 100000; ++calls) {
    auto pulled = input.next(batch, max_packets);
    EXPECT_TRUE(pulled.ok()) << pulled.error().to_string();
    if (!pulled.ok() || pulled->end) return out;
    if (batch.empty()) continue;
    out.numbering_ok &= batch.first_record_number == out.records + 1;
    if (batch.starts_part) out.part_starts.push_back(batch.first_record_number);
    // No batch crosses a checkpoint time after its first record.
    const int64_t part = base::align_down(batch.records.front().ts_ns, kCheckpointNs);
    for (const auto& r : batch.records) {
      EXPECT_EQ(base::align_down(r.ts_ns, kCheckpointNs), part) << batch.first_record_number;
    }
    out.records += batch.size();
  }
  ADD_FAILURE() << "no end after 100000 reads (a part cut that reads the same records again?)";
  return out;
}

TEST(RingInput, PartsBeginAtCheckpointTimesAndBatchesNeverSpanThem) {
  TempRing ring;
  ring.write(0, 350);
  auto input = RingInput::open(options(ring));
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  const Read read = read_to_end(**input);
  EXPECT_EQ(read.records, 350u);
  EXPECT_TRUE(read.numbering_ok);
  // Packet i (record i + 1) has time kBaseNs + i * 100 us: a part every 100 records.
  EXPECT_EQ(read.part_starts, (std::vector<uint64_t>{1, 101, 201, 301}));
}

TEST(RingInput, CutsInLaterSegmentsResumeAtTheRightRecord) {
  TempRing ring;
  ring.write(0, 1000, 16384);
  auto input = RingInput::open(options(ring));
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  const Read read = read_to_end(**input, 64);
  EXPECT_EQ(read.records, 1000u);
  EXPECT_TRUE(read.numbering_ok);
  std::vector<uint64_t> expected;
  for (uint64_t first = 1; first <= 1000; first += 100) expected.push_back(first);
  EXPECT_EQ(read.part_starts, expected);
}

TEST(RingInput, ASecondConsumerUnderTheSameNamesIsRefused) {
  TempRing ring;
  ring.write(0, 10);
  ASSERT_TRUE(RingInput::open(options(ring, "first")).ok());
  auto second = RingInput::open(options(ring, "second"));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("consumer 'first' already exports"), std::string::npos)
      << second.error().message();
  EXPECT_TRUE(RingInput::open(options(ring, "second", "copy")).ok());
  // The first consumer itself may continue, but not under other names.
  EXPECT_TRUE(RingInput::open(options(ring, "first")).ok());
  auto renamed = RingInput::open(options(ring, "first", "other"));
  ASSERT_FALSE(renamed.ok());
  EXPECT_NE(renamed.error().message().find("resuming it as observer"), std::string::npos);
}

TEST(RingInput, RecordedPartStartsAreCutAgainAndCommitsForgetThem) {
  TempRing ring;
  ring.write(0, 150);
  ring::CursorStore store(ring.ring());
  {
    // As if an earlier run had ended a part at record 42 (the ring went idle there) and then
    // stopped before committing past it.
    auto first = RingInput::open(options(ring, "c"));
    ASSERT_TRUE(first.ok());
    ring::ConsumerState state = store.load_state("c").value().value();
    state.part_starts = {{42, "full"}};
    ASSERT_TRUE(store.save("c", state).ok());
  }
  auto input = RingInput::open(options(ring, "c"));
  ASSERT_TRUE(input.ok());
  Read read;
  pcap::PacketBatch batch;
  uint64_t token_after_41 = 0;
  for (;;) {
    auto pulled = (*input)->next(batch, 64);
    ASSERT_TRUE(pulled.ok());
    if (pulled->end) break;
    if (batch.starts_part) read.part_starts.push_back(batch.first_record_number);
    read.records += batch.size();
    const uint64_t token = (*input)->checkpoint();
    if (read.records == 41) token_after_41 = token;
  }
  EXPECT_EQ(read.records, 150u);
  EXPECT_EQ(read.part_starts, (std::vector<uint64_t>{1, 42, 101}));
  ASSERT_NE(token_after_41, 0u);
  // Committing the part start at 42 makes it the cursor; the recorded start is history.
  ASSERT_TRUE((*input)->commit(token_after_41).ok());
  const ring::ConsumerState state = store.load_state("c").value().value();
  EXPECT_EQ(state.cursor.position.packets, 41u);
  EXPECT_TRUE(state.part_starts.empty());
  EXPECT_EQ(state.observer, "probe");
  EXPECT_EQ(state.capture, "live");
}

// Accounting (docs/formats.md, "Accounting documents"): a named consumer's samples are deltas
// of the capture daemon's counters and of its own position, and a restart sends the last
// sample again.
TEST(RingInput, AccountingSamplesAreDeltasAndTheLastIsSentAgain) {
  TempRing ring;
  ring.write(0, 100);
  ring::CaptureTotals daemon{130, 30, 100, 6000, 0, 1};
  ASSERT_TRUE(ring::save_capture_totals(ring.ring(), daemon).ok());
  RingInputOptions o = options(ring, "acct");
  o.accounting_interval_ns = 3'600'000'000'000;  // only the baseline and the final sample
  std::vector<AccountingRecord> samples;
  {
    auto input = RingInput::open(o);  // baseline: everything so far
    ASSERT_TRUE(input.ok());
    ring.write(100, 50);  // 50 more spooled, 5 more dropped
    daemon = {185, 35, 150, 9000, 0, 2};
    ASSERT_TRUE(ring::save_capture_totals(ring.ring(), daemon).ok());
    pcap::PacketBatch batch;
    for (;;) {
      auto pulled = (*input)->next(batch, 64);
      ASSERT_TRUE(pulled.ok());
      samples.insert(samples.end(), pulled->accounting.begin(), pulled->accounting.end());
      if (pulled->end) break;
    }
  }
  ASSERT_EQ(samples.size(), 1u);  // the final one
  const AccountingRecord& a = samples[0];
  EXPECT_TRUE(a.capture_stats);
  EXPECT_EQ(a.seen_packets, 55u);
  EXPECT_EQ(a.dropped_packets, 5u);
  EXPECT_EQ(a.spooled_packets, 50u);
  EXPECT_EQ(a.exported_packets, 150u);  // it read the whole ring, 100 of them from before
  EXPECT_EQ(a.exported_bytes, 150u * 60);
  EXPECT_EQ(a.unread_packets, 0u);
  EXPECT_EQ(a.sequence, 2u);
  // A restart hands out that sample again, unchanged (the same document).
  auto again = RingInput::open(o);
  ASSERT_TRUE(again.ok());
  pcap::PacketBatch batch;
  auto pulled = (*again)->next(batch, 64);
  ASSERT_TRUE(pulled.ok());
  ASSERT_GE(pulled->accounting.size(), 1u);
  EXPECT_EQ(pulled->accounting[0].sequence, a.sequence);
  EXPECT_EQ(pulled->accounting[0].exported_packets, a.exported_packets);
  EXPECT_EQ(pulled->accounting[0].start_ns, a.start_ns);
  EXPECT_EQ(pulled->accounting[0].end_ns, a.end_ns);
  // Its cursor was never committed, so it reads the ring again; what the first run's samples
  // counted is not counted twice.
  std::vector<AccountingRecord> later;
  while (!pulled->end) {
    pulled = (*again)->next(batch, 64);
    ASSERT_TRUE(pulled.ok());
    later.insert(later.end(), pulled->accounting.begin(), pulled->accounting.end());
  }
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].exported_packets, 0u);
  EXPECT_EQ(later[0].spooled_packets, 0u);
  EXPECT_EQ(later[0].sequence, a.sequence + 1);
}

// A restart re-sends only the last sample, so no second sample is taken before a commit
// shows the first delivered (the 1-hour soak lost the samples a stalled cluster held when
// pcap2json was killed); the waiting sample then covers the whole longer interval.
TEST(RingInput, OneAccountingSampleInFlightUntilACommitShowsItDelivered) {
  TempRing ring;
  ring.write(0, 400);
  RingInputOptions o = options(ring, "acct1");
  o.accounting_interval_ns = 1;  // due at every batch
  auto input = RingInput::open(o);
  ASSERT_TRUE(input.ok());
  pcap::PacketBatch batch;
  std::vector<uint64_t> sample_tokens;
  uint64_t exported = 0;
  bool end = false;
  const auto pull = [&] {
    auto pulled = (*input)->next(batch, 16);
    ASSERT_TRUE(pulled.ok());
    const uint64_t token = (*input)->checkpoint();
    for (const AccountingRecord& a : pulled->accounting) exported += a.exported_packets;
    if (!pulled->accounting.empty()) sample_tokens.push_back(token);
    end = pulled->end;
  };
  for (int i = 0; i < 6; ++i) pull();
  ASSERT_EQ(sample_tokens.size(), 1u);  // the first batch's; five more batches, no sample
  ASSERT_TRUE((*input)->commit(sample_tokens[0]).ok());
  pull();
  ASSERT_EQ(sample_tokens.size(), 2u);  // delivered: the next one is taken at once
  EXPECT_GT(exported, 16u * 5);         // and it counted what the five batches read
  for (int i = 0; i < 1000 && !end; ++i) pull();
  ASSERT_TRUE(end);
  EXPECT_EQ(exported, 400u);  // the final sample is taken whatever is in flight
}

// Degradation (docs/decisions/0006-graceful-degradation.md): a backlog over half the ring makes
// the next parts coarse, a restart cuts the parts an earlier run began as that run did, and
// the mode in effect at the cursor survives commits.
struct ModedRead {
  std::vector<std::pair<uint64_t, Resolution>> parts;  ///< part start record, its resolution
  uint64_t records = 0;
  std::vector<uint64_t> tokens;  ///< checkpoint token after each batch
};

ModedRead read_modes(RingInput& input, uint64_t stop_after_records = UINT64_MAX) {
  ModedRead out;
  pcap::PacketBatch batch;
  for (int calls = 0; calls < 100000 && out.records < stop_after_records; ++calls) {
    auto pulled = input.next(batch, 64);
    EXPECT_TRUE(pulled.ok()) << pulled.error().to_string();
    if (!pulled.ok() || pulled->end) break;
    if (batch.starts_part) {
      out.parts.emplace_back(batch.first_record_number, pulled->part_mode.resolution);
    }
    out.records += batch.size();
    out.tokens.push_back(input.checkpoint());
  }
  return out;
}

RingInputOptions degrading(const TempRing& ring, std::string consumer) {
  RingInputOptions o = options(ring, std::move(consumer));
  o.degrade.enabled = true;
  o.degrade.coarse_interval_ns = 10 * kCheckpointNs;
  return o;
}

TEST(RingInput, ABacklogOverHalfTheRingCoarsensTheNextParts) {
  TempRing ring;
  // 16 segments of 16 KiB hold about 3 300 records of 76 bytes: 2 500 fill ~75 %.
  ring.write(0, 2500, 16384);
  auto input = RingInput::open(degrading(ring, ""));
  ASSERT_TRUE(input.ok());
  const ModedRead read = read_modes(**input);
  EXPECT_EQ(read.records, 2500u);
  ASSERT_GE(read.parts.size(), 3u);
  EXPECT_NE(read.parts.front().second, Resolution::kFull);
  EXPECT_EQ(read.parts.back().second, Resolution::kFull);  // caught up
}

TEST(RingInput, ARestartCutsTheRecordedPartsAsTheFirstRunDid) {
  TempRing ring;
  ring.write(0, 2500, 16384);
  ModedRead first;
  {
    auto input = RingInput::open(degrading(ring, "c"));
    ASSERT_TRUE(input.ok());
    first = read_modes(**input, 1200);
    ASSERT_TRUE((*input)->commit(first.tokens[2]).ok());  // an early, partial commit
  }
  const ring::ConsumerState state = ring::CursorStore(ring.ring()).load_state("c").value().value();
  EXPECT_GT(state.decided_through, 1000u);
  // The restarted run would now choose full resolution everywhere (thresholds it cannot
  // reach), yet the parts the first run began keep the first run's modes.
  RingInputOptions relaxed = degrading(ring, "c");
  relaxed.degrade.coarse_at = relaxed.degrade.top_flows_at = relaxed.degrade.full_below = 2.0;
  auto again = RingInput::open(relaxed);
  ASSERT_TRUE(again.ok());
  const ModedRead second = read_modes(**again);
  size_t compared = 0;
  size_t degraded = 0;
  for (const auto& [record, resolution] : second.parts) {
    for (const auto& [r1, res1] : first.parts) {
      if (r1 == record && record < state.decided_through) {
        EXPECT_EQ(resolution, res1) << record;
        ++compared;
        degraded += res1 != Resolution::kFull;
      }
    }
    if (record >= state.decided_through) {
      EXPECT_EQ(resolution, Resolution::kFull) << record;
    }
  }
  EXPECT_GE(compared, 3u);
  EXPECT_GE(degraded, 1u);
}

// Damaged ring bytes are a part boundary and a gap document's worth of packets, like an
// overrun: the records around them are read once each, and records + gap = everything written.
TEST(RingInput, DamagedBytesBecomeACorruptGapAndEndThePart) {
  TempRing ring;
  ring.write(0, 350);  // 76-byte records, checksums per 1 KiB block
  {
    std::fstream f(ring.ring() + "/seg-00000.pcap",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5 * 1024 + 100);  // inside block 5: records 68..81 overlap it
    f.put('\x5a');
  }
  auto input = RingInput::open(options(ring));
  ASSERT_TRUE(input.ok());
  pcap::PacketBatch batch;
  uint64_t records = 0;
  std::vector<GapRecord> gaps;
  std::vector<uint64_t> part_starts;
  bool ended_part = false;
  for (;;) {
    auto pulled = (*input)->next(batch, 64);
    ASSERT_TRUE(pulled.ok()) << pulled.error().to_string();
    if (pulled->end) break;
    for (const GapRecord& g : pulled->gaps) gaps.push_back(g);
    ended_part = ended_part || (pulled->end_part && !pulled->gaps.empty());
    if (batch.starts_part) part_starts.push_back(batch.first_record_number);
    for (const auto& r : batch.records) {
      // Payload byte 0 is the packet number's low byte: every record is the one expected.
      EXPECT_EQ(static_cast<uint8_t>(r.data[0]),
                static_cast<uint8_t>((batch.first_record_number - 1 + (&r - batch.records.data())) &
                                     0xff));
    }
    records += batch.size();
  }
  ASSERT_EQ(gaps.size(), 1u);
  const GapRecord& gap = gaps[0];
  EXPECT_EQ(gap.reason, GapReason::kCorrupt);
  // Record k (1-based) starts at 24 + 76 (k - 1): records 68..81 overlap [5120, 6144).
  EXPECT_EQ(gap.first_record, 68u);
  EXPECT_EQ(gap.packets, 14u);
  EXPECT_EQ(gap.bytes, 14u * 60);
  EXPECT_TRUE(ended_part);
  EXPECT_EQ(records + gap.packets, 350u);
  EXPECT_EQ(part_starts, (std::vector<uint64_t>{1, 82, 101, 201, 301}));
}

}  // namespace
}  // namespace snapflow::pcap2json
