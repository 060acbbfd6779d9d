// Tests of overflow_slab's own mechanism: the payload slab, growth that moves only
// the index, bounded work per write, bounded slab space, allocation failure. The
// generic conformance/differential/trace suites over AllMaps cover it as well.
#include "maps/overflow_slab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "maps/differential.h"
#include "maps/test_util.h"
#include "maps/types.h"

namespace rehashlab {
namespace {

using U64Map = OverflowSlabMap<std::uint64_t, std::uint64_t>;

using testing::counter;

// ---- ChunkedSlab ----------------------------------------------------------

TEST(ChunkedSlab, IdRangesOfChunksAreContiguous) {
  using S = ChunkedSlab<std::uint64_t>;
  EXPECT_EQ(S::chunk_start(0), 0u);
  for (std::size_t c = 0; c < 64; ++c) {
    EXPECT_EQ(S::chunk_start(c + 1), S::chunk_start(c) + S::chunk_cells(c)) << c;
    EXPECT_EQ(S::chunk_of(static_cast<std::uint32_t>(S::chunk_start(c))), c);
    EXPECT_EQ(S::chunk_of(static_cast<std::uint32_t>(S::chunk_start(c) + S::chunk_cells(c) - 1)), c);
  }
  EXPECT_EQ(S::chunk_cells(0) * 8, 4096u);
  EXPECT_EQ(S::chunk_cells(40) * 8, std::size_t{1} << 20);
}

// chunk_of() is branch-free arithmetic; check it against the definition (the id
// range [chunk_start(c), chunk_start(c) + chunk_cells(c)) of every chunk up to
// the 2^32 - 1 id limit) at both ends of every chunk and at random ids, for cell
// sizes whose first and full-size chunks differ (8, 16, 64 bytes) and for cells
// so large that every chunk has the same size.
template <class S>
void expect_chunk_of_matches_ranges() {
  std::size_t chunks = 0;
  for (std::size_t c = 0; S::chunk_start(c) < S::kMaxCells; ++c, ++chunks) {
    const std::uint64_t first = S::chunk_start(c);
    const std::uint64_t last = std::min(first + S::chunk_cells(c), S::kMaxCells) - 1;
    ASSERT_EQ(S::chunk_of(static_cast<std::uint32_t>(first)), c) << "first id of chunk " << c;
    ASSERT_EQ(S::chunk_of(static_cast<std::uint32_t>(last)), c) << "last id of chunk " << c;
  }
  ASSERT_GT(chunks, 1u);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    const auto id = static_cast<std::uint32_t>(rng() % S::kMaxCells);
    const std::size_t c = S::chunk_of(id);
    ASSERT_LE(S::chunk_start(c), id);
    ASSERT_LT(id, S::chunk_start(c) + S::chunk_cells(c));
  }
}

struct Cell16 { std::uint64_t key, value; };
struct Cell64 { unsigned char bytes[64]; };
struct Cell2M { unsigned char bytes[std::size_t{2} << 20]; };

TEST(ChunkedSlab, ChunkOfMatchesEveryChunkRangeUpToTheIdLimit) {
  expect_chunk_of_matches_ranges<ChunkedSlab<std::uint64_t>>();
  expect_chunk_of_matches_ranges<ChunkedSlab<Cell16>>();
  expect_chunk_of_matches_ranges<ChunkedSlab<Cell64>>();
  static_assert(ChunkedSlab<Cell2M>::kFirstShift == ChunkedSlab<Cell2M>::kBigShift);
  for (std::uint32_t id : {0u, 1u, 2u, 12345u, 0xFFFFFFFEu}) EXPECT_EQ(ChunkedSlab<Cell2M>::chunk_of(id), id);
}

TEST(ChunkedSlab, CellAddressesAreContiguousWithinAChunkAndDistinctAcrossChunks) {
  MemoryCounter mem;
  ChunkedSlab<Cell16> slab(mem);
  const std::size_t n = ChunkedSlab<Cell16>::chunk_start(12);  // spans small and full-size chunks
  std::vector<std::uint32_t> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(slab.emplace(Cell16{i, ~i}));
  for (std::size_t c = 0; c < 12; ++c) {
    const auto first = static_cast<std::uint32_t>(ChunkedSlab<Cell16>::chunk_start(c));
    for (std::uint64_t k = 0; k < ChunkedSlab<Cell16>::chunk_cells(c); ++k) {
      ASSERT_EQ(slab.at(first + static_cast<std::uint32_t>(k)), slab.at(first) + k) << c;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(slab.at(ids[i])->key, i);  // distinct cells: every write survived
    ASSERT_EQ(slab.at(ids[i])->value, ~i);
  }
  for (std::uint32_t id : ids) slab.destroy(id);
}

TEST(ChunkedSlab, CellsNeverMoveAndFreedCellsAreReusedLowestChunkFirst) {
  MemoryCounter mem;
  ChunkedSlab<std::uint64_t> slab(mem);
  std::vector<std::uint32_t> ids;
  std::vector<std::uint64_t*> where;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    ids.push_back(slab.emplace(i));
    where.push_back(slab.at(ids.back()));
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(ids[i], i);  // bump allocation in order
    ASSERT_EQ(slab.at(ids[i]), where[i]);
    ASSERT_EQ(*where[i], i);
  }
  slab.check_invariants();
  // Free one cell in a high chunk and one in chunk 0: the next cell comes from chunk 0.
  slab.destroy(ids[15000]);
  slab.destroy(ids[7]);
  EXPECT_EQ(slab.emplace(std::uint64_t{1}), 7u);
  EXPECT_EQ(slab.emplace(std::uint64_t{2}), 15000u);
  slab.check_invariants();
}

TEST(ChunkedSlab, EmptyChunksAreReleasedButOneSpare) {
  MemoryCounter mem;
  ChunkedSlab<std::uint64_t> slab(mem);
  const std::uint32_t n = 300000;  // several full-size (1 MiB) chunks
  for (std::uint32_t i = 0; i < n; ++i) slab.emplace(std::uint64_t{i});
  const std::size_t full = slab.chunks_reserved();
  ASSERT_GT(full, 4u);
  for (std::uint32_t i = 0; i < n; ++i) slab.destroy(i);
  slab.check_invariants();
  EXPECT_EQ(slab.live(), 0u);
  EXPECT_EQ(slab.chunks_reserved(), 1u);  // the spare
  EXPECT_LE(slab.reserved_bytes(), std::size_t{1} << 20);
  // Refilling reuses the id ranges; nothing beyond the first fill's chunks.
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_LT(slab.emplace(std::uint64_t{i}), n);
  EXPECT_EQ(slab.chunks_reserved(), full);
  slab.check_invariants();
  slab.release_all();
  EXPECT_EQ(mem.live_bytes(), 0u);
}

TEST(ChunkedSlab, AllocationFailureLeavesSlabUnchanged) {
  MemoryCounter mem;
  ChunkedSlab<std::uint64_t> slab(mem);
  std::uint32_t made = 0;
  for (int round = 0; round < 200; ++round) {
    mem.fail_allocation_at(1);
    try {
      slab.emplace(std::uint64_t{made});
      ++made;
    } catch (const std::bad_alloc&) {
    }
    mem.fail_allocation_at(0);
    slab.check_invariants();
    ASSERT_EQ(slab.live(), made);
    for (int j = 0; j < 97; ++j) slab.emplace(std::uint64_t{made++});
  }
  for (std::uint32_t i = 0; i < made; ++i) ASSERT_EQ(*slab.at(i), i);
}

// ---- The map ----------------------------------------------------------------

// ---- index probe ------------------------------------------------------------

// The word match must agree with a byte-by-byte comparison for every byte value,
// including the neighbours that break the cheap "haszero" trick (a 0x01 byte next
// to a match, 0x80 bytes).
TEST(SlabIndex, SlotsEqualMatchesTheByteLoopExactly) {
  std::mt19937_64 rng(11);
  const std::uint8_t tricky[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff};
  for (int round = 0; round < 4000; ++round) {
    slab_index::IndexBucket b{};
    for (auto& top : b.tophash) {
      top = round % 2 ? tricky[rng() % std::size(tricky)] : static_cast<std::uint8_t>(rng());
    }
    for (unsigned byte = 0; byte < 256; ++byte) {
      std::uint64_t expected = 0;
      for (unsigned i = 0; i < buckets::kSlots; ++i) {
        if (b.tophash[i] == byte) expected |= std::uint64_t{0x80} << (8 * i);
      }
      ASSERT_EQ(slab_index::slots_equal(&b, static_cast<std::uint8_t>(byte)), expected) << "byte " << byte;
    }
  }
}

TEST(SlabIndex, IndexBucketsAreOneCacheLineEach) {
  EXPECT_EQ(sizeof(slab_index::IndexBucket), ZeroedArray::kCacheLine);
  MemoryCounter mem;
  for (std::uint8_t log2 : {0, 3, 10, 12}) {  // small (operator new) and mmapped arrays
    slab_index::IndexArray a(mem, log2, AllocMode::kFresh);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.bucket(0)) % ZeroedArray::kCacheLine, 0u) << int{log2};
    for (AllocMode mode : {AllocMode::kSystem, AllocMode::kNaive}) {
      slab_index::IndexArray other(mem, log2, mode);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(other.bucket(0)) % ZeroedArray::kCacheLine, 0u) << int{log2};
    }
  }
  slab_index::BucketSlab overflow(mem);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(overflow.at(overflow.allocate())) % ZeroedArray::kCacheLine, 0u);
  }
}

TEST(OverflowSlab, DifferentialWithMidGrowthCheckpoints) {
  for (AllocMode fill : {AllocMode::kFresh, AllocMode::kSystem, AllocMode::kNaive}) {
    testing::Lockstep<U64Map> ls(SeededHash<std::uint64_t>{0x1234}, fill);
    const auto r = testing::run_differential(ls, 600000, 7);
    ASSERT_FALSE(r.failure) << *r.failure;
    EXPECT_GT(r.grows, 5u);
    EXPECT_GT(r.migrating_checkpoints, 5u);
    EXPECT_EQ(ls.map().resize_counters().payload_bytes_moved, 0u);
    ls.destroy_and_check_memory();
  }
}

TEST(OverflowSlab, DifferentialWithNonTrivialKeysAndValues) {
  MemoryCounter mem;
  {
    OverflowSlabMap<std::string, std::string> map(SeededHash<std::string>{99}, mem);
    std::unordered_map<std::string, std::string> ref;
    std::mt19937_64 rng(3);
    for (int i = 0; i < 60000; ++i) {
      const std::string k = "key-" + std::to_string(rng() % 8000);
      const unsigned roll = rng() % 10;
      if (roll < 5) {
        const std::string v(rng() % 40, 'v');
        ASSERT_EQ(map.insert_or_assign(k, v), ref.insert_or_assign(k, v).second);
      } else if (roll < 8) {
        ASSERT_EQ(map.erase(k), ref.erase(k) == 1);
      } else {
        const std::string* got = map.find(k);
        auto it = ref.find(k);
        ASSERT_EQ(got == nullptr, it == ref.end());
        if (got != nullptr) {
          ASSERT_EQ(*got, it->second);
        }
      }
      if (i % 5000 == 0 || (map.resize_counters().migrating && i % 301 == 0)) {
        map.check_invariants();
        ASSERT_EQ(map.size(), ref.size());
      }
    }
    map.clear();
    EXPECT_EQ(mem.live_bytes(), 0u);
    for (int i = 0; i < 1000; ++i) map.insert_or_assign(std::to_string(i), std::string(30, 'x'));
  }
  EXPECT_EQ(mem.live_bytes(), 0u);  // destructor returned everything (ASan checks the strings)
}

// Every entry in the old array when a grow starts is moved exactly once (a write
// evacuates its key's old bucket before touching it, nothing enters the old array
// after the start), so once every grow has completed, entries_moved is the sum of
// size() just before each insert that started a grow: an expectation from
// outside, also under churn. Yet no value moves in memory.
TEST(OverflowSlab, GrowthMovesOnlyTheIndexNeverThePayload) {
  MemoryCounter mem;
  OverflowSlabMap<std::uint64_t, Blob<64>> map(SeededHash<std::uint64_t>{5}, mem);
  std::vector<const Blob<64>*> where;
  std::uint64_t expected_moves = 0;
  auto insert = [&](std::uint64_t k) {
    const std::size_t size = map.size();
    const std::uint64_t grows = map.resize_counters().grows_started;
    map.insert_or_assign(k, Blob<64>::from_u64(k));
    if (map.resize_counters().grows_started != grows) expected_moves += size;
  };
  for (std::uint64_t k = 0; k < 1000; ++k) {
    insert(k);
    where.push_back(map.find(k));
  }
  const auto before = map.resize_counters();
  for (std::uint64_t k = 1000; k < 200000; ++k) insert(k);
  // Churn: erases and overwrites while grows are in progress.
  std::mt19937_64 rng(1);
  for (int i = 0; i < 400000 || map.growing(); ++i) {
    const std::uint64_t k = 1000 + rng() % 400000;
    if (rng() & 1) {
      insert(k);
    } else {
      map.erase(k);
    }
  }
  const auto after = map.resize_counters();
  ASSERT_GT(after.grows_started, before.grows_started + 3);
  EXPECT_EQ(after.entries_moved, expected_moves);
  EXPECT_EQ(after.payload_bytes_moved, 0u);
  for (std::uint64_t k = 0; k < 1000; ++k) {
    ASSERT_EQ(map.find(k), where[k]) << "value of key " << k << " moved";
    ASSERT_EQ(*map.find(k), Blob<64>::from_u64(k));
  }
  map.check_invariants();
}

// Go's per-write bound (maps/go_growth.h), measured from outside: at most 2 old
// buckets per write, 4 for one that starts a grow; finds move nothing.
TEST(OverflowSlab, WriteEvacuationBoundAndFindsDoNoMigration) {
  MemoryCounter mem;
  U64Map map(SeededHash<std::uint64_t>{11}, mem);
  std::mt19937_64 rng(2);
  std::uint64_t finds_while_growing = 0, writes_while_growing = 0;
  for (std::uint64_t i = 0; i < 300000; ++i) {
    const std::uint64_t k = rng() % 200000;
    const std::uint64_t evac = counter(map, "buckets_evacuated");
    const auto rc = map.resize_counters();
    const std::size_t nevac = map.nevacuate();
    const unsigned roll = rng() % 4;
    if (roll == 0) {
      map.find(k);
      ASSERT_EQ(counter(map, "buckets_evacuated"), evac);
      ASSERT_EQ(map.resize_counters().entries_moved, rc.entries_moved);
      ASSERT_EQ(map.nevacuate(), nevac);
      finds_while_growing += rc.migrating;
    } else {
      if (roll == 1) {
        map.erase(k);
      } else {
        map.insert_or_assign(k, i);
      }
      const bool started = map.resize_counters().grows_started != rc.grows_started;
      ASSERT_LE(counter(map, "buckets_evacuated") - evac, started ? 4u : 2u);
      writes_while_growing += rc.migrating;
    }
  }
  EXPECT_GT(finds_while_growing, 100u);
  EXPECT_GT(writes_while_growing, 100u);
}

TEST(OverflowSlab, OldArrayIsReleasedWhenTheGrowCompletes) {
  MemoryCounter mem;
  U64Map map(SeededHash<std::uint64_t>{4}, mem);
  std::uint64_t k = 0;
  while (map.resize_counters().grows_started < 12) map.insert_or_assign(k++, k);
  ASSERT_TRUE(map.growing());
  while (map.growing()) map.insert_or_assign(k++, k);
  const auto rc = map.resize_counters();
  EXPECT_EQ(rc.grows_started, rc.migrations_completed);
  EXPECT_EQ(rc.old_arrays_freed, rc.grows_started);
  EXPECT_EQ(counter(map, "index_array_bytes"),
            (std::uint64_t{1} << counter(map, "log2_buckets")) * sizeof(slab_index::IndexBucket));
  map.check_invariants();
}

TEST(OverflowSlab, ChurnKeepsSlabAndOverflowBounded) {
  MemoryCounter mem;
  U64Map map(SeededHash<std::uint64_t>{21}, mem);
  std::vector<std::uint64_t> live;
  std::uint64_t next_key = 0;
  for (; next_key < 50000; ++next_key) {
    map.insert_or_assign(next_key, next_key);
    live.push_back(next_key);
  }
  const std::size_t reserved_after_fill = map.slab_bytes_reserved();
  std::mt19937_64 rng(8);
  std::uint64_t max_overflow = 0;
  for (int i = 0; i < 1000000; ++i) {
    const std::size_t j = rng() % live.size();
    ASSERT_TRUE(map.erase(live[j]));
    live[j] = next_key++;
    ASSERT_TRUE(map.insert_or_assign(live[j], live[j]));
    max_overflow = std::max<std::uint64_t>(max_overflow, map.overflow_in_use());
    ASSERT_LE(map.slab_bytes_reserved(), reserved_after_fill) << "churn added slab chunks at op " << i;
  }
  EXPECT_GT(counter(map, "same_size_grows"), 0u);
  // Same-size grows start at 2^B overflow buckets; old and new array together
  // can hold at most about twice that.
  EXPECT_LE(max_overflow, 2 * (std::uint64_t{1} << counter(map, "log2_buckets")) + 64);
  map.check_invariants();
  for (std::uint64_t k : live) ASSERT_EQ(*map.find(k), k);
}

TEST(OverflowSlab, EraseHeavyReleasesEmptySlabChunks) {
  MemoryCounter mem;
  U64Map map(SeededHash<std::uint64_t>{31}, mem);
  std::map<std::uint64_t, std::uint64_t> ref;
  std::mt19937_64 rng(9);
  for (std::uint64_t k = 0; k < 300000; ++k) {
    map.insert_or_assign(mix64(k), k);
    ref[mix64(k)] = k;
  }
  const std::size_t chunks_full = map.slab_chunks_reserved();
  ASSERT_GT(chunks_full, 4u);
  // Erase 99% in random order, checking contents on the way.
  std::vector<std::uint64_t> keys;
  for (auto& [k, v] : ref) keys.push_back(k);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (std::size_t i = 0; i < keys.size() * 99 / 100; ++i) {
    ASSERT_TRUE(map.erase(keys[i]));
    ref.erase(keys[i]);
    if (i % 50000 == 0) {
      auto err = testing::compare_contents(map, ref);
      ASSERT_FALSE(err) << *err;
    }
  }
  auto err = testing::compare_contents(map, ref);
  ASSERT_FALSE(err) << *err;
  // Erase the rest: only the spare chunk stays reserved.
  for (auto& [k, v] : ref) ASSERT_TRUE(map.erase(k));
  EXPECT_EQ(map.size(), 0u);
  EXPECT_LE(map.slab_chunks_reserved(), 1u);
  map.check_invariants();
  // Refill: the old id ranges are reused, no more chunks than the first time.
  for (std::uint64_t k = 0; k < 300000; ++k) map.insert_or_assign(k, k);
  EXPECT_LE(map.slab_chunks_reserved(), chunks_full);
  map.check_invariants();
}

TEST(OverflowSlab, ClearAndDestroyReturnAllMemory) {
  MemoryCounter mem;
  {
    U64Map map(SeededHash<std::uint64_t>{1}, mem);
    for (std::uint64_t k = 0; k < 100000; ++k) map.insert_or_assign(k, k);
    ASSERT_TRUE(map.growing() || map.resize_counters().grows_started > 0);
    map.clear();
    EXPECT_EQ(mem.live_bytes(), 0u);
    EXPECT_EQ(map.size(), 0u);
    EXPECT_EQ(map.find(5), nullptr);
    map.check_invariants();
    for (std::uint64_t k = 0; k < 50000; ++k) map.insert_or_assign(k, k + 1);
    EXPECT_EQ(*map.find(49999), 50000u);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

TEST(OverflowSlab, EveryKeyCollidingStillWorks) {
  MemoryCounter mem;
  OverflowSlabMap<std::uint64_t, std::uint64_t, ZeroHash<std::uint64_t>> map({}, mem);
  for (std::uint64_t k = 0; k < 600; ++k) ASSERT_TRUE(map.insert_or_assign(k, k));
  for (std::uint64_t k = 0; k < 600; k += 2) ASSERT_TRUE(map.erase(k));
  map.check_invariants();
  for (std::uint64_t k = 0; k < 600; ++k) {
    const std::uint64_t* v = map.find(k);
    ASSERT_EQ(v != nullptr, k % 2 == 1);
  }
}

// A hash with only 512 distinct chains: long chains, so evacuations need many
// overflow buckets (bucket-slab chunk allocations happen while growing).
struct ClusteredHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept { return mix64(k ^ seed) & 0xFF000000000001FFull; }
};

// On std::bad_alloc, at any allocation of any insert (slab chunk, bookkeeping
// vector, overflow bucket, new index array, evacuation), the map keeps every entry.
// Every operation runs with a failure armed at its 1st or 2nd allocation, so each
// allocation point fails once; the operation is then retried without it.
template <class Map, class V>
void check_allocation_failures(std::uint64_t ops) {
  MemoryCounter mem;
  Map map(typename Map::hasher{77}, mem);
  std::unordered_map<std::uint64_t, V> ref;
  std::mt19937_64 rng(12);
  std::uint64_t failures = 0, failures_while_growing = 0;
  std::uint64_t next_key = 0;  // mostly new keys, so growth windows see allocations
  for (std::uint64_t i = 0; i < ops; ++i) {
    const std::uint64_t k = rng() % 4 == 0 ? rng() % (next_key + 1) : next_key++;
    const bool is_erase = rng() % 5 == 0;
    for (bool armed : {true, false}) {
      mem.fail_allocation_at(armed ? 1 + rng() % 2 : 0);
      try {
        if (is_erase) {
          ASSERT_EQ(map.erase(k), ref.erase(k) == 1);  // erase never fails
        } else {
          const bool inserted = map.insert_or_assign(k, make_value<V>(i));
          ASSERT_EQ(inserted, ref.insert_or_assign(k, make_value<V>(i)).second);
        }
        break;
      } catch (const std::bad_alloc&) {
        ASSERT_TRUE(armed);
        ++failures;
        failures_while_growing += map.growing();  // failed with a grow in progress
        map.check_invariants();
        ASSERT_EQ(map.size(), ref.size());
        const V* v = map.find(k);
        auto it = ref.find(k);
        ASSERT_EQ(v == nullptr, it == ref.end());
        if (v != nullptr) {
          ASSERT_EQ(*v, it->second);
        }
      }
    }
    mem.fail_allocation_at(0);
    if (i % 20000 == 0) {
      auto err = testing::compare_contents(map, ref);
      ASSERT_FALSE(err) << *err;
    }
  }
  auto err = testing::compare_contents(map, ref);
  ASSERT_FALSE(err) << *err;
  std::printf("allocation failures injected: %llu (%llu while growing)\n",
              static_cast<unsigned long long>(failures), static_cast<unsigned long long>(failures_while_growing));
  EXPECT_GT(failures, 5u);
  EXPECT_GT(failures_while_growing, 0u);
}

TEST(OverflowSlab, AllocationFailureKeepsEveryEntryLargeValues) {
  // 264-byte entries: payload chunks fill every ~2000 inserts.
  check_allocation_failures<OverflowSlabMap<std::uint64_t, Blob<256>>, Blob<256>>(100000);
}

TEST(OverflowSlab, AllocationFailureKeepsEveryEntryOneChain) {
  // Every key in one chain: each evacuation needs as many overflow buckets as the
  // chain has, so bucket-slab chunks are allocated in the middle of evacuations.
  check_allocation_failures<OverflowSlabMap<std::uint64_t, std::uint64_t, ZeroHash<std::uint64_t>>,
                            std::uint64_t>(3000);
}

TEST(OverflowSlab, AllocationFailureKeepsEveryEntryLongChains) {
  check_allocation_failures<OverflowSlabMap<std::uint64_t, std::uint64_t, ClusteredHash>, std::uint64_t>(60000);
}

}  // namespace
}  // namespace rehashlab
