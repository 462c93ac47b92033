// The cloud annotations of flow documents (--forward-rules, --mirror-sessions): documents parsed
// back with simdjson. Checked: mode, rule and direction for each address pattern of a rule and
// each version in time, outer addresses for tunnelled flows, nothing for flows no rule made,
// the mirror session in labels beside the capture name, fmadio's fields, that the document id
// and every other byte are unchanged by the annotation (so re-runs verify byte for byte), that
// a rules file replaced during a live run is read again for newer documents only, the document
// bound with the longest names, and load errors naming the file.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "snapflow/base/time.h"
#include "snapflow/forward/mirror_sessions.h"
#include "snapflow/forward/rule_history.h"
#include "snapflow/pcap2json/cloud_annotation.h"
#include "snapflow/pcap2json/flow_encoder.h"

namespace snapflow::pcap2json {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // the rules' first version (2023)
constexpr int64_t kChange = kT0 + 60'000'000'000;   // rule 1 becomes inline a minute later
constexpr int64_t kInterval = 100'000'000;

forward::RuleVersion version(uint32_t id, const char* spec, int64_t from, int64_t to) {
  auto s = forward::parse_rule_spec(spec);
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return {id, *s, from, to};
}

class EncoderCloud : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "encoder-cloud-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    write_rules({version(1,
                         "a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress,"
                         "name=web",
                         kT0, kChange),
                 version(1,
                         "a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=inline,"
                         "name=web",
                         kChange, 0),
                 version(2,
                         "a=2001:db8:1::2,capture=2001:db8:1::1,egress=2001:db8:2::1,"
                         "b=2001:db8:2::2,mode=egress",
                         kT0, 0)});
    std::ofstream(dir_ + "/mirror-sessions")
        << forward::encode_session_file({{64, "web-tier", kT0, 0}, {65, "db", kT0, kChange}});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_rules(const std::vector<forward::RuleVersion>& versions) {
    const std::string tmp = dir_ + "/.forward-rules.tmp";
    std::ofstream(tmp) << forward::encode_rule_file({10, versions});
    std::rename(tmp.c_str(), (dir_ + "/forward-rules").c_str());
  }

  std::shared_ptr<const CloudAnnotator> annotator(bool rules = true, bool sessions = true) {
    auto a = CloudAnnotator::load(rules ? dir_ + "/forward-rules" : "",
                                  sessions ? dir_ + "/mirror-sessions" : "");
    EXPECT_TRUE(a.ok()) << a.error().to_string();
    return a.ok() ? *a : nullptr;
  }

  static FlowRecord record(const char* src, const char* dst, int64_t ts) {
    FlowRecord r;
    const bool v6 = std::string(src).find(':') != std::string::npos;
    EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, src, r.key.source.data()), 1);
    EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, dst, r.key.destination.data()), 1);
    r.key.ip_version = v6 ? 6 : 4;
    r.key.ethertype = v6 ? 0x86dd : 0x0800;
    r.key.ip_protocol = 6;
    r.key.source_port = 40000;
    r.key.destination_port = 80;
    r.key.flags = packet::FlowKey::kHasPorts;
    r.hash = 42;
    r.counters.packets = 3;
    r.counters.bytes = 300;
    r.counters.first_ts_ns = ts;
    r.counters.last_ts_ns = ts + 10;
    r.counters.size_min = 100;
    r.counters.size_max = 100;
    r.attributes.first_record = 7;
    return r;
  }
  // A VXLAN-tunnelled flow: inner addresses in the key, outer ones in the attributes.
  static FlowRecord tunnelled(const char* outer_src, const char* outer_dst, uint32_t vni,
                              int64_t ts) {
    FlowRecord r = record("192.168.1.1", "192.168.1.2", ts);
    r.key.tunnel_type = packet::TunnelType::kVxlan;
    r.key.tunnel_id = vni;
    r.key.flags |= packet::FlowKey::kHasTunnelId;
    r.attributes.tunnel_source.version = 4;
    r.attributes.tunnel_destination.version = 4;
    EXPECT_EQ(inet_pton(AF_INET, outer_src, r.attributes.tunnel_source.bytes.data()), 1);
    EXPECT_EQ(inet_pton(AF_INET, outer_dst, r.attributes.tunnel_destination.bytes.data()), 1);
    return r;
  }

  static std::string encode(std::shared_ptr<const CloudAnnotator> cloud, const FlowRecord& r,
                            DocumentFormat format = DocumentFormat::kEcs) {
    EncoderConfig c;
    c.format = format;
    c.observer = "probe";
    c.capture = "ring";
    c.bulk_form = true;
    c.cloud = std::move(cloud);
    auto encoder = FlowEncoder::create(c);
    EXPECT_TRUE(encoder.ok());
    SnapshotTotals s;
    s.start_ns = r.counters.first_ts_ns - r.counters.first_ts_ns % kInterval;
    s.interval_ns = kInterval;
    document::DocumentBatch batch;
    encoder->encode_flow(s, r, batch);
    EXPECT_EQ(encoder->oversize_documents(), 0u);
    return std::string(batch.document(0));
  }
  // The source line of a bulk document, parsed.
  simdjson::dom::element parse(const std::string& doc) {
    source_ = doc.substr(doc.find('\n') + 1);
    simdjson::dom::element e;
    EXPECT_EQ(parser_.parse(source_).get(e), simdjson::SUCCESS) << source_;
    return e;
  }
  static std::string str(simdjson::dom::element e, const char* pointer) {
    std::string_view v;
    return e.at_pointer(pointer).get(v) == simdjson::SUCCESS ? std::string(v) : "<absent>";
  }
  static int64_t num(simdjson::dom::element e, const char* pointer) {
    int64_t v = -1;
    return e.at_pointer(pointer).get(v) == simdjson::SUCCESS ? v : -1;
  }

  std::string dir_;
  std::string source_;
  simdjson::dom::parser parser_;
};

TEST_F(EncoderCloud, EveryAddressPatternNamesItsRuleModeAndDirection) {
  const auto cloud = annotator();
  struct Case {
    const char* src;
    const char* dst;
    int64_t ts;
    const char* mode;
    int64_t id;
    const char* direction;
    const char* name;
  };
  const Case cases[] = {
      {"10.1.0.2", "10.1.0.1", kT0 + 5, "ingress", 1, "a_to_b", "web"},
      {"10.2.0.2", "10.2.0.1", kT0 + 5, "ingress", 1, "b_to_a", "web"},
      {"10.2.0.1", "10.2.0.2", kT0 + 5, "egress", 1, "a_to_b", "web"},
      {"10.1.0.1", "10.1.0.2", kT0 + 5, "egress", 1, "b_to_a", "web"},
      {"10.1.0.2", "10.2.0.2", kChange + 5, "inline", 1, "a_to_b", "web"},
      {"10.2.0.2", "10.1.0.2", kChange, "inline", 1, "b_to_a", "web"},
      {"2001:db8:2::1", "2001:db8:2::2", kT0 + 5, "egress", 2, "a_to_b", "<absent>"},
      {"2001:db8:1::2", "2001:db8:2::2", kT0 + 5, "inline", 2, "a_to_b", "<absent>"},
  };
  for (const Case& c : cases) {
    const auto doc = parse(encode(cloud, record(c.src, c.dst, c.ts)));
    EXPECT_EQ(str(doc, "/snapflow/capture_mode"), c.mode) << c.src << " -> " << c.dst;
    EXPECT_EQ(num(doc, "/snapflow/rule/id"), c.id) << c.src << " -> " << c.dst;
    EXPECT_EQ(str(doc, "/snapflow/rule/direction"), c.direction) << c.src << " -> " << c.dst;
    EXPECT_EQ(str(doc, "/snapflow/rule/name"), c.name) << c.src << " -> " << c.dst;
    EXPECT_EQ(str(doc, "/labels/capture"), "ring");
    EXPECT_EQ(str(doc, "/labels/mirror_session"), "<absent>");
  }
  // A tunnelled flow is attributed by its outer header (A -> capture: ingress).
  const auto t = parse(encode(cloud, tunnelled("10.1.0.2", "10.1.0.1", 7, kT0 + 5)));
  EXPECT_EQ(str(t, "/snapflow/capture_mode"), "ingress");
  EXPECT_EQ(str(t, "/source/ip"), "192.168.1.1");
  // Flows no rule made: nothing at all.
  for (const FlowRecord& r : {record("10.9.9.9", "10.1.0.1", kT0 + 5),
                              record("10.1.0.1", "10.2.0.1", kT0 + 5)}) {  // probe to probe
    const std::string with = encode(cloud, r);
    EXPECT_EQ(with, encode(nullptr, r)) << with;
  }
  FlowRecord arp;
  arp.key.ethertype = 0x0806;
  arp.counters.first_ts_ns = kT0 + 5;
  EXPECT_EQ(encode(cloud, arp), encode(nullptr, arp));
}

TEST_F(EncoderCloud, TheAnnotationChangesNothingElse) {
  const auto cloud = annotator();
  const FlowRecord r = record("10.1.0.2", "10.1.0.1", kT0 + 5);
  const std::string with = encode(cloud, r);
  const std::string without = encode(nullptr, r);
  // The same id (action line), and the same document once the added members are taken out.
  EXPECT_EQ(with.substr(0, with.find('\n')), without.substr(0, without.find('\n')));
  std::string stripped = with;
  const std::string added = R"(,"capture_mode":"ingress","rule":{"id":1,"name":"web",)"
                            R"("direction":"a_to_b"})";
  const size_t at = stripped.find(added);
  ASSERT_NE(at, std::string::npos) << with;
  stripped.erase(at, added.size());
  EXPECT_EQ(stripped, without);
  // Byte for byte the same from another encoder and another load of the files.
  EXPECT_EQ(encode(annotator(), r), with);
}

TEST_F(EncoderCloud, MirrorSessionsJoinTheLabels) {
  const auto cloud = annotator(false, true);
  auto doc = parse(encode(cloud, tunnelled("10.30.1.2", "10.30.1.1", 64, kT0 + 5)));
  EXPECT_EQ(str(doc, "/labels/capture"), "ring");
  EXPECT_EQ(str(doc, "/labels/mirror_session"), "web-tier");
  EXPECT_EQ(num(doc, "/snapflow/tunnel/vni"), 64);
  EXPECT_EQ(str(doc, "/snapflow/capture_mode"), "<absent>");  // no rules file given
  // Named only while the name was in force; unnamed VNIs and untunnelled flows: no label.
  doc = parse(encode(cloud, tunnelled("10.30.1.2", "10.30.1.1", 65, kChange - 1)));
  EXPECT_EQ(str(doc, "/labels/mirror_session"), "db");
  for (const FlowRecord& r :
       {tunnelled("10.30.1.2", "10.30.1.1", 65, kChange),
        tunnelled("10.30.1.2", "10.30.1.1", 66, kT0),
        tunnelled("10.30.1.2", "10.30.1.1", 64, kT0 - 1), record("10.1.0.2", "10.1.0.1", kT0)}) {
    EXPECT_EQ(encode(cloud, r), encode(nullptr, r));
  }
  // GRE keys are not mirror sessions.
  FlowRecord gre = tunnelled("10.30.1.2", "10.30.1.1", 64, kT0 + 5);
  gre.key.tunnel_type = packet::TunnelType::kGre;
  EXPECT_EQ(str(parse(encode(cloud, gre)), "/labels/mirror_session"), "<absent>");
}

TEST_F(EncoderCloud, FmadioNamesTheSameFacts) {
  const auto cloud = annotator();
  auto doc = parse(encode(cloud, record("10.2.0.1", "10.2.0.2", kT0 + 5), DocumentFormat::kFmadio));
  EXPECT_EQ(str(doc, "/CaptureMode"), "egress");
  EXPECT_EQ(num(doc, "/RuleID"), 1);
  EXPECT_EQ(str(doc, "/RuleName"), "web");
  EXPECT_EQ(str(doc, "/RuleDirection"), "a_to_b");
  EXPECT_EQ(str(doc, "/MirrorSession"), "<absent>");
  doc = parse(
      encode(cloud, tunnelled("10.30.1.2", "10.30.1.1", 64, kT0 + 5), DocumentFormat::kFmadio));
  EXPECT_EQ(str(doc, "/MirrorSession"), "web-tier");
  EXPECT_EQ(str(doc, "/CaptureMode"), "<absent>");
}

TEST_F(EncoderCloud, ALiveRulesFileIsReadAgainForNewerDocumentsOnly) {
  const auto cloud = annotator(true, false);
  const int64_t loaded = base::now_realtime_ns();
  // A rule added after pcap2json started: the daemon writes the file before forwarding.
  auto versions = forward::RuleHistory::load(dir_)->versions();
  versions.push_back(
      version(3, "a=10.1.0.7,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.7", loaded + 1'000'000, 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  write_rules(versions);
  // A document from before the last look does not look again...
  const FlowRecord old = record("10.1.0.2", "10.1.0.1", kT0 + 5);
  EXPECT_EQ(str(parse(encode(cloud, old)), "/snapflow/capture_mode"), "ingress");
  EXPECT_EQ(cloud->reloads(), 0u);
  // ... a document of the new rule, newer than the last look, does.
  const FlowRecord fresh = record("10.1.0.7", "10.1.0.1", loaded + 2'000'000);
  const auto doc = parse(encode(cloud, fresh));
  EXPECT_EQ(num(doc, "/snapflow/rule/id"), 3);
  EXPECT_EQ(cloud->reloads(), 1u);
  // Unchanged file: a look, no reload.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  encode(cloud, record("10.1.0.7", "10.1.0.1", base::now_realtime_ns() + 1));
  EXPECT_EQ(cloud->reloads(), 1u);
  // And the same document from a fresh load is the same bytes.
  EXPECT_EQ(encode(annotator(true, false), fresh), encode(cloud, fresh));
}

TEST_F(EncoderCloud, LongestNamesStayWithinTheDocumentBound) {
  const std::string name(64, 'n');
  write_rules({version(1,
                       ("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress,"
                        "name=" +
                        name)
                           .c_str(),
                       kT0, 0)});
  std::ofstream(dir_ + "/mirror-sessions")
      << forward::encode_session_file({{16777215, std::string(64, 's'), kT0, 0}});
  const auto cloud = annotator();
  FlowRecord r = tunnelled("10.1.0.2", "10.1.0.1", 16777215, kT0 + 5);
  const auto doc = parse(encode(cloud, r));  // encode() checks oversize_documents() == 0
  EXPECT_EQ(str(doc, "/snapflow/rule/name"), name);
  EXPECT_EQ(str(doc, "/labels/mirror_session"), std::string(64, 's'));
}

TEST_F(EncoderCloud, LoadErrorsNameTheFile) {
  auto missing = CloudAnnotator::load(dir_ + "/absent", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find(dir_ + "/absent"), std::string::npos);
  EXPECT_NE(missing.error().to_string().find("--forward-rules"), std::string::npos);
  std::ofstream(dir_ + "/bad") << "snapflow-mirror-sessions 1\nsession x 1 0 a\n";
  auto bad = CloudAnnotator::load("", dir_ + "/bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find(dir_ + "/bad:2: bad VNI"), std::string::npos)
      << bad.error().to_string();
}

}  // namespace
}  // namespace snapflow::pcap2json
