#include "reload_signal.h"

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace snapflow::capture {

base::Result<ReloadSignal> ReloadSignal::create() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    return base::make_error(base::ErrorCode::kInternal, "pthread_sigmask(SIGHUP) failed");
  }
  const int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    return base::make_error(base::ErrorCode::kIo,
                            std::string("signalfd(SIGHUP): ") + std::strerror(errno));
  }
  return ReloadSignal(fd);
}

ReloadSignal::~ReloadSignal() {
  if (fd_ >= 0) ::close(fd_);
}

bool ReloadSignal::pending() {
  bool any = false;
  signalfd_siginfo info{};
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) any = true;
  return any;
}

}  // namespace snapflow::capture
