// StopSignals: SIGINT/SIGTERM arrive as events (never as handlers), interrupt() wakes a waiter.
#include "snapflow/base/stop_signals.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

namespace snapflow::base {
namespace {

TEST(StopSignals, SignalsBecomeEventsInsteadOfKillingTheProcess) {
  auto signals = StopSignals::create();
  ASSERT_TRUE(signals.ok());
  EXPECT_EQ(signals->pending(), 0);
  EXPECT_EQ(signals->received(), 0);
  // Blocked: delivered to the signalfd, not to the default action (which would end the test).
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_EQ(signals->wait(1000), SIGTERM);
  EXPECT_EQ(signals->received(), SIGTERM);
  EXPECT_EQ(signals->pending(), 0);      // consumed
  ASSERT_EQ(kill(getpid(), SIGINT), 0);  // process-directed as well as thread-directed
  EXPECT_EQ(signals->wait(1000), SIGINT);
  EXPECT_EQ(signals->received(), SIGINT);
}

TEST(StopSignals, InterruptWakesAWaitingThreadAndSurvivesAMove) {
  auto created = StopSignals::create();
  ASSERT_TRUE(created.ok());
  StopSignals signals = std::move(created).value();
  int result = -1;
  std::thread waiter([&] { result = signals.wait(-1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  signals.interrupt();
  waiter.join();
  EXPECT_EQ(result, 0);
  // An interrupt before the wait is remembered: the next wait returns at once.
  signals.interrupt();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(signals.wait(5000), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_GE(signals.signal_fd(), 0);
}

}  // namespace
}  // namespace snapflow::base
