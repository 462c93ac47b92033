#include "snapflow/ring/writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <vector>

#include "block_io.h"
#include "block_sums.h"
#include "file_util.h"
#include "record_format.h"
#include "segment_meta.h"
#include "snapflow/queue/backoff.h"
#include "snapflow/ring/cursor.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::ring {
namespace {

uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

// O_DIRECT support varies by filesystem (tmpfs refuses it at open, some FUSE filesystems at
// write): try a real aligned write in the ring directory.
bool probe_direct_io(const std::string& dir) {
  const std::string path = dir + "/.direct-io-probe";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  void* block = std::aligned_alloc(kDirectIoAlignment, kDirectIoAlignment);
  bool ok = false;
  if (block != nullptr) {
    std::memset(block, 0, kDirectIoAlignment);
    ok = ::pwrite(fd, block, kDirectIoAlignment, 0) == static_cast<ssize_t>(kDirectIoAlignment);
    std::free(block);
  }
  ::close(fd);
  ::unlink(path.c_str());
  return ok;
}

}  // namespace

struct RingWriter::Impl {
  Fd lock;
  std::unique_ptr<BlockIo> io;  ///< the write and sync threads and the staging blocks
  // Current segment; `open` is false before the first append and after a failed roll.
  bool open = false;
  uint64_t next_seq = 1;
  std::optional<SegmentMetaFile> meta;
  SegmentInfo info;  ///< durable state of the current segment (as last written)
  Fd data;
  Fd idx;
  std::string data_path;
  std::string idx_path;
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  RingPosition segment_base;
  std::vector<IndexEntry> pending_index;
  IndexPolicy index_policy{1, 1};
  SumBuilder sums;  ///< per-block checksums of the current segment (checksum.h)
  Fd sum;
  std::string sum_path;
};

namespace {

uint8_t log2_of(size_t power_of_two) {
  uint8_t log2 = 0;
  while ((size_t{1} << log2) < power_of_two) ++log2;
  return power_of_two == 0 ? 0 : log2;
}

}  // namespace

RingWriter::RingWriter(const RingConfig& config) : config_(config), impl_(new Impl) {
  impl_->index_policy = IndexPolicy(config.index_interval_ns, config.index_interval_bytes);
}

RingWriter::~RingWriter() {
  if (!closed_) (void)close();
}

base::Result<std::unique_ptr<RingWriter>> RingWriter::open(const RingConfig& config) {
  const std::string ctx = "open ring writer " + config.dir;
  auto layout = create_ring(config);
  if (!layout.ok()) return std::move(layout).error().context(ctx);
  std::unique_ptr<RingWriter> w(new RingWriter(config));
  w->layout_ = *layout;
  Impl& im = *w->impl_;

  auto lock = open_file(config.dir + "/lock", O_RDWR | O_CREAT);
  if (!lock.ok()) return std::move(lock).error().context(ctx);
  im.lock = std::move(*lock);
  if (::flock(im.lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return base::make_error(base::ErrorCode::kUnavailable,
                            "another writer holds " + config.dir + "/lock")
        .context(ctx);
  }
  w->direct_ = config.direct_io && probe_direct_io(config.dir);
  SNAPFLOW_TRY_STATUS(w->start(), ctx);
  return w;
}

// Recovers the ring (the lock is held), starts the I/O threads and positions after the newest
// committed record, continuing its segment when it can.
base::Status RingWriter::start() {
  Impl& im = *impl_;
  auto report = recover_ring(layout_, config_);
  if (!report.ok()) return std::move(report).error();
  recovery_ = *report;
  // Runs on the sync thread after a commit's metadata is durable.
  auto io = BlockIo::start(config_.write_block_bytes, config_.io_blocks,
                           [this](const CommitJob& c) { publish(c.position, c.last_ts_ns); });
  if (!io.ok()) return std::move(io).error();
  im.io = std::move(*io);
  last_commit_ticket_ = 0;  // tickets count this BlockIo's commits
  last_commit_ns_ = base::now_monotonic_ns();
  im.pending_index.reserve(1024);

  auto segments = list_segments(layout_);
  if (!segments.ok()) return std::move(segments).error();
  if (!segments->empty()) {
    const SegmentInfo& newest = segments->back();
    im.next_seq = newest.seq + 1;
    head_ = newest.end();
    publish(head_, newest.last_ts_ns);
    if (newest.state == SegmentState::kActive) {
      auto resumed = resume(newest);
      if (!resumed.ok()) return std::move(resumed).error();
      if (!*resumed) SNAPFLOW_TRY_STATUS(seal_unresumable(newest), "resume");
    }
  }
  return base::ok_status();
}

base::Status RingWriter::reopen() {
  if (closed_) return base::make_error(base::ErrorCode::kInvalidArgument, "ring writer closed");
  Impl& im = *impl_;
  if (im.io) {
    im.io->stop();  // every queued job done or skipped; no publish() after this
    stats_.io_wait_ns = im.io->wait_ns();
    im.io.reset();
  }
  im.open = false;
  im.data.reset();
  im.idx.reset();
  im.sum.reset();
  im.meta.reset();
  im.pending_index.clear();
  buf_len_ = 0;
  buf_file_offset_ = 0;
  SNAPFLOW_TRY_STATUS(start(), "reopen ring writer " + layout_.dir);
  return base::ok_status();
}

// A segment written with other checksum or index settings (e.g. by a version without
// checksums), or whose tail does not match its checksums, is not continued: it is sealed as it
// is and the next append starts a new segment, so every segment is uniform.
base::Status RingWriter::seal_unresumable(const SegmentInfo& newest) {
  auto meta = SegmentMetaFile::open(layout_, newest.slot);
  if (!meta.ok()) return std::move(meta).error().context("seal segment");
  SegmentInfo sealed = newest;
  sealed.state = SegmentState::kSealed;
  SNAPFLOW_TRY_STATUS(meta->write(sealed), "seal segment " + std::to_string(newest.seq));
  return base::ok_status();
}

// The first record that starts in the partial last block of a segment being resumed (the
// checksum entry of that block will name it), read from the verified committed bytes. nullopt
// in *first when none does; false when the bytes it needs do not match their checksums.
base::Result<bool> RingWriter::find_tail_start(const SegmentInfo& seg,
                                               const std::vector<IndexEntry>& index,
                                               std::optional<SumEntry>* first) const {
  first->reset();
  const uint64_t block = seg.committed_bytes >> seg.checksum_log2;
  const uint64_t block_start = block << seg.checksum_log2;
  if (block_start == seg.committed_bytes) return true;  // no partial block
  IndexEntry from{0, kSegmentHeaderBytes, seg.base.packets, seg.base.wire_bytes,
                  seg.base.record_bytes};
  for (const IndexEntry& e : index) {
    if (e.offset > block_start) break;
    from = e;
  }
  const std::string path = layout_.segment_path(seg.slot);
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  auto sums = SegmentChecksums::load(layout_, seg);
  if (!sums.ok()) return std::move(sums).error();
  const uint64_t check_from = from.offset >> seg.checksum_log2 << seg.checksum_log2;
  auto bad = check_file_range(fd->get(), path, *sums, check_from, seg.committed_bytes);
  if (!bad.ok()) return std::move(bad).error();
  if (*bad != seg.committed_bytes) return false;
  auto found = first_start_in_block(fd->get(), path, layout_.snaplen, from, seg.checksum_log2,
                                    block, seg.committed_bytes);
  if (!found.ok()) return std::move(found).error();
  *first = *found;
  return true;
}

// Continues appending to the newest, still active segment after its committed length; false
// when it cannot be continued (seal_unresumable).
base::Result<bool> RingWriter::resume(const SegmentInfo& newest) {
  Impl& im = *impl_;
  const uint8_t want_log2 = log2_of(config_.checksum_block_bytes);
  if ((newest.checksum_log2 == 0) != (want_log2 == 0) ||
      newest.index_interval_ns != config_.index_interval_ns) {
    return false;
  }
  auto meta = SegmentMetaFile::open(layout_, newest.slot);
  if (!meta.ok()) return std::move(meta).error();
  im.meta = std::move(*meta);
  im.info = newest;
  im.data_path = layout_.segment_path(newest.slot);
  im.idx_path = layout_.index_path(newest.slot);
  auto data = open_file(im.data_path, O_RDWR | O_CREAT | (direct_ ? O_DIRECT : 0));
  if (!data.ok()) return std::move(data).error();
  im.data = std::move(*data);
  auto idx = open_file(im.idx_path, O_RDWR | O_CREAT);
  if (!idx.ok()) return std::move(idx).error();
  im.idx = std::move(*idx);
  auto entries = load_index(im.idx_path, newest.index_count);
  if (!entries.ok()) return std::move(entries).error();
  im.index_policy.reset();
  if (!entries->empty()) im.index_policy.seed(entries->back());
  im.sum_path = layout_.sum_path(newest.slot);
  if (newest.has_checksums()) {
    auto sum = open_file(im.sum_path, O_RDWR | O_CREAT);
    if (!sum.ok()) return std::move(sum).error();
    im.sum = std::move(*sum);
  }
  std::optional<SumEntry> tail_first;
  if (newest.has_checksums() && newest.committed_bytes >= kSegmentHeaderBytes) {
    auto tail_ok = find_tail_start(newest, *entries, &tail_first);
    if (!tail_ok.ok()) return std::move(tail_ok).error();
    if (!*tail_ok) return false;
  }

  im.first_ts_ns = newest.first_ts_ns;
  im.last_ts_ns = newest.last_ts_ns;
  im.segment_base = newest.base;
  if (newest.committed_bytes < kSegmentHeaderBytes) {
    // Nothing durable yet (not even the header): start the file over.
    if (::ftruncate(im.data.get(), 0) != 0) return io_error("truncate", im.data_path);
    if (im.sum.valid() && ::ftruncate(im.sum.get(), 0) != 0) {
      return io_error("truncate", im.sum_path);
    }
    write_file_header(im.io->current(), layout_.link_type, layout_.snaplen);
    base::store_le32(im.io->current() + 12, static_cast<uint32_t>(newest.seq));
    buf_file_offset_ = 0;
    buf_len_ = kSegmentHeaderBytes;
    head_ = newest.base;
    im.sums.start(newest.checksum_log2);
  } else {
    // Reload the partial block so rewriting it in place keeps the committed bytes.
    buf_file_offset_ = newest.committed_bytes / kDirectIoAlignment * kDirectIoAlignment;
    buf_len_ = static_cast<size_t>(newest.committed_bytes - buf_file_offset_);
    if (buf_len_ > 0) {
      auto n = pread_full(im.data.get(), im.io->current(), kDirectIoAlignment, buf_file_offset_,
                          im.data_path);
      if (!n.ok()) return std::move(n).error();
      if (*n < buf_len_) {
        return base::make_error(base::ErrorCode::kIo, im.data_path + ": shorter than committed");
      }
    }
    head_ = newest.end();
    im.sums.resume(newest.checksum_log2, newest.committed_bytes, newest.tail_crc, tail_first);
  }
  im.open = true;
  return true;
}

base::Status RingWriter::write_full_block() {
  Impl& im = *impl_;
  im.sums.feed(im.io->current(), buf_file_offset_, buf_file_offset_ + config_.write_block_bytes);
  SNAPFLOW_TRY_STATUS(im.io->submit_block(im.data.get(), &im.data_path, buf_file_offset_,
                                          config_.write_block_bytes, 0),
                      "ring append");
  buf_file_offset_ += config_.write_block_bytes;
  buf_len_ = 0;
  return base::ok_status();
}

base::Status RingWriter::copy_in(const std::byte* data, size_t size) {
  while (size > 0) {
    const size_t room = config_.write_block_bytes - buf_len_;
    const size_t n = size < room ? size : room;
    std::memcpy(impl_->io->current() + buf_len_, data, n);
    buf_len_ += n;
    data += n;
    size -= n;
    if (buf_len_ == config_.write_block_bytes) SNAPFLOW_TRY_STATUS(write_full_block(), "copy");
  }
  return base::ok_status();
}

base::Status RingWriter::append(int64_t ts_ns, base::ByteSpan captured, uint32_t wire_length) {
  Impl& im = *impl_;
  if (closed_) return base::make_error(base::ErrorCode::kInvalidArgument, "ring writer closed");
  SNAPFLOW_TRY_STATUS(im.io->status(), "ring append");
  const size_t cap = captured.size();
  if (cap == 0 || cap > layout_.snaplen || wire_length < cap || wire_length > kMaxWireLength ||
      ts_ns < 0) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "ring append: record outside limits (captured " + std::to_string(cap) +
                                ", wire " + std::to_string(wire_length) + ", ts " +
                                std::to_string(ts_ns) + ")");
  }
  const uint64_t rec_bytes = kRecordHeaderBytes + cap;
  if (!im.open || head_.offset + rec_bytes > layout_.segment_bytes) {
    SNAPFLOW_TRY_STATUS(roll(), "ring append");
  }
  if (im.index_policy.take(ts_ns, head_.offset)) {
    im.pending_index.push_back(
        {ts_ns, head_.offset, head_.packets, head_.wire_bytes, head_.record_bytes});
  }
  im.sums.on_record(head_.offset, head_.packets, head_.wire_bytes);
  std::byte hdr[kRecordHeaderBytes];
  write_record_header(hdr, ts_ns, static_cast<uint32_t>(cap), wire_length);
  SNAPFLOW_TRY_STATUS(copy_in(hdr, sizeof hdr), "ring append");
  SNAPFLOW_TRY_STATUS(copy_in(captured.data(), cap), "ring append");
  if (head_.packets == im.segment_base.packets) im.first_ts_ns = ts_ns;
  if (ts_ns > im.last_ts_ns || head_.packets == im.segment_base.packets) im.last_ts_ns = ts_ns;
  head_.offset += rec_bytes;
  head_.packets += 1;
  head_.wire_bytes += wire_length;
  head_.record_bytes += rec_bytes;
  stats_.packets += 1;
  stats_.wire_bytes += wire_length;
  stats_.record_bytes += rec_bytes;
  if (config_.commit_interval_ns > 0 || config_.commit_interval_bytes > 0) {
    SNAPFLOW_TRY_STATUS(maybe_auto_commit(), "ring append");
  }
  return base::ok_status();
}

// Reading the clock costs ~20 ns: look at it every 64 appends only (at 1 Mpps that is every
// 64 us, far below any sensible interval).
base::Status RingWriter::maybe_auto_commit() {
  const Impl& im = *impl_;
  bool due = config_.commit_interval_bytes > 0 &&
             head_.offset - im.info.committed_bytes >= config_.commit_interval_bytes;
  if (!due && config_.commit_interval_ns > 0 && ++appends_since_clock_ >= 64) {
    appends_since_clock_ = 0;
    due = base::now_monotonic_ns() - last_commit_ns_ >= config_.commit_interval_ns;
  }
  return due ? start_commit() : base::ok_status();
}

base::Status RingWriter::append_batch(std::span<const pcap::PacketRecord> records) {
  for (const auto& r : records) {
    SNAPFLOW_TRY_STATUS(append(r.ts_ns, r.bytes(), r.wire_length), "ring append batch");
  }
  return base::ok_status();
}

// Queues the partial block and a commit job (see block_io.h); im.info becomes the state that
// job will make durable, so the next commit continues from it.
base::Status RingWriter::start_commit() {
  Impl& im = *impl_;
  last_commit_ns_ = base::now_monotonic_ns();
  appends_since_clock_ = 0;
  SNAPFLOW_TRY_STATUS(im.io->status(), "ring commit");
  if (!im.open) return base::ok_status();
  if (head_.offset == im.info.committed_bytes && im.pending_index.empty()) {
    return base::ok_status();
  }
  // Checksums of everything appended, while it is still in the current pool block.
  im.sums.feed(im.io->current(), buf_file_offset_, head_.offset);
  // 1. the partial block (padded under O_DIRECT); it keeps filling in the next pool block,
  //    which starts as a copy, and is rewritten in place at the same offset.
  if (buf_len_ > 0) {
    size_t len = buf_len_;
    if (direct_) {
      len = static_cast<size_t>(align_up(buf_len_, kDirectIoAlignment));
      std::memset(im.io->current() + buf_len_, 0, len - buf_len_);
    }
    SNAPFLOW_TRY_STATUS(
        im.io->submit_block(im.data.get(), &im.data_path, buf_file_offset_, len, buf_len_),
        "ring commit");
  }
  CommitJob job;
  job.data_fd = im.data.get();
  job.data_path = &im.data_path;
  job.idx_fd = im.idx.get();
  job.idx_path = &im.idx_path;
  job.idx_offset = uint64_t{im.info.index_count} * kIndexEntryBytes;
  // 2. index entries, durable before the metadata that counts them.
  job.index_bytes.resize(im.pending_index.size() * kIndexEntryBytes);
  for (size_t i = 0; i < im.pending_index.size(); ++i) {
    encode_index_entry(im.pending_index[i], job.index_bytes.data() + i * kIndexEntryBytes);
  }
  // 2b. checksums of the blocks completed since, likewise durable before the metadata.
  job.sum_fd = im.sum.get();
  job.sum_path = &im.sum_path;
  job.sum_offset = im.sums.pending_first_block() * kSumEntryBytes;
  job.sum_bytes = im.sums.take_pending();
  // 3. metadata.
  SegmentInfo next = im.info;
  next.tail_crc = im.sums.tail_crc();
  next.committed_bytes = head_.offset;
  next.index_count += static_cast<uint32_t>(im.pending_index.size());
  next.first_ts_ns = im.first_ts_ns;
  next.last_ts_ns = im.last_ts_ns;
  next.packets = head_.packets - im.segment_base.packets;
  next.wire_bytes = head_.wire_bytes - im.segment_base.wire_bytes;
  next.record_bytes = head_.record_bytes - im.segment_base.record_bytes;
  job.meta = &*im.meta;
  job.info = next;
  // 4. what to publish.
  job.position = head_;
  job.last_ts_ns = im.last_ts_ns;
  auto ticket = im.io->submit_commit(std::move(job));
  if (!ticket.ok()) return std::move(ticket).error().context("ring commit");
  last_commit_ticket_ = *ticket;
  im.info = next;
  im.pending_index.clear();
  stats_.commits += 1;
  return base::ok_status();
}

base::Status RingWriter::commit_async() {
  if (closed_) return base::make_error(base::ErrorCode::kInvalidArgument, "ring writer closed");
  return start_commit();
}

base::Status RingWriter::commit() {
  Impl& im = *impl_;
  if (closed_ || !im.io) return base::ok_status();  // closed, or open() failed early
  SNAPFLOW_TRY_STATUS(start_commit(), "ring commit");
  // Waits for this commit or, when nothing was new, for the last one started before.
  auto st = im.io->wait(last_commit_ticket_);
  stats_.io_wait_ns = im.io->wait_ns();
  if (!st.ok()) return std::move(st).error().context("ring commit");
  return base::ok_status();
}

void RingWriter::publish(const RingPosition& pos, int64_t last_ts_ns) {
  {
    std::lock_guard lock(committed_mu_);
    committed_ = pos;
    committed_last_ts_ns_ = last_ts_ns;
  }
  // release pairs with the acquire load in commit_count(): a thread that sees the new count
  // also sees committed_ and the files written before it.
  commit_count_.fetch_add(1, std::memory_order_release);
}

RingPosition RingWriter::committed_position() const {
  std::lock_guard lock(committed_mu_);
  return committed_;
}

int64_t RingWriter::committed_last_ts_ns() const {
  std::lock_guard lock(committed_mu_);
  return committed_last_ts_ns_;
}

uint64_t RingWriter::commit_count() const {
  // acquire pairs with the release fetch_add in publish().
  return commit_count_.load(std::memory_order_acquire);
}

void RingWriter::cancel() {
  // release pairs with the acquire load in wait_for_consumers().
  cancelled_.store(true, std::memory_order_release);
}

// Commits the current segment, cuts the file to its committed length (a clean PCAP file that
// any tool reads to the end) and marks it sealed.
base::Status RingWriter::seal() {
  Impl& im = *impl_;
  SNAPFLOW_TRY_STATUS(commit(), "seal segment");
  if (::ftruncate(im.data.get(), static_cast<off_t>(im.info.committed_bytes)) != 0) {
    return io_error("truncate", im.data_path);
  }
  SNAPFLOW_TRY_STATUS(sync_data(im.data.get(), im.data_path), "seal segment");
  SegmentInfo sealed = im.info;
  sealed.state = SegmentState::kSealed;
  SNAPFLOW_TRY_STATUS(im.meta->write(sealed), "seal segment");
  im.info = sealed;
  im.open = false;
  im.next_seq = sealed.seq + 1;
  return base::ok_status();
}

base::Status RingWriter::wait_for_consumers(const SegmentInfo& old) {
  CursorStore cursors(layout_.dir);
  queue::Backoff backoff({.spin_polls = 0, .min_sleep_ns = 100'000, .max_sleep_ns = 20'000'000});
  const int64_t start_ns = base::now_monotonic_ns();
  while (true) {
    auto list = cursors.list();
    if (!list.ok()) return std::move(list).error().context("wait for consumers");
    const std::string* behind = nullptr;
    for (const auto& [name, c] : *list) {
      const RingPosition& p = c.position;
      const bool past =
          p.segment_seq > old.seq || (p.segment_seq == old.seq && p.offset >= old.committed_bytes);
      if (!past) {
        behind = &name;
        break;
      }
    }
    if (behind == nullptr) break;
    const int64_t waited = base::now_monotonic_ns() - start_ns;
    // acquire pairs with the release store in cancel().
    if (cancelled_.load(std::memory_order_acquire)) {
      stats_.block_wait_ns += waited;
      return base::make_error(base::ErrorCode::kCancelled,
                              "ring full: cancelled while waiting for consumer " + *behind);
    }
    if (config_.block_timeout_ns >= 0 && waited >= config_.block_timeout_ns) {
      stats_.block_wait_ns += waited;
      return base::make_error(base::ErrorCode::kTimeout, "ring full: consumer " + *behind +
                                                             " did not leave segment " +
                                                             std::to_string(old.seq) + " in time");
    }
    backoff.idle();
  }
  stats_.block_wait_ns += base::now_monotonic_ns() - start_ns;
  return base::ok_status();
}

base::Status RingWriter::roll() {
  Impl& im = *impl_;
  if (im.open) SNAPFLOW_TRY_STATUS(seal(), "roll segment");
  const uint64_t seq = im.next_seq;
  const uint32_t slot = layout_.slot_of(seq);
  auto meta = SegmentMetaFile::open(layout_, slot);
  if (!meta.ok()) return std::move(meta).error().context("roll segment");
  const SegmentInfo old = meta->info();
  const bool reuse = old.state != SegmentState::kEmpty && old.seq != 0 && old.seq < seq;
  if (reuse && config_.policy == RingPolicy::kBlock) {
    SNAPFLOW_TRY_STATUS(wait_for_consumers(old), "roll segment");
  }
  // Metadata of the new generation first: a reader of the old one re-checks the sequence
  // number after every read and so never trusts bytes written below.
  SegmentInfo fresh;
  fresh.slot = slot;
  fresh.seq = seq;
  fresh.state = SegmentState::kActive;
  fresh.base = head_;
  fresh.base.segment_seq = seq;
  fresh.base.offset = kSegmentHeaderBytes;
  fresh.checksum_log2 = log2_of(config_.checksum_block_bytes);
  fresh.index_interval_ns = config_.index_interval_ns;
  SNAPFLOW_TRY_STATUS(meta->write(fresh), "roll segment");
  im.meta = std::move(*meta);
  im.info = fresh;
  im.data_path = layout_.segment_path(slot);
  im.idx_path = layout_.index_path(slot);
  auto data = open_file(im.data_path, O_RDWR | O_CREAT | (direct_ ? O_DIRECT : 0));
  if (!data.ok()) return std::move(data).error().context("roll segment");
  im.data = std::move(*data);
  // Drop the old generation's bytes durably before writing, so recovery can never mistake
  // them for records of this one; then reserve the space again.
  if (::ftruncate(im.data.get(), 0) != 0) return io_error("truncate", im.data_path);
  if (::fsync(im.data.get()) != 0) return io_error("fsync", im.data_path);
  if (::fallocate(im.data.get(), FALLOC_FL_KEEP_SIZE, 0,
                  static_cast<off_t>(layout_.segment_bytes)) != 0 &&
      errno != EOPNOTSUPP) {
    return io_error("fallocate", im.data_path);
  }
  auto idx = open_file(im.idx_path, O_RDWR | O_CREAT | O_TRUNC);
  if (!idx.ok()) return std::move(idx).error().context("roll segment");
  im.idx = std::move(*idx);
  im.sum_path = layout_.sum_path(slot);
  if (fresh.checksum_log2 != 0) {
    auto sum = open_file(im.sum_path, O_RDWR | O_CREAT | O_TRUNC);
    if (!sum.ok()) return std::move(sum).error().context("roll segment");
    im.sum = std::move(*sum);
  } else {
    im.sum.reset();
    if (::unlink(im.sum_path.c_str()) != 0 && errno != ENOENT) {
      return io_error("remove", im.sum_path);  // an older generation's: meaningless now
    }
  }
  im.sums.start(fresh.checksum_log2);

  // The segment's PCAP header; sigfigs (unused by every reader) carries the low 32 bits of
  // the sequence number so recovery can tell this generation's file from a stale one.
  write_file_header(im.io->current(), layout_.link_type, layout_.snaplen);
  base::store_le32(im.io->current() + 12, static_cast<uint32_t>(seq));
  buf_file_offset_ = 0;
  buf_len_ = kSegmentHeaderBytes;
  head_ = fresh.base;
  im.segment_base = fresh.base;
  im.first_ts_ns = 0;
  im.last_ts_ns = 0;
  im.index_policy.reset();
  im.pending_index.clear();
  im.open = true;
  stats_.segments_started += 1;
  stats_.segments_overwritten += reuse;
  return base::ok_status();
}

base::Status RingWriter::close() {
  if (closed_) return base::ok_status();
  Impl& im = *impl_;
  base::Status status = commit();
  if (im.io) {
    // Every block and commit is done (or skipped after an error) before the files close,
    // and no publish() can run after this.
    if (status.ok()) status = im.io->wait_all();
    im.io->stop();
    stats_.io_wait_ns = im.io->wait_ns();
  }
  if (status.ok() && im.open && im.info.committed_bytes >= kSegmentHeaderBytes) {
    // Leave the active segment a clean PCAP file (O_DIRECT padding removed); it stays active,
    // so the next writer resumes it.
    if (::ftruncate(im.data.get(), static_cast<off_t>(im.info.committed_bytes)) != 0 ||
        ::fdatasync(im.data.get()) != 0) {
      status = io_error("truncate", im.data_path);
    }
  }
  closed_ = true;
  im.data.reset();
  im.idx.reset();
  im.sum.reset();
  im.lock.reset();  // releases the flock
  return status;
}

}  // namespace snapflow::ring
