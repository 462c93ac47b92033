// The pcap2json pipeline: packets in, documents out, on a TBB parallel_pipeline.
//
//   read (serial, in order)      PacketReader::next_batch into a pooled WorkItem
//   decode (parallel)            decode + flow key + hash per packet, snapshot starts and the
//                                shard plan (SnapshotEngine::assign); in packet mode, encode
//   settle (serial, in order)    SnapshotEngine::settle: lateness, fragments, watermark,
//                                parts, which snapshots close; per packet only for late
//                                packets and fragments
//   count (parallel)             every shard counts the batch, each shard's batches in order:
//                                shard lanes, taken by whichever thread gets there first
//   close (serial, in order)     the closed snapshots, assembled from the shards' parts; the
//                                item's document batches get their places in the output
//                                (document::OrderedWriter tickets)
//   encode (parallel)            totals, then flow documents in runs of 4 096 taken by any
//                                thread, top-N folding; each batch goes to the writer as soon
//                                as it is made, which hands it to DocumentSink::write once
//                                the batches before it are written (blocks when the sink is
//                                slow)
//   deliver (serial, in order)   waits until the item's batches are written, then commits
//                                the input position behind them
//
// Memory is bounded by the token count (4 x threads WorkItems, each holding one input batch
// and its closed snapshots' records) plus the open flow tables and the document batches in
// flight: a few per thread while the sink keeps up; while it is slower than the encoders, up
// to the in-flight items' documents wait for it (decision 0093). A read error stops the
// input; everything read before it is still aggregated, flushed and delivered before run()
// returns the error, so no document for a packet before the fault is lost.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/document/batch.h"
#include "snapflow/packet/decode.h"
#include "snapflow/packet/view.h"
#include "snapflow/pcap2json/flow_encoder.h"
#include "snapflow/pcap2json/input.h"
#include "snapflow/pcap2json/snapshot_engine.h"

namespace snapflow::pcap2json {

inline constexpr size_t kDefaultBatchPackets = 8192;
inline constexpr size_t kDocumentBatchBytes = 4 << 20;

struct PipelineOptions {
  SnapshotConfig snapshot;
  packet::DecodeOptions decode;
  EncoderConfig encoder;
  uint32_t threads = 0;  ///< 0: every core
  size_t batch_packets = kDefaultBatchPackets;
  uint32_t top_n = 0;        ///< 0: every flow gets its document
  bool packet_mode = false;  ///< one document per packet instead of snapflows
  bool totals = true;        ///< one snapflow.totals document per snapshot
  std::string consumer;      ///< ring consumer name, for gap documents
  /// gzip each document batch in the parallel encode stage (level 0..3), for a sink opened
  /// with FileSinkOptions::precompressed; keeps compression off the serial deliver stage.
  std::optional<int> gzip_level;
  int64_t commit_every_ns = 1'000'000'000;  ///< how often delivered positions are committed
};

struct PipelineStats {
  EngineStats engine;
  std::array<uint64_t, static_cast<size_t>(packet::DecodeStatus::kCount)> decode_status{};
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t documents = 0;            ///< every document handed to the sink (flows, totals, ...)
  uint64_t document_packets = 0;     ///< packets counted by the documents handed to the sink
  uint64_t document_wire_bytes = 0;  ///< wire bytes counted by the documents handed to the sink
  /// What the sink holds for good at the end: for Elasticsearch, acknowledged or verified
  /// present; what it rejected is not in here.
  document::SinkAccount delivered;
  uint64_t document_bytes = 0;  ///< uncompressed bytes handed to the sink
  uint64_t batches = 0;
  uint64_t gaps = 0;  ///< gap documents (data lost before it was read)
  uint64_t gap_packets = 0;
  uint64_t gap_bytes = 0;
  /// A file input cut short (SIGINT/SIGTERM): the packets of the snapshots still open then,
  /// read but not exported (Pulled::interrupted).
  bool interrupted = false;
  uint64_t unexported_packets = 0;
  uint64_t unexported_bytes = 0;
  uint64_t commits = 0;  ///< input positions committed
  uint64_t degraded_parts = 0;
  uint64_t accounting_documents = 0;  ///< ring consumer samples (docs/formats.md)  ///< parts
                                      ///< aggregated coarsely to catch up (decision 0006)
  double seconds = 0;
  /// Wall time each serial stage was busy. Divided by `seconds` it is the stage's utilisation:
  /// one near 100 % caps the run whatever the thread count (the aggregate stage's time includes
  /// its parallel_for over shards, during which the stage admits no other batch; the read
  /// stage's includes waiting for input, all of an idle --follow run).
  int64_t read_busy_ns = 0;
  int64_t aggregate_busy_ns = 0;  ///< the settle stage (watermark, lateness, parts)
  int64_t close_busy_ns = 0;      ///< assembling closed snapshots
  int64_t deliver_busy_ns = 0;
  /// CPU time of the same stages (thread CPU clocks: independent of other processes), with the
  /// aggregate stage's shard counting, which runs on every thread, apart; and the whole run's.
  /// From these, what each serial stage would take of a core on an idle machine (report.cc).
  int64_t read_cpu_ns = 0;
  int64_t aggregate_cpu_ns = 0;  ///< the settle stage (with shard counting it helps at part ends)
  int64_t close_cpu_ns = 0;
  int64_t shard_cpu_ns = 0;  ///< counting in the shards (a parallel stage), on all threads
  int64_t deliver_cpu_ns = 0;
  int64_t process_cpu_ns = 0;  ///< user + system time of the process during the run
  uint32_t threads = 0;        ///< worker threads the run used
};

struct Progress {
  uint64_t input_bytes = 0;
  std::optional<uint64_t> input_size;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};
using ProgressCallback = std::function<void(const Progress&)>;

// Runs the whole input through to the sink, then calls sink.finish() and commits the input's
// last delivered position. Blocks until done. Positions are committed only once every
// document derived from the packets before them is delivered (DocumentSink::
// delivered_through). On a read or sink error returns it (with context); the stats of what
// was done are in `stats` either way.
base::Status run_pipeline(const PipelineOptions& options, PacketInput& input,
                          document::DocumentSink& sink, PipelineStats& stats,
                          const ProgressCallback& progress = {});

}  // namespace snapflow::pcap2json
