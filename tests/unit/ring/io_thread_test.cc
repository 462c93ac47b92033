// The writer's I/O thread (core/ring/src/block_io.h): write errors surface from append/commit
// and stay (never lost), shutdown with blocks in flight writes them all, automatic and
// asynchronous commits publish only durable data.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include "ring_test_util.h"

namespace snapflow::ring::testing {
namespace {

// Larger geometry than small_config: many blocks in flight, no wrap below 24 MiB.
RingConfig io_config(const std::string& dir) {
  RingConfig c = small_config(dir);
  c.segment_bytes = 8 << 20;
  c.segment_count = 4;
  c.write_block_bytes = 64 << 10;
  c.io_blocks = 8;
  c.index_interval_bytes = 256 << 10;
  return c;
}

// Packets 0..n-1 of the test stream are all (and only) what the ring holds.
void expect_ring_holds(const std::string& ring, uint64_t n) {
  auto r = RingReader::open(ring);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const ReadAll all = read_all(**r, 256);
  EXPECT_EQ(all.numbers.size(), n);
  EXPECT_TRUE(is_range(all.numbers, 0, n));
  EXPECT_EQ(all.bad, 0u);
  EXPECT_TRUE(all.gaps.empty());
}

// Waits up to 5 s for the writer's I/O thread to publish at least `packets` records.
bool wait_published(const RingWriter& w, uint64_t packets) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (w.committed_position().packets < packets) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A real write error: the file size limit (RLIMIT_FSIZE) makes pwrite past it fail with
// EFBIG on the I/O thread. SIGXFSZ is ignored meanwhile so the process survives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit lim = old_;
    lim.rlim_cur = bytes;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

TEST(RingIoThread, WriteErrorSurfacesAndIsSticky) {
  TempDir tmp;
  const RingConfig config = io_config(tmp.ring());
  uint64_t appended = 0;
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    append_range(**w, 0, 1000);  // ~170 KiB, durable before the limit
    ASSERT_TRUE((*w)->commit().ok());
    appended = 1000;
    const RingPosition durable = (*w)->committed_position();
    const uint64_t commits_before = (*w)->commit_count();
    {
      FileSizeLimit limit(1 << 20);
      // ~3.4 MiB more: blocks past 1 MiB fail on the I/O thread. The error reaches append
      // at a later block hand-off or, at the latest, the commit.
      base::Status first_error = base::ok_status();
      for (uint64_t i = appended; i < appended + 20000 && first_error.ok(); ++i) {
        const TestPacket p = make_packet(i);
        first_error = (*w)->append(p.ts_ns, p.bytes, p.wire_length);
      }
      base::Status commit = (*w)->commit();
      ASSERT_FALSE(commit.ok()) << "a failed block write must fail the commit";
      EXPECT_EQ(commit.error().code(), base::ErrorCode::kIo);
      EXPECT_NE(commit.error().to_string().find("File too large"), std::string::npos)
          << commit.error().to_string();
      if (!first_error.ok()) {
        EXPECT_EQ(first_error.error().code(), base::ErrorCode::kIo);
      }
      // Sticky: later calls fail too, and nothing past the last durable commit is published.
      const TestPacket p = make_packet(99999);
      EXPECT_FALSE((*w)->append(p.ts_ns, p.bytes, p.wire_length).ok());
      EXPECT_FALSE((*w)->commit_async().ok());
      EXPECT_FALSE((*w)->commit().ok());
      EXPECT_EQ((*w)->committed_position(), durable);
      EXPECT_EQ((*w)->commit_count(), commits_before);
      EXPECT_FALSE((*w)->close().ok());
    }
  }
  // Reopening recovers the durable prefix (and maybe records written before the error).
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  const uint64_t kept = (*w)->committed_position().packets;
  EXPECT_GE(kept, appended);
  ASSERT_TRUE((*w)->close().ok());
  expect_ring_holds(config.dir, kept);
}

// The writer survives the failure without being closed: reopen() recovers the ring in place
// (the lock is kept) once the cause is gone, and appends continue after the durable records.
TEST(RingIoThread, ReopenAfterAWriteErrorContinuesAfterTheDurableRecords) {
  TempDir tmp;
  const RingConfig config = io_config(tmp.ring());
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok());
  append_range(**w, 0, 1000);
  ASSERT_TRUE((*w)->commit().ok());
  uint64_t head_at_failure = 0;
  {
    FileSizeLimit limit(1 << 20);
    base::Status st = base::ok_status();
    uint64_t i = 1000;
    for (; i < 21000 && st.ok(); ++i) {
      const TestPacket p = make_packet(i);
      st = (*w)->append(p.ts_ns, p.bytes, p.wire_length);
    }
    if (st.ok()) st = (*w)->commit();
    ASSERT_FALSE(st.ok());
    head_at_failure = (*w)->head_position().packets;
    // Recovery only shrinks files, so it succeeds under the limit; the next writes do not.
    ASSERT_TRUE((*w)->reopen().ok());
    st = base::ok_status();
    for (uint64_t k = 0; k < 20000 && st.ok(); ++k) {
      const TestPacket p = make_packet((*w)->head_position().packets);
      st = (*w)->append(p.ts_ns, p.bytes, p.wire_length);
    }
    if (st.ok()) st = (*w)->commit();
    EXPECT_FALSE(st.ok());
    head_at_failure = std::max(head_at_failure, (*w)->head_position().packets);
  }
  ASSERT_TRUE((*w)->reopen().ok());
  ASSERT_TRUE((*w)->commit().ok());  // nothing new: must not wait for a ticket of the old threads
  const uint64_t kept = (*w)->head_position().packets;
  EXPECT_GE(kept, 1000u);
  EXPECT_LE(kept, head_at_failure);
  EXPECT_EQ((*w)->committed_position().packets, kept);
  // A second writer is still refused: reopen kept the lock.
  EXPECT_FALSE(RingWriter::open(config).ok());
  append_range(**w, kept, 500);
  ASSERT_TRUE((*w)->commit().ok());  // waits on the new I/O threads' commit, not an old ticket
  append_range(**w, kept + 500, 500);
  ASSERT_TRUE((*w)->close().ok());
  expect_ring_holds(config.dir, kept + 1000);
}

TEST(RingIoThread, DestructorWritesBlocksInFlight) {
  TempDir tmp;
  const RingConfig config = io_config(tmp.ring());
  constexpr uint64_t kPackets = 60000;  // ~10 MiB: two segments, many 64 KiB blocks
  {
    auto w = RingWriter::open(config);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    append_range(**w, 0, kPackets);
    // No commit, no close: the destructor must drain the queue and commit.
  }
  expect_ring_holds(config.dir, kPackets);
}

TEST(RingIoThread, CloseWithBlocksInFlightCommitsEverything) {
  TempDir tmp;
  const RingConfig config = io_config(tmp.ring());
  constexpr uint64_t kPackets = 30000;
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  append_range(**w, 0, kPackets);
  ASSERT_TRUE((*w)->commit_async().ok());  // a commit queued behind the blocks, not waited for
  append_range(**w, kPackets, 100);
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ((*w)->committed_position().packets, kPackets + 100);
  expect_ring_holds(config.dir, kPackets + 100);
}

TEST(RingIoThread, CommitReturnsOnlyWhenMetadataIsDurable) {
  TempDir tmp;
  const RingConfig config = io_config(tmp.ring());
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  for (uint64_t round = 0; round < 20; ++round) {
    // Partial blocks of varying fill, each committed and rewritten in place by the next.
    append_range(**w, round * 137, 137);
    if (round % 3 == 0) {
      ASSERT_TRUE((*w)->commit_async().ok());
    }
    ASSERT_TRUE((*w)->commit().ok());
    EXPECT_EQ((*w)->committed_position(), (*w)->head_position());
    auto layout = open_ring(config.dir);
    ASSERT_TRUE(layout.ok());
    auto segments = list_segments(*layout);
    ASSERT_TRUE(segments.ok());
    ASSERT_FALSE(segments->empty());
    EXPECT_EQ(segments->back().end(), (*w)->head_position()) << "round " << round;
  }
  ASSERT_TRUE((*w)->close().ok());
  expect_ring_holds(config.dir, 20 * 137);
}

TEST(RingIoThread, AutomaticCommitByBytes) {
  TempDir tmp;
  RingConfig config = io_config(tmp.ring());
  config.commit_interval_bytes = 256 << 10;
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  append_range(**w, 0, 5000);  // ~850 KiB: at least three automatic commits
  EXPECT_GE((*w)->stats().commits, 3u);
  ASSERT_TRUE(wait_published(**w, 1));
  const RingPosition published = (*w)->committed_position();
  EXPECT_LT(published.packets, 5000u);  // the tail after the last automatic commit waits
  // What is published is readable, record-exact, without a commit() from this thread.
  auto r = RingReader::open(config.dir);
  ASSERT_TRUE(r.ok());
  const ReadAll all = read_all(**r, 256);
  EXPECT_TRUE(is_range(all.numbers, 0, all.numbers.size()));
  EXPECT_GE(all.numbers.size(), published.packets);
  EXPECT_EQ(all.bad, 0u);
  ASSERT_TRUE((*w)->close().ok());
}

TEST(RingIoThread, AutomaticCommitByTime) {
  TempDir tmp;
  RingConfig config = io_config(tmp.ring());
  config.commit_interval_ns = 2 * base::kNsPerMs;
  auto w = RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  append_range(**w, 0, 10);
  EXPECT_EQ((*w)->stats().commits, 0u);  // the clock is read every 64 appends
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  append_range(**w, 10, 64);
  EXPECT_EQ((*w)->stats().commits, 1u);
  // The clock was read at the 64th append: that commit covers packets 0..63.
  ASSERT_TRUE(wait_published(**w, 64));
  EXPECT_EQ((*w)->committed_position().packets, 64u);
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_EQ((*w)->committed_position(), (*w)->head_position());
  ASSERT_TRUE((*w)->close().ok());
  expect_ring_holds(config.dir, 74);
}

TEST(RingIoThread, RejectsBadIoConfig) {
  TempDir tmp;
  RingConfig config = io_config(tmp.ring());
  config.io_blocks = 1;
  auto w = RingWriter::open(config);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), base::ErrorCode::kInvalidArgument);
  config.io_blocks = kMaxIoBlocks + 1;
  EXPECT_FALSE(RingWriter::open(config).ok());
  config.io_blocks = 2;
  config.commit_interval_ns = -1;
  EXPECT_FALSE(RingWriter::open(config).ok());
}

}  // namespace
}  // namespace snapflow::ring::testing
