#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "snapflow/pcap2json/input.h"

namespace snapflow::pcap2json {

base::Result<std::unique_ptr<FileInput>> FileInput::create() {
  const int cancel_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (cancel_fd < 0) {
    return base::make_error(base::ErrorCode::kIo, std::string("eventfd: ") + std::strerror(errno));
  }
  return std::unique_ptr<FileInput>(new FileInput(cancel_fd));
}

base::Status FileInput::open(const std::vector<std::string>& paths, pcap::ReaderOptions options,
                             const pcap::FileSelection& selection) {
  options.cancel_fd = cancel_fd_;
  auto reader = pcap::open_files(paths, options, selection);
  if (!reader.ok()) return std::move(reader).error();
  reader_ = std::move(*reader);
  return base::ok_status();
}

FileInput::~FileInput() {
  reader_.reset();  // it borrows cancel_fd_
  ::close(cancel_fd_);
}

void FileInput::cancel() {
  cancelled_.store(true, std::memory_order_relaxed);
  const uint64_t one = 1;
  // Fails only if the counter would overflow: then the fd is readable already.
  (void)!::write(cancel_fd_, &one, sizeof one);
}

Pulled FileInput::interrupted(pcap::PacketBatch& batch) const {
  batch.clear();
  Pulled pulled;
  pulled.end = true;
  pulled.interrupted = true;
  return pulled;
}

base::Result<Pulled> FileInput::next(pcap::PacketBatch& batch, size_t max_packets) {
  if (cancelled_.load(std::memory_order_relaxed)) return interrupted(batch);
  auto n = reader_->next_batch(batch, max_packets);
  if (!n.ok()) {
    // A read that was waiting on an idle pipe ended because of cancel(), not a bad input.
    if (cancelled_.load(std::memory_order_relaxed)) return interrupted(batch);
    return std::move(n).error();
  }
  Pulled pulled;
  pulled.packets = *n;
  pulled.end = *n == 0;
  return pulled;
}

InputProgress FileInput::progress() const {
  if (!reader_) return {};
  const pcap::ReaderStats& s = reader_->stats();
  return {s.input_bytes, reader_->size_bytes(), s.records, s.wire_bytes};
}

}  // namespace snapflow::pcap2json
