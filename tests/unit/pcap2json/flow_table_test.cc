// FlowTable (docs/decisions/0054-persistent-flow-table.md): flows told apart by their keys even
// when their hashes are equal, entries released and reused, indexes valid across growth.
#include "snapflow/pcap2json/flow_table.h"

#include <gtest/gtest.h>

#include <map>

namespace snapflow::pcap2json {
namespace {

packet::FlowKey key_with_port(uint16_t port) {
  packet::FlowKey key;
  key.ip_version = 4;
  key.ip_protocol = 6;
  key.source[0] = 10;
  key.destination[0] = 192;
  key.source_port = port;
  key.destination_port = 443;
  key.flags = packet::FlowKey::kHasPorts;
  return key;
}

// Keys whose hashes are equal share a tag, a home slot and a probe sequence: the table keeps
// them apart by the key itself (a crafted or chance 64-bit collision merges nothing).
TEST(FlowTable, KeysWithTheSameHashStayApart) {
  FlowTable table(64);
  constexpr uint64_t kHash = 0x1234'5678'9abc'def0;
  std::vector<uint32_t> indexes;
  for (uint16_t port = 1; port <= 20; ++port) {
    bool inserted = false;
    indexes.push_back(table.find_or_insert(key_with_port(port), kHash, inserted));
    EXPECT_TRUE(inserted);
    EXPECT_EQ(table.entry(indexes.back()).generation, 0u);
    table.entry(indexes.back()).record = port;
  }
  EXPECT_EQ(table.size(), 20u);
  for (uint16_t port = 1; port <= 20; ++port) {
    bool inserted = true;
    const uint32_t index = table.find_or_insert(key_with_port(port), kHash, inserted);
    EXPECT_FALSE(inserted);
    EXPECT_EQ(index, indexes[port - 1]);
    EXPECT_EQ(table.entry(index).record, port);
  }
}

TEST(FlowTable, ReleasedEntriesAreFoundNoMoreAndAreHandedOutAgain) {
  FlowTable table(64);
  bool inserted = false;
  const packet::FlowKey a = key_with_port(1);
  const packet::FlowKey b = key_with_port(2);
  const uint32_t ia = table.find_or_insert(a, packet::flow_hash(a), inserted);
  const uint32_t ib = table.find_or_insert(b, packet::flow_hash(b), inserted);
  table.entry(ia).generation = 7;
  table.release(ia);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find_or_insert(b, packet::flow_hash(b), inserted), ib);
  EXPECT_FALSE(inserted);
  // The released entry is handed out again (last in, first out), as a new one.
  const packet::FlowKey c = key_with_port(3);
  EXPECT_EQ(table.find_or_insert(c, packet::flow_hash(c), inserted), ia);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(table.entry(ia).generation, 0u);
  EXPECT_EQ(table.size(), 2u);
  // a is gone: it comes back as a new flow.
  table.find_or_insert(a, packet::flow_hash(a), inserted);
  EXPECT_TRUE(inserted);
}

// Entries never move: an index handed out stays the flow's while slots grow and deleted ones
// are dropped around it.
TEST(FlowTable, IndexesStayValidAcrossGrowthAndChurn) {
  FlowTable table(16);
  std::map<uint16_t, uint32_t> where;  // port -> index
  for (uint32_t n = 0; n < 20000; ++n) {
    const auto port = static_cast<uint16_t>(n);
    if (n % 3 == 2) {  // every third step a flow leaves, leaving a deleted slot behind
      table.release(where.begin()->second);
      where.erase(where.begin());
    }
    const packet::FlowKey key = key_with_port(port);
    bool inserted = false;
    const uint32_t index = table.find_or_insert(key, packet::flow_hash(key), inserted);
    ASSERT_TRUE(inserted) << port;
    table.entry(index).record = port;
    where[port] = index;
  }
  EXPECT_EQ(table.size(), where.size());
  for (const auto& [port, index] : where) {
    const packet::FlowKey key = key_with_port(port);
    bool inserted = true;
    ASSERT_EQ(table.find_or_insert(key, packet::flow_hash(key), inserted), index) << port;
    EXPECT_FALSE(inserted);
    EXPECT_EQ(table.entry(index).record, port);
  }
  // Issue 11's bound for the hot table: at most 128 bytes per live flow once it has grown.
  EXPECT_LE(table.memory_bytes(), table.size() * 128 + (size_t{256} * sizeof(FlowTable::Entry)));
}

}  // namespace
}  // namespace snapflow::pcap2json
