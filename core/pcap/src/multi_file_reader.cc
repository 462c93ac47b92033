// open_files: several capture files read as one stream, in the order of their first
// timestamps. Ordering peeks each file's first record with a small buffer and closes it
// again, so only one file is open at a time however many are given.
#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {
namespace {

constexpr size_t kPeekBatchBytes = 64 * 1024;

void add_stats(ReaderStats& into, const ReaderStats& from) {
  into.records += from.records;
  into.wire_bytes += from.wire_bytes;
  into.captured_bytes += from.captured_bytes;
  into.skipped_records += from.skipped_records;
  into.skipped_bytes += from.skipped_bytes;
  into.steps_back += from.steps_back;
  into.input_bytes += from.input_bytes;
}

class MultiFileReader final : public PacketReader {
 public:
  MultiFileReader(std::vector<std::string> paths, const ReaderOptions& options,
                  std::optional<uint64_t> size_bytes)
      : paths_(std::move(paths)), options_(options), size_bytes_(size_bytes) {
    name_ = paths_.empty() ? std::string("(no file of this shard)") : paths_.front();
  }

  base::Result<size_t> next_batch(PacketBatch& batch, size_t max_packets) override {
    for (;;) {
      if (!current_) {
        if (next_ >= paths_.size()) {
          batch.clear();
          return size_t{0};
        }
        name_ = paths_[next_];
        auto opened = PacketReader::open(paths_[next_++], options_);
        if (!opened.ok()) return std::move(opened).error();
        current_ = std::move(opened).value();
      }
      auto got = current_->next_batch(batch, max_packets);
      if (!got.ok() || *got > 0) return got;
      add_stats(finished_, current_->stats());
      current_.reset();
    }
  }

  const ReaderStats& stats() const override {
    combined_ = finished_;
    if (current_) add_stats(combined_, current_->stats());
    return combined_;
  }
  // The file being read now (the first one before reading starts).
  const std::string& name() const override { return name_; }
  std::optional<uint64_t> size_bytes() const override { return size_bytes_; }

 private:
  std::vector<std::string> paths_;
  ReaderOptions options_;
  std::optional<uint64_t> size_bytes_;
  std::unique_ptr<PacketReader> current_;
  size_t next_ = 0;
  std::string name_;
  ReaderStats finished_;
  mutable ReaderStats combined_;
};

}  // namespace

uint32_t shard_of(const InputId& input_id, uint32_t shard_count) {
  uint64_t h = 0;
  for (size_t i = 0; i < 8; ++i) h = (h << 8) | input_id[i];  // the id is already a hash
  return static_cast<uint32_t>(h % (shard_count == 0 ? 1 : shard_count));
}

base::Result<std::unique_ptr<PacketReader>> open_files(const std::vector<std::string>& paths,
                                                       const ReaderOptions& options,
                                                       const FileSelection& selection) {
  if (paths.empty()) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "no input files given");
  }
  const bool sharded = selection.shard_count > 1;
  if (paths.size() == 1 && !sharded) return PacketReader::open(paths.front(), options);

  struct Entry {
    int64_t first_ts_ns;
    std::string path;
  };
  std::vector<Entry> entries;
  entries.reserve(paths.size());
  std::optional<uint64_t> total_size = 0;
  ReaderOptions peek_options = options;
  peek_options.batch_bytes = kPeekBatchBytes;
  PacketBatch peek;
  for (const std::string& path : paths) {
    if (path == "-") {
      return base::make_error(base::ErrorCode::kInvalidArgument,
                              "stdin (-) cannot be combined with other input files");
    }
    auto reader = PacketReader::open(path, peek_options);
    if (!reader.ok()) return std::move(reader).error().context("ordering input files");
    auto got = (*reader)->next_batch(peek, 1);
    if (!got.ok()) return std::move(got).error().context("ordering input files");
    // A file without records goes last; it contributes nothing but is still checked.
    int64_t ts = *got ? peek.records.front().ts_ns : std::numeric_limits<int64_t>::max();
    if (sharded &&
        (*got == 0 || shard_of(peek.input_id, selection.shard_count) != selection.shard_index)) {
      continue;
    }
    entries.push_back({ts, path});
    auto size = (*reader)->size_bytes();
    if (total_size && size) {
      *total_size += *size;
    } else {
      total_size.reset();
    }
  }
  if (entries.empty()) return std::unique_ptr<PacketReader>(new MultiFileReader({}, options, 0));
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.first_ts_ns < b.first_ts_ns; });
  std::vector<std::string> ordered;
  ordered.reserve(entries.size());
  for (Entry& e : entries) ordered.push_back(std::move(e.path));
  return std::unique_ptr<PacketReader>(
      new MultiFileReader(std::move(ordered), options, total_size));
}

}  // namespace snapflow::pcap
