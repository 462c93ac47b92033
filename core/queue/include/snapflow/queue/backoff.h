// Backoff: the idle policy of every polling consumer that is not a DPDK lcore (STYLE.md 11).
//
// A consumer that finds nothing to do calls idle(); the first spin_polls calls return at once
// (with a CPU pause hint) so a busy stream is picked up without latency, later calls sleep,
// starting at min_sleep_ns and doubling up to max_sleep_ns, so an idle consumer costs almost
// no CPU. Call reset() whenever work was found. One Backoff per thread; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace snapflow::queue {

struct BackoffConfig {
  uint32_t spin_polls = 64;          ///< empty polls answered by a pause hint, no sleep
  int64_t min_sleep_ns = 10'000;     ///< first sleep (dumpcap uses 10 us)
  int64_t max_sleep_ns = 2'000'000;  ///< sleeps double up to this bound
};

class Backoff {
 public:
  explicit Backoff(BackoffConfig config = {}) : config_(config), sleep_ns_(config.min_sleep_ns) {}

  // Called after an empty poll. Returns the nanoseconds slept (0 while spinning).
  int64_t idle() {
    if (polls_ < config_.spin_polls) {
      ++polls_;
      cpu_relax();
      return 0;
    }
    const int64_t slept = sleep_ns_;
    std::this_thread::sleep_for(std::chrono::nanoseconds(slept));
    sleep_ns_ = sleep_ns_ * 2 > config_.max_sleep_ns ? config_.max_sleep_ns : sleep_ns_ * 2;
    return slept;
  }

  // Called after a poll that found work.
  void reset() {
    polls_ = 0;
    sleep_ns_ = config_.min_sleep_ns;
  }

  bool is_sleeping() const { return polls_ >= config_.spin_polls; }

 private:
  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  BackoffConfig config_;
  uint32_t polls_ = 0;
  int64_t sleep_ns_;
};

}  // namespace snapflow::queue
