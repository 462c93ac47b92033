#include "snapflow/base/stop_signals.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace snapflow::base {
namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

Result<StopSignals> StopSignals::create() {
  const sigset_t set = stop_set();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return make_error(ErrorCode::kInternal, std::string("pthread_sigmask: ") + std::strerror(rc));
  }
  const int signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    return make_error(ErrorCode::kIo, std::string("signalfd: ") + std::strerror(errno));
  }
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    const int error = errno;
    ::close(signal_fd);
    return make_error(ErrorCode::kIo, std::string("eventfd: ") + std::strerror(error));
  }
  return StopSignals(signal_fd, wake_fd);
}

StopSignals::StopSignals(int signal_fd, int wake_fd)
    : signal_fd_(signal_fd), wake_fd_(wake_fd), received_(std::make_unique<std::atomic<int>>(0)) {}

StopSignals::StopSignals(StopSignals&& other) noexcept
    : signal_fd_(other.signal_fd_),
      wake_fd_(other.wake_fd_),
      received_(std::move(other.received_)) {
  other.signal_fd_ = other.wake_fd_ = -1;
}

StopSignals::~StopSignals() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

int StopSignals::wait(int timeout_ms) {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    const int ready = ::poll(fds, 2, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;  // another signal's handler; not ours
    if (ready <= 0) return 0;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        const int number = static_cast<int>(info.ssi_signo);
        received_->store(number, std::memory_order_release);
        return number;
      }
    }
    if (fds[1].revents & POLLIN) {
      uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof count);
      return 0;
    }
    return 0;
  }
}

void StopSignals::interrupt() {
  const uint64_t one = 1;
  // An eventfd write only fails if the counter would overflow: then a wake-up is pending.
  (void)!::write(wake_fd_, &one, sizeof one);
}

}  // namespace snapflow::base
