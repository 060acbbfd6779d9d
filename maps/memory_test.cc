#include "maps/memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace rehashlab {
namespace {

TEST(MemoryCounter, CountsLiveAndPeak) {
  MemoryCounter mem;
  void* a = mem.allocate(100, 8);
  void* b = mem.allocate(50, 64);
  EXPECT_EQ(mem.live_bytes(), 150u);
  mem.deallocate(a, 100, 8);
  EXPECT_EQ(mem.live_bytes(), 50u);
  EXPECT_EQ(mem.peak_bytes(), 150u);
  mem.deallocate(b, 50, 64);
  EXPECT_EQ(mem.live_bytes(), 0u);
  EXPECT_EQ(mem.allocations(), 2u);
  EXPECT_EQ(mem.deallocations(), 2u);
}

TEST(MemoryCounter, FailsExactlyTheNthAllocation) {
  MemoryCounter mem;
  mem.fail_allocation_at(3);
  void* a = mem.allocate(8, 8);
  void* b = mem.allocate(8, 8);
  EXPECT_THROW(mem.allocate(8, 8), std::bad_alloc);
  EXPECT_FALSE(mem.failure_armed());
  void* c = mem.allocate(8, 8);  // disarmed after firing
  EXPECT_EQ(mem.live_bytes(), 24u);
  for (void* p : {a, b, c}) mem.deallocate(p, 8, 8);
}

TEST(CountingAllocator, WorksWithStdVector) {
  MemoryCounter mem;
  {
    std::vector<int, CountingAllocator<int>> v{CountingAllocator<int>(mem)};
    v.resize(1000);
    EXPECT_GE(mem.live_bytes(), 4000u);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

class ZeroedArrayTest : public ::testing::TestWithParam<AllocMode> {};

TEST_P(ZeroedArrayTest, IsZeroAndCounted) {
  MemoryCounter mem;
  {
    ZeroedArray a(mem, 1 << 20, GetParam());
    const auto* p = static_cast<const unsigned char*>(a.data());
    for (std::size_t i = 0; i < a.size_bytes(); i += 4096) ASSERT_EQ(p[i], 0);
    EXPECT_EQ(mem.live_bytes(), 1u << 20);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

TEST_P(ZeroedArrayTest, ReleasePrefixIsBoundedAndCounted) {
  MemoryCounter mem;
  const std::size_t size = 1 << 20;
  ZeroedArray a(mem, size, GetParam());
  std::memset(a.data(), 1, size);  // touch every page
  const std::size_t released = a.release_prefix(size / 2, 64 * 1024);
  if (GetParam() == AllocMode::kFresh) {
    EXPECT_EQ(released, 64u * 1024) << "at most max_bytes per call";
    EXPECT_EQ(mem.live_bytes(), size - released);
    while (a.release_prefix(size / 2, 64 * 1024) != 0) {
    }
    EXPECT_EQ(a.released_bytes(), size / 2);
    // The unreleased half is still usable.
    static_cast<unsigned char*>(a.data())[size - 1] = 7;
  } else {
    EXPECT_EQ(released, 0u) << "system and naive modes free everything at the end";
    EXPECT_EQ(mem.live_bytes(), size);
  }
  a.reset();
  EXPECT_EQ(mem.live_bytes(), 0u);
}

TEST_P(ZeroedArrayTest, StartIsCacheLineAligned) {
  MemoryCounter mem;
  for (std::size_t bytes : {std::size_t{64}, std::size_t{4096} + 8, std::size_t{1} << 20}) {
    ZeroedArray a(mem, bytes, GetParam());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % ZeroedArray::kCacheLine, 0u) << bytes;
  }
}

TEST_P(ZeroedArrayTest, InjectedFailureThrowsAndCountsNothing) {
  MemoryCounter mem;
  mem.fail_allocation_at(1);
  EXPECT_THROW(ZeroedArray(mem, 1 << 20, GetParam()), std::bad_alloc);
  EXPECT_EQ(mem.live_bytes(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, ZeroedArrayTest, ::testing::Values(AllocMode::kFresh, AllocMode::kSystem, AllocMode::kNaive));

}  // namespace
}  // namespace rehashlab
