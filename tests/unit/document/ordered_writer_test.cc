// OrderedWriter: batches handed in out of order, by one thread or many, reach the sink in
// ticket order, each as soon as the ones before it are there; failures stop the writing at
// their ticket; wait_written() names the last batch before a reservation's end.
#include "snapflow/document/ordered_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace snapflow::document {
namespace {

// Records what it is given. write() checks that calls never overlap, which the writer
// promises (the sink need not be thread-safe).
class RecordingSink final : public DocumentSink {
 public:
  base::Status write(DocumentBatch batch) override {
    EXPECT_FALSE(inside_.exchange(true)) << "two write() calls at once";
    if (fail_at_ != 0 && written_.size() + 1 == fail_at_) {
      inside_ = false;
      return base::make_error(base::ErrorCode::kIo,
                              "disk full at batch " + std::to_string(batch.sequence));
    }
    sequences_.push_back(batch.sequence);
    written_.push_back(batch.body);
    inside_ = false;
    return base::ok_status();
  }
  base::Status finish() override { return base::ok_status(); }
  uint64_t delivered_through() const override { return sequences_.empty() ? 0 : sequences_.back(); }
  SinkAccount account() const override { return {}; }

  void fail_at(size_t nth_write) { fail_at_ = nth_write; }
  const std::vector<std::string>& written() const { return written_; }
  const std::vector<uint64_t>& sequences() const { return sequences_; }

 private:
  std::atomic<bool> inside_{false};
  size_t fail_at_ = 0;  ///< 1-based write() that fails; 0: none
  std::vector<std::string> written_;
  std::vector<uint64_t> sequences_;
};

DocumentBatch batch_of(const std::string& text, uint64_t packets = 1) {
  DocumentBatch batch;
  batch.bulk_form = false;
  batch.offsets.push_back(0);
  batch.body = text + "\n";
  batch.packets = packets;
  batch.bytes = packets * 100;
  return batch;
}

TEST(OrderedWriter, InOrderBatchesAreWrittenAsTheyArrive) {
  RecordingSink sink;
  OrderedWriter writer(sink);
  const auto reservation = writer.reserve(3);
  EXPECT_EQ(reservation.first, 0u);
  EXPECT_EQ(reservation.end, 3u);
  writer.put(0, batch_of("a"));
  ASSERT_EQ(sink.written().size(), 1u) << "the next batch goes out before put() returns";
  writer.put(1, batch_of("b"));
  writer.put(2, batch_of("c"));
  EXPECT_EQ(writer.wait_written(reservation), 3u);
  EXPECT_EQ(sink.written(), (std::vector<std::string>{"a\n", "b\n", "c\n"}));
  EXPECT_EQ(sink.sequences(), (std::vector<uint64_t>{1, 2, 3}));
  const auto written = writer.written();
  EXPECT_EQ(written.batches, 3u);
  EXPECT_EQ(written.documents, 3u);
  EXPECT_EQ(written.packets, 3u);
  EXPECT_EQ(written.bytes, 300u);
  EXPECT_FALSE(writer.failed());
  EXPECT_FALSE(writer.error().has_value());
}

TEST(OrderedWriter, LaterBatchesWaitForEarlierOnes) {
  RecordingSink sink;
  OrderedWriter writer(sink);
  const auto reservation = writer.reserve(4);
  writer.put(3, batch_of("d"));
  writer.put(1, batch_of("b"));
  writer.put(2, batch_of("c"));
  EXPECT_TRUE(sink.written().empty()) << "nothing may pass ticket 0";
  writer.put(0, batch_of("a"));
  EXPECT_EQ(sink.written(), (std::vector<std::string>{"a\n", "b\n", "c\n", "d\n"}));
  EXPECT_EQ(writer.wait_written(reservation), 4u);
}

TEST(OrderedWriter, EmptyBatchesAndReservationsWriteNothingAndKeepTheSequence) {
  RecordingSink sink;
  BatchPool pool(4);
  OrderedWriter writer(sink, &pool);
  const auto first = writer.reserve(2);
  const auto none = writer.reserve(0);
  const auto only_empty = writer.reserve(1);
  const auto last = writer.reserve(2);
  writer.put(0, batch_of("a"));
  DocumentBatch empty;
  empty.body.reserve(1024);  // an empty batch with a buffer: it goes back to the pool
  writer.put(1, std::move(empty));
  writer.put(2, DocumentBatch{});
  writer.put(4, DocumentBatch{});
  writer.put(3, batch_of("b"));
  EXPECT_EQ(writer.wait_written(first), 1u);
  EXPECT_EQ(writer.wait_written(none), 1u) << "an empty reservation names the batch before it";
  EXPECT_EQ(writer.wait_written(only_empty), 1u);
  EXPECT_EQ(writer.wait_written(last), 2u);
  EXPECT_EQ(sink.sequences(), (std::vector<uint64_t>{1, 2})) << "empty batches take no number";
  size_t largest = 0;  // the pool hands back the last given first: look at all three
  for (int i = 0; i < 3; ++i) largest = std::max(largest, pool.take().body.capacity());
  EXPECT_GE(largest, 1024u) << "the empty batch's buffer is reused";
}

TEST(OrderedWriter, SinkErrorStopsTheWritingAtItsBatch) {
  RecordingSink sink;
  sink.fail_at(2);
  BatchPool pool(8);
  OrderedWriter writer(sink, &pool);
  const auto reservation = writer.reserve(4);
  for (uint64_t t = 0; t < 4; ++t) writer.put(t, batch_of("x" + std::to_string(t)));
  EXPECT_EQ(writer.wait_written(reservation), 2u) << "the failed batch had number 2";
  EXPECT_EQ(sink.written(), (std::vector<std::string>{"x0\n"}));
  EXPECT_TRUE(writer.failed());
  ASSERT_TRUE(writer.error().has_value());
  EXPECT_NE(writer.error()->message().find("disk full at batch 2"), std::string::npos);
  // Batches after the failure are dropped, not written: handing more in is harmless.
  const auto after = writer.reserve(1);
  writer.put(4, batch_of("late"));
  writer.wait_written(after);
  EXPECT_EQ(sink.written().size(), 1u);
}

TEST(OrderedWriter, FailedTicketStopsTheWritingThere) {
  RecordingSink sink;
  OrderedWriter writer(sink);
  const auto reservation = writer.reserve(3);
  writer.put(2, batch_of("c"));
  writer.fail(1, base::make_error(base::ErrorCode::kInternal, "gzip failed for batch 1"));
  writer.put(0, batch_of("a"));
  EXPECT_EQ(writer.wait_written(reservation), 1u);
  EXPECT_EQ(sink.written(), (std::vector<std::string>{"a\n"}));
  ASSERT_TRUE(writer.error().has_value());
  EXPECT_EQ(writer.error()->message(), "gzip failed for batch 1");
}

// Four threads hand in a shuffled run of tickets while a fifth reserves and waits, as
// pcap2json's close and deliver stages do: every batch arrives once, in order, and each wait
// names the last batch of its own reservation.
TEST(OrderedWriter, ManyThreadsKeepTicketOrder) {
  RecordingSink sink;
  BatchPool pool(16);
  OrderedWriter writer(sink, &pool);
  constexpr int kReservations = 200;
  constexpr int kPerReservation = 7;
  std::vector<OrderedWriter::Reservation> reservations;
  for (int r = 0; r < kReservations; ++r) reservations.push_back(writer.reserve(kPerReservation));
  std::vector<uint64_t> tickets(kReservations * kPerReservation);
  std::iota(tickets.begin(), tickets.end(), 0);
  // Shuffled within windows of 64, as encode tasks finish close to but not in order.
  std::mt19937 random(7);
  for (size_t at = 0; at < tickets.size(); at += 64) {
    std::shuffle(tickets.begin() + static_cast<long>(at),
                 tickets.begin() + static_cast<long>(std::min(at + 64, tickets.size())), random);
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < tickets.size();) {
        const uint64_t ticket = tickets[i];
        // Every third ticket is empty, as a snapshot without a totals document would be.
        writer.put(ticket, ticket % 3 == 2 ? DocumentBatch{} : batch_of(std::to_string(ticket)));
      }
    });
  }
  std::vector<uint64_t> through;
  for (const auto& reservation : reservations) through.push_back(writer.wait_written(reservation));
  for (std::thread& t : producers) t.join();

  std::vector<std::string> expected;
  for (uint64_t t = 0; t < tickets.size(); ++t) {
    if (t % 3 != 2) expected.push_back(std::to_string(t) + "\n");
  }
  EXPECT_EQ(sink.written(), expected);
  for (int r = 0; r < kReservations; ++r) {
    uint64_t count = 0;  // non-empty tickets below the reservation's end
    for (uint64_t t = 0; t < reservations[r].end; ++t) count += t % 3 != 2 ? 1 : 0;
    EXPECT_EQ(through[r], count) << "reservation " << r;
  }
  EXPECT_EQ(writer.written().documents, expected.size());
}

}  // namespace
}  // namespace snapflow::document
