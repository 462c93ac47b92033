#include "file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace snapflow::ring {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

base::Error io_error(std::string_view what, const std::string& path) {
  const int err = errno;
  const base::ErrorCode code = err == ENOENT                    ? base::ErrorCode::kNotFound
                               : err == ENOSPC || err == EDQUOT ? base::ErrorCode::kNoSpace
                                                                : base::ErrorCode::kIo;
  return base::make_error(code, std::string(what) + " " + path + ": " + std::strerror(err));
}

base::Result<Fd> open_file(const std::string& path, int flags, int mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return io_error("open", path);
  return Fd(fd);
}

base::Result<size_t> pread_full(int fd, void* buf, size_t size, uint64_t offset,
                                const std::string& path) {
  size_t done = 0;
  auto* out = static_cast<char*>(buf);
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

base::Status pwrite_full(int fd, const void* buf, size_t size, uint64_t offset,
                         const std::string& path) {
  size_t done = 0;
  const auto* in = static_cast<const char*>(buf);
  while (done < size) {
    const ssize_t n = ::pwrite(fd, in + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return base::ok_status();
}

base::Status sync_data(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return io_error("fdatasync", path);
  return base::ok_status();
}

base::Status fsync_dir(const std::string& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return std::move(fd).error();
  if (::fsync(fd->get()) != 0) return io_error("fsync directory", dir);
  return base::ok_status();
}

base::Status write_file_atomic(const std::string& dir, const std::string& name,
                               std::string_view content) {
  const std::string tmp = dir + "/." + name + ".tmp";
  const std::string final_path = dir + "/" + name;
  {
    auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.ok()) return std::move(fd).error();
    SNAPFLOW_TRY_STATUS(pwrite_full(fd->get(), content.data(), content.size(), 0, tmp),
                        "replace " + final_path);
    if (::fsync(fd->get()) != 0) return io_error("fsync", tmp);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return io_error("rename to", final_path);
  return fsync_dir(dir);
}

base::Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return base::make_error(base::ErrorCode::kFormat, path + ": larger than expected");
    }
  }
  return out;
}

base::Status make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return io_error("mkdir", dir);
  return base::ok_status();
}

}  // namespace snapflow::ring
