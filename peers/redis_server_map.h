// RedisServerMap: the real redis-server (peers/redis_server.h) driven like a map by
// the harness, one command per operation.
//
//   insert_or_assign(k, v)  SET k v   r = 1 if k was new (client-side record), else 0
//   find(k)                 GET k     the value (its first 8 bytes little-endian are
//                                     the trace checksum's r), or a miss
//   erase(k)                DEL k     r = DEL's integer reply
//
// Timing. Each operation is split so that the timed part is exactly one round trip:
//   prepare_*(...)  untimed: encodes the command (RESP) into hiredis's output buffer
//                   and looks the key up in the client-side record of present keys
//   execute()       TIMED: one write of that command and the read + parse of its one
//                   reply (hiredis redisGetReply) -- nothing else
//   finish()        untimed: checks the reply against the record (a mismatch means
//                   the server lost or gained a key: RedisServerError), updates the
//                   record, frees the reply, returns the op's r
// insert_or_assign/find/erase do all three (tests, trace replay). A plain SET does
// not say whether the key was new (SET ... GET would, but it is a different command
// path: one more dict lookup, so one more rehash step), hence the record.
//
// Keys and values are given as the harness's numbers and put on the wire as the
// object representation of the run's types, exactly as the in-house maps store them
// (workloads/keys.h make_key, maps/types.h make_value):
//   uint64_t        8 bytes, little-endian (x86-64's representation; static_assert)
//   FixedString<N>  N bytes: 16 lowercase hex digits right-aligned after '0' padding
//   Blob<N>         N bytes: the number's 8 little-endian bytes, then zeros
// The record is keyed by key number (8 bytes per key in a flat set, whatever K is).
//
// Server-side time. While the slowlog is on, every executed data command is
// remembered with its op index (0-based count of data commands executed through
// this object); drain_server_times() (untimed: two round trips, SLOWLOG GET -1 and
// SLOWLOG RESET) pairs the slowlog's SET/GET/DEL entries with them in order,
// checking command and key, and returns {op index, kind, server µs}. Drain at
// least every slowlog_max_len data commands (a lost entry is an error, never
// silently misaligned); discard_server_times() drops them (after an untimed load).
// Drive data commands only through this object between drains.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>
#include <hiredis/hiredis.h>

#include "maps/types.h"
#include "peers/redis_server.h"
#include "workloads/keys.h"
#include "workloads/trace.h"

namespace rehashlab {

static_assert(std::endian::native == std::endian::little, "u64 keys/values go on the wire little-endian");

// The bytes a key or value of type T is sent as: its object representation.
template <class T>
std::string_view wire_bytes(const T& x) {
  static_assert(std::is_trivially_copyable_v<T>);
  if constexpr (std::is_same_v<T, std::uint64_t>) {
    return {reinterpret_cast<const char*>(&x), sizeof x};
  } else {
    return {reinterpret_cast<const char*>(x.bytes.data()), x.bytes.size()};
  }
}

// A value read back from the wire (GET's reply), or false if the length is wrong.
template <class V>
bool value_from_wire(std::string_view bytes, V& out) {
  if (bytes.size() != sizeof(V)) return false;
  if constexpr (std::is_same_v<V, std::uint64_t>) {
    std::memcpy(&out, bytes.data(), sizeof out);
  } else {
    std::memcpy(out.bytes.data(), bytes.data(), out.bytes.size());
  }
  return true;
}

struct RedisServerTime {
  std::uint64_t op;           // op index (data commands through the map, 0-based)
  OpKind kind;
  std::uint64_t duration_us;  // SLOWLOG: the command's execution inside the server
};

template <class K, class V>
class RedisServerMap {
 public:
  using key_type = K;
  using mapped_type = V;
  static constexpr std::string_view kName = "redis_server";

  explicit RedisServerMap(RedisServer& server, std::size_t expected_keys = 0)
      : server_(server), server_times_on_(server.options().slowlog) {
    present_.reserve(expected_keys);
    cmd_.reserve(64 + sizeof(K) + sizeof(V));
  }

  // --- split form: prepare (untimed), execute (timed), finish (untimed) ---
  void prepare(OpKind kind, std::uint64_t key_num, std::uint64_t value_num = 0) {
    kind_ = kind;
    key_num_ = key_num;
    key_ = make_key<K>(key_num);
    was_present_ = present_.contains(key_num);
    cmd_.clear();
    switch (kind) {
      case OpKind::kInsert:
        value_ = make_value<V>(value_num);
        resp(3, "SET");
        arg(wire_bytes(key_));
        arg(wire_bytes(value_));
        break;
      case OpKind::kFind:
        resp(2, "GET");
        arg(wire_bytes(key_));
        break;
      case OpKind::kErase:
        resp(2, "DEL");
        arg(wire_bytes(key_));
        break;
    }
    server_.append_formatted(cmd_);
  }
  void prepare_insert(std::uint64_t key_num, std::uint64_t value_num) { prepare(OpKind::kInsert, key_num, value_num); }
  void prepare_find(std::uint64_t key_num) { prepare(OpKind::kFind, key_num); }
  void prepare_erase(std::uint64_t key_num) { prepare(OpKind::kErase, key_num); }

  // The timed part: one write, one reply.
  void execute() { reply_ = server_.round_trip(); }

  // Checks and books the reply; returns r as the trace checksum defines it.
  std::uint64_t finish() {
    const redisReply* r = reply_.get();
    if (r == nullptr) throw RedisServerError("redis map: finish() without execute()");
    std::uint64_t result = 0;
    switch (kind_) {
      case OpKind::kInsert:
        if (r->type != REDIS_REPLY_STATUS) bad_reply("SET");
        if (!was_present_) present_.insert(key_num_);
        result = was_present_ ? 0 : 1;
        break;
      case OpKind::kFind:
        if (r->type == REDIS_REPLY_NIL) {
          if (was_present_) disagree("GET missed a key the client inserted");
          found_ = false;
          result = kFindMiss;
        } else {
          if (r->type != REDIS_REPLY_STRING || !value_from_wire(std::string_view(r->str, r->len), value_)) {
            bad_reply("GET");
          }
          if (!was_present_) disagree("GET found a key the client never inserted");
          found_ = true;
          result = value_word(value_);
        }
        break;
      case OpKind::kErase:
        if (r->type != REDIS_REPLY_INTEGER || (r->integer != 0 && r->integer != 1)) bad_reply("DEL");
        if ((r->integer == 1) != was_present_) disagree("DEL disagrees with the client's record");
        if (was_present_) present_.erase(key_num_);
        result = static_cast<std::uint64_t>(r->integer);
        break;
    }
    reply_.reset();
    if (server_times_on_) pending_.push_back({op_count_, kind_, key_num_});
    ++op_count_;
    return result;
  }

  // --- map form (each: prepare + one round trip + finish) ---
  bool insert_or_assign(std::uint64_t key_num, std::uint64_t value_num) {
    prepare_insert(key_num, value_num);
    execute();
    return finish() == 1;
  }
  // The value, valid until the next operation; nullptr on a miss.
  const V* find(std::uint64_t key_num) {
    prepare_find(key_num);
    execute();
    finish();
    return found_ ? &value_ : nullptr;
  }
  bool erase(std::uint64_t key_num) {
    prepare_erase(key_num);
    execute();
    return finish() == 1;
  }
  std::size_t size() const { return present_.size(); }  // client-side record
  std::uint64_t ops_executed() const { return op_count_; }

  // Pipelined SETs for an untimed load phase: `next()` returns {key number, value
  // number}; `count` of them, `batch` commands per write. The same dict operations
  // as one-at-a-time SETs, without a round trip each. Not counted as ops; their
  // server times are discarded.
  template <class Next>
  void load(std::uint64_t count, Next&& next, std::size_t batch = 1024) {
    for (std::uint64_t done = 0; done < count;) {
      const std::uint64_t n = std::min<std::uint64_t>(batch, count - done);
      for (std::uint64_t i = 0; i < n; ++i) {
        const auto [k, v] = next();
        const K key = make_key<K>(k);
        const V value = make_value<V>(v);
        server_.append({"SET", wire_bytes(key), wire_bytes(value)});
        present_.insert(k);
      }
      for (std::uint64_t i = 0; i < n; ++i) {
        if (server_.read_reply()->type != REDIS_REPLY_STATUS) bad_reply("SET");
      }
      done += n;
    }
    discard_server_times();
  }

  // --- between operations (untimed) ---
  RedisTableState state() { return server_.table_state(); }

  // Pairs the slowlog's data entries with the commands executed since the last drain.
  std::vector<RedisServerTime> drain_server_times() {
    std::vector<RedisServerTime> out;
    if (!server_times_on_) return out;
    const std::vector<SlowlogEntry> log = server_.slowlog_drain(true);
    if (log.size() != pending_.size()) {
      const std::size_t executed = pending_.size();
      pending_.clear();
      throw RedisServerError("redis map: the slowlog holds " + std::to_string(log.size()) + " data commands, " +
                             std::to_string(executed) + " were executed since the last drain (slowlog_max_len " +
                             std::to_string(server_.slowlog_max_len()) + " too small, or another client)");
    }
    out.reserve(log.size());
    for (std::size_t i = 0; i < log.size(); ++i) {
      const Pending& p = pending_[i];
      const K key = make_key<K>(p.key_num);
      if (log[i].command != command_name(p.kind) || log[i].key != wire_bytes(key)) {
        pending_.clear();
        throw RedisServerError("redis map: slowlog entry " + std::to_string(log[i].id) + " (" + log[i].command +
                               ") is not op " + std::to_string(p.op));
      }
      out.push_back({p.op, p.kind, log[i].duration_us});
    }
    pending_.clear();
    return out;
  }
  void discard_server_times() {
    server_.command({"SLOWLOG", "RESET"});
    pending_.clear();
  }
  // Off: drain_server_times() returns nothing and nothing is remembered per op.
  void set_server_times(bool on) { server_times_on_ = on; }

 private:
  struct Pending {
    std::uint64_t op;
    OpKind kind;
    std::uint64_t key_num;
  };

  static const char* command_name(OpKind k) {
    return k == OpKind::kInsert ? "set" : k == OpKind::kFind ? "get" : "del";
  }

  void resp(int argc, std::string_view name) {
    cmd_ += '*';
    cmd_ += std::to_string(argc);
    cmd_ += "\r\n";
    arg(name);
  }
  void arg(std::string_view a) {
    cmd_ += '$';
    cmd_ += std::to_string(a.size());
    cmd_ += "\r\n";
    cmd_.append(a.data(), a.size());
    cmd_ += "\r\n";
  }
  [[noreturn]] void bad_reply(const char* what) {
    reply_.reset();
    throw RedisServerError(std::string("redis map: unexpected reply to ") + what);
  }
  [[noreturn]] void disagree(const char* what) {
    reply_.reset();
    throw RedisServerError(std::string("redis map: ") + what + " (key number " + std::to_string(key_num_) + ")");
  }

  RedisServer& server_;
  boost::unordered_flat_set<std::uint64_t> present_;
  std::string cmd_;
  RedisReply reply_;
  OpKind kind_ = OpKind::kFind;
  std::uint64_t key_num_ = 0;
  K key_{};
  V value_{};
  bool was_present_ = false, found_ = false;
  bool server_times_on_;
  std::uint64_t op_count_ = 0;
  std::vector<Pending> pending_;
};

}  // namespace rehashlab
