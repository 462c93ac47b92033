#include "durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace snapflow::forward {
namespace {

base::Error io_error(std::string_view what, const std::string& path) {
  const int err = errno;
  return base::make_error(err == ENOENT ? base::ErrorCode::kNotFound : base::ErrorCode::kIo,
                          std::string(what) + " " + path + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

base::Status fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("open directory", dir);
  if (::fsync(fd.get()) != 0) return io_error("fsync directory", dir);
  return {};
}

}  // namespace

base::Status write_file_atomic(const std::string& dir, const std::string& name,
                               std::string_view content) {
  const std::string tmp = dir + "/." + name + ".tmp";
  const std::string final_path = dir + "/" + name;
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) return io_error("create", tmp);
    size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write", tmp);
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return io_error("fsync", tmp);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return io_error("rename to", final_path);
  return fsync_dir(dir);
}

base::Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("open", path);
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return base::make_error(base::ErrorCode::kFormat,
                              path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

base::Status make_dirs(const std::string& dir) {
  if (dir.empty()) return base::make_error(base::ErrorCode::kInvalidArgument, "empty directory");
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return io_error("mkdir", part);
  }
  return {};
}

}  // namespace snapflow::forward
