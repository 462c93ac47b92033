// Cursor and catalog persistence, atomic replacement, and segment metadata A/B slots.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "ring_test_util.h"
#include "snapflow/ring/capture_stats.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/cursor.h"

namespace snapflow::ring::testing {
namespace {

TEST(Cursor, NamesAreValidated) {
  EXPECT_TRUE(is_valid_name("pcap2json"));
  EXPECT_TRUE(is_valid_name("cap_1.a-b"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("../etc"));
  EXPECT_FALSE(is_valid_name(".hidden"));
  EXPECT_FALSE(is_valid_name("a/b"));
  EXPECT_FALSE(is_valid_name(std::string(65, 'a')));
  TempDir tmp;
  EXPECT_FALSE(CursorStore(tmp.path()).save("../x", Cursor{}).ok());
}

TEST(Cursor, SavedCursorsSurviveReopenAndAreReplacedWhole) {
  TempDir tmp;
  const Cursor a{{3, 4096, 100, 150000, 171600}, kBaseTsNs + 5};
  const Cursor b{{4, 24, 250, 375000, 400000}, kBaseTsNs + 9};
  {
    CursorStore store(tmp.path());
    EXPECT_FALSE(store.load("idx").value().has_value());
    ASSERT_TRUE(store.save("idx", a).ok());
    ASSERT_TRUE(store.save("dl", b).ok());
  }
  CursorStore store(tmp.path());
  EXPECT_EQ(store.load("idx").value(), a);
  ASSERT_TRUE(store.save("idx", b).ok());
  EXPECT_EQ(store.load("idx").value(), b);
  // A crash while writing leaves only a temporary file, which never replaces the cursor.
  std::ofstream(tmp.path() + "/cursors/.idx.tmp") << "snapflow-cursor 1\nsegment_seq=9";
  EXPECT_EQ(store.load("idx").value(), b);
  auto list = store.list();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  ASSERT_TRUE(store.remove("dl").ok());
  EXPECT_EQ(store.list()->size(), 1u);
  EXPECT_FALSE(store.load("dl").value().has_value());
}

TEST(Cursor, TornCursorFileIsAnErrorNotAPosition) {
  EXPECT_FALSE(decode_cursor("snapflow-cursor 1\nsegment_seq=3\noffset=").ok());
  EXPECT_FALSE(decode_cursor("garbage").ok());
  const Cursor c{{1, 2, 3, 4, 5}, 6};
  EXPECT_EQ(decode_cursor(encode_cursor(c)).value(), c);
}

TEST(Cursor, ConsumerStateKeepsNamesAndPartStarts) {
  TempDir tmp;
  ConsumerState state;
  state.cursor = {{3, 4096, 100, 150000, 171600}, kBaseTsNs + 5};
  state.observer = "probe \"7\"\nwith=odd chars";
  state.capture = "live";
  state.cursor_mode = "coarse:1000000000:0";
  state.part_starts = {{105, ""}, {230, "full"}, {231, "coarse top"}};
  state.decided_through = 300;
  state.counters = {{"acct.seq", 12}, {"acct.seen", 123456789012}};
  CursorStore store(tmp.path());
  ASSERT_TRUE(store.save("idx", state).ok());
  EXPECT_EQ(store.load_state("idx").value(), state);
  // The writer and other readers of the file still see the position.
  EXPECT_EQ(store.load("idx").value(), state.cursor);
  // A file written as a bare Cursor reads as a state without names or part starts.
  ASSERT_TRUE(store.save("old", state.cursor).ok());
  const ConsumerState old = store.load_state("old").value().value();
  EXPECT_EQ(old.cursor, state.cursor);
  EXPECT_TRUE(old.observer.empty() && old.capture.empty() && old.part_starts.empty());
  EXPECT_EQ(old.decided_through, 0u);
  // Part starts must ascend; names must be hex.
  const std::string base = encode_cursor(state.cursor);
  EXPECT_FALSE(decode_consumer_state(base + "part_start=9\npart_start=9\n").ok());
  EXPECT_FALSE(decode_consumer_state(base + "observer_hex=zz\n").ok());
  EXPECT_FALSE(decode_consumer_state(base + "part_start=x\n").ok());
}

TEST(CaptureTotals, RoundTripAndMissingFile) {
  TempDir tmp;
  EXPECT_FALSE(load_capture_totals(tmp.path()).value().has_value());
  const CaptureTotals t{81000, 54771, 26229, 9501128, 7, kBaseTsNs};
  ASSERT_TRUE(save_capture_totals(tmp.path(), t).ok());
  EXPECT_EQ(load_capture_totals(tmp.path()).value().value(), t);
  EXPECT_FALSE(decode_capture_totals("snapflow-capture-stats 1\nseen_packets=1\n").ok());
}

TEST(Ring, EveryRingGetsItsOwnIdThatSurvivesReopen) {
  TempDir a;
  TempDir b;
  auto la = create_ring(small_config(a.ring()));
  auto lb = create_ring(small_config(b.ring()));
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_NE(la->ring_id, 0u);
  EXPECT_NE(la->ring_id, lb->ring_id);
  EXPECT_EQ(open_ring(a.ring()).value().ring_id, la->ring_id);
  EXPECT_EQ(create_ring(small_config(a.ring())).value().ring_id, la->ring_id);
}

TEST(Catalog, StartStopListPersistWithExactCounts) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  append_range(**w, 0, 100);
  ASSERT_TRUE((*w)->commit().ok());
  {
    auto cat = CaptureCatalog::open(tmp.ring());
    ASSERT_TRUE(cat.ok());
    ASSERT_TRUE(cat->start("morning", (*w)->committed_position(), kBaseTsNs).ok());
    EXPECT_FALSE(cat->start("other", (*w)->committed_position(), kBaseTsNs).ok());  // one active
    append_range(**w, 100, 250);
    ASSERT_TRUE((*w)->commit().ok());
    ASSERT_TRUE(cat->stop((*w)->committed_position(), kBaseTsNs + 1).ok());
    EXPECT_FALSE(cat->stop((*w)->committed_position(), kBaseTsNs + 2).ok());          // none active
    EXPECT_FALSE(cat->start("morning", (*w)->committed_position(), kBaseTsNs).ok());  // exists
    EXPECT_FALSE(cat->start("bad/name", (*w)->committed_position(), kBaseTsNs).ok());
    ASSERT_TRUE(cat->start("evening", (*w)->committed_position(), kBaseTsNs + 3).ok());
  }
  auto cat = CaptureCatalog::open(tmp.ring());
  ASSERT_TRUE(cat.ok());
  ASSERT_EQ(cat->list().size(), 2u);
  const CaptureEntry* m = cat->find("morning");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->active);
  EXPECT_EQ(m->packets(), 250u);
  uint64_t wire = 0, rec = 24;
  for (uint64_t i = 100; i < 350; ++i) wire += wire_bytes_of(i), rec += record_bytes_of(i);
  EXPECT_EQ(m->wire_bytes(), wire);
  EXPECT_EQ(m->pcap_bytes(), rec);
  ASSERT_NE(cat->active(), nullptr);
  EXPECT_EQ(cat->active()->name, "evening");
  ASSERT_TRUE(cat->remove("morning").ok());
  EXPECT_EQ(CaptureCatalog::open(tmp.ring())->list().size(), 1u);
}

TEST(Catalog, RejectsTornOrMalformedFiles) {
  EXPECT_FALSE(decode_catalog("snapflow-catalog 1\nname 0 1 2").ok());
  EXPECT_FALSE(decode_catalog("nope\n").ok());
  CaptureEntry e;
  e.name = "x";
  e.start = {1, 24, 0, 0, 0};
  e.stop = {2, 500, 7, 700, 900};
  e.stop_ns = 99;
  EXPECT_EQ(decode_catalog(encode_catalog({e})).value().front(), e);
}

TEST(Catalog, ClampClosesActiveCapturesAndPullsBackPositionsPastTheHead) {
  TempDir tmp;
  ASSERT_TRUE(create_ring(small_config(tmp.ring())).ok());
  auto cat = CaptureCatalog::open(tmp.ring());
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(cat->start("a", {1, 24, 0, 0, 0}, 10).ok());
  ASSERT_TRUE(cat->stop({1, 9000, 50, 5000, 6000}, 20).ok());
  ASSERT_TRUE(cat->start("b", {1, 9000, 50, 5000, 6000}, 30).ok());
  const RingPosition head{1, 4000, 20, 2000, 2500};
  auto n = cat->clamp_to(head, 25);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  auto reloaded = CaptureCatalog::open(tmp.ring());
  EXPECT_EQ(reloaded->find("a")->stop, head);
  EXPECT_FALSE(reloaded->find("b")->active);
  EXPECT_EQ(reloaded->find("b")->packets(), 0u);
}

TEST(SegmentMeta, ATornSlotFallsBackToTheOtherSlot) {
  TempDir tmp;
  auto w = RingWriter::open(small_config(tmp.ring()));
  ASSERT_TRUE(w.ok());
  append_range(**w, 0, 10);
  ASSERT_TRUE((*w)->commit().ok());
  const RingLayout layout = (*w)->layout();
  const SegmentInfo first = read_segment_info(layout, 0).value();
  append_range(**w, 10, 10);
  ASSERT_TRUE((*w)->commit().ok());
  const SegmentInfo second = read_segment_info(layout, 0).value();
  EXPECT_EQ(second.packets, 20u);
  // Tear the newest slot (the one holding 20 packets): readers fall back to the older one.
  const int fd = ::open(layout.meta_path(0).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (off_t slot : {0, 128}) {
    std::byte b[128];
    ASSERT_EQ(::pread(fd, b, 128, slot), 128);
    if (base::load_le64(b + 80) == 20) {
      b[50] ^= std::byte{0xff};
      ASSERT_EQ(::pwrite(fd, b, 128, slot), 128);
    }
  }
  ::close(fd);
  const SegmentInfo fallback = read_segment_info(layout, 0).value();
  EXPECT_EQ(fallback.packets, first.packets);
  EXPECT_EQ(fallback.committed_bytes, first.committed_bytes);
}

}  // namespace
}  // namespace snapflow::ring::testing
