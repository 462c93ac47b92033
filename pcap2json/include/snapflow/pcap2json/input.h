// PacketInput: what the pipeline's read stage pulls packets from — capture files (FileInput)
// or the live SSD ring (RingInput, `--ring DIR --consumer NAME --follow`).
//
// Besides packets an input reports where its parts begin and end (so documents never mix
// packets of two parts: a file and the next, or the ring before and after a checkpoint), data
// it lost (ring overrun: a gap), and positions the pipeline commits once every document
// derived from the packets before them is delivered (acknowledged by Elasticsearch). Called
// from one pipeline stage at a time; cancel() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap/reader.h"
#include "snapflow/pcap/record.h"
#include "snapflow/pcap2json/flow_record.h"
#include "snapflow/pcap2json/snapshot_engine.h"

namespace snapflow::pcap2json {

// What one next() call produced. Parts (docs/decisions/0005-document-identity.md): a batch
// whose PacketBatch::starts_part is set begins a new part, and end_part ends the current one
// before the batch's records; either way every snapshot still open is emitted first, because
// no document may count packets of two parts.
struct Pulled {
  size_t packets = 0;  ///< records now in the batch
  bool end = false;    ///< no more input will come (the open snapshots are emitted)
  /// With end: cancel() cut a file input short. Its open snapshots are not emitted: a document
  /// of a snapshot cut short would differ from the one a complete run makes, so running the
  /// same command again could not finish the job exactly (the closed ones it recognises).
  bool interrupted = false;
  bool end_part = false;        ///< the part ended (idle ring, gap): emit the open snapshots
  std::vector<GapRecord> gaps;  ///< data lost before the packets of this batch
  PartMode part_mode;           ///< how to aggregate the part this batch begins (starts_part)
  std::vector<AccountingRecord> accounting;  ///< ring consumer samples to index
};

struct InputProgress {
  uint64_t input_bytes = 0;
  std::optional<uint64_t> input_size;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

class PacketInput {
 public:
  virtual ~PacketInput() = default;
  // Clears batch and fills it. Blocks (a following input waits for data, briefly).
  virtual base::Result<Pulled> next(pcap::PacketBatch& batch, size_t max_packets) = 0;
  // A token for the position after the last batch returned by next().
  virtual uint64_t checkpoint() = 0;
  // Durably records that everything before checkpoint `token` is done. The pipeline commits
  // only positions where a part begins, in increasing order; an input without positions
  // ignores them.
  virtual base::Status commit(uint64_t token) = 0;
  // Makes a blocked or future next() return end. Any thread.
  virtual void cancel() = 0;
  virtual InputProgress progress() const = 0;
  virtual const pcap::ReaderStats* reader_stats() const { return nullptr; }
};

// Capture files (or stdin) through a pcap::PacketReader. Never idle, no positions.
class FileInput final : public PacketInput {
 public:
  // In two steps, so that cancel() can already stop open() while it waits for stdin's header.
  static base::Result<std::unique_ptr<FileInput>> create();
  // Opens the files ("-": stdin) as one stream, in time order (pcap::open_files). Once,
  // before next(); kCancelled if cancel() stopped it.
  base::Status open(const std::vector<std::string>& paths, pcap::ReaderOptions options,
                    const pcap::FileSelection& selection);
  ~FileInput() override;
  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;

  base::Result<Pulled> next(pcap::PacketBatch& batch, size_t max_packets) override;
  uint64_t checkpoint() override { return 0; }
  base::Status commit(uint64_t) override { return base::ok_status(); }
  // SIGINT/SIGTERM: the next batch ends the input, interrupted (Pulled::interrupted); a read
  // waiting on an idle pipe (stdin) ends at once.
  void cancel() override;
  InputProgress progress() const override;
  const pcap::ReaderStats* reader_stats() const override {
    return reader_ ? &reader_->stats() : nullptr;  // null until open() succeeded
  }

 private:
  explicit FileInput(int cancel_fd) : cancel_fd_(cancel_fd) {}
  Pulled interrupted(pcap::PacketBatch& batch) const;

  std::unique_ptr<pcap::PacketReader> reader_;
  int cancel_fd_ = -1;  ///< an eventfd the reader's blocking reads also wait on; cancel() writes it
  std::atomic<bool> cancelled_{false};
};

}  // namespace snapflow::pcap2json
