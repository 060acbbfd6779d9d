// ChunkedSlab<T>: fixed-size cells addressed by 32-bit ids, carved out of large
// chunks (overflow_slab's payload and overflow index buckets). A cell never
// moves: the slab grows by appending a chunk, so an id (and a pointer to its
// cell) is stable until the cell is freed.
//
// Chunks: chunk 0 holds 2^a cells (about 4 KiB), chunk k >= 1 2^(a+k-1), doubling
// up to 2^b cells (about 1 MiB), then 2^b each. id -> cell has no branch (a
// lookup's one slab access is on its critical path; measured:
// results/bench/README.md): chunk_of() is a min, a bit_width and a shift, and each
// chunk keeps `origin`, the address its cell 0 would have if the chunk started at
// id 0, so the cell is origin + id * sizeof(cell). Chunk memory is a ZeroedArray.
//
// Allocation: from the lowest-numbered chunk with room (a bitmap scanned from a
// hint), its free list first, else its never-used tail. A chunk whose last live
// cell is freed is released, except one empty spare. Invariant: reserved chunks <=
// chunks holding a live cell + 1; under churn at a steady size freed cells are
// reused before any chunk is added. Not reclaimed: a chunk with one live cell.
//
// Not thread-safe. The owner constructs and destroys the T objects (emplace and
// destroy do both).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab {

template <class T>
class ChunkedSlab {
  static_assert(alignof(T) <= ZeroedArray::kCacheLine, "chunks are cache-line aligned (ZeroedArray)");
  // A free cell stores the next free offset of its chunk (+1) in its first 4 bytes.
  struct Cell {
    alignas(T) alignas(std::uint32_t) unsigned char bytes[sizeof(T) < 4 ? 4 : sizeof(T)];
  };

  static constexpr unsigned floor_log2(std::size_t x) { return std::bit_width(x) - 1; }
  static constexpr std::size_t kFirstChunkBytes = 4096;
  static constexpr std::size_t kBigChunkBytes = std::size_t{1} << 20;

 public:
  // log2 of the first chunk's and of a full-size chunk's cell count (a and b above).
  static constexpr unsigned kFirstShift =
      sizeof(Cell) >= kFirstChunkBytes ? 0 : floor_log2(kFirstChunkBytes / sizeof(Cell));
  static constexpr unsigned kBigShift =
      sizeof(Cell) >= kBigChunkBytes ? kFirstShift
                                     : std::max(kFirstShift, floor_log2(kBigChunkBytes / sizeof(Cell)));
  // Ids stay below this, so `id + 1` fits in 32 bits (overflow links use 0 as "none").
  static constexpr std::uint64_t kMaxCells = 0xFFFFFFFFull;
  static constexpr std::size_t kCellBytes = sizeof(Cell);

  explicit ChunkedSlab(MemoryCounter& mem)
      : mem_(&mem), chunks_(CountingAllocator<Chunk>(mem)), room_(CountingAllocator<std::uint64_t>(mem)) {}
  ChunkedSlab(const ChunkedSlab&) = delete;
  ChunkedSlab& operator=(const ChunkedSlab&) = delete;
  ~ChunkedSlab() { release_all(); }

  // First cell id and cell count of chunk c.
  static constexpr std::uint64_t chunk_start(std::size_t c) {
    if (c == 0) return 0;
    if (c <= kBigShift - kFirstShift) return std::uint64_t{1} << (kFirstShift + c - 1);
    return std::uint64_t{c - (kBigShift - kFirstShift)} << kBigShift;
  }
  static constexpr std::uint64_t chunk_cells(std::size_t c) {
    if (c == 0) return std::uint64_t{1} << kFirstShift;
    if (c <= kBigShift - kFirstShift) return std::uint64_t{1} << (kFirstShift + c - 1);
    return std::uint64_t{1} << kBigShift;
  }
  // Below 2^b: bit_width(id >> a) (chunk 0 for id < 2^a). From 2^b on:
  // (b - a) + (id >> b), and bit_width((2^b - 1) >> a) == b - a, so clamping id
  // to 2^b - 1 before the bit_width and adding id >> b covers both without a
  // branch. bit_width(2x + 1) - 1 == bit_width(x) keeps bsr's operand nonzero.
  static constexpr std::size_t chunk_of(std::uint32_t id) {
    constexpr std::uint32_t kLastSmallId = (std::uint32_t{1} << kBigShift) - 1;
    const std::uint64_t small = std::min(id, kLastSmallId) >> kFirstShift;
    return static_cast<std::size_t>(std::bit_width((small << 1) | 1) - 1) + (id >> kBigShift);
  }

  // The cell's storage (its chunk must be reserved). Hot path: no branch.
  T* at(std::uint32_t id) const {
    return std::launder(reinterpret_cast<T*>(chunks_[chunk_of(id)].origin + std::uintptr_t{id} * sizeof(Cell)));
  }

  // Hands out an unused cell (uninitialized storage) and returns its id. Throws
  // std::bad_alloc (memory or fault injection) or std::length_error (2^32 - 1
  // cells) with the slab unchanged.
  std::uint32_t allocate() {
    const std::size_t c = chunk_with_room();  // may append a chunk (throws)
    Chunk& k = chunks_[c];
    if (!k.storage) {
      k.storage = ZeroedArray(*mem_, chunk_cells(c) * sizeof(Cell), AllocMode::kFresh);
      reserved_bytes_ += k.storage.size_bytes();
      k.origin = reinterpret_cast<std::uintptr_t>(k.storage.data()) - chunk_start(c) * sizeof(Cell);
    }
    std::uint32_t offset;
    if (k.free_head != 0) {
      offset = k.free_head - 1;
      std::memcpy(&k.free_head, cells(c)[offset].bytes, sizeof(std::uint32_t));
    } else {
      offset = k.used++;
    }
    if (k.live++ == 0 && c == spare_) spare_ = kNone;
    if (k.free_head == 0 && k.used == chunk_cells(c)) set_room(c, false);
    ++live_;
    return static_cast<std::uint32_t>(chunk_start(c) + offset);
  }

  // Returns a cell whose object is already destroyed. Never throws.
  void free(std::uint32_t id) noexcept {
    const std::size_t c = chunk_of(id);
    Chunk& k = chunks_[c];
    const auto offset = static_cast<std::uint32_t>(id - chunk_start(c));
    std::memcpy(cells(c)[offset].bytes, &k.free_head, sizeof(std::uint32_t));
    k.free_head = offset + 1;
    set_room(c, true);
    --live_;
    if (--k.live == 0) on_chunk_empty(c);
  }

  template <class... Args>
  std::uint32_t emplace(Args&&... args) {
    const std::uint32_t id = allocate();
    try {
      std::construct_at(at(id), std::forward<Args>(args)...);
    } catch (...) {
      free(id);
      throw;
    }
    return id;
  }
  void destroy(std::uint32_t id) noexcept {
    std::destroy_at(at(id));
    free(id);
  }

  // Frees every chunk and the bookkeeping. Objects must already be destroyed.
  void release_all() noexcept {
    chunks_.clear();
    chunks_.shrink_to_fit();
    room_.clear();
    room_.shrink_to_fit();
    live_ = 0;
    reserved_bytes_ = 0;
    spare_ = kNone;
    room_hint_ = 0;
  }

  std::size_t live() const { return live_; }
  std::size_t reserved_bytes() const { return reserved_bytes_; }  // chunk memory held
  std::size_t in_use_bytes() const { return live_ * sizeof(Cell); }  // of which live cells
  std::size_t chunks_reserved() const {
    std::size_t n = 0;
    for (const Chunk& k : chunks_) n += static_cast<bool>(k.storage);
    return n;
  }

  // Ids of live cells (O(cells)); for invariant checks.
  std::vector<bool> live_cells() const {
    std::vector<bool> out(chunks_.empty() ? 0 : chunk_start(chunks_.size()), false);
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
      const Chunk& k = chunks_[c];
      for (std::uint32_t o = 0; o < k.used; ++o) out[chunk_start(c) + o] = true;
      for (std::uint32_t f = k.free_head; f != 0;) {
        out[chunk_start(c) + f - 1] = false;
        std::memcpy(&f, cells(c)[f - 1].bytes, sizeof(std::uint32_t));
      }
    }
    return out;
  }

  // Walks every chunk: live + free-list length == used cells; room bits, the spare
  // rule and the byte totals agree. Throws InvariantViolation.
  void check_invariants() const {
    std::size_t live = 0, reserved = 0, empty_reserved = 0;
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
      const Chunk& k = chunks_[c];
      const bool room = (room_[c / 64] >> (c % 64)) & 1;
      if (!k.storage) {
        require_invariant(k.live == 0 && k.used == 0 && k.free_head == 0, "released chunk has cells");
        require_invariant(room, "released chunk not marked as having room");
        continue;
      }
      reserved += k.storage.size_bytes();
      require_invariant(k.used <= chunk_cells(c), "chunk bump pointer past its end");
      std::size_t free_cells = 0;
      for (std::uint32_t f = k.free_head; f != 0; ++free_cells) {
        require_invariant(f - 1 < k.used && free_cells < k.used, "free list leaves the used cells or loops");
        std::memcpy(&f, cells(c)[f - 1].bytes, sizeof(std::uint32_t));
      }
      require_invariant(k.live + free_cells == k.used, "chunk: live + free != used");
      require_invariant(room == (k.free_head != 0 || k.used < chunk_cells(c)), "room bit wrong");
      if (k.live == 0) {
        ++empty_reserved;
        require_invariant(c == spare_, "an empty reserved chunk is not the spare");
      }
      live += k.live;
    }
    require_invariant(empty_reserved <= 1, "more than one empty chunk kept");
    require_invariant(live == live_, "slab live count differs from its chunks");
    require_invariant(reserved == reserved_bytes_, "slab reserved bytes differ from its chunks");
    for (std::size_t w = 0; w < room_hint_ && w < room_.size(); ++w) {
      require_invariant(room_[w] == 0, "chunk with room below the allocation hint");
    }
  }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};

  struct Chunk {
    ZeroedArray storage;          // chunk_cells(c) cells; empty when released
    std::uint32_t live = 0;       // cells handed out and not freed
    std::uint32_t used = 0;       // cells ever handed out (bump pointer)
    std::uint32_t free_head = 0;  // first free cell's offset + 1; 0: none
    std::uintptr_t origin = 0;    // storage address - chunk_start(c) cells (wraps; see at())
  };

  Cell* cells(std::size_t c) const { return static_cast<Cell*>(chunks_[c].storage.data()); }

  void set_room(std::size_t c, bool room) {
    const std::uint64_t bit = std::uint64_t{1} << (c % 64);
    if (room) {
      room_[c / 64] |= bit;
      if (c / 64 < room_hint_) room_hint_ = c / 64;
    } else {
      room_[c / 64] &= ~bit;
    }
  }

  // Lowest chunk with room, appending an (unreserved) chunk slot when none has any.
  std::size_t chunk_with_room() {
    for (; room_hint_ < room_.size(); ++room_hint_) {
      if (room_[room_hint_] != 0) return room_hint_ * 64 + std::countr_zero(room_[room_hint_]);
    }
    const std::size_t c = chunks_.size();
    if (chunk_start(c) + chunk_cells(c) > kMaxCells) throw std::length_error("ChunkedSlab: 2^32 - 1 cells");
    if (c % 64 == 0) room_.push_back(0);  // may throw: nothing changed yet
    chunks_.emplace_back();               // may throw: an extra zero room word is harmless
    set_room(c, true);
    return c;
  }

  void on_chunk_empty(std::size_t c) noexcept {
    if (spare_ == kNone) {
      spare_ = c;
      return;
    }
    const std::size_t release = std::max(c, spare_);
    spare_ = std::min(c, spare_);
    Chunk& k = chunks_[release];
    reserved_bytes_ -= k.storage.size_bytes();
    k.storage.reset();
    k.used = 0;
    k.free_head = 0;
  }

  MemoryCounter* mem_;
  std::vector<Chunk, CountingAllocator<Chunk>> chunks_;
  std::vector<std::uint64_t, CountingAllocator<std::uint64_t>> room_;  // bit c: chunk c has room
  std::size_t room_hint_ = 0;     // no room_ word below this has a bit set
  std::size_t live_ = 0;
  std::size_t reserved_bytes_ = 0;
  std::size_t spare_ = kNone;     // the one empty chunk kept reserved, if any
};

}  // namespace rehashlab
