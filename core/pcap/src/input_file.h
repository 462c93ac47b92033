// InputFile: the byte source under every reader. Owns (or borrows) one fd and reads it with
// plain read(2), retrying EINTR. Works the same for regular files, pipes and sockets: callers
// must accept short reads. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "snapflow/base/result.h"

namespace snapflow::pcap {

class InputFile {
 public:
  // "-" means stdin (borrowed, not closed). Anything else is opened read-only.
  static base::Result<InputFile> open(const std::string& path);
  // Borrows fd: the caller closes it.
  static InputFile borrow(int fd, std::string name);

  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  // Reads of a pipe, terminal or socket wait for this fd too, and end with kCancelled once
  // it is readable: how a stop request reaches a reader blocked on an idle stdin. Regular
  // files never block for long and do not look at it. -1: none. Not owned.
  void set_cancel_fd(int fd) { cancel_fd_ = fd; }

  // One read(2) of at most n bytes. Returns 0 only at end of input.
  base::Result<size_t> read(std::byte* out, size_t n);
  // Reads until n bytes or end of input; returns the number read.
  base::Result<size_t> read_full(std::byte* out, size_t n);

  const std::string& name() const { return name_; }
  std::optional<uint64_t> size_bytes() const { return size_bytes_; }

 private:
  InputFile(int fd, bool owned, std::string name);
  void close_fd();

  int fd_ = -1;
  bool owned_ = false;
  std::string name_;
  std::optional<uint64_t> size_bytes_;  ///< set for regular files only
  int cancel_fd_ = -1;
};

}  // namespace snapflow::pcap
