// snapflow-pcap extract: plan, then pull chunks into stdout or a file. A regular file appears
// under its name only when complete (written as NAME.part, renamed at the end); devices and
// FIFOs (-o /dev/null) are written directly. SIGINT/SIGTERM (base::StopSignals) are polled
// between chunks so an interrupted run removes its partial file.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "commands.h"
#include "progress.h"
#include "snapflow/base/stop_signals.h"

namespace snapflow::extract::cli {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

base::Status write_all(int fd, const std::byte* data, size_t size, const std::string& name) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        return base::make_error(base::ErrorCode::kCancelled, "output closed early (broken pipe)");
      }
      return base::make_error(base::ErrorCode::kIo, "write " + name + ": " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return base::ok_status();
}

// Where the bytes go. A regular file (or a path that does not exist yet) is written as
// NAME.part and renamed to NAME when complete, so an interrupted run never leaves a truncated
// capture under the final name (a symlink to a regular file keeps pointing at its target,
// which is replaced). Anything else that exists -- /dev/null, a FIFO, a terminal's pty given
// on purpose, /dev/stdout -- is opened and written directly: renaming a file onto a device
// node would replace the node.
class Output {
 public:
  ~Output() {
    if (fd_ >= 0 && fd_ != STDOUT_FILENO) {
      ::close(fd_);
      if (!part_.empty()) ::unlink(part_.c_str());
    }
  }
  base::Status open(const std::string& path) {
    if (path == "-") {
      if (::isatty(STDOUT_FILENO)) {
        return base::make_error(base::ErrorCode::kInvalidArgument,
                                "refusing to write a capture file to a terminal: use -o FILE or "
                                "a pipe");
      }
      fd_ = STDOUT_FILENO;
      name_ = "stdout";
      return base::ok_status();
    }
    name_ = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      if (S_ISDIR(st.st_mode)) {
        return base::make_error(base::ErrorCode::kInvalidArgument, path + " is a directory");
      }
      fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) {
        return base::make_error(base::ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
      }
      return base::ok_status();
    }
    // A regular file, or a new one; through a symlink, the file it points to.
    target_ = path;
    if (char* real = ::realpath(path.c_str(), nullptr); real != nullptr) {
      target_ = real;
      std::free(real);
    }
    part_ = target_ + ".part";
    fd_ = ::open(part_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      const int err = errno;
      part_.clear();
      return base::make_error(base::ErrorCode::kIo,
                              "create " + target_ + ".part: " + std::strerror(err));
    }
    return base::ok_status();
  }
  base::Status write(const std::byte* data, size_t size) {
    return write_all(fd_, data, size, name_);
  }
  base::Status commit() {
    if (fd_ == STDOUT_FILENO) return base::ok_status();
    if (part_.empty()) {  // written in place (a device or FIFO): nothing to make durable
      const int rc = ::close(fd_);
      fd_ = -1;
      if (rc != 0) {
        return base::make_error(base::ErrorCode::kIo,
                                "close " + name_ + ": " + std::strerror(errno));
      }
      return base::ok_status();
    }
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      return base::make_error(base::ErrorCode::kIo, "write " + part_ + ": " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(part_.c_str(), target_.c_str()) != 0) {
      const int err = errno;
      ::unlink(part_.c_str());
      return base::make_error(base::ErrorCode::kIo,
                              "rename " + part_ + " to " + target_ + ": " + std::strerror(err));
    }
    part_.clear();
    return base::ok_status();
  }

 private:
  int fd_ = -1;
  std::string name_;    ///< as given, for messages
  std::string target_;  ///< the regular file that is replaced at the end
  std::string part_;    ///< its temporary name while being written ("" when written in place)
};

}  // namespace

base::Result<int> run_extract(const CliConfig& config) {
  auto request = make_request(config.request_text(), {});
  if (!request.ok()) return std::move(request).error();
  auto index = RingIndex::open(config.ring_dir);
  if (!index.ok()) return std::move(index).error().context("--ring " + config.ring_dir);
  auto plan = plan_extract(**index, *request);
  if (!plan.ok()) return std::move(plan).error();
  if (plan->outside) {
    std::fprintf(stderr, "snapflow-pcap: %s\n", plan->outside_message().c_str());
    return 3;
  }
  // SIGINT/SIGTERM are read between chunks (no handler), so an interrupted run removes its
  // partial file; a closed pipe is a write error (EPIPE), reported once.
  auto signals = base::StopSignals::create();
  if (!signals.ok()) return std::move(signals).error();
  ::signal(SIGPIPE, SIG_IGN);
  Output output;
  SNAPFLOW_TRY_STATUS(output.open(config.output), "-o");
  const uint64_t window_bytes = plan->pcap_bytes - 24;
  auto extractor = Extractor::start(std::move(*index), std::move(*plan));
  if (!extractor.ok()) return std::move(extractor).error();
  Extractor& x = **extractor;
  ProgressBar progress(config.progress && ::isatty(STDERR_FILENO), window_bytes);
  std::vector<std::byte> buffer(kChunkBytes);
  while (true) {
    if (signals->pending() != 0) {
      return base::make_error(base::ErrorCode::kCancelled, "interrupted after " +
                                                               std::to_string(x.stats().packets) +
                                                               " packets (partial output removed)");
    }
    auto n = x.next_chunk(buffer);
    if (!n.ok()) return std::move(n).error();
    if (*n == 0) break;
    auto written = output.write(buffer.data(), *n);
    if (!written.ok()) {
      return std::move(written).error().context("after " + std::to_string(x.stats().packets) +
                                                " packets");
    }
    progress.update(x.stats());
  }
  SNAPFLOW_TRY_STATUS(output.commit(), "-o");
  const ExtractStats& st = x.stats();
  progress.finish(st);
  if (st.lost_packets != 0) {
    std::fprintf(stderr,
                 "snapflow-pcap: %llu packets (%llu record bytes) of the window were overwritten "
                 "by the capture during the extraction and are missing; %llu packets written\n",
                 static_cast<unsigned long long>(st.lost_packets),
                 static_cast<unsigned long long>(st.lost_record_bytes),
                 static_cast<unsigned long long>(st.packets));
    return 4;
  }
  return 0;
}

}  // namespace snapflow::extract::cli
