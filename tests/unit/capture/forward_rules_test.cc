// Rules: parsing, validation, persistence across reopen (and refusal of a damaged file),
// reconcile with the configuration, history versions and attribution of stored packets, and
// the RCU table swap under a reader that never stops.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "snapflow/forward/rule_history.h"
#include "snapflow/forward/rule_store.h"

namespace snapflow::forward {
namespace {

class RulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "forward-rules-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    ports_ = Ports({*parse_port_config("10.1.0.1/24,10.1.0.5/24,2001:db8:1::1/64"),
                    *parse_port_config("10.2.0.1/24,10.2.0.6/24,via=10.2.0.254")});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<RuleStore> open() {
    auto store = RuleStore::open(dir_ + "/state", ports_, [this] { return clock_; });
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static RuleSpec spec(const std::string& text) {
    auto s = parse_rule_spec(text);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return *s;
  }
  std::string file_text() {
    std::ifstream in(dir_ + "/state/forward-rules");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
  Ports ports_;
  int64_t clock_ = 1'000;
};

TEST_F(RulesTest, ParsesRuleSpecsAndNamesWhatIsWrong) {
  auto ok = parse_rule_spec(
      "a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=inline,name=web");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->mode, CaptureMode::kInline);
  EXPECT_EQ(ok->name, "web");
  EXPECT_EQ(to_string(*ok),
            "a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=inline,name=web");
  EXPECT_EQ(parse_rule_spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1").error().message(),
            "rule 'a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1': missing b=");
  EXPECT_NE(parse_rule_spec("a=1.2.3,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2")
                .error()
                .message()
                .find("a: '1.2.3'"),
            std::string::npos);
  EXPECT_NE(parse_rule_spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=sideways")
                .error()
                .message()
                .find("expected ingress, egress or inline"),
            std::string::npos);
  EXPECT_NE(parse_rule_spec("a=10.1.0.2,a=10.1.0.3,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2")
                .error()
                .message()
                .find("given twice"),
            std::string::npos);
  EXPECT_NE(parse_rule_spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,name=a/b")
                .error()
                .message()
                .find("name"),
            std::string::npos);
}

TEST_F(RulesTest, ValidatesAgainstThePortsAndTheOtherRules) {
  auto store = open();
  ASSERT_TRUE(store->add(spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2")).ok());
  auto msg = [&](const std::string& text) {
    auto r = store->add(spec(text));
    return r.ok() ? std::string("accepted") : r.error().message();
  };
  EXPECT_NE(msg("a=10.1.0.3,capture=10.1.0.9,egress=10.2.0.1,b=10.2.0.3")
                .find("capture=10.1.0.9 is not an address"),
            std::string::npos);
  EXPECT_NE(
      msg("a=10.1.0.1,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.3").find("not the probe's own"),
      std::string::npos);
  EXPECT_NE(msg("a=10.1.0.3,capture=10.1.0.5,egress=10.2.0.6,b=10.1.0.3").find("must differ"),
            std::string::npos);
  EXPECT_NE(msg("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.6,b=10.2.0.3")
                .find("already forwards packets from 10.1.0.2 to 10.1.0.1"),
            std::string::npos);
  EXPECT_NE(msg("a=10.1.0.3,capture=10.1.0.5,egress=10.2.0.1,b=10.2.0.2")
                .find("already forwards packets from 10.2.0.2 to 10.2.0.1"),
            std::string::npos);
  EXPECT_NE(msg("a=10.1.0.2,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.2").find("already joins"),
            std::string::npos);
  EXPECT_NE(msg("a=192.168.0.1,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.3").find("no gateway"),
            std::string::npos);
  EXPECT_NE(msg("a=10.1.0.3,capture=10.1.0.5,egress=10.2.0.6,b=224.0.0.1").find("unicast"),
            std::string::npos);
  EXPECT_NE(msg("a=2001:db8:1::2,capture=2001:db8:1::1,egress=10.2.0.6,b=10.2.0.3")
                .find("IPv4 or all IPv6"),
            std::string::npos);
  // Off-link B through port 1's gateway is fine.
  EXPECT_EQ(msg("a=10.1.0.3,capture=10.1.0.5,egress=10.2.0.6,b=172.16.0.9"), "accepted");
  EXPECT_EQ(store->list().size(), 2u);
}

TEST_F(RulesTest, ChangesAreDurableAndSurviveReopen) {
  uint32_t id = 0;
  {
    auto store = open();
    auto r = store->add(
        spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress,name=web"));
    ASSERT_TRUE(r.ok());
    id = r->id;
    clock_ = 2'000;
    ASSERT_TRUE(store->set_mode(id, CaptureMode::kInline).ok());
    clock_ = 3'000;
    auto r2 = store->add(spec("a=10.1.0.3,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.3"));
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->id, id + 1);
    clock_ = 4'000;
    ASSERT_TRUE(store->remove(r2->id).ok());
    EXPECT_EQ(store->remove(r2->id).error().code(), base::ErrorCode::kNotFound);
  }
  EXPECT_EQ(file_text(),
            "snapflow-forward-rules 1\n"
            "next_id=3\n"
            "rule 1 ingress 10.1.0.2 10.1.0.1 10.2.0.1 10.2.0.2 1000 2000 web\n"
            "rule 1 inline 10.1.0.2 10.1.0.1 10.2.0.1 10.2.0.2 2000 0 web\n"
            "rule 2 ingress 10.1.0.3 10.1.0.5 10.2.0.6 10.2.0.3 3000 4000 -\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/.forward-rules.tmp"));
  auto store = open();
  auto rules = store->list();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].id, id);
  EXPECT_EQ(rules[0].spec.mode, CaptureMode::kInline);
  EXPECT_EQ(rules[0].since_ns, 2'000);
  // Ids are never reused.
  auto r3 = store->add(spec("a=10.1.0.4,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.4"));
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->id, 3u);
  // Closed versions older than the ring's oldest packet are pruned at the next change.
  store->set_history_horizon(3'500);
  ASSERT_TRUE(store->set_mode(3, CaptureMode::kEgress).ok());
  EXPECT_EQ(file_text().find("rule 1 ingress"), std::string::npos) << "ended at 2000 < 3500";
  EXPECT_NE(file_text().find("rule 2 "), std::string::npos) << "ended at 4000: still needed";
}

TEST_F(RulesTest, RefusesADamagedFileWithItsLine) {
  std::filesystem::create_directories(dir_ + "/state");
  {
    std::ofstream out(dir_ + "/state/forward-rules");
    out << "snapflow-forward-rules 1\nnext_id=3\nrule 1 inline 10.1.0.2 10.1.0.1 10.2.0.1\n";
  }
  auto store = RuleStore::open(dir_ + "/state", ports_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("forward-rules:3: expected 'rule ID MODE"),
            std::string::npos)
      << store.error().message();
  {
    std::ofstream out(dir_ + "/state/forward-rules");
    out << "snapflow-forward-rules 1\nnext_id=3\nrule 1 inline 10.1.0.2 10.1.0.1 10.2.0.1 10.2.0.2 "
           "5 0 -";
  }
  store = RuleStore::open(dir_ + "/state", ports_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("torn write"), std::string::npos);
  // A saved rule that the reconfigured ports no longer allow is refused by name.
  {
    std::ofstream out(dir_ + "/state/forward-rules");
    out << "snapflow-forward-rules 1\nnext_id=3\nrule 1 inline 10.1.0.2 10.1.0.99 10.2.0.1 "
           "10.2.0.2 5 0 -\n";
  }
  store = RuleStore::open(dir_ + "/state", ports_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("capture=10.1.0.99"), std::string::npos);
}

TEST_F(RulesTest, ReconcileKeepsIdsAndCountersOfUnchangedAddresses) {
  auto store = open();
  auto first =
      store->add(spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress"));
  auto second =
      store->add(spec("a=10.1.0.3,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.3,mode=egress"));
  ASSERT_TRUE(first.ok() && second.ok());
  first->counters->packets[0].add(7);
  auto report =
      store->reconcile({spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=inline"),
                        spec("a=10.1.0.4,capture=10.1.0.5,egress=10.2.0.6,b=10.2.0.4")});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->changed, 1u);
  EXPECT_EQ(report->added, 1u);
  EXPECT_EQ(report->removed, 1u);
  auto rules = store->list();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, first->id);
  EXPECT_EQ(rules[0].spec.mode, CaptureMode::kInline);
  EXPECT_EQ(rules[0].counters->packets[0].get(), 7u) << "counters survive a mode change";
  EXPECT_EQ(rules[1].id, 3u);
  // Invalid configurations change nothing.
  auto bad = store->reconcile({spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2"),
                               spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.6,b=10.2.0.9")});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(store->list().size(), 2u);
  EXPECT_EQ(store->list()[0].spec.mode, CaptureMode::kInline);
}

TEST_F(RulesTest, HistoryAttributesStoredPacketsByAddressAndTime) {
  auto store = open();
  clock_ = 100;
  auto r = store->add(spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress"));
  clock_ = 200;
  ASSERT_TRUE(store->set_mode(r->id, CaptureMode::kInline).ok());
  clock_ = 300;
  ASSERT_TRUE(store->remove(r->id).ok());
  clock_ = 400;  // the same addresses again, as a new rule
  auto again =
      store->add(spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=egress"));
  auto history = RuleHistory::load(dir_ + "/state");
  ASSERT_TRUE(history.ok()) << history.error().to_string();
  auto ip = [](const char* t) { return *parse_ip(t); };
  auto attribute = [&](int64_t ts, const char* s, const char* d) {
    IpAddr src = ip(s), dst = ip(d);
    return history->attribute(ts, reinterpret_cast<const std::byte*>(src.bytes.data()),
                              reinterpret_cast<const std::byte*>(dst.bytes.data()), 4);
  };
  auto a = attribute(150, "10.1.0.2", "10.1.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rule_id, r->id);
  EXPECT_EQ(a->mode, CaptureMode::kIngress);
  EXPECT_EQ(a->direction, Direction::kAtoB);
  a = attribute(250, "10.2.0.2", "10.1.0.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, CaptureMode::kInline);
  EXPECT_EQ(a->direction, Direction::kBtoA);
  a = attribute(450, "10.1.0.1", "10.1.0.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rule_id, again->id) << "the same pattern later belongs to the new rule";
  EXPECT_EQ(a->mode, CaptureMode::kEgress);
  a = attribute(150, "10.1.0.1", "10.1.0.2");  // an egress pattern before that rule existed
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rule_id, r->id) << "nearest version wins at the edges";
  EXPECT_FALSE(attribute(150, "10.9.9.9", "10.1.0.1"));
}

TEST_F(RulesTest, TableSwapsNeverDisturbAReaderOnOtherRules) {
  auto store = open();
  auto steady = store->add(spec("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2"));
  ASSERT_TRUE(steady.ok());
  auto reader = store->register_reader();
  ASSERT_TRUE(reader);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, misses{0};
  std::thread datapath([&] {
    IpAddr a = *parse_ip("10.1.0.2"), cap = *parse_ip("10.1.0.1");
    while (!stop.load(std::memory_order_relaxed)) {
      const RuleTable* t = reader->enter();
      const auto* m = t->find(reinterpret_cast<const std::byte*>(a.bytes.data()),
                              reinterpret_cast<const std::byte*>(cap.bytes.data()), 4);
      if (m == nullptr || m->rule->id != steady->id) misses.fetch_add(1);
      lookups.fetch_add(1, std::memory_order_relaxed);
      reader->leave();
    }
  });
  for (int i = 0; i < 40; ++i) {
    auto r = store->add(spec("a=10.1.0." + std::to_string(10 + i % 50) +
                             ",capture=10.1.0.5,egress=10.2.0.6,b=10.2.0." +
                             std::to_string(10 + i % 50)));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_TRUE(store->set_mode(r->id, CaptureMode::kInline).ok());
    ASSERT_TRUE(store->remove(r->id).ok());
  }
  stop = true;
  datapath.join();
  EXPECT_GT(lookups.load(), 0u);
  EXPECT_EQ(misses.load(), 0u);
}

}  // namespace
}  // namespace snapflow::forward
