// FlowTable and FlowIdKey (docs/decisions/0059-keyed-flow-ids.md): flows told apart by their
// keyed ids, entries released and reused, growth moving entries and reporting where.
#include "snapflow/pcap2json/flow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "snapflow/pcap2json/flow_id.h"

namespace snapflow::pcap2json {
namespace {

FlowIdKey::Secret secret_from(uint64_t seed) {
  std::mt19937_64 random(seed);
  FlowIdKey::Secret secret{};
  for (uint8_t& b : secret) b = static_cast<uint8_t>(random());
  return secret;
}

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

TEST(FlowIdKey, SameKeySameIdAndUpperHalfOdd) {
  const FlowIdKey ids(secret_from(1));
  for (uint16_t port = 0; port < 1000; ++port) {
    const FlowId id = ids(key_with_port(port));
    EXPECT_EQ(id, ids(key_with_port(port)));
    EXPECT_EQ(id.high & 1, 1u);
  }
}

TEST(FlowIdKey, DistinctKeysDistinctIds) {
  const FlowIdKey ids(secret_from(2));
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (uint32_t port = 0; port < 65536; ++port) {
    const FlowId id = ids(key_with_port(static_cast<uint16_t>(port)));
    EXPECT_TRUE(seen.emplace(id.low, id.high).second) << port;
  }
}

TEST(FlowIdKey, IdsDependOnTheSecret) {
  const FlowIdKey a(secret_from(3));
  const FlowIdKey b(secret_from(4));
  const FlowIdKey drawn;  // from the system's random source
  const FlowIdKey drawn_again;
  const packet::FlowKey key = key_with_port(80);
  EXPECT_NE(a(key), b(key));
  EXPECT_NE(drawn(key), drawn_again(key));
}

// Ids whose upper halves are equal share a home and a probe sequence: the table still keeps
// them apart by the whole id.
TEST(FlowTable, IdsSharingAHomeStayApart) {
  FlowTable table(64);
  std::vector<uint32_t> indexes;
  for (uint64_t low = 1; low <= 20; ++low) {
    bool inserted = false;
    indexes.push_back(table.find_or_insert(FlowId{low, 0x1234'5678'0000'0001}, inserted));
    EXPECT_TRUE(inserted);
    table.entry(indexes.back()).record = static_cast<uint32_t>(low);
  }
  EXPECT_EQ(table.size(), 20u);
  for (uint64_t low = 1; low <= 20; ++low) {
    bool inserted = true;
    const uint32_t index = table.find_or_insert(FlowId{low, 0x1234'5678'0000'0001}, inserted);
    EXPECT_FALSE(inserted);
    EXPECT_EQ(index, indexes[low - 1]);
    EXPECT_EQ(table.entry(index).record, low);
  }
}

TEST(FlowTable, ReleasedEntriesAreFoundNoMoreAndTheirPlaceIsReused) {
  FlowTable table(64);
  const FlowIdKey ids(secret_from(5));
  bool inserted = false;
  const uint32_t a = table.find_or_insert(ids(key_with_port(1)), inserted);
  const uint32_t b = table.find_or_insert(ids(key_with_port(2)), inserted);
  table.release(a);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find_or_insert(ids(key_with_port(2)), inserted), b);
  EXPECT_FALSE(inserted);
  const uint32_t again = table.find_or_insert(ids(key_with_port(1)), inserted);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(table.entry(again).generation, 0u);
  EXPECT_EQ(table.size(), 2u);
}

// Growth moves entries; new_index() says where each went, with its counters.
TEST(FlowTable, GrowthReportsWhereEveryEntryWent) {
  FlowTable table(16);
  const FlowIdKey ids(secret_from(6));
  std::map<uint16_t, uint32_t> where;  // port -> index
  bool grew = false;
  for (uint16_t port = 0; port < 5000; ++port) {
    if (port % 7 == 3) {  // some flows leave again, leaving deleted entries behind
      table.release(where.begin()->second);
      where.erase(where.begin());
    }
    bool inserted = false;
    const uint32_t index = table.find_or_insert(ids(key_with_port(port)), inserted);
    ASSERT_TRUE(inserted);
    if (table.moved()) {
      grew = true;
      for (auto& [p, i] : where) {
        i = table.new_index(i);
        ASSERT_NE(i, FlowTable::kMoved) << p;
      }
      table.clear_moved();
    }
    table.entry(index).record = port;
    where[port] = index;
  }
  EXPECT_TRUE(grew);
  EXPECT_EQ(table.size(), where.size());
  for (const auto& [port, index] : where) {
    bool inserted = true;
    EXPECT_EQ(table.find_or_insert(ids(key_with_port(port)), inserted), index);
    EXPECT_FALSE(inserted);
    EXPECT_EQ(table.entry(index).record, port);
  }
  // At most 3/4 full, and never below a third once it has grown.
  const size_t capacity = table.memory_bytes() / sizeof(FlowTable::Entry);
  EXPECT_LE(table.size() * 4, capacity * 3);
  EXPECT_GE(table.size() * 3, capacity);
}

}  // namespace
}  // namespace snapflow::pcap2json
