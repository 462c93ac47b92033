// A live writer with two following readers, and a writer process killed with SIGKILL
// mid-write followed by recovery. Run under TSan by hand (docs/ring.md).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ring_test_util.h"

namespace snapflow::ring::testing {
namespace {

RingConfig live_config(const std::string& dir) {
  RingConfig c = small_config(dir);
  c.segment_bytes = 1 << 20;
  c.segment_count = 8;
  c.write_block_bytes = 64 << 10;
  return c;
}

TEST(RingConcurrency, WriterAndTwoFollowingReadersSeeExactlyTheWrittenSequence) {
  TempDir tmp;
  constexpr uint64_t kCount = 30000;  // ~5 MB: several segments, no overwrite
  auto w = RingWriter::open(live_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  struct Result {
    std::vector<uint64_t> numbers;
    uint64_t bad = 0;
    uint64_t gaps = 0;
  };
  Result results[2];
  auto follow = [&](Result& out, size_t max_packets) {
    RingReaderOptions opt;
    opt.follow = true;
    opt.follow_timeout_ns = 10 * base::kNsPerSec;
    opt.batch_bytes = 32 << 10;
    auto r = RingReader::open(tmp.ring(), opt);
    ASSERT_TRUE(r.ok());
    (*r)->seek(RingPosition{});
    pcap::PacketBatch batch;
    while (out.numbers.size() < kCount) {
      auto st = (*r)->next_batch(batch, max_packets);
      ASSERT_TRUE(st.ok()) << st.error().to_string();
      if (*st == ReadStatus::kEnd) break;
      if (*st == ReadStatus::kGap) {
        ++out.gaps;
        continue;
      }
      for (const auto& rec : batch.records) {
        out.numbers.push_back(packet_number(rec));
        out.bad += !matches(rec, out.numbers.back());
      }
    }
  };
  std::thread r1(follow, std::ref(results[0]), 64);
  std::thread r2(follow, std::ref(results[1]), 1000);
  for (uint64_t i = 0; i < kCount; i += 64) {
    append_range(**w, i, std::min<uint64_t>(64, kCount - i));
    ASSERT_TRUE((*w)->commit().ok());
  }
  r1.join();
  r2.join();
  for (const Result& res : results) {
    EXPECT_EQ(res.gaps, 0u);
    EXPECT_EQ(res.bad, 0u);
    EXPECT_TRUE(is_range(res.numbers, 0, kCount));
  }
}

TEST(RingConcurrency, ReadersUnderOverwriteSeeOnlyWholeRecordsAndExactGaps) {
  TempDir tmp;
  RingConfig config = small_config(tmp.ring());  // tiny ring: the reader is lapped often
  constexpr uint64_t kCount = 16000;
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok());
  uint64_t delivered = 0, lost = 0, gaps = 0, bad = 0, disorder = 0, next = 0;
  std::atomic<uint64_t> committed{0};
  // The reader stalls twice until the writer is more than a lap (~1500 records) ahead, so it
  // is certainly overrun; otherwise it reads concurrently with the writer.
  auto wait_for = [&](uint64_t n) {
    while (committed.load(std::memory_order_acquire) < n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::thread reader([&] {
    wait_for(3000);
    RingReaderOptions opt;
    opt.follow = true;
    opt.follow_timeout_ns = 10 * base::kNsPerSec;
    opt.batch_bytes = 8 << 10;
    auto r = RingReader::open(tmp.ring(), opt);
    ASSERT_TRUE(r.ok());
    (*r)->seek(RingPosition{});
    pcap::PacketBatch batch;
    while (next < kCount) {
      auto st = (*r)->next_batch(batch, 32);
      ASSERT_TRUE(st.ok()) << st.error().to_string();
      if (*st == ReadStatus::kEnd) break;
      if (*st == ReadStatus::kGap) {
        ++gaps;
        lost += (*r)->last_gap().packets;
        next += (*r)->last_gap().packets;
        continue;
      }
      for (const auto& rec : batch.records) {
        const uint64_t n = packet_number(rec);
        bad += !matches(rec, n);
        disorder += n != next;
        next = n + 1;
        ++delivered;
      }
      if (next > 8000 && next < 8100) wait_for(11000);
    }
  });
  for (uint64_t i = 0; i < kCount; i += 50) {
    append_range(**w, i, 50);
    ASSERT_TRUE((*w)->commit().ok());
    // release pairs with the acquire load in wait_for().
    committed.store(i + 50, std::memory_order_release);
  }
  reader.join();
  EXPECT_GE(gaps, 2u);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(disorder, 0u);  // gap totals account exactly for every skipped record
  EXPECT_EQ(delivered + lost, kCount);
}

// The child writes and reports each committed count through a pipe; the parent kills it with
// SIGKILL mid-stream, recovers, and checks that every committed record survived.
TEST(RingCrash, KillNineMidWriteThenRecover) {
  TempDir tmp;
  const RingConfig config = live_config(tmp.ring());
  ASSERT_TRUE(create_ring(config).ok());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto w = RingWriter::open(config);
    if (!w.ok()) ::_exit(2);
    for (uint64_t i = 0;; i += 37) {
      for (uint64_t k = i; k < i + 37; ++k) {
        const TestPacket p = make_packet(k);
        if (!(*w)->append(p.ts_ns, p.bytes, p.wire_length).ok()) ::_exit(3);
      }
      if (i % 3 == 0 && !(*w)->commit().ok()) ::_exit(4);
      const uint64_t committed = (*w)->committed_position().packets;
      if (::write(fds[1], &committed, sizeof committed) != sizeof committed) ::_exit(5);
    }
  }
  ::close(fds[1]);
  uint64_t last_committed = 0;
  while (last_committed < 20000) {
    ASSERT_EQ(::read(fds[0], &last_committed, sizeof last_committed),
              static_cast<ssize_t>(sizeof last_committed));
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(fds[0]);

  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  const uint64_t head = (*w)->head_position().packets;
  EXPECT_GE(head, last_committed) << (*w)->recovery_report().summary();
  append_range(**w, head, 100);
  ASSERT_TRUE((*w)->close().ok());
  auto r = RingReader::open(tmp.ring());
  ASSERT_TRUE(r.ok());
  const ReadAll all = read_all(**r, 500);
  EXPECT_EQ(all.bad, 0u);
  EXPECT_TRUE(all.gaps.empty());
  EXPECT_TRUE(is_range(all.numbers, 0, head + 100));
}

}  // namespace
}  // namespace snapflow::ring::testing
