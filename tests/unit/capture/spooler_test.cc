// The spooler's threads (capture threads, the ring writer thread, the ring's I/O threads) with
// two in-process sources, while another thread asks for commits and reads the status as the
// API does: every packet lands in the ring exactly once, merged in time order per batch, and
// the counters add up. Also the ThreadSanitizer target for the capture unit (scripts/test.sh).
#include "snapflow/capture/spooler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "snapflow/base/time.h"
#include "snapflow/ring/reader.h"

namespace snapflow::capture {
namespace {

constexpr int64_t kBaseNs = 1'700'000'000'000'000'000;

// A source that hands out `total` packets in batches of up to `per_batch`, each carrying its
// source number and sequence number; idle (0) afterwards. Packet k of source s has time
// kBaseNs + k * 1000 + s, so the two sources interleave in time.
class CountingSource final : public PacketSource {
 public:
  CountingSource(uint8_t id, uint64_t total, size_t per_batch)
      : id_(id), total_(total), per_batch_(per_batch), name_("test:" + std::to_string(id)) {}

  base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) override {
    batch.clear();
    if (next_ >= total_) {
      // Idle until the deadline or a stop, like a quiet link.
      while (!stopping_.load(std::memory_order_acquire) && base::now_monotonic_ns() < deadline_ns) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      return size_t{0};
    }
    size_t used = 0;
    while (next_ < total_ && batch.records.size() < per_batch_) {
      const size_t len = 60 + static_cast<size_t>(next_ % 200);
      std::byte* p = batch.storage.data() + used;
      std::memset(p, 0, len);
      p[0] = std::byte{id_};
      for (int b = 0; b < 8; ++b) p[1 + b] = std::byte((next_ >> (8 * b)) & 0xff);
      pcap::PacketRecord& r = batch.records.emplace_back();
      r.ts_ns = kBaseNs + static_cast<int64_t>(next_) * 1000 + id_;
      r.data = p;
      r.captured_length = static_cast<uint32_t>(len);
      r.wire_length = static_cast<uint32_t>(len);
      r.link_type = pcap::kLinkEthernet;
      used += len;
      ++next_;
    }
    // relaxed: a monotonic counter, read by stats() on another thread.
    received_.store(next_, std::memory_order_relaxed);
    return batch.records.size();
  }
  SourceStats stats() override {
    SourceStats s;
    s.packets_received = received_.load(std::memory_order_relaxed);
    return s;
  }
  LinkInfo link() override { return {true, 10000}; }
  void request_stop() override { stopping_.store(true, std::memory_order_release); }
  const std::string& name() const override { return name_; }
  uint16_t link_type() const override { return pcap::kLinkEthernet; }

 private:
  uint8_t id_;
  uint64_t total_;
  size_t per_batch_;
  std::string name_;
  uint64_t next_ = 0;  ///< capture thread only
  std::atomic<uint64_t> received_{0};
  std::atomic<bool> stopping_{false};
};

TEST(Spooler, TwoSourcesLandInTheRingExactlyOnceWhileTheApiAsksForCommits) {
  std::string tmpl = std::filesystem::temp_directory_path().string() + "/snapflow-spool-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl.data());
  constexpr uint64_t kPerSource = 30000;
  {
    ring::RingConfig rc;
    rc.dir = dir + "/ring";
    rc.segment_bytes = 4 << 20;
    rc.segment_count = 8;
    rc.write_block_bytes = 256 << 10;
    auto writer = ring::RingWriter::open(rc);
    ASSERT_TRUE(writer.ok()) << writer.error().to_string();
    std::vector<std::unique_ptr<PacketSource>> sources;
    sources.push_back(std::make_unique<CountingSource>(1, kPerSource, 97));
    sources.push_back(std::make_unique<CountingSource>(2, kPerSource, 131));
    CaptureStatus status(base::now_monotonic_ns());
    base::Logger log("spooler-test", base::LogLevel::kWarning);
    SpoolerOptions options;
    options.flush_interval_ns = 5 * base::kNsPerMs;
    options.batch_storage_bytes = 64 << 10;
    options.batch_max_packets = 256;
    Spooler spooler(std::move(sources), **writer, status, options, log);
    spooler.start();
    // What the API does meanwhile: commits on request, status snapshots.
    std::atomic<bool> done{false};
    std::thread api([&] {
      while (!done.load(std::memory_order_acquire)) {
        const uint64_t ticket = spooler.request_commit();
        EXPECT_TRUE(spooler.wait_for_commit(ticket, 5 * base::kNsPerSec));
        (void)status.snapshot(base::now_monotonic_ns());
        (void)(*writer)->committed_position();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    for (int i = 0; i < 2000; ++i) {
      const StatusSnapshot s = status.snapshot(base::now_monotonic_ns());
      if (s.packets_captured >= 2 * kPerSource) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    done.store(true, std::memory_order_release);
    api.join();
    ASSERT_TRUE(spooler.stop().ok());
    const StatusSnapshot s = status.snapshot(base::now_monotonic_ns());
    EXPECT_EQ(s.packets_captured, 2 * kPerSource);
    EXPECT_EQ(s.packets_received, 2 * kPerSource);
    EXPECT_EQ(s.packets_not_stored, 0u);
    EXPECT_EQ(s.bytes_pending, 0u);
    ASSERT_TRUE((*writer)->close().ok());
  }
  // Every packet once; each source's packets in order.
  auto reader = ring::RingReader::open(dir + "/ring");
  ASSERT_TRUE(reader.ok());
  pcap::PacketBatch batch;
  uint64_t next[3] = {0, 0, 0};
  uint64_t total = 0;
  while (true) {
    auto st = (*reader)->next_batch(batch, 1024);
    ASSERT_TRUE(st.ok());
    if (*st != ring::ReadStatus::kRecords) break;
    for (const auto& r : batch.records) {
      const auto id = static_cast<uint8_t>(r.data[0]);
      ASSERT_TRUE(id == 1 || id == 2);
      uint64_t seq = 0;
      for (int b = 7; b >= 0; --b) seq = (seq << 8) | static_cast<uint8_t>(r.data[1 + b]);
      ASSERT_EQ(seq, next[id]) << "source " << int{id};
      ++next[id];
      ++total;
    }
  }
  EXPECT_EQ(total, 2 * kPerSource);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace snapflow::capture
