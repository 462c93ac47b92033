#include "input_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace snapflow::pcap {

base::Result<InputFile> InputFile::open(const std::string& path) {
  if (path == "-") return InputFile(STDIN_FILENO, false, "stdin");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return base::make_error(err == ENOENT ? base::ErrorCode::kNotFound : base::ErrorCode::kIo,
                            path + ": cannot open: " + std::strerror(err));
  }
  return InputFile(fd, true, path);
}

InputFile InputFile::borrow(int fd, std::string name) {
  return InputFile(fd, false, std::move(name));
}

InputFile::InputFile(int fd, bool owned, std::string name)
    : fd_(fd), owned_(owned), name_(std::move(name)) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    size_bytes_ = static_cast<uint64_t>(st.st_size);
    // Readers go front to back once: let the kernel read ahead aggressively.
    (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
}

InputFile::InputFile(InputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      owned_(std::exchange(other.owned_, false)),
      name_(std::move(other.name_)),
      size_bytes_(other.size_bytes_),
      cancel_fd_(other.cancel_fd_) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    close_fd();
    fd_ = std::exchange(other.fd_, -1);
    owned_ = std::exchange(other.owned_, false);
    name_ = std::move(other.name_);
    size_bytes_ = other.size_bytes_;
    cancel_fd_ = other.cancel_fd_;
  }
  return *this;
}

InputFile::~InputFile() {
  close_fd();
}

void InputFile::close_fd() {
  if (owned_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  owned_ = false;
}

base::Result<size_t> InputFile::read(std::byte* out, size_t n) {
  if (cancel_fd_ >= 0 && !size_bytes_) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {cancel_fd_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) >= 0) break;
      if (errno != EINTR) {
        return base::make_error(base::ErrorCode::kIo,
                                name_ + ": poll failed: " + std::strerror(errno));
      }
    }
    if (fds[1].revents != 0) {
      return base::make_error(base::ErrorCode::kCancelled, name_ + ": reading stopped on request");
    }
  }
  for (;;) {
    ssize_t got = ::read(fd_, out, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EINTR) continue;
    return base::make_error(base::ErrorCode::kIo, name_ + ": read failed: " + std::strerror(errno));
  }
}

base::Result<size_t> InputFile::read_full(std::byte* out, size_t n) {
  size_t total = 0;
  while (total < n) {
    auto got = read(out + total, n - total);
    if (!got.ok()) return std::move(got).error();
    if (*got == 0) break;
    total += *got;
  }
  return total;
}

}  // namespace snapflow::pcap
