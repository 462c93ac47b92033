// The mirror target's session history (STATE_DIR/mirror-sessions): reconciling with the
// configuration at each start, the durable file and its strict decoding, and the name a stored
// packet's VNI had at its time (what pcap2json writes as labels.mirror_session).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "snapflow/forward/mirror_sessions.h"

namespace snapflow::forward {
namespace {

class SessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "forward-sessions-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file_text() {
    std::ifstream in(dir_ + "/state/mirror-sessions");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_;
};

TEST_F(SessionsTest, EachStartReconcilesAndTheFileKeepsEveryName) {
  // First start: two named sessions.
  auto v = update_session_file(dir_ + "/state", {{64, "web"}, {65, "db"}}, 1000);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(file_text(),
            "snapflow-mirror-sessions 1\nsession 64 1000 0 web\nsession 65 1000 0 db\n");
  // The same configuration again: nothing to write (the file is untouched).
  std::filesystem::last_write_time(dir_ + "/state/mirror-sessions",
                                   std::filesystem::file_time_type{});
  ASSERT_TRUE(update_session_file(dir_ + "/state", {{65, "db"}, {64, "web"}}, 2000).ok());
  EXPECT_EQ(std::filesystem::last_write_time(dir_ + "/state/mirror-sessions"),
            std::filesystem::file_time_type{});
  // Renamed and dropped: old versions closed at the restart, new ones open from it.
  v = update_session_file(dir_ + "/state", {{64, "frontend"}}, 3000);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(file_text(),
            "snapflow-mirror-sessions 1\nsession 64 1000 3000 web\nsession 65 1000 3000 db\n"
            "session 64 3000 0 frontend\n");

  auto history = SessionHistory::load_file(dir_ + "/state/mirror-sessions");
  ASSERT_TRUE(history.ok()) << history.error().to_string();
  EXPECT_EQ(history->name(64, 999), "");  // before the daemon named it
  EXPECT_EQ(history->name(64, 1000), "web");
  EXPECT_EQ(history->name(64, 2999), "web");
  EXPECT_EQ(history->name(64, 3000), "frontend");
  EXPECT_EQ(history->name(64, 1'000'000), "frontend");
  EXPECT_EQ(history->name(65, 1500), "db");
  EXPECT_EQ(history->name(65, 3000), "");  // no longer named
  EXPECT_EQ(history->name(66, 1500), "");  // never named
  EXPECT_EQ(history->longest_name(), 8u);
}

TEST_F(SessionsTest, DamagedFilesAreRefusedWithTheirLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "f:0: empty file"},
      {"snapflow-forward-rules 1\n", "f:1: not a snapflow mirror sessions file"},
      {"snapflow-mirror-sessions 1\nsession 64 1 0 web", "f:2: line does not end"},
      {"snapflow-mirror-sessions 1\nsession 64 1 0\n", "f:2: expected 'session VNI"},
      {"snapflow-mirror-sessions 1\nsession 64 1 0 web extra\n", "f:2: expected 'session VNI"},
      {"snapflow-mirror-sessions 1\nsession 16777216 1 0 web\n", "f:2: bad VNI"},
      {"snapflow-mirror-sessions 1\nsession 64 5 4 web\n", "f:2: bad time span"},
      {"snapflow-mirror-sessions 1\nsession 64 -5 0 web\n", "f:2: bad time span"},
      {"snapflow-mirror-sessions 1\nsession 64 1 0 a/b\n", "f:2: bad session name"},
      {"snapflow-mirror-sessions 1\nsession 64 1 0 a\nsession 64 2 0 b\n",
       "f:3: VNI 64 has two names in force"},
  };
  for (const auto& [text, message] : cases) {
    auto decoded = decode_session_file(text, "f");
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().message().rfind(message, 0), 0u) << decoded.error().message();
  }
  EXPECT_EQ(SessionHistory::load_file(dir_ + "/absent").error().code(), base::ErrorCode::kNotFound);
  // A damaged file stops the daemon rather than being overwritten.
  std::filesystem::create_directories(dir_ + "/state");
  { std::ofstream(dir_ + "/state/mirror-sessions") << "garbage\n"; }
  auto v = update_session_file(dir_ + "/state", {{64, "web"}}, 1000);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("mirror-sessions:1"), std::string::npos);
  EXPECT_EQ(file_text(), "garbage\n");
}

}  // namespace
}  // namespace snapflow::forward
