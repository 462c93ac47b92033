#include "ring_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace snapflow::extract {

FdCache::~FdCache() {
  for (const Entry& e : entries_) ::close(e.fd);
}

base::Result<int> FdCache::get(uint32_t slot, RingFile kind) {
  ++clock_;
  for (Entry& e : entries_) {
    if (e.slot == slot && e.kind == kind) {
      e.last_use = clock_;
      return e.fd;
    }
  }
  const std::string path = kind == RingFile::kMeta    ? layout_.meta_path(slot)
                           : kind == RingFile::kIndex ? layout_.index_path(slot)
                                                      : layout_.segment_path(slot);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return base::make_error(err == ENOENT ? base::ErrorCode::kNotFound : base::ErrorCode::kIo,
                            "open " + path + ": " + std::strerror(err));
  }
  if (kind == RingFile::kData) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (entries_.size() == kCapacity) {
    size_t victim = 0;
    for (size_t i = 1; i < entries_.size(); ++i) {
      if (entries_[i].last_use < entries_[victim].last_use) victim = i;
    }
    ::close(entries_[victim].fd);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(victim));
  }
  entries_.push_back({slot, kind, fd, clock_});
  return fd;
}

base::Result<size_t> pread_all(int fd, std::byte* buf, size_t size, uint64_t offset,
                               const std::string& what) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::make_error(base::ErrorCode::kIo, "read " + what + " at byte " +
                                                        std::to_string(offset + done) + ": " +
                                                        std::strerror(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace snapflow::extract
