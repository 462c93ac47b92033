#include "snapflow/pcap2json/pipeline.h"

#include <sys/resource.h>
#include <tbb/blocked_range.h>
#include <tbb/concurrent_queue.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <deque>
#include <memory>
#include <optional>
#include <thread>

#include "snapflow/base/time.h"
#include "snapflow/base/tsan.h"
#include "snapflow/compress/gzip.h"
#include "snapflow/document/ordered_writer.h"
#include "snapflow/pcap2json/file_sink.h"
#include "snapflow/pcap2json/packet_encoder.h"
#include "snapflow/pcap2json/top_n.h"

namespace snapflow::pcap2json {
namespace {

// Addresses that stand for TBB's hand-offs in ThreadSanitizer builds (base/tsan.h): the turns
// of the serial stages and the tasks of the encode parallel_for. Only their addresses are
// used (no code reads or writes them), and they are globals so that taking one reads no memory
// another thread wrote.
constexpr char kReadTurn = 0;
constexpr char kSettleTurn = 0;
constexpr char kCloseTurn = 0;
constexpr char kDeliverTurn = 0;
constexpr char kEncodeTasks = 0;

constexpr int64_t kProgressEveryNs = 250 * base::kNsPerMs;
constexpr size_t kStatusCount = kDecodeStatusCount;
// Document batches written by the sink come back for reuse, up to this many (about 3 MiB
// each). Batches stream to the sink as they are encoded (document::OrderedWriter), so a few
// per thread are in flight; more are only held while a slow sink keeps them.
constexpr size_t kPooledDocumentBatches = 64;
// Flow documents per encode task and document batch: 2.9-3.6 MiB of ECS JSON with community id
// (738-925 bytes per document on the bench's captures, bulk form included), below
// kDocumentBatchBytes; documents above 1 KiB make batches above it.
constexpr size_t kDocumentsPerRun = 4096;

// Everything one input batch needs on its way through the stages. Pooled and reused.
struct WorkItem {
  pcap::PacketBatch batch;
  DecodedBatch decoded;
  BatchPlan plan;
  std::vector<ClosedSnapshot> closed;
  /// The record vectors of `closed` once encoded, emptied: handed back to the engine.
  std::vector<std::vector<FlowRecord>> spare_records;
  /// Packet mode: the documents made in the decode stage, handed to the writer in encode.
  std::vector<document::DocumentBatch> documents;
  /// The writer's tickets for the item's document batches, reserved in the close stage.
  document::OrderedWriter::Reservation tickets;
  DecodeStatusCounts status_counts{};
  std::vector<GapRecord> gaps;
  std::vector<AccountingRecord> accounting;
  bool end_of_input = false;
  bool interrupted = false;                 ///< with end_of_input: the open snapshots are dropped
  bool end_part = false;                    ///< the input ended the current part (idle ring, gap)
  PartMode part_mode;                       ///< how to aggregate the part the batch begins
  int64_t interval_ns = 0;                  ///< snapshot length of the batch's part
  std::atomic<uint64_t> document_bytes{0};  ///< JSON bytes before any compression
  std::optional<base::Error> encode_error;
  uint64_t checkpoint = 0;         ///< input position after this batch
  uint64_t committable_batch = 0;  ///< batches <= this belong to parts already emitted
  uint64_t settled = 0;            ///< its number in the settle stage's order (1, 2, ...)

  void reset() {
    batch.clear();
    decoded.clear();
    for (ClosedSnapshot& snapshot : closed) {
      for (std::vector<FlowRecord>& records : snapshot.shards) {
        if (records.capacity() == 0) continue;
        records.clear();
        spare_records.push_back(std::move(records));
      }
    }
    closed.clear();
    documents.clear();
    status_counts.fill(0);
    gaps.clear();
    accounting.clear();
    end_of_input = false;
    interrupted = false;
    end_part = false;
    part_mode = {};
    interval_ns = 0;
    checkpoint = committable_batch = 0;
    document_bytes.store(0, std::memory_order_relaxed);
    tickets = {};
    encode_error.reset();
  }
};

// Adds the wall and thread CPU time of its scope to a serial stage's totals. A serial stage
// runs on one thread at a time and owns its totals, so plain adds are enough.
class BusyClock {
 public:
  BusyClock(int64_t& wall_ns, int64_t& cpu_ns)
      : wall_ns_(wall_ns),
        cpu_ns_(cpu_ns),
        wall_start_ns_(base::now_monotonic_ns()),
        cpu_start_ns_(base::now_thread_cpu_ns()) {}
  ~BusyClock() {
    wall_ns_ += base::now_monotonic_ns() - wall_start_ns_;
    cpu_ns_ += base::now_thread_cpu_ns() - cpu_start_ns_;
  }
  BusyClock(const BusyClock&) = delete;
  BusyClock& operator=(const BusyClock&) = delete;

 private:
  int64_t& wall_ns_;
  int64_t& cpu_ns_;
  int64_t wall_start_ns_;
  int64_t cpu_start_ns_;
};

int64_t process_cpu_ns() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  const auto ns = [](const timeval& t) {
    return static_cast<int64_t>(t.tv_sec) * base::kNsPerSec + t.tv_usec * base::kNsPerUs;
  };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

// An empty DocumentBatch (one the sink gave back, if any) with room for kDocumentBatchBytes.
document::DocumentBatch fresh_batch(bool bulk_form, document::BatchPool& pool) {
  document::DocumentBatch batch = pool.take();
  batch.bulk_form = bulk_form;
  batch.body.reserve(kDocumentBatchBytes + 64 * 1024);
  return batch;
}

// Appends a fresh batch when the last one is full, so batches stay near the target size and
// large snapshots are delivered in pieces.
document::DocumentBatch& batch_with_room(std::vector<document::DocumentBatch>& batches,
                                         bool bulk_form, document::BatchPool& pool) {
  if (batches.empty() || batches.back().body.size() >= kDocumentBatchBytes) {
    batches.push_back(fresh_batch(bulk_form, pool));
  }
  return batches.back();
}

class PipelineRun {
 public:
  PipelineRun(const PipelineOptions& options, PacketInput& input, document::DocumentSink& sink,
              PipelineStats& stats, const ProgressCallback& progress)
      : options_(options),
        input_(input),
        sink_(sink),
        stats_(stats),
        progress_(progress),
        engine_(options.snapshot),
        // The encoder config was validated with the command line, so create() cannot fail.
        flow_encoders_([&] { return FlowEncoder::create(options.encoder).value(); }),
        packet_encoders_([&] { return PacketEncoder::create(options.encoder).value(); }),
        compressors_([&] { return compress::InPlaceGzip(options.gzip_level.value_or(1)); }) {}

  base::Status run() {
    const int threads = options_.threads > 0 ? static_cast<int>(options_.threads)
                                             : tbb::info::default_concurrency();
    tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, threads);
    const size_t tokens = static_cast<size_t>(threads) * 4;
    // A batch stays in settled_items_ until every lane counted it; fewer than `tokens` others
    // are in flight meanwhile, so their numbers never wrap onto its slot.
    settled_items_ = std::vector<std::atomic<WorkItem*>>(tokens + 1);
    lanes_ = std::make_unique<ShardLane[]>(engine_.shard_count());
    part_interval_ns_ = engine_.interval_for({});
    stats_.threads = static_cast<uint32_t>(threads);
    started_ns_ = base::now_monotonic_ns();
    const int64_t cpu_at_start = process_cpu_ns();

    // received()/handed() only tell ThreadSanitizer about TBB's hand-offs (base/tsan.h).
    sink_.set_batch_pool(&batch_pool_);
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, WorkItem*>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) {
                                            received(nullptr, &kReadTurn);
                                            return handed(read(fc), &kReadTurn);
                                          }) &
            tbb::make_filter<WorkItem*, WorkItem*>(
                tbb::filter_mode::parallel,
                [&](WorkItem* w) { return handed(decode(received(w))); }) &
            tbb::make_filter<WorkItem*, WorkItem*>(
                tbb::filter_mode::serial_in_order,
                [&](WorkItem* w) {
                  return handed(settle(received(w, &kSettleTurn)), &kSettleTurn);
                }) &
            tbb::make_filter<WorkItem*, WorkItem*>(
                tbb::filter_mode::parallel,
                [&](WorkItem* w) { return handed(count(received(w))); }) &
            tbb::make_filter<WorkItem*, WorkItem*>(
                tbb::filter_mode::serial_in_order,
                [&](WorkItem* w) { return handed(close(received(w, &kCloseTurn)), &kCloseTurn); }) &
            tbb::make_filter<WorkItem*, WorkItem*>(
                tbb::filter_mode::parallel,
                [&](WorkItem* w) { return handed(encode(received(w))); }) &
            tbb::make_filter<WorkItem*, void>(tbb::filter_mode::serial_in_order, [&](WorkItem* w) {
              deliver(received(w, &kDeliverTurn));
              base::tsan_release(&kDeliverTurn);
            }));
    for (const void* turn : {&kReadTurn, &kSettleTurn, &kCloseTurn, &kDeliverTurn}) {
      base::tsan_acquire(turn);
    }

    stats_.engine = engine_.stats();
    const document::OrderedWriter::Written written = writer_.written();
    stats_.documents = written.documents;
    stats_.document_packets = written.packets;
    stats_.document_wire_bytes = written.bytes;
    stats_.batches = written.batches;
    // The sink's writes were the deliver stage's work before batches streamed; they are
    // still one thread at a time, so they count as that serial stage's.
    stats_.deliver_busy_ns += written.busy_ns;
    stats_.deliver_cpu_ns += written.cpu_ns;
    sink_error_ = writer_.error();
    if (!sink_error_) {
      if (auto finished = sink_.finish(); !finished.ok()) sink_error_ = std::move(finished).error();
    }
    stats_.delivered = sink_.account();
    sink_.set_batch_pool(nullptr);  // the pool goes with this run
    if (!sink_error_) commit_delivered(true);
    stats_.seconds = static_cast<double>(base::now_monotonic_ns() - started_ns_) / 1e9;
    stats_.process_cpu_ns = process_cpu_ns() - cpu_at_start;
    stats_.shard_cpu_ns = shard_cpu_ns_.load(std::memory_order_relaxed);
    report_progress(true);
    if (const uint64_t lost = oversize_documents(); lost > 0) {
      return base::make_error(base::ErrorCode::kInternal,
                              std::to_string(lost) +
                                  " documents exceeded the encoder's buffer and were not written "
                                  "(a bug: please report it with the input)");
    }
    if (read_error_) return std::move(*read_error_);
    if (sink_error_) return std::move(*sink_error_).context("deliver documents");
    if (commit_error_) return std::move(*commit_error_).context("commit input position");
    return base::ok_status();
  }

 private:
  // TBB passes work items between stages and tasks inside libtbb, where ThreadSanitizer cannot
  // see it: a stage acquires what it receives (and, if serial, its turn) and releases what it
  // hands on. Nothing outside TSan builds (base/tsan.h).
  static WorkItem* received(WorkItem* w, const void* turn = nullptr) {
    if (turn != nullptr) base::tsan_acquire(turn);
    if (w != nullptr) base::tsan_acquire(w);
    return w;
  }
  static WorkItem* handed(WorkItem* w, const void* turn = nullptr) {
    if (w != nullptr) base::tsan_release(w);
    if (turn != nullptr) base::tsan_release(turn);
    return w;
  }

  WorkItem* acquire() {
    std::unique_ptr<WorkItem> item;
    WorkItem* raw = nullptr;
    if (free_items_.try_pop(raw)) return received(raw);
    items_.push_back(std::make_unique<WorkItem>());
    items_.back()->decoded.packets.reserve(options_.batch_packets);
    return items_.back().get();
  }

  WorkItem* read(tbb::flow_control& fc) {
    const BusyClock busy(stats_.read_busy_ns, stats_.read_cpu_ns);
    if (input_done_ || stop_requested()) {
      fc.stop();
      return nullptr;
    }
    WorkItem* w = acquire();
    w->reset();
    auto pulled = input_.next(w->batch, options_.batch_packets);
    if (!pulled.ok()) {
      read_error_ = std::move(pulled).error();
      // The fault still travels down the pipeline once, so the open snapshots are flushed and
      // delivered behind every batch read before it.
      input_done_ = true;
      w->batch.clear();
      w->end_of_input = true;
    } else {
      w->gaps = std::move(pulled->gaps);
      w->accounting = std::move(pulled->accounting);
      w->end_of_input = pulled->end;
      w->interrupted = pulled->interrupted;
      w->end_part = pulled->end_part;
      w->part_mode = pulled->part_mode;
      // The decode stage cuts the batch into snapshots of its part's length.
      if (w->batch.starts_part) part_interval_ns_ = engine_.interval_for(w->part_mode);
      input_done_ = pulled->end;
      if (pulled->end) w->batch.clear();
    }
    w->interval_ns = part_interval_ns_;
    w->batch.sequence = ++batch_sequence_;
    w->checkpoint = input_.checkpoint();
    report_progress(false);
    return w;
  }

  WorkItem* decode(WorkItem* w) {
    const auto& records = w->batch.records;
    if (!options_.packet_mode) {
      // The wire bytes are summed here, in the parallel stage, so the serial aggregate stage
      // does no per-packet bookkeeping of its own.
      w->decoded.decode(w->batch, options_.decode, w->status_counts);
      // Snapshots, lateness within the batch and the shard plan are worked out here, in the
      // parallel stage; the serial aggregate stage only settles them against earlier batches.
      SnapshotEngine::assign(w->decoded.packets, w->interval_ns, options_.snapshot, w->plan);
      return w;
    }
    PacketEncoder& encoder = packet_encoders_.local();
    packet::PacketView view;  // decode() resets it: one per call, not one per packet
    for (uint32_t i = 0; i < records.size(); ++i) {
      w->decoded.wire_bytes += records[i].wire_length;
      const auto status =
          packet::decode(records[i].bytes(), records[i].link_type, view, options_.decode);
      ++w->status_counts[static_cast<size_t>(status)];
      const packet::FlowKey key = packet::make_flow_key(view);
      PacketFields fields;
      fields.ts_ns = records[i].ts_ns;
      fields.record_number = w->batch.first_record_number + i;
      fields.input = &w->batch.input_id;
      fields.wire_length = records[i].wire_length;
      fields.captured_length = records[i].captured_length;
      fields.view = &view;
      fields.key = &key;
      encoder.encode(fields,
                     batch_with_room(w->documents, options_.encoder.bulk_form, batch_pool_));
    }
    for (const auto& b : w->documents) {
      w->document_bytes.fetch_add(b.body.size(), std::memory_order_relaxed);
    }
    if (options_.gzip_level) compress_documents(*w);
    return w;
  }

  // Serial: lateness, fragments, watermark, parts and which snapshots close (SnapshotEngine::
  // settle); then the batch is published for the shard lanes.
  WorkItem* settle(WorkItem* w) {
    const BusyClock busy(stats_.aggregate_busy_ns, stats_.aggregate_cpu_ns);
    for (size_t s = 0; s < kStatusCount; ++s) stats_.decode_status[s] += w->status_counts[s];
    stats_.packets += w->batch.size();
    stats_.bytes += w->decoded.wire_bytes;
    if (options_.packet_mode) {
      w->committable_batch = w->batch.sequence;
      return w;
    }
    w->settled = ++settled_;
    // No document counts packets of two parts: a part's end emits all its snapshots (once
    // every shard has counted the batches before), and the input positions before it become
    // committable once those are delivered.
    if (w->end_part || w->batch.starts_part || w->end_of_input) help_until(w->settled - 1);
    if (w->end_part || w->batch.starts_part) {
      engine_.take_all(w->closed);
      completed_through_batch_ = w->batch.sequence - (w->batch.empty() ? 0 : 1);
    }
    if (w->batch.starts_part) {
      engine_.begin_part(w->batch.input_id, w->part_mode);
      if (w->part_mode.resolution != Resolution::kFull) ++stats_.degraded_parts;
    }
    engine_.recycle(w->spare_records);
    engine_.settle(w->decoded.packets, w->plan);
    if (w->end_of_input) {
      engine_.take_all(w->closed);
      completed_through_batch_ = w->batch.sequence;
      if (w->interrupted) drop_open_snapshots(*w);
    }
    w->committable_batch = completed_through_batch_;
    // Release pairs with the acquire in help_until(): a lane that counts this batch sees it
    // settled.
    settled_items_[w->settled % settled_items_.size()].store(w, std::memory_order_release);
    return w;
  }

  // Parallel: the batch's shards are counted, each shard's batches in order, by whichever
  // threads get there first (shard lanes: see help_until).
  WorkItem* count(WorkItem* w) {
    if (!options_.packet_mode) help_until(w->settled);
    return w;
  }

  // A run cut short does not emit the snapshots still open: their documents would differ from
  // a complete run's, so running it again could not finish exactly. Counted, and reported.
  void drop_open_snapshots(WorkItem& w) {
    stats_.interrupted = true;
    for (const ClosedSnapshot& snapshot : w.closed) {
      stats_.unexported_packets += snapshot.totals.packets;
      stats_.unexported_bytes += snapshot.totals.bytes;
    }
    w.closed.clear();
  }

  // Serial: the snapshots that closed after the batch, assembled from the shards' parts; and
  // the writer's tickets for every document batch the item will make, in output order.
  WorkItem* close(WorkItem* w) {
    const BusyClock busy(stats_.close_busy_ns, stats_.close_cpu_ns);
    if (!options_.packet_mode) engine_.take_closed(w->plan, w->closed);
    size_t tickets = w->documents.size();  // packet mode: made by the decode stage
    if (!w->gaps.empty() || !w->accounting.empty()) ++tickets;
    for (const ClosedSnapshot& snapshot : w->closed) tickets += plan_of(snapshot).tickets;
    w->tickets = writer_.reserve(tickets);
    return w;
  }

  // Returns once every shard has counted settled batches 1..target. Each shard is a lane that
  // counts its batches one after another; a thread takes any lane behind the target that no
  // other thread holds and brings it up to the target, so all threads count (a parallel
  // stage) while each shard's batches stay in order. It waits only for lanes another thread
  // is working on, which always progress: every batch up to the target is settled.
  void help_until(uint64_t target) {
    const uint32_t shards = engine_.shard_count();
    const uint32_t first = lane_rotation_.fetch_add(1, std::memory_order_relaxed) % shards;
    for (;;) {
      bool behind = false;
      bool worked = false;
      for (uint32_t n = 0; n < shards; ++n) {
        const uint32_t shard = (first + n) % shards;
        ShardLane& lane = lanes_[shard];
        // Acquire pairs with the release below: the parts a lane wrote are visible.
        if (lane.done.load(std::memory_order_acquire) >= target) continue;
        behind = true;
        // Acquire/release on `busy`: one holder at a time, seeing the previous holder's work.
        if (lane.busy.exchange(true, std::memory_order_acquire)) continue;
        for (uint64_t done = lane.done.load(std::memory_order_relaxed); done < target; ++done) {
          WorkItem& item =
              *settled_items_[(done + 1) % settled_items_.size()].load(std::memory_order_acquire);
          if (!item.decoded.packets.empty()) {
            const int64_t cpu_start = base::now_thread_cpu_ns();
            engine_.aggregate_shard(shard, item.plan, item.decoded, item.batch);
            shard_cpu_ns_.fetch_add(base::now_thread_cpu_ns() - cpu_start,
                                    std::memory_order_relaxed);
          }
          lane.done.store(done + 1, std::memory_order_release);
        }
        lane.busy.store(false, std::memory_order_release);
        worked = true;
      }
      if (!behind) return;
      if (!worked) std::this_thread::yield();  // the lanes behind are another thread's
    }
  }

  // Parallel: every document batch of the item, each handed to the writer under its ticket as
  // soon as it is made, so the sink takes a snapshot's documents while the rest are encoded.
  WorkItem* encode(WorkItem* w) {
    uint64_t ticket = w->tickets.first;
    if (options_.packet_mode) {
      for (size_t i = 0; i < w->documents.size(); ++i) {
        if (i == 0 && w->encode_error) {
          writer_.fail(ticket++, *w->encode_error);  // the writer drops what comes after it
        } else {
          writer_.put(ticket++, std::move(w->documents[i]));
        }
      }
      w->documents.clear();
    }
    if (!w->gaps.empty() || !w->accounting.empty()) {
      // A read batch brings a few of these at most: one document batch holds them all.
      FlowEncoder& encoder = flow_encoders_.local();
      document::DocumentBatch batch = fresh_batch(options_.encoder.bulk_form, batch_pool_);
      for (const GapRecord& gap : w->gaps) encoder.encode_gap(gap, options_.consumer, batch);
      for (const AccountingRecord& a : w->accounting) {
        encoder.encode_accounting(a, options_.consumer, batch);
      }
      hand_over(ticket++, std::move(batch), *w);
    }
    for (const ClosedSnapshot& snapshot : w->closed) ticket = encode_snapshot(snapshot, ticket, *w);
    assert(ticket == w->tickets.end);
    return w;
  }

  // Packet mode: the decode stage's batches, compressed there so that the serial stages never
  // compress (the first failure is kept; the writer stops at it).
  void compress_documents(WorkItem& w) {
    compress::InPlaceGzip& compressor = compressors_.local();
    for (document::DocumentBatch& b : w.documents) {
      if (auto compressed = compressor.compress(b.body); !compressed.ok()) {
        w.encode_error = std::move(compressed).error();
        return;
      }
    }
  }

  // Counts, compresses (with --gzip) and hands the batch to the writer. Any thread.
  void hand_over(uint64_t ticket, document::DocumentBatch&& batch, WorkItem& w) {
    w.document_bytes.fetch_add(batch.body.size(), std::memory_order_relaxed);
    if (options_.gzip_level) {
      if (auto compressed = compressors_.local().compress(batch.body); !compressed.ok()) {
        writer_.fail(ticket, std::move(compressed).error());
        batch_pool_.give(std::move(batch));
        return;
      }
    }
    writer_.put(ticket, std::move(batch));
  }

  // How a closed snapshot becomes documents: the flows it encodes (all, or the --top-n kept),
  // and the writer tickets that takes (totals, runs of flows, the folded "other").
  struct SnapshotPlan {
    uint32_t top_n = 0;  ///< > 0: only the top_n largest flows get their own document
    size_t flows = 0;    ///< flow documents, the "other" not included
    size_t tickets = 0;
  };

  static size_t runs_of(size_t documents) {
    return (documents + kDocumentsPerRun - 1) / kDocumentsPerRun;
  }

  SnapshotPlan plan_of(const ClosedSnapshot& snapshot) const {
    size_t records = 0;
    for (const std::vector<FlowRecord>& shard : snapshot.shards) records += shard.size();
    // A degraded part keeps fewer flows than --top-n asks for (or --top-n is not set).
    uint32_t top_n = options_.top_n;
    if (snapshot.totals.top_n > 0 && (top_n == 0 || snapshot.totals.top_n < top_n)) {
      top_n = snapshot.totals.top_n;
    }
    SnapshotPlan plan;
    plan.tickets = options_.totals ? 1 : 0;
    if (top_n > 0 && snapshot.totals.flows > top_n) {
      plan.top_n = top_n;
      plan.flows = std::min<size_t>(top_n, records);
      plan.tickets += runs_of(plan.flows) + 1;
    } else {
      plan.flows = records;
      plan.tickets += runs_of(plan.flows);
    }
    return plan;
  }

  // Encodes `documents` flow documents in runs of kDocumentsPerRun, run r into one batch of
  // its own under ticket first_ticket + r. Threads take the runs in order as they come free,
  // so batches reach the writer nearly in order and few wait there. encode_range(begin, end,
  // batch) writes documents [begin, end).
  template <typename EncodeRange>
  void encode_runs(size_t documents, uint64_t first_ticket, WorkItem& w,
                   const EncodeRange& encode_range) {
    const size_t runs = runs_of(documents);
    if (runs == 0) return;
    std::atomic<size_t> next_run{0};
    const auto tasks = std::min(runs, static_cast<size_t>(tbb::this_task_arena::max_concurrency()));
    base::tsan_release(&kEncodeTasks);  // the tasks below, see base/tsan.h
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, tasks, 1),
        [&](const tbb::blocked_range<size_t>&) {
          base::tsan_acquire(&kEncodeTasks);
          for (size_t run; (run = next_run.fetch_add(1, std::memory_order_relaxed)) < runs;) {
            document::DocumentBatch batch = fresh_batch(options_.encoder.bulk_form, batch_pool_);
            const size_t begin = run * kDocumentsPerRun;
            encode_range(begin, std::min(begin + kDocumentsPerRun, documents), batch);
            hand_over(first_ticket + run, std::move(batch), w);
          }
          base::tsan_release(&kEncodeTasks);
        },
        tbb::simple_partitioner());
    base::tsan_acquire(&kEncodeTasks);
  }

  // Returns the ticket after the snapshot's last.
  uint64_t encode_snapshot(const ClosedSnapshot& snapshot, uint64_t ticket, WorkItem& w) {
    const SnapshotPlan plan = plan_of(snapshot);
    const bool bulk = options_.encoder.bulk_form;
    if (options_.totals) {
      document::DocumentBatch batch = fresh_batch(bulk, batch_pool_);
      flow_encoders_.local().encode_totals(snapshot.totals, batch);
      hand_over(ticket++, std::move(batch), w);
    }
    if (plan.top_n > 0) {
      const TopN top = select_top_n(snapshot, plan.top_n);
      encode_runs(top.kept.size(), ticket, w, [&](size_t begin, size_t end, auto& batch) {
        FlowEncoder& encoder = flow_encoders_.local();
        for (size_t i = begin; i < end; ++i)
          encoder.encode_flow(snapshot.totals, *top.kept[i], batch);
      });
      ticket += runs_of(plan.flows);
      document::DocumentBatch other = fresh_batch(bulk, batch_pool_);
      flow_encoders_.local().encode_other(snapshot.totals, top.other, top.other_flow_count, other);
      hand_over(ticket++, std::move(other), w);
      return ticket;
    }
    // The records in shard order, then record order: the output is the same whatever the
    // scheduling. Every run fills its own batch and no other, so pooled batches are filled
    // alike whatever the document size (decision 0092).
    std::vector<size_t> shard_ends(snapshot.shards.size());
    size_t records = 0;
    for (size_t s = 0; s < snapshot.shards.size(); ++s) {
      records += snapshot.shards[s].size();
      shard_ends[s] = records;
    }
    encode_runs(records, ticket, w, [&](size_t begin, size_t end, auto& batch) {
      FlowEncoder& encoder = flow_encoders_.local();
      auto shard = static_cast<size_t>(
          std::upper_bound(shard_ends.begin(), shard_ends.end(), begin) - shard_ends.begin());
      for (size_t at = begin; at < end; ++shard) {
        const std::vector<FlowRecord>& shard_records = snapshot.shards[shard];
        const size_t shard_begin = shard_ends[shard] - shard_records.size();
        for (const size_t stop = std::min(end, shard_ends[shard]); at < stop; ++at) {
          encoder.encode_flow(snapshot.totals, shard_records[at - shard_begin], batch);
        }
      }
    });
    return ticket + runs_of(records);
  }

  // Serial: once the writer has taken every batch of the item (encode handed them in), its
  // input position is committed behind them.
  void deliver(WorkItem* w) {
    const uint64_t documents_through = writer_.wait_written(w->tickets);
    const BusyClock busy(stats_.deliver_busy_ns, stats_.deliver_cpu_ns);
    stats_.document_bytes += w->document_bytes.load(std::memory_order_relaxed);
    stats_.accounting_documents += w->accounting.size();
    for (const GapRecord& gap : w->gaps) {
      ++stats_.gaps;
      stats_.gap_packets += gap.packets;
      stats_.gap_bytes += gap.bytes;
    }
    // This item's position may be committed once every document written so far is delivered
    // and every batch up to it belongs to a part whose snapshots were all emitted.
    checkpoints_.push_back({w->batch.sequence, w->checkpoint});
    commit_rules_.push_back({documents_through, w->committable_batch});
    if (!writer_.failed()) commit_delivered(false);
    free_items_.push(handed(w));
  }

  // Commits the newest input position whose documents are all delivered. Runs in the deliver
  // stage and once after finish(); rate-limited because a commit is an fsync and a rename.
  void commit_delivered(bool force) {
    const int64_t now = base::now_monotonic_ns();
    if (!force && now - last_commit_ns_ < options_.commit_every_ns) return;
    const uint64_t delivered = sink_.delivered_through();
    uint64_t committable_batch = 0;
    while (!commit_rules_.empty() && commit_rules_.front().documents_through <= delivered) {
      committable_batch = std::max(committable_batch, commit_rules_.front().committable_batch);
      commit_rules_.pop_front();
    }
    std::optional<uint64_t> token;
    while (!checkpoints_.empty() && checkpoints_.front().batch <= committable_batch) {
      token = checkpoints_.front().token;
      checkpoints_.pop_front();
    }
    if (!token) return;
    last_commit_ns_ = now;
    if (auto committed = input_.commit(*token); !committed.ok()) {
      commit_error_ = std::move(committed).error();
      sink_failed_.store(true, std::memory_order_release);  // stop reading: see stop_requested
      return;
    }
    ++stats_.commits;
  }

  uint64_t oversize_documents() const {
    uint64_t n = 0;
    for (const FlowEncoder& e : flow_encoders_) n += e.oversize_documents();
    for (const PacketEncoder& e : packet_encoders_) n += e.oversize_documents();
    return n;
  }

  bool stop_requested() const {
    return sink_failed_.load(std::memory_order_acquire) || writer_.failed();
  }

  void report_progress(bool final) {
    if (!progress_) return;
    const int64_t now = base::now_monotonic_ns();
    if (!final && now - last_progress_ns_ < kProgressEveryNs) return;
    last_progress_ns_ = now;
    const InputProgress in = input_.progress();
    Progress p;
    p.input_bytes = in.input_bytes;
    p.input_size = in.input_size;
    p.packets = in.packets;
    p.bytes = in.bytes;
    p.seconds = static_cast<double>(now - started_ns_) / 1e9;
    progress_(p);
  }

  struct Checkpoint {
    uint64_t batch;
    uint64_t token;
  };
  struct CommitRule {
    uint64_t documents_through;  ///< document batches that must be delivered first
    uint64_t committable_batch;  ///< then batches up to this one are done
  };

  const PipelineOptions& options_;
  PacketInput& input_;
  document::DocumentSink& sink_;
  PipelineStats& stats_;
  const ProgressCallback& progress_;
  SnapshotEngine engine_;
  tbb::enumerable_thread_specific<FlowEncoder> flow_encoders_;
  tbb::enumerable_thread_specific<PacketEncoder> packet_encoders_;
  tbb::enumerable_thread_specific<compress::InPlaceGzip> compressors_;

  // Pool: items are created on demand (at most `tokens` exist) and recycled by deliver().
  std::vector<std::unique_ptr<WorkItem>> items_;  // touched only by the serial read stage
  tbb::concurrent_queue<WorkItem*> free_items_;
  bool input_done_ = false;
  uint64_t batch_sequence_ = 0;
  int64_t part_interval_ns_ = 0;          // read stage only
  uint64_t completed_through_batch_ = 0;  // settle stage only
  std::optional<base::Error> read_error_;
  std::optional<base::Error> sink_error_;  // the writer's or finish()'s, after the pipeline
  std::atomic<bool> sink_failed_{false};   // a commit failed: stop reading
  std::atomic<int64_t> shard_cpu_ns_{0};   // summed by the shard lanes, read at the end
  // Shard lanes (help_until): how far each shard has counted, and whether a thread holds it.
  struct alignas(64) ShardLane {
    std::atomic<uint64_t> done{0};  ///< settled batches 1..done are counted in this shard
    std::atomic<bool> busy{false};
  };
  std::unique_ptr<ShardLane[]> lanes_;
  std::vector<std::atomic<WorkItem*>> settled_items_;       // by settled number, modulo its size
  std::atomic<uint32_t> lane_rotation_{0};                  // spreads the threads' first lanes
  uint64_t settled_ = 0;                                    // settle stage only
  document::BatchPool batch_pool_{kPooledDocumentBatches};  // given to the sink for the run
  document::OrderedWriter writer_{sink_, &batch_pool_};     // the only caller of sink_.write()
  std::optional<base::Error> commit_error_;
  std::deque<Checkpoint> checkpoints_;      // deliver stage only
  std::deque<CommitRule> commit_rules_;     // deliver stage only
  int64_t last_commit_ns_ = INT64_MIN / 2;  ///< the first commit is never held back
  int64_t started_ns_ = 0;
  int64_t last_progress_ns_ = 0;
};

}  // namespace

base::Status run_pipeline(const PipelineOptions& options, PacketInput& input,
                          document::DocumentSink& sink, PipelineStats& stats,
                          const ProgressCallback& progress) {
  PipelineRun run(options, input, sink, stats, progress);
  return run.run();
}

}  // namespace snapflow::pcap2json
