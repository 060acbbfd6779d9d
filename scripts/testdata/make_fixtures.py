#!/usr/bin/env python3
"""Writes the SYNTHETIC fixture results under scripts/testdata/ (committed).

These are hand-modelled results in the format of results/schema.json (every object is
built by filling the schema's field list, so a field added to the schema appears here
with a typed default, and a modelled field the schema does not list is an error),
NOT measurements. They are small (n = 16384, 8 timeline windows, 3 repetitions) and
deterministic, and shaped like the real thing -- stop-the-world pauses proportional
to the table, incremental migrations spread over many writes, Redis-style shrink,
host steal in some windows, an interleaved noise floor -- so that every figure,
macro and claim has something to draw from. Every file says "fixture" in its
provenance (hostname "fixture", git_commit "unknown").

    /usr/bin/python3 scripts/testdata/make_fixtures.py   # rewrites the sets below

  fixture_ok/         suite "paper", complete, R = 3: 6 maps (one a peer, go_runtime) x
                      insert_growth closed v8 (+ v64/v256, open v8, --alloc=naive for the
                      in-house maps), shrink; every claim holds with --paper-n=16384
  fixture_partial/    suite "paper", interrupted in repetition 2, one failed run
  fixture_malformed/  one run whose summary lacks max_ns

aggregate.json is computed here by its own short implementation (not scripts/
aggregate.py), so aggregate_test compares two independent codings of the rule.
"""

import hashlib
import json
import math
import os
import random
import shutil
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(HERE, "..", "..", "results", "schema.json")
with open(SCHEMA_PATH) as _f:
    SCHEMA = json.load(_f)

N = 16384
WINDOW = 2048
REPS = 3
TOP_K = 16
EVERY = 64            # noise floor: one empty timed op after every EVERY map ops
RATE = 200_000        # open-loop ops/s
BASE_SEED, BASE_HASH_SEED, ORDER_SEED = 1, 7, 99
BUCKET_BYTES = {8: 144, 64: 592, 256: 2128}  # Go bucket: 8 tophash + 8 keys + 8 values + link
IN_HOUSE = ("full_rehash", "go_incremental", "redis_dual", "overflow_slab", "go_swiss", "linear_hashing",
            "paced_flat")
INCREMENTAL = ("go_incremental", "redis_dual", "overflow_slab", "paced_flat", "go_runtime", "redis_server")
NODE_MAPS = ("redis_dual", "std_unordered")   # one allocation per entry
PEERS = {"go_runtime": {"kind": "go_runtime", "version": "go1.19 (fixture)",
                        "memory_source": "the map's own structure from hmap (fixture); no RSS"},
         "redis_server": {"kind": "redis_server", "version": "7.0 (fixture)", "resize_end_granularity_ops": 64,
                          "memory_source": "used memory (fixture); rss: the server's"}}
GRANULARITY = 64      # redis_server: the harness reads the table every this many ops
SWISS_STEP_EVERY = 256  # go_swiss: one table split per this many inserts (above 512 entries)


# ---- filling schema objects ------------------------------------------------------------

_DEFAULTS = {"int": 0, "number": 0, "string": "", "bool": False, "object": {}, "array": []}


def fill(spec_name, values):
    """An object with exactly the fields of SCHEMA[spec_name]: values where given, else a
    typed default (null for nullable fields)."""
    spec = SCHEMA[spec_name]
    extra = set(values) - set(spec)
    if extra:
        sys.exit(f"make_fixtures: {spec_name} has no field(s) {sorted(extra)} in results/schema.json")
    out = {}
    for field, type_name in spec.items():
        if field in values:
            out[field] = values[field]
        elif type_name.endswith("?"):
            out[field] = None
        else:
            d = _DEFAULTS[type_name]
            out[field] = d.copy() if isinstance(d, (dict, list)) else d
    return out


# ---- the model --------------------------------------------------------------------------

class Spec:
    """One configuration: workload, mode, key, value size, map, allocation, n, open-loop load
    (None: fixed rate or closed loop), Go GC ('off' only for go_runtime with its GC off)."""

    def __init__(self, workload, map_name, mode="closed", key="u64", value=8, alloc="fresh", n=N, load=None,
                 gc="on"):
        self.workload, self.map, self.mode, self.key, self.value = workload, map_name, mode, key, value
        self.alloc, self.n, self.load, self.gc = alloc, n, load, gc

    def alloc_value(self):
        return self.alloc if self.map in IN_HOUSE else None

    def run_id(self, rep, reps):
        rid = f"{self.workload}.{self.key}.v{self.value}.{self.mode}.{self.map}.n{self.n}"
        if self.workload == "mixed":
            rid += ".zipf"
        if self.workload == "grow_read":
            rid += ".r50"
        if self.load is not None:
            rid += f".load{round(self.load * 100)}"
        if self.alloc in ("system", "naive") and self.map in IN_HOUSE:
            rid += "." + self.alloc
        if self.gc == "off":
            rid += ".gcoff"
        return rid + (f".rep{rep}" if reps > 1 else "")


def rep_seed(base, rep):
    return base if rep == 0 else (base * 1_000_003 + rep * 7919) % (2 ** 63)


def go_grow_points(n, length):
    pts, b = [], 1
    while True:
        at = int(6.5 * 2 ** b) + 1 if b > 0 else 9
        if at >= n:
            return pts
        pts.append((at, length(b)))
        b += 1


def grow_points(map_name, n):
    """Entry counts at which the map starts a resize, and the migration length in writes."""
    if map_name in ("redis_dual", "redis_server"):   # three buckets per SET: done in about a quarter
        return [(2 ** k + 1, max(1, 2 ** k // 4)) for k in range(2, 20) if 2 ** k + 1 < n]
    if map_name == "std_unordered":
        return [(p, 0) for p in (13, 29, 59, 127, 257, 541, 1109, 2357, 5087, 10273) if p < n]
    if map_name == "go_swiss":   # a split every SWISS_STEP_EVERY inserts from 512 entries on
        return [(e, 0) for e in range(512 + SWISS_STEP_EVERY, n, SWISS_STEP_EVERY)]
    if map_name == "linear_hashing":   # a round from 2^k to 2^(k+1) buckets: one split every 6 inserts
        return [(6 * 2 ** k + 1, 6 * 2 ** k) for k in range(2, 20) if 6 * 2 ** k + 1 < n]
    if map_name in ("full_rehash", "boost_flat"):
        return go_grow_points(n, lambda b: 0)
    return go_grow_points(n, lambda b: max(2, 2 ** b // 2))


def inline(map_name):
    return map_name in ("full_rehash", "go_incremental", "go_runtime", "boost_flat", "paced_flat")


def live_bytes(map_name, entries, value_bytes, migrating=False):
    bb = BUCKET_BYTES[value_bytes]
    if map_name in ("go_swiss", "linear_hashing"):   # no second array: smooth growth
        return (14 + value_bytes) * max(entries, 1) + 8192
    if inline(map_name):
        b = max(0, math.ceil(math.log2(max(1, entries) / 6.5)))
        cur = bb * 2 ** b * 17 // 16
        return cur + (cur // 2 if migrating else 0)
    if map_name == "overflow_slab":
        b = max(0, math.ceil(math.log2(max(1, entries) / 6.5)))
        idx = 44 * 2 ** b
        return idx + (idx // 2 if migrating else 0) + 4096 + (8 + value_bytes) * entries
    if map_name in ("redis_dual", "redis_server"):
        size = 4
        while size < entries:
            size *= 2
        return 8 * size + (4 * size if migrating else 0) + (16 + 8 + value_bytes) * entries
    buckets = 13
    for p, _ in grow_points(map_name, N):
        if entries >= p:
            buckets = p * 2 + 1
    return 8 * buckets + (24 + value_bytes) * entries


def window_steal(rng, windows):
    """Host steal per window (ms): most windows none, some 10-30 ms."""
    return [rng.choice([10, 20, 30]) if rng.random() < 0.25 else 0 for _ in range(windows)]


def base_ns(rng, spec, spikes, op):
    ns = 45 + rng.expovariate(1 / 12) + spec.value / 16 + (20 if spec.key != "u64" else 0)
    if spec.map == "paced_flat":
        ns -= 5     # a flat table's hot path
    if rng.random() < 0.002:
        ns += rng.uniform(300, 1200)    # machine noise: interrupts, faults
    if op in spikes:
        ns += rng.uniform(1500, 2500)   # an op the host preempted
    return ns


def migration_cost(spec):
    """Extra service time of a write while a migration runs (evacuation work)."""
    return {"paced_flat": 15, "go_runtime": 300, "redis_server": 300}.get(spec.map, 400 + spec.value / 4)


def insert_growth_ops(spec, rng, steal):
    """Per-op service times (ns), entries after each op, migrating flag, events, resizes, and
    the kind of each op ('insert', or 'find' for grow_read's reads)."""
    n = spec.n
    lat, migrating, events, resizes, kinds, entries_after = [], [], [], [], [], []
    grows = dict(grow_points(spec.map, n))
    active_until = -1
    windows = max(1, n // WINDOW)
    spikes = {w * WINDOW + rng.randrange(WINDOW) for w, s in enumerate(steal) if s}
    entries = 0
    ops = n * 2 if spec.workload == "grow_read" else n
    for op in range(ops):
        is_find = spec.workload == "grow_read" and op % 2 == 1
        ns = base_ns(rng, spec, spikes, op)
        mig = op <= active_until
        if is_find:
            kinds.append("find")
            ns += 15 if mig else 0          # a find may also look in the old array
            lat.append(ns)
            migrating.append(op < active_until)
            entries_after.append(entries)
            continue
        kinds.append("insert")
        entries += 1
        if entries in grows:
            length = grows[entries]
            events.append({"op": op, "kind": "grow_start", "time_ns": 0})
            if spec.map == "go_runtime":
                ns += 200 * entries          # Go clears the GC bitmap of the new array here
            elif spec.alloc == "naive":
                ns += 60 * entries
            if length == 0:
                step = 20000 + rng.uniform(0, 3000) if spec.map == "go_swiss" else (1000 + spec.value) * entries + 400
                ns += step
                events.append({"op": op, "kind": "migration_end", "time_ns": 0})
                if spec.map != "go_swiss":
                    events.append({"op": op, "kind": "old_array_freed", "time_ns": 0})
                resizes.append({"start_op": op, "end_op": op, "migration_ops": 1, "entries_at_start": entries - 1})
            else:
                ns += 30 if spec.map == "paced_flat" else 350    # first pages of the new array
                if spec.map == "redis_server":
                    length //= 2                                # the cron does part of the work
                if spec.workload == "grow_read":
                    length *= 2                                 # half of the ops are finds
                active_until = op + length
                resizes.append({"start_op": op, "end_op": None, "migration_ops": length,
                                "entries_at_start": entries - 1})
        if op <= active_until:
            ns += migration_cost(spec)
            if op == active_until:
                if spec.alloc in ("naive", "system") or spec.map == "redis_server":
                    ns += 20 * resizes[-1]["entries_at_start"]    # the old array freed at once
                events.append({"op": op, "kind": "migration_end", "time_ns": 0})
                events.append({"op": op, "kind": "old_array_freed", "time_ns": 0})
                resizes[-1]["end_op"] = op
        lat.append(ns)
        migrating.append(op < active_until)
        entries_after.append(entries)
    return lat, entries_after, migrating, events, resizes, kinds


def other_ops(spec, rng, steal):
    """mixed / churn: constant size after an untimed load, no resize."""
    spikes = {w * WINDOW + rng.randrange(WINDOW) for w, s in enumerate(steal) if s}
    lat = [base_ns(rng, spec, spikes, op) + (40 if spec.workload == "churn" else 0) for op in range(spec.n)]
    kinds = (["find", "insert"] * spec.n)[:spec.n] if spec.workload == "mixed" else \
        (["insert", "erase"] * spec.n)[:spec.n]
    return lat, [spec.n] * spec.n, [False] * spec.n, [], [], kinds


def shrinks(map_name):
    return map_name in ("redis_dual", "linear_hashing")


def shrink_ops(spec, rng, steal):
    """Measured phase: erase 99% of N entries, then reads."""
    lat, entries, events, kinds = [], [], [], []
    erase = N - N // 100
    count = N
    spikes = {w * WINDOW + rng.randrange(WINDOW) for w, s in enumerate(steal) if s}
    for op in range(N):
        ns = 40 + rng.expovariate(1 / 10) + (rng.uniform(1500, 2500) if op in spikes else 0)
        if op < erase:
            count -= 1
        lat.append(ns)
        entries.append(count)
        kinds.append("erase" if op < erase else "find")
    if shrinks(spec.map):  # maintenance() (redis) or merges (linear hashing) give memory back
        at = next(i for i, c in enumerate(entries) if c * 10 < N)
        events += [{"op": at, "kind": "grow_start", "time_ns": 0},
                   {"op": at + 50, "kind": "migration_end", "time_ns": 0},
                   {"op": at + 50, "kind": "old_array_freed", "time_ns": 0}]
    return lat, entries, [False] * N, events, kinds


def shrink_bytes(map_name, count, op, events):
    full = live_bytes(map_name, N, 8)
    if shrinks(map_name):
        shrunk = events and op >= events[1]["op"]
        size = 4
        while size < count:
            size *= 2
        return (8 * size if shrunk else 8 * N) + 24 * count
    if map_name == "overflow_slab":
        return 44 * 4096 + 4096 + 16 * count
    if map_name == "std_unordered":
        return full - 32 * (N - count)
    return full


def percentile(sorted_vals, p):
    idx = min(len(sorted_vals) - 1, max(0, round(p * len(sorted_vals)) - 1))
    return sorted_vals[idx]


def dist(values):
    s = sorted(values)
    return fill("percentiles", {
        "p50_ns": round(percentile(s, .5)), "p90_ns": round(percentile(s, .9)), "p99_ns": round(percentile(s, .99)),
        "p999_ns": round(percentile(s, .999)), "p9999_ns": round(percentile(s, .9999)), "max_ns": round(s[-1]),
        "min_ns": round(s[0]), "mean_ns": round(sum(s) / len(s), 3)})


def write_hgrm(path, values):
    s = sorted(round(v) for v in values)
    lines = ["       Value     Percentile TotalCount 1/(1-Percentile)", ""]
    ticks, p = [], 0.0
    while p < 1.0 - 1e-9 and len(ticks) < 70:
        ticks += [p + (1 - p) * 0.5 * i / 5 for i in range(5)]
        p = 1 - (1 - p) / 2
    for t in sorted(set(t for t in ticks if t < 1)):
        idx = min(len(s) - 1, max(0, math.ceil(t * len(s)) - 1))
        lines.append(f"{s[idx]:12.3f} {t:14.12f} {idx + 1:10d} {1 / (1 - t):14.2f}")
        if idx == len(s) - 1:
            break
    lines.append(f"{s[-1]:12.3f} {1.0:14.12f} {len(s):10d}")
    mean = sum(s) / len(s)
    sd = math.sqrt(sum((v - mean) ** 2 for v in s) / len(s))
    lines += [f"#[Mean    = {mean:12.3f}, StdDeviation   = {sd:12.3f}]",
              f"#[Max     = {s[-1]:12.3f}, Total count    = {len(s):10d}]",
              "#[Buckets =           34, SubBuckets     =        256]"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def checksum(spec, rep):
    h = hashlib.sha256(f"{spec.workload}.{spec.key}.{spec.value}.{spec.n}.{rep}".encode()).hexdigest()
    return "0x" + h[:16]


def checksum_group(spec, rep):
    return f"{spec.workload}.{spec.key}.v{spec.value}.n{spec.n}" + (".zipf" if spec.workload == "mixed" else "") \
        + f".rep{rep}"


def by_op_of(lat, kinds, migrating):
    out = {}
    for kind in ("insert", "find", "erase"):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        if not idx:
            continue
        # An op's state: whether a migration was running when it began (after the previous op).
        steady = [lat[i] for i in idx if not (i > 0 and migrating[i - 1])]
        mig = [lat[i] for i in idx if i > 0 and migrating[i - 1]]
        out[kind] = {"steady": fill("by_op_entry", dict(count=len(steady), **dist(steady))) if steady else None,
                     "migrating": fill("by_op_entry", dict(count=len(mig), **dist(mig))) if mig else None}
    return out


def write_run(out, spec, rep, reps, suite):
    seed, hash_seed = rep_seed(BASE_SEED, rep), rep_seed(BASE_HASH_SEED, rep)
    rng = random.Random(f"{seed}-{spec.run_id(0, 1)}")
    run_id = spec.run_id(rep, reps)
    n = spec.n
    if spec.workload in ("insert_growth", "grow_read"):
        ops_total = 2 * n if spec.workload == "grow_read" else n
        windows = max(1, ops_total // WINDOW)
        steal = window_steal(rng, windows)
        lat, entries, migrating, events, resizes, kinds = insert_growth_ops(spec, rng, steal)
        mem = [live_bytes(spec.map, e, spec.value, m) for e, m in zip(entries, migrating)]
    elif spec.workload == "shrink":
        windows = N // WINDOW
        steal = window_steal(rng, windows)
        lat, entries, migrating, events, kinds = shrink_ops(spec, rng, steal)
        resizes = []
        mem = [shrink_bytes(spec.map, c, i, events) for i, c in enumerate(entries)]
    else:
        windows = max(1, n // WINDOW)
        steal = window_steal(rng, windows)
        lat, entries, migrating, events, resizes, kinds = other_ops(spec, rng, steal)
        mem = [live_bytes(spec.map, e, spec.value) for e in entries]
    ops = len(lat)
    window = max(1, ops // windows)
    # Open loop: op i is scheduled at i/R; it starts at max(previous end, schedule). A run at
    # 90 % of the map's own throughput cannot keep up (the loop's own cost): it saturates.
    rate = None
    if spec.mode == "open":
        rate = RATE if spec.load is None else RATE * 2 * spec.load
    extra = 1.5e9 / rate if spec.load is not None and spec.load > 0.8 else 0
    resp, t_end, times = [], 0.0, []
    for i, ns in enumerate(lat):
        sched = i * 1e9 / rate if rate else 0
        start = max(sched, t_end) if rate else t_end
        t_end = start + ns + 15 + extra + (1e9 / rate / 4 if rate else 0)
        times.append(t_end)
        resp.append(t_end - sched)
    for e in events:
        e["time_ns"] = round(times[e["op"]])
    lat = [round(x) for x in lat]
    rss_extra = 8 if spec.map in NODE_MAPS else 0.5
    rss_base = 4_000_000
    rows = []
    for w in range(windows):
        first, last = w * window, min(ops, (w + 1) * window) - 1
        sl = lat[first:last + 1]
        rows.append(fill_row({
            "window": w, "first_op": first, "ops": last - first + 1, "end_ns": round(times[last]), "max_ns": max(sl),
            "p99_ns": round(percentile(sorted(sl), .99)), "live_bytes": mem[last],
            "peak_bytes": max(mem[first:last + 1]), "rss_bytes": rss_base + mem[last] + round(rss_extra * entries[last]),
            "entries": entries[last], "migrating": int(migrating[last]), "steal_ms": steal[w],
            "resp_max_ns": round(max(resp[first:last + 1])) if rate else "",
            "resp_p99_ns": round(percentile(sorted(resp[first:last + 1]), .99)) if rate else ""}))
    for r in resizes:
        end = ops - 1 if r["end_op"] is None else r["end_op"]
        seg = lat[r["start_op"]:end + 1]
        worst = max(range(r["start_op"], end + 1), key=lambda i: lat[i])
        r.update(start_op_ns=lat[r["start_op"]], migration_total_ns=sum(seg), migration_max_ns=max(seg),
                 migration_max_op=worst,
                 steal_ms=sum(steal[w] for w in range(r["start_op"] // window, min(windows - 1, end // window) + 1)),
                 live_bytes_at_start=live_bytes(spec.map, r["entries_at_start"], spec.value),
                 peak_bytes=max(mem[r["start_op"]:end + 1]),
                 end_op_ns=None if r["end_op"] is None else lat[r["end_op"]])
        if r["end_op"] is None:
            r["migration_ops"] = ops - r["start_op"]
    resizes = [fill("resize", r) for r in resizes]
    events = [fill("event", e) for e in events]
    payload = (8 if spec.key == "u64" else int(spec.key[3:])) + spec.value
    moves = inline(spec.map) or spec.map in ("go_swiss", "linear_hashing")
    moved = sum(r["entries_at_start"] for r in resizes) * payload if moves and spec.workload != "shrink" else 0
    if spec.map == "go_swiss":
        moved = len(resizes) * 900 * payload   # each split moves about one table
    inserted = n * payload
    d = dist(lat)
    quiet = [max(lat[w * window:(w + 1) * window]) for w in range(windows) if not steal[w]]
    seconds = times[-1] / 1e9
    peak = max(mem + [live_bytes(spec.map, n, spec.value)])
    bpe = [m / e for m, e in zip(mem, entries) if e > 0]
    is_peer = spec.map in PEERS
    alloc_value = spec.alloc_value()
    final_entries = entries[-1]
    summary = dict(
        map=spec.map, workload=spec.workload, n=n, mode=spec.mode, key=spec.key, value_bytes=spec.value,
        alloc=alloc_value, rep=rep, ops=ops, **d, max_ns_quiet=max(quiet) if quiet else None,
        quiet_windows=len(quiet), windows=windows, ops_per_sec=round(ops / seconds, 1),
        ops_per_sec_uninstrumented=None if spec.mode == "open" else round(
            ops / (seconds - ops * 27e-9) * (1.05 if spec.map == "paced_flat" else 1.02), 1),
        peak_bytes=peak, final_bytes=mem[-1], final_entries=final_entries,
        bytes_per_entry_final=mem[-1] / final_entries, bytes_per_entry_mean=round(sum(bpe) / len(bpe), 3),
        peak_to_final=round(peak / mem[-1], 4), payload_bytes_moved=None if is_peer else moved,
        payload_bytes_inserted=0 if is_peer else inserted,
        write_amplification=None if is_peer else round(moved / inserted, 4),
        measured_payload_bytes_moved=0 if is_peer else moved,
        timer_overhead_ns=18, instrument_overhead_ns=27, checksum=checksum(spec, rep), seconds=round(seconds, 6))
    if is_peer:
        summary["payload_bytes_moved"] = 0
    files = {"service_hgrm": run_id + ".service.hgrm", "response_hgrm": None,
             "timeline_csv": run_id + ".timeline.csv"}
    top = sorted(range(ops), key=lambda i: -lat[i])[:TOP_K]
    counters = {}
    if spec.map == "linear_hashing":
        splits = n // 6
        counters = {"splits": splits, "merges": 0, "buckets": 1 + splits, "max_steps_one_op": 1,
                    "merge_alloc_failures": 0, "max_entries_moved_one_op": 24}
    data = {
        "schema": SCHEMA["run_schema"], "run_id": run_id,
        "config": fill("config", {
            "workload": spec.workload, "key": spec.key, "value_bytes": spec.value, "mode": spec.mode, "n": n,
            "ops": ops, "load_ops": N if spec.workload in ("shrink", "mixed", "churn") else 0,
            "rate": rate, "load": spec.load, "rep": rep,
            "reps": reps, "seed": seed, "hash_seed": hash_seed, "base_seed": BASE_SEED,
            "base_hash_seed": BASE_HASH_SEED, "alloc": alloc_value,
            "go_gc": spec.gc if spec.map == "go_runtime" else None,
            "window": window, "top_k": TOP_K, "noise_ops": ops // EVERY, "read_pct": 50 if spec.workload in (
                "grow_read", "mixed") else 0, "update_pct": 0, "insert_pct": 100,
            "distribution": "zipfian" if spec.workload == "mixed" else "uniform", "theta": 0.99}),
        "provenance": fill("provenance", {
            "git_commit": "unknown", "git_dirty": None, "git_source": "unavailable",
            "compiler": "fixture (hand-modelled, not measured)", "compilation_mode": "opt",
            "build_flags": ["NDEBUG", "__OPTIMIZE__"], "cpu_model": "fixture CPU", "cores": 2,
            "kernel": "Linux fixture x86_64", "hostname": "fixture", "date": "2024-01-01T00:00:00Z", "pid": 1,
            "argv": ["make_fixtures.py"],
            "machine": {"cpu_model": "fixture CPU", "cpu_mhz": "2000.000", "cores": 2,
                        "caches": "L1d 32K, L2 1024K, L3 32768K", "memory": "8388608 kB",
                        "transparent_hugepage": "always [madvise] never", "kernel": "Linux fixture x86_64",
                        "hypervisor": "KVMKVMKVM"}}),
        "timer": fill("timer", {"source": "tsc", "ticks_per_ns": 2.5, "calibration_ms": 50, "overhead_ns": 18,
                                "overhead_min_ns": 16, "tsc_invariant": True}),
        "noise_floor": fill("noise_floor", dict(
            ops=ops // EVERY, every=EVERY, wall_ns=round(times[-1] * 0.99), coverage=0.99,
            **{k: v for k, v in dist([20 + (i % 7) for i in range(ops // EVERY - 1)] + [900 + rep * 100]).items()},
            max_ns_quiet=800, instrument_overhead_ns=27)),
        "host": fill("host", {"steal_ms": sum(steal), "steal_source": "fixture",
                              "windows_with_steal": sum(1 for x in steal if x)}),
        "memory": fill("memory", {
            "peak_bytes": peak, "final_bytes": mem[-1],
            "allocations": final_entries + 100 if spec.map in NODE_MAPS else 100, "deallocations": 90,
            "bytes_per_entry_final": summary["bytes_per_entry_final"],
            "bytes_per_entry_mean": summary["bytes_per_entry_mean"], "peak_to_final": summary["peak_to_final"],
            "over_doubling": [], "rss_baseline_bytes": rss_base,
            "rss_final_bytes": rss_base + mem[-1] + round(rss_extra * final_entries),
            "rss_peak_bytes": rss_base + peak + round(rss_extra * final_entries),
            "rss_delta_bytes": mem[-1] + round(rss_extra * final_entries)}),
        "resizes": resizes, "events": events, "events_truncated": False,
        "top_k": [fill("top_k_entry", {"op": i, "ns": lat[i], "window": i // window, "steal_ms": steal[i // window]})
                  for i in top],
        "maintenance": {"enabled": spec.map == "redis_dual", "interval_ms": 100, "budget_us": 1000,
                        "calls": 0, "total_ns": 0, "max_ns": 0},
        "map_counters": counters,
        "resize_counters": {"grows_started": len(resizes), "migrating": bool(resizes and resizes[-1]["end_op"] is None
                                                                             and spec.map in INCREMENTAL),
                            "old_arrays_freed": sum(1 for r in resizes if r["end_op"] is not None)},
        "by_op": by_op_of(lat, kinds, migrating),
        "files": files,
    }
    if spec.mode == "open":
        summary.update(response=dist(resp), rate=rate,
                       late_ops=sum(1 for r, x in zip(resp, lat) if r - x > 1e9 / rate))
        files["response_hgrm"] = run_id + ".response.hgrm"
        write_hgrm(os.path.join(out, files["response_hgrm"]), resp)
        order = sorted(range(ops), key=lambda i: -resp[i])[:TOP_K]
        data["top_k_response"] = [fill("top_k_entry", {"op": i, "ns": round(resp[i]), "window": i // window,
                                                       "steal_ms": steal[i // window]}) for i in order]
    if is_peer:
        data["peer"] = dict(PEERS[spec.map])
        if spec.map == "redis_server":   # the server's own slowest commands: the frees at completion
            done = [r for r in resizes if r["end_op"] is not None]
            data["peer"]["server_top_k"] = sorted(
                [{"op": r["end_op"], "ns": 20 * r["entries_at_start"]} for r in done[-3:]]
                + [{"op": 7 + k, "ns": 500 + k} for k in range(3)], key=lambda t: -t["ns"])
    summary_obj = fill("summary", {k: v for k, v in summary.items() if k in SCHEMA["summary"]})
    for k in SCHEMA["summary_open"]:
        if k in summary:
            summary_obj[k] = summary[k]
    data["summary"] = summary_obj
    data = {k: data[k] for k in list(SCHEMA["run_top"]) + ["top_k_response", "peer"] if k in data}
    write_hgrm(os.path.join(out, files["service_hgrm"]), lat)
    with open(os.path.join(out, files["timeline_csv"]), "w") as f:
        f.write(",".join(SCHEMA["timeline_columns"]) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
    with open(os.path.join(out, run_id + ".json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))
    return data


def fill_row(values):
    cols = SCHEMA["timeline_columns"]
    assert set(values) == set(cols), set(values) ^ set(cols)
    return [values[c] for c in cols]


# ---- aggregate.json: an independent coding of the rule in results/README.md -------------

def _numbers(data):
    out = {}
    for section in ("summary", "noise_floor", "memory", "host"):
        for k, v in (data.get(section) or {}).items():
            if type(v) in (int, float):
                out[f"{section}.{k}"] = v
            elif section == "summary" and k == "response":
                out.update({f"summary.response.{rk}": rv for rk, rv in v.items() if type(rv) in (int, float)})
    return out


def _ci(values):
    n = len(values)
    if n < 5:
        return None, None, None
    s = sorted(values)
    total = 2 ** n
    chosen = None
    for l in range(1, n // 2 + 1):
        inside = sum(math.comb(n, i) for i in range(l, n - l + 1))
        if inside / total >= 0.95:
            chosen = (s[l - 1], s[n - l], inside / total)
    if chosen is None:
        inside = sum(math.comb(n, i) for i in range(1, n))
        chosen = (s[0], s[-1], inside / total)
    return chosen


def aggregate_of(runs_by_group, reps):
    groups = {}
    for key in sorted(runs_by_group):
        runs = sorted(runs_by_group[key], key=lambda d: d["summary"]["rep"])
        per = [_numbers(d) for d in runs]
        names = []
        for p in per:
            names += [k for k in p if k not in names]
        fields = {}
        for name in names:
            vals = [p[name] for p in per if name in p]
            lo, hi, cov = _ci(vals)
            fields[name] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                            "reps": len(vals), "values": vals, "ci_lo": lo, "ci_hi": hi, "ci_coverage": cov}
        s = runs[0]["summary"]
        groups[key] = fill("aggregate_group", {
            "map": s["map"], "workload": s["workload"], "key": s["key"], "value_bytes": s["value_bytes"],
            "mode": s["mode"], "n": s["n"], "alloc": s["alloc"],
            "go_gc": runs[0]["config"]["go_gc"], "reps": len(runs),
            "run_ids": [d["run_id"] for d in runs], "fields": fields})
    return fill("aggregate", {"schema": SCHEMA["aggregate_schema"], "reps": reps,
                              "ci_method": "order statistics (fixture)", "groups": groups})


# ---- result sets -----------------------------------------------------------------------

ADAPTERS = ("std_unordered", "boost_flat")
INCREMENTAL_VARIANTS = ("go_incremental", "redis_dual", "overflow_slab")


def plan(maps):
    """Every configuration of the fixture suite, shaped like the paper suite at 1/1000 of its
    sizes (N stands for 20M and 10M, N/4 for 4M, N/16 for 1M)."""
    m = [x for x in maps]
    house = [x for x in m if x in IN_HOUSE]
    plain = [x for x in m if x not in PEERS]
    out = [Spec("insert_growth", x) for x in m]                                     # headline, peers too
    out += [Spec("insert_growth", "go_runtime", gc="off")] if "go_runtime" in m else []
    scaled = [x for x in plain if x in ("full_rehash", "go_incremental", "redis_dual", "go_swiss", "linear_hashing",
                                         "boost_flat")]
    for n in (N // 4, N // 16):                                                     # scaling
        out += [Spec("insert_growth", x, n=n) for x in scaled]
    out += [Spec("insert_growth", x, alloc="system") for x in house]                # allocation modes
    if "redis_server" in m:                                                         # Redis fidelity at N/4
        out += [Spec("insert_growth", "redis_server", n=N // 4)]
        out += [Spec("insert_growth", "redis_dual", alloc="system", n=N // 4)]
    out = [s for s in out if not (s.map == "redis_server" and s.n == N)]
    core = [x for x in plain if x in ("full_rehash", "boost_flat") + INCREMENTAL_VARIANTS]
    for v in (64, 256):
        out += [Spec("insert_growth", x, value=v) for x in core]
    out += [Spec("insert_growth", x, mode="open") for x in core]
    sweep = [x for x in plain if x in ("full_rehash", "go_incremental", "redis_dual", "boost_flat")]
    for load in (0.5, 0.9):
        out += [Spec("insert_growth", x, mode="open", load=load) for x in sweep]
    out += [Spec("grow_read", x) for x in core + [y for y in plain if y == "paced_flat"]]
    keyed = [x for x in plain if x in ("full_rehash", "boost_flat") + INCREMENTAL_VARIANTS]
    for key in ("str16", "str64"):
        out += [Spec("insert_growth", x, key=key) for x in keyed]
    for wl in ("mixed", "churn"):
        out += [Spec(wl, x) for x in plain if x in ("full_rehash", "go_incremental", "boost_flat")]
    out += [Spec("shrink", x) for x in plain]
    return out


def write_set(name, maps, reps=REPS, suite="paper", failed=(), not_run_reps=(), stop_after=None, only=None):
    """failed: (workload, mode, value, map) of specs whose rep-0 run failed; not_run_reps:
    repetitions never started (after stop_after runs of the first of them, the suite was
    interrupted); only: keep the specs whose (workload, mode, value) is listed."""
    out = os.path.join(HERE, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    specs = [sp for sp in plan(maps) if only is None or (sp.workload, sp.mode, sp.value) in only]
    if only is not None:   # the small sets: headline-like configurations only
        specs = [sp for sp in specs if sp.n == N and sp.load is None and sp.key == "u64" and sp.alloc == "fresh"
                 and sp.gc == "on"]
    order_rng = random.Random(ORDER_SEED)
    runs, results, by_group, checks = [], [], {}, {}
    started_in_stopped_rep = 0
    for rep in range(reps):
        # Repetition-major; the map order shuffled per repetition.
        shuffled = list(maps)
        order_rng.shuffle(shuffled)
        rep_specs = sorted(specs, key=lambda sp: (sp.workload, sp.mode, sp.key, sp.value, sp.n, str(sp.load),
                                                   sp.alloc, sp.gc, shuffled.index(sp.map)))
        for spec in rep_specs:
            rid = spec.run_id(rep, reps)
            entry = {"run_id": rid, "group": spec.run_id(0, 1), "map": spec.map, "workload": spec.workload,
                     "key": spec.key, "value_bytes": spec.value, "mode": spec.mode, "n": spec.n,
                     "alloc": spec.alloc_value(), "rep": rep}
            if rep in not_run_reps and started_in_stopped_rep >= (stop_after or 0):
                runs.append(fill("manifest_run", dict(entry, status="not_run")))
                continue
            if rep in not_run_reps:
                started_in_stopped_rep += 1
            if rep == 0 and (spec.workload, spec.mode, spec.value, spec.map) in failed:
                runs.append(fill("manifest_run", dict(entry, status="failed", exit_status=1, seconds=0.2)))
                continue
            data = write_run(out, spec, rep, reps, suite)
            results.append(data)
            by_group.setdefault(entry["group"], []).append(data)
            g = checks.setdefault(checksum_group(spec, rep), {"sums": set(), "maps": [], "runs": 0})
            g["sums"].add(data["summary"]["checksum"])
            g["runs"] += 1
            if spec.map not in g["maps"]:
                g["maps"].append(spec.map)
            runs.append(fill("manifest_run", dict(entry, status="ok", result=rid + ".json", exit_status=0,
                                                  seconds=0.1, steal_ms=data["host"]["steal_ms"])))
    status = "interrupted" if not_run_reps else "complete"
    manifest = fill("manifest", {
        "schema": SCHEMA["manifest_schema"], "suite": suite, "status": status,
        "started": "2024-01-01T00:00:00Z", "finished": "2024-01-01T00:01:00Z", "wall_seconds": 60,
        "command": ["make_fixtures.py"], "reps": reps, "order_seed": ORDER_SEED, "runs": runs,
        "not_run": [r["run_id"] for r in runs if r["status"] == "not_run"],
        "failed": [r["run_id"] for r in runs if r["status"] == "failed"],
        "checksums": {k: fill("manifest_checksum_group", {"agree": len(v["sums"]) == 1, "maps": sorted(v["maps"]),
                                                          "runs": v["runs"]})
                      for k, v in sorted(checks.items())}})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    with open(os.path.join(out, "aggregate.json"), "w") as f:
        json.dump(aggregate_of(by_group, reps), f, separators=(",", ":"))
    return out


def main():
    maps = ["full_rehash", "go_incremental", "redis_dual", "overflow_slab", "go_swiss", "linear_hashing", "paced_flat",
            "std_unordered", "boost_flat", "go_runtime", "redis_server"]
    write_set("fixture_ok", maps)
    write_set("fixture_partial", ["full_rehash", "go_incremental", "redis_dual"],
              failed=[("insert_growth", "closed", 8, "redis_dual")], not_run_reps=(2,), stop_after=3,
              only=[("insert_growth", "closed", 8), ("insert_growth", "open", 8), ("shrink", "closed", 8)])
    bad = write_set("fixture_malformed", ["full_rehash"], reps=1, only=[("insert_growth", "closed", 8)])
    path = os.path.join(bad, f"insert_growth.u64.v8.closed.full_rehash.n{N}.json")
    with open(path) as f:
        data = json.load(f)
    del data["summary"]["max_ns"]
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
