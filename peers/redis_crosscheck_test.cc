// redis_dual (maps/redis_dual.h) against a real redis-server 7.0 (started and
// stopped by the test). The server side is read with DEBUG HTSTATS (table sizes,
// elements and non-empty buckets of ht[0] and ht[1]; tables kept small so a read
// after every command is cheap) and cross-read with MEMORY STATS; the redis_dual
// side with for_each_counter. Both are checked against hand-derived expectations
// from Redis 7.0.15's source:
//  * expansion ladder: the (2^k+1)-th key starts a rehash to 2^(k+1) buckets,
//    k = 2..18 (dict.c _dictExpandIfNeeded: used >= size, dictExpand(used + 1));
//  * buckets moved per command: a rehash step is one dictRehash(d, 1) per dict
//    operation; a SET does 3 (t_string.c setGenericCommand -> lookupKeyWrite's
//    dictFind, dbAdd's dictAddRaw or dbOverwrite's dictFind, removeExpire's
//    dictFind), the SET that starts the rehash only 1 (the expand happens inside
//    dictAddRaw, after its step; only removeExpire's dictFind follows), a GET 1
//    (lookupKey), a DEL 1 (dictUnlink; the expires dict is empty). A step moves one
//    non-empty bucket unless it first meets 10 empty ones (empty_visits = n*10),
//    so "moved fewer than expected" is allowed at most (empty ht[0] buckets)/10
//    times per rehash -- a bound a server doing fewer steps per command breaks;
//  * shrink points: serverCron -> databasesCron -> tryResizeHashTables starts a
//    rehash to the smallest power of two >= max(used, 4) when size > 4 and
//    used*100/size < 10 (server.c htNeedsResize, HASHTABLE_MIN_FILL 10); redis_dual
//    does the same in maintenance().
// activerehashing is OFF throughout: with it on, databasesCron -> incrementallyRehash
// moves buckets for 1 ms every 100 ms between our commands (dictRehashMilliseconds),
// so per-command counts would depend on timing. Shrinking still happens (it is
// the cron's tryResizeHashTables, not gated by activerehashing).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "maps/redis_dual.h"
#include "peers/redis_server.h"

namespace rehashlab {
namespace {

// Rehash steps (dictRehash(d, 1) calls) per command on Redis 7.0.15; see the header.
constexpr int kServerStepsPerSet = 3;
constexpr int kServerStepsOnTriggeringSet = 1;
constexpr int kServerStepsPerGet = 1;
constexpr int kServerStepsPerDel = 1;

// redis_dual's steps per insert: its default StepModel::kServerCommand models a SET
// as the server runs it (3 steps, 1 on the SET that starts a rehash), so the
// expectation is the server's own. The checks below are exact.
constexpr int kRedisDualStepsPerInsert = kServerStepsPerSet;
constexpr int kRedisDualStepsOnTriggeringInsert = kServerStepsOnTriggeringSet;
constexpr int kRedisDualStepsPerFind = 1;
constexpr int kRedisDualStepsPerErase = 1;

using Dual = RedisDualMap<std::uint64_t, std::uint64_t>;

std::string kb(std::uint64_t k) { return std::string(reinterpret_cast<const char*>(&k), 8); }  // u64 wire bytes

RedisServerOptions no_active_rehash() {
  RedisServerOptions o;
  o.active_rehashing = false;
  o.slowlog = false;  // not needed here; keeps the server's memory to the keyspace
  return o;
}

std::uint64_t counter(const Dual& m, std::string_view name) {
  std::uint64_t v = ~std::uint64_t{0};
  m.for_each_counter([&](std::string_view n, std::uint64_t x) {
    if (n == name) v = x;
  });
  EXPECT_NE(v, ~std::uint64_t{0}) << "no counter " << name;
  return v;
}

// Pipelined SETs of keys [from, to) (untimed loading; same dict operations).
void load(RedisServer& s, std::uint64_t from, std::uint64_t to) {
  const std::string v = "v";
  for (std::uint64_t b = from; b < to; b += 1024) {
    const std::uint64_t e = std::min(to, b + 1024);
    for (std::uint64_t i = b; i < e; ++i) s.append({"SET", kb(i), v});
    for (std::uint64_t i = b; i < e; ++i) s.read_reply();
  }
}

struct ResizePoint {
  std::uint64_t keys;     // keys in the table when the rehash started
  std::uint64_t from, to;  // buckets
  friend bool operator==(const ResizePoint&, const ResizePoint&) = default;
};
std::ostream& operator<<(std::ostream& o, const ResizePoint& p) {
  return o << "{" << p.keys << " keys: " << p.from << "->" << p.to << "}";
}

// --- expansion ladder --------------------------------------------------------
std::vector<ResizePoint> expected_ladder() {
  std::vector<ResizePoint> v;
  for (int k = 2; k <= 18; ++k) v.push_back({(std::uint64_t{1} << k) + 1, std::uint64_t{1} << k, std::uint64_t{1} << (k + 1)});
  return v;
}

TEST(RedisCrosscheck, ExpansionLadderServer) {
  RedisServer s(no_active_rehash());
  std::vector<ResizePoint> seen;
  std::uint64_t next = 0;
  for (int k = 2; k <= 18; ++k) {
    const std::uint64_t size = std::uint64_t{1} << k;
    load(s, next, size);
    next = size;
    HtStats h = s.htstats();
    ASSERT_FALSE(h.rehashing()) << "still rehashing at " << size << " keys";
    ASSERT_EQ(h.ht[0].size, size) << "the " << size << "-th key resized";
    ASSERT_EQ(h.ht[0].elements, size);
    RedisTableState st = s.table_state();  // the cheap read agrees
    EXPECT_EQ(st.slots, size);
    EXPECT_FALSE(st.rehashing);
    s.set(kb(next++), "v");  // the (2^k+1)-th key
    h = s.htstats();
    ASSERT_TRUE(h.rehashing()) << "the " << size + 1 << "-th key did not start a rehash";
    EXPECT_EQ(h.ht[0].size, size);
    EXPECT_EQ(h.elements(), size + 1);
    st = s.table_state();
    EXPECT_TRUE(st.rehashing);
    EXPECT_EQ(st.ht0_buckets, size);
    EXPECT_EQ(st.ht1_buckets, h.ht[1].size);
    seen.push_back({size + 1, h.ht[0].size, h.ht[1].size});
  }
  EXPECT_EQ(seen, expected_ladder());
}

TEST(RedisCrosscheck, ExpansionLadderRedisDual) {
  MemoryCounter mem;
  Dual m(SeededHash<std::uint64_t>{42}, mem, AllocMode::kFresh);
  std::vector<ResizePoint> seen;
  std::uint64_t next = 0;
  for (int k = 2; k <= 18; ++k) {
    const std::uint64_t size = std::uint64_t{1} << k;
    while (next < size) m.insert_or_assign(next++, 0);
    ASSERT_EQ(counter(m, "rehashing"), 0u) << "still rehashing at " << size << " keys";
    ASSERT_EQ(counter(m, "ht0_buckets"), size);
    ASSERT_EQ(counter(m, "ht0_used"), size);
    const std::uint64_t expands = counter(m, "expands_started");
    m.insert_or_assign(next++, 0);
    ASSERT_EQ(counter(m, "rehashing"), 1u) << "the " << size + 1 << "-th key did not start a rehash";
    EXPECT_EQ(counter(m, "expands_started"), expands + 1);
    EXPECT_EQ(counter(m, "ht0_used") + counter(m, "ht1_used"), size + 1);
    seen.push_back({size + 1, counter(m, "ht0_buckets"), counter(m, "ht1_buckets")});
  }
  EXPECT_EQ(seen, expected_ladder());
}

// --- buckets moved per command -----------------------------------------------
// Tallies per-command bucket moves during one rehash against `steps` per command.
struct StepTally {
  std::uint64_t commands = 0;   // commands issued while rehashing (after the trigger)
  std::uint64_t short_ones = 0;  // moved fewer than `steps` and the rehash went on
  std::uint64_t max_moved = 0;
  std::uint64_t empty_at_start = 0;  // empty ht[0] buckets when the rehash began
  bool completed = false;
};

// Server side: `cmd(i)` issues the i-th command; moves are read from HTSTATS.
// `empty_at_start`: empty ht[0] buckets before the triggering SET.
template <class Cmd>
StepTally server_steps(RedisServer& s, int steps, std::uint64_t empty_at_start, Cmd&& cmd) {
  StepTally t;
  t.empty_at_start = empty_at_start;
  HtStats h = s.htstats();
  EXPECT_TRUE(h.rehashing());
  if (!h.rehashing()) return t;
  std::uint64_t before = h.ht[0].slots;
  for (std::uint64_t i = 0; i < 4 * h.ht[0].size && !t.completed; ++i) {
    cmd(i);
    ++t.commands;
    h = s.htstats();
    const std::uint64_t moved = h.rehashing() ? before - h.ht[0].slots : before;
    t.completed = !h.rehashing();
    t.max_moved = std::max(t.max_moved, moved);
    if (!t.completed && moved < static_cast<std::uint64_t>(steps)) ++t.short_ones;
    if (h.rehashing()) before = h.ht[0].slots;
  }
  return t;
}

void expect_steps(const StepTally& t, int steps, const char* what) {
  std::printf("%s: %llu commands to finish the rehash, max %llu buckets moved per command, %llu moved fewer "
              "than %d (bound %llu)\n",
              what, static_cast<unsigned long long>(t.commands), static_cast<unsigned long long>(t.max_moved),
              static_cast<unsigned long long>(t.short_ones), steps,
              static_cast<unsigned long long>(t.empty_at_start / 10));
  EXPECT_TRUE(t.completed) << what;
  EXPECT_EQ(t.max_moved, static_cast<std::uint64_t>(steps)) << what;  // never more, and reached
  // Each short command met 10 empty buckets in one of its steps (no bucket moved
  // by that step); that can happen at most empty/10 times in one rehash.
  EXPECT_LE(t.short_ones, t.empty_at_start / 10) << what << ": " << t.short_ones << " of " << t.commands
                                                 << " commands moved fewer than " << steps << " buckets";
  EXPECT_GT(t.commands, 0u) << what;
}

// FLUSHALL, `size` keys, then the (size+1)-th: returns {empty ht[0] buckets before
// it, buckets the triggering SET moved, non-empty ht[0] buckets before it}.
struct Trigger {
  std::uint64_t empty, moved, nonempty;
};
Trigger start_rehash(RedisServer& s, std::uint64_t size) {
  s.flushall();
  load(s, 0, size);
  HtStats h = s.htstats();
  EXPECT_FALSE(h.rehashing());
  EXPECT_EQ(h.ht[0].size, size);
  const std::uint64_t before = h.ht[0].slots;
  s.set(kb(size), "v");
  h = s.htstats();
  EXPECT_TRUE(h.rehashing());
  return {size - before, before - h.ht[0].slots, before};
}

TEST(RedisCrosscheck, BucketsMovedPerCommandServer) {
  RedisServer s(no_active_rehash());
  // SET: 4096 keys, the 4097th starts a rehash to 8192; new keys and overwrites
  // alike (dbOverwrite's dictFind replaces dbAdd's dictAddRaw).
  Trigger t = start_rehash(s, 4096);
  EXPECT_LE(t.moved, static_cast<std::uint64_t>(kServerStepsOnTriggeringSet));
  EXPECT_TRUE(t.moved == kServerStepsOnTriggeringSet || t.empty >= 10);
  std::uint64_t next = 4097;
  StepTally set = server_steps(s, kServerStepsPerSet, t.empty, [&](std::uint64_t i) {
    s.set(kb(i % 2 == 0 ? next++ : i), "w");
  });
  expect_steps(set, kServerStepsPerSet, "SET");
  EXPECT_EQ(s.htstats().elements(), next);
  // A rehash of D non-empty buckets takes at least D/3 SETs.
  EXPECT_GE(set.commands * kServerStepsPerSet + t.moved, t.nonempty);

  // GET, hits and misses.
  t = start_rehash(s, 2048);
  StepTally get = server_steps(s, kServerStepsPerGet, t.empty, [&](std::uint64_t i) {
    s.get(kb(i % 2 == 0 ? i : (1ULL << 40) + i));
  });
  expect_steps(get, kServerStepsPerGet, "GET");

  // DEL of absent keys (so no ht[0] bucket empties by the delete itself).
  t = start_rehash(s, 2048);
  StepTally del = server_steps(s, kServerStepsPerDel, t.empty, [&](std::uint64_t i) {
    EXPECT_FALSE(s.del(kb((1ULL << 41) + i)));
  });
  expect_steps(del, kServerStepsPerDel, "DEL");
}

// redis_dual side: moves read from its counters, and the aborted steps are seen
// directly (empty_buckets_visited), so each command is checked exactly.
template <class Cmd>
StepTally dual_steps(Dual& m, int steps, Cmd&& cmd) {
  StepTally t;
  EXPECT_EQ(counter(m, "rehashing"), 1u);
  for (std::uint64_t i = 0; i < 4 * counter(m, "ht0_buckets") && !t.completed; ++i) {
    const std::uint64_t moved0 = counter(m, "buckets_moved"), empty0 = counter(m, "empty_buckets_visited");
    cmd(i);
    ++t.commands;
    const std::uint64_t moved = counter(m, "buckets_moved") - moved0;
    const std::uint64_t aborted = (counter(m, "empty_buckets_visited") - empty0) / Dual::kEmptyVisitsPerBucket;
    t.completed = counter(m, "rehashing") == 0;
    t.max_moved = std::max(t.max_moved, moved);
    if (!t.completed) {
      // Exactly `steps` steps: each moved a bucket or gave up after 10 empty ones.
      EXPECT_EQ(moved + std::min<std::uint64_t>(aborted, steps), static_cast<std::uint64_t>(steps))
          << "command " << i << " moved " << moved << " buckets";
      if (moved < static_cast<std::uint64_t>(steps)) ++t.short_ones;
    } else {
      EXPECT_LE(moved, static_cast<std::uint64_t>(steps));
    }
  }
  return t;
}

TEST(RedisCrosscheck, BucketsMovedPerCommandRedisDual) {
  MemoryCounter mem;
  Dual m(SeededHash<std::uint64_t>{7}, mem, AllocMode::kFresh);
  auto fill_to = [&](std::uint64_t n) {
    for (std::uint64_t i = m.size(); i < n; ++i) m.insert_or_assign(i, 0);
  };
  // The (2^k+1)-th insert: the steps it does after starting the rehash.
  auto trigger = [&](std::uint64_t size) {
    fill_to(size);
    EXPECT_EQ(counter(m, "rehashing"), 0u);
    EXPECT_EQ(counter(m, "ht0_buckets"), size);
    const std::uint64_t moved0 = counter(m, "buckets_moved"), empty0 = counter(m, "empty_buckets_visited");
    m.insert_or_assign(size, 0);
    EXPECT_EQ(counter(m, "rehashing"), 1u);
    const std::uint64_t moved = counter(m, "buckets_moved") - moved0;
    const std::uint64_t aborted = (counter(m, "empty_buckets_visited") - empty0) / Dual::kEmptyVisitsPerBucket;
    EXPECT_EQ(moved + aborted, static_cast<std::uint64_t>(kRedisDualStepsOnTriggeringInsert)) << "trigger at " << size;
  };
  std::uint64_t next = 4097;
  trigger(4096);
  StepTally set = dual_steps(m, kRedisDualStepsPerInsert, [&](std::uint64_t i) {
    m.insert_or_assign(i % 2 == 0 ? next++ : i, 1);
  });
  EXPECT_TRUE(set.completed);
  EXPECT_EQ(set.max_moved, static_cast<std::uint64_t>(kRedisDualStepsPerInsert));

  m.clear();
  trigger(2048);
  StepTally find = dual_steps(m, kRedisDualStepsPerFind, [&](std::uint64_t i) {
    m.find(i % 2 == 0 ? i : (1ULL << 40) + i);
  });
  EXPECT_TRUE(find.completed);
  EXPECT_EQ(find.max_moved, static_cast<std::uint64_t>(kRedisDualStepsPerFind));

  m.clear();
  trigger(2048);
  StepTally erase = dual_steps(m, kRedisDualStepsPerErase, [&](std::uint64_t i) {
    EXPECT_FALSE(m.erase((1ULL << 41) + i));
  });
  EXPECT_TRUE(erase.completed);
  EXPECT_EQ(erase.max_moved, static_cast<std::uint64_t>(kRedisDualStepsPerErase));
}

// --- shrink points -----------------------------------------------------------
// 1000 keys (table 1024); delete to the fill boundary: 103 keys is 10.06% (no
// shrink), 102 is 9.96% -> 128 buckets; then 13 / 12 -> 16; then 2 / 1 -> 4.
struct ShrinkStep {
  std::uint64_t keep_no_shrink, keep_shrink;
};
constexpr ShrinkStep kShrinkSteps[] = {{103, 102}, {13, 12}, {2, 1}};
const std::vector<ResizePoint> kExpectedShrinks = {{102, 1024, 128}, {12, 128, 16}, {1, 16, 4}};

TEST(RedisCrosscheck, ShrinkPointsServer) {
  RedisServer s(no_active_rehash());
  s.config_set("hz", "100");  // serverCron every 10 ms: shorter waits, same rule
  load(s, 0, 1000);
  HtStats h = s.htstats();
  ASSERT_FALSE(h.rehashing());
  ASSERT_EQ(h.ht[0].size, 1024u);
  std::uint64_t live_from = 0;  // keys [live_from, 1000) are present
  std::vector<ResizePoint> seen;
  std::uint64_t table = 1024;
  for (const ShrinkStep& step : kShrinkSteps) {
    while (1000 - live_from > step.keep_no_shrink) ASSERT_TRUE(s.del(kb(live_from++)));
    // About 50 cron runs: none may shrink at this fill.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    h = s.htstats();
    EXPECT_FALSE(h.rehashing()) << "shrank at " << step.keep_no_shrink << " keys";
    EXPECT_EQ(h.ht[0].size, table);
    ASSERT_TRUE(s.del(kb(live_from++)));
    // The next cron starts the shrink: ht[1] appears (sizes from MEMORY STATS,
    // since HTSTATS prints no size for a table without elements).
    RedisTableState st;
    const auto t0 = std::chrono::steady_clock::now();
    while (!(st = s.table_state()).rehashing && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(st.rehashing) << "no shrink at " << step.keep_shrink << " keys";
    EXPECT_EQ(st.ht0_buckets, table);
    EXPECT_EQ(st.keys, step.keep_shrink);
    seen.push_back({st.keys, st.ht0_buckets, st.ht1_buckets});
    // Drain with GETs (one step each); the result is the shrunk table.
    for (std::uint64_t i = 0; i < 4 * table && s.htstats().rehashing(); ++i) s.get(kb(1ULL << 42));
    h = s.htstats();
    ASSERT_FALSE(h.rehashing());
    EXPECT_EQ(h.ht[0].size, st.ht1_buckets);
    EXPECT_EQ(h.ht[0].elements, step.keep_shrink);
    table = h.ht[0].size;
  }
  EXPECT_EQ(seen, kExpectedShrinks);
  // Down to 4 and no further: one key in 4 buckets is 25%; with the table at the
  // minimum (size > 4 fails) nothing shrinks even when the fill rule would.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(s.table_state().slots, 4u);
}

TEST(RedisCrosscheck, ShrinkPointsRedisDual) {
  MemoryCounter mem;
  Dual m(SeededHash<std::uint64_t>{9}, mem, AllocMode::kFresh);
  for (std::uint64_t i = 0; i < 1000; ++i) m.insert_or_assign(i, 0);
  while (counter(m, "rehashing") == 1) m.find(1ULL << 42);
  ASSERT_EQ(counter(m, "ht0_buckets"), 1024u);
  std::uint64_t live_from = 0;
  std::vector<ResizePoint> seen;
  std::uint64_t table = 1024;
  for (const ShrinkStep& step : kShrinkSteps) {
    while (1000 - live_from > step.keep_no_shrink) ASSERT_TRUE(m.erase(live_from++));
    m.maintenance(std::chrono::nanoseconds(0));  // the cron's shrink check; no active rehash
    EXPECT_EQ(counter(m, "rehashing"), 0u) << "shrank at " << step.keep_no_shrink << " keys";
    EXPECT_EQ(counter(m, "ht0_buckets"), table);
    ASSERT_TRUE(m.erase(live_from++));
    m.maintenance(std::chrono::nanoseconds(0));
    ASSERT_EQ(counter(m, "rehashing"), 1u) << "no shrink at " << step.keep_shrink << " keys";
    seen.push_back({m.size(), counter(m, "ht0_buckets"), counter(m, "ht1_buckets")});
    for (std::uint64_t i = 0; i < 4 * table && counter(m, "rehashing") == 1; ++i) m.find(1ULL << 42);
    ASSERT_EQ(counter(m, "rehashing"), 0u);
    EXPECT_EQ(counter(m, "ht0_used"), step.keep_shrink);
    table = counter(m, "ht0_buckets");
  }
  EXPECT_EQ(seen, kExpectedShrinks);
  m.maintenance(std::chrono::nanoseconds(0));
  EXPECT_EQ(counter(m, "ht0_buckets"), 4u);
  EXPECT_EQ(counter(m, "rehashing"), 0u);
}

}  // namespace
}  // namespace rehashlab
