#!/usr/bin/env python3
"""Writes the SYNTHETIC fixture results under scripts/testdata/ (committed).

These are hand-modelled results in the schema of results/README.md, NOT
measurements: the harness's `run` verb did not exist yet when the script tests
were written. They are small (n = 2048) and deterministic, and shaped like the
real thing (stop-the-world pauses proportional to the table, incremental
migrations spread over many writes, Redis-style shrink) so that every figure,
macro and claim has something to draw from. Every file says "fixture" in its
provenance (hostname "fixture", git_commit "unknown").

    /usr/bin/python3 scripts/testdata/make_fixtures.py   # rewrites the three sets

  fixture_ok/         complete: 5 maps x (insert_growth closed v8/v64/v256, open v8, shrink)
  fixture_partial/    full_rehash + go_incremental only, with failed and not-run runs
  fixture_malformed/  one run whose summary lacks max_ns
"""

import json
import math
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
N = 2048
WINDOW = 128
RATE = 2_000_000  # open-loop ops/s
MAPS = ["full_rehash", "go_incremental", "redis_dual", "overflow_slab", "std_unordered"]
BUCKET_BYTES = {8: 144, 64: 592, 256: 2128}  # Go bucket: 8 tophash + 8 keys + 8 values + link


def grow_points(map_name):
    """Entry counts at which the map starts a resize, and the migration length in writes."""
    if map_name == "redis_dual":
        return [(2 ** k, 2 ** k) for k in range(2, 12) if 2 ** k < N]
    if map_name == "std_unordered":
        return [(p, 0) for p in (13, 29, 59, 127, 257, 541, 1109) if p < N]
    pts, b = [], 1
    while True:
        at = int(6.5 * 2 ** b) + 1 if b > 0 else 9
        if at >= N:
            return pts
        pts.append((at, 0 if map_name == "full_rehash" else max(2, 2 ** b // 2)))
        b += 1


def live_bytes(map_name, entries, value_bytes, migrating_from=None):
    bb = BUCKET_BYTES[value_bytes]
    if map_name in ("full_rehash", "go_incremental"):
        b = max(0, math.ceil(math.log2(max(1, entries) / 6.5)))
        cur = bb * 2 ** b * 17 // 16
        return cur + (cur // 2 if migrating_from else 0)
    if map_name == "overflow_slab":
        b = max(0, math.ceil(math.log2(max(1, entries) / 6.5)))
        idx = 44 * 2 ** b
        return idx + (idx // 2 if migrating_from else 0) + 4096 + (8 + value_bytes) * entries
    if map_name == "redis_dual":
        size = 4
        while size < entries:
            size *= 2
        return 8 * size + (4 * size if migrating_from else 0) + (16 + 8 + value_bytes) * entries
    buckets = 13
    for p, _ in grow_points(map_name):
        if entries >= p:
            buckets = p * 2 + 1
    return 8 * buckets + (24 + value_bytes) * entries


def insert_growth_ops(map_name, value_bytes, rng):
    """Per-op service times (ns), entries after each op, migrating flag, events, resizes."""
    lat, migrating, events, resizes = [], [], [], []
    grows = dict(grow_points(map_name))
    active_until = -1
    for op in range(N):
        entries = op + 1
        ns = 45 + rng.expovariate(1 / 12) + (value_bytes / 16)
        if rng.random() < 0.002:
            ns += rng.uniform(800, 3000)  # machine noise: interrupts, faults
        if entries in grows:
            length = grows[entries]
            events.append({"op": op, "kind": "grow_start", "time_ns": 0})
            if length == 0:
                pause = (30 + value_bytes / 8) * entries + 400
                ns += pause
                events.append({"op": op, "kind": "migration_end", "time_ns": 0})
                events.append({"op": op, "kind": "old_array_freed", "time_ns": 0})
                resizes.append({"start_op": op, "start_op_ns": ns, "end_op": op, "migration_ops": 1,
                                "migration_total_ns": ns, "migration_max_ns": ns,
                                "entries_at_start": entries - 1,
                                "live_bytes_at_start": live_bytes(map_name, entries - 1, value_bytes)})
            else:
                ns += 350  # allocating the new array's first pages
                active_until = op + length
                resizes.append({"start_op": op, "start_op_ns": ns, "end_op": None,
                                "migration_ops": length, "migration_total_ns": 0, "migration_max_ns": 0,
                                "entries_at_start": entries - 1,
                                "live_bytes_at_start": live_bytes(map_name, entries - 1, value_bytes)})
        if op <= active_until:
            ns += 60 + value_bytes / 4
            if op == active_until:
                events.append({"op": op, "kind": "migration_end", "time_ns": 0})
                events.append({"op": op, "kind": "old_array_freed", "time_ns": 0})
                resizes[-1]["end_op"] = op
        lat.append(ns)
        migrating.append(op < active_until)
    for r in resizes:
        ops = lat[r["start_op"]:(N if r["end_op"] is None else r["end_op"] + 1)]
        r["migration_total_ns"], r["migration_max_ns"] = round(sum(ops)), round(max(ops))
        r["start_op_ns"] = round(r["start_op_ns"])
    entries = list(range(1, N + 1))
    return lat, entries, migrating, events, resizes


def shrink_ops(map_name, rng):
    """Measured phase: erase 99% of N entries, then reads."""
    lat, entries, migrating, events = [], [], [], []
    erase = N - N // 100
    count = N
    for op in range(N):
        ns = 40 + rng.expovariate(1 / 10)
        if op < erase:
            count -= 1
        lat.append(ns)
        entries.append(count)
        migrating.append(False)
    if map_name == "redis_dual":  # maintenance() shrinks once fill < 10%
        at = next(i for i, c in enumerate(entries) if c * 10 < 2048)
        events += [{"op": at, "kind": "grow_start", "time_ns": 0},
                   {"op": at + 50, "kind": "migration_end", "time_ns": 0},
                   {"op": at + 50, "kind": "old_array_freed", "time_ns": 0}]
    return lat, entries, migrating, events


def shrink_bytes(map_name, count, op, events):
    full = live_bytes(map_name, N, 8)
    if map_name == "redis_dual":
        shrunk = events and op >= events[-1]["op"]
        size = 4
        while size < count:
            size *= 2
        return (8 * size if shrunk else 8 * 2048) + 24 * count
    if map_name == "overflow_slab":
        return 44 * 512 + 4096 + 16 * count
    if map_name == "std_unordered":
        return full - 32 * (N - count)
    return full


def percentile(sorted_vals, p):
    if not sorted_vals:
        return 0
    idx = min(len(sorted_vals) - 1, max(0, round(p * len(sorted_vals)) - 1))
    return sorted_vals[idx]


def dist(values):
    s = sorted(values)
    return {"p50_ns": round(percentile(s, .5)), "p90_ns": round(percentile(s, .9)),
            "p99_ns": round(percentile(s, .99)), "p999_ns": round(percentile(s, .999)),
            "p9999_ns": round(percentile(s, .9999)), "max_ns": round(s[-1]), "min_ns": round(s[0]),
            "mean_ns": round(sum(s) / len(s), 3)}


def write_hgrm(path, values):
    s = sorted(values)
    lines = ["       Value     Percentile TotalCount 1/(1-Percentile)", ""]
    p, half = 0.0, 0.5
    ticks = []
    while p < 1.0 - 1e-9 and len(ticks) < 200:
        for i in range(5):
            ticks.append(p + (half - p) * 0 + (1 - p) * 0.5 * i / 5)
        p = 1 - (1 - p) / 2
    ticks = sorted(set(t for t in ticks if t < 1))
    for t in ticks:
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


def window_p99(vals):
    return round(percentile(sorted(vals), .99))


def write_run(out, map_name, workload, mode, value_bytes, seed):
    rng = random.Random(f"{seed}-{map_name}-{workload}-{mode}-{value_bytes}")
    run_id = f"{workload}.u64.v{value_bytes}.{mode}.{map_name}.n{N}"
    if workload == "insert_growth":
        lat, entries, migrating, events, resizes = insert_growth_ops(map_name, value_bytes, rng)
        mem = [live_bytes(map_name, e, value_bytes, m) for e, m in zip(entries, migrating)]
    else:
        lat, entries, migrating, events = shrink_ops(map_name, rng)
        resizes = []
        mem = [shrink_bytes(map_name, c, i, events) for i, c in enumerate(entries)]
    # Open loop: op i is scheduled at i/R; it starts at max(previous end, schedule).
    resp, t_end, times = [], 0.0, []
    for i, ns in enumerate(lat):
        sched = i * 1e9 / RATE
        start = max(sched, t_end) if mode == "open" else t_end
        t_end = start + ns + 15
        times.append(t_end)
        resp.append(t_end - sched)
    for e in events:
        e["time_ns"] = round(times[e["op"]])
    rows = []
    for w, first in enumerate(range(0, N, WINDOW)):
        sl = slice(first, min(N, first + WINDOW))
        last = sl.stop - 1
        rows.append([w, first, sl.stop - first, round(times[last]), round(max(lat[sl])), window_p99(lat[sl]),
                     mem[last], entries[last], int(migrating[last]),
                     round(max(resp[sl])) if mode == "open" else "",
                     window_p99(resp[sl]) if mode == "open" else ""])
    payload = 8 + value_bytes
    inline = map_name in ("full_rehash", "go_incremental")
    moved = sum(r["entries_at_start"] for r in resizes) * payload if inline else 0
    inserted = N * payload if workload == "insert_growth" else N * payload
    d = dist(lat)
    seconds = times[-1] / 1e9
    peak = max(mem + [live_bytes(map_name, N, value_bytes)])
    bpe = [m / e for m, e in zip(mem, entries) if e > 0]
    summary = dict(map=map_name, workload=workload, n=N, mode=mode, key="u64", value_bytes=value_bytes,
                   ops=N, **{k: v for k, v in d.items()}, ops_per_sec=round(N / seconds, 1),
                   peak_bytes=peak, final_bytes=mem[-1], final_entries=entries[-1],
                   bytes_per_entry_final=round(mem[-1] / entries[-1], 3),
                   bytes_per_entry_mean=round(sum(bpe) / len(bpe), 3),
                   peak_to_final=round(peak / mem[-1], 4), payload_bytes_moved=moved,
                   payload_bytes_inserted=inserted, write_amplification=round(moved / inserted, 4),
                   measured_payload_bytes_moved=moved, timer_overhead_ns=18, instrument_overhead_ns=27,
                   checksum="0x00000000000f1x7e".replace("x", "0"), seconds=round(seconds, 6))
    files = {"service_hgrm": run_id + ".service.hgrm", "response_hgrm": None,
             "timeline_csv": run_id + ".timeline.csv"}
    if mode == "open":
        summary["response"] = dist(resp)
        summary["rate"] = RATE
        summary["late_ops"] = sum(1 for r, s in zip(resp, lat) if r - s > 1e9 / RATE)
        files["response_hgrm"] = run_id + ".response.hgrm"
        write_hgrm(os.path.join(out, files["response_hgrm"]), resp)
    write_hgrm(os.path.join(out, files["service_hgrm"]), lat)
    with open(os.path.join(out, files["timeline_csv"]), "w") as f:
        f.write("window,first_op,ops,end_ns,max_ns,p99_ns,live_bytes,entries,migrating,resp_max_ns,resp_p99_ns\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
    top = sorted(range(N), key=lambda i: -lat[i])[:16]
    data = {
        "schema": "rehashlab-run/1", "run_id": run_id, "summary": summary,
        "config": {"workload": workload, "key": "u64", "value_bytes": value_bytes, "mode": mode, "n": N,
                   "ops": N, "load_ops": N if workload == "shrink" else 0,
                   "rate": RATE if mode == "open" else None, "seed": seed, "hash_seed": 7,
                   "window": WINDOW, "top_k": 16, "noise_ops": 4096, "read_pct": 0, "update_pct": 0,
                   "insert_pct": 100, "distribution": "uniform", "theta": 0.99, "trace": None},
        "provenance": {"git_commit": "unknown", "git_dirty": None, "git_source": "unavailable",
                       "compiler": "fixture (hand-modelled, not measured)", "compilation_mode": "opt",
                       "build_flags": ["NDEBUG", "__OPTIMIZE__"], "cpu_model": "fixture CPU", "cores": 2,
                       "kernel": "Linux fixture x86_64", "hostname": "fixture",
                       "date": "2024-01-01T00:00:00Z", "pid": 1, "argv": ["make_fixtures.py"]},
        "timer": {"source": "tsc", "ticks_per_ns": 2.5, "calibration_ms": 50, "overhead_ns": 18,
                  "overhead_min_ns": 16, "tsc_invariant": True},
        "noise_floor": {"ops": 4096, "p50_ns": 20, "p90_ns": 22, "p99_ns": 30, "p999_ns": 60,
                        "p9999_ns": 900, "max_ns": 1500, "mean_ns": 21.5, "instrument_overhead_ns": 27},
        "memory": {"peak_bytes": peak, "final_bytes": mem[-1], "allocations": 100, "deallocations": 90,
                   "bytes_per_entry_final": summary["bytes_per_entry_final"],
                   "bytes_per_entry_mean": summary["bytes_per_entry_mean"],
                   "peak_to_final": summary["peak_to_final"], "over_doubling": [], "over_doubling_mean": None,
                   "rss_baseline_bytes": 0, "rss_final_bytes": 0, "rss_peak_bytes": 0, "rss_delta_bytes": 0},
        "resizes": resizes, "events": events,
        "top_k": [{"op": i, "ns": round(lat[i])} for i in top],
        "maintenance": {"enabled": map_name == "redis_dual", "interval_ms": 100, "budget_us": 1000,
                        "calls": 0, "total_ns": 0, "max_ns": 0},
        "map_counters": {}, "resize_counters": {"grows_started": len(resizes)}, "files": files,
    }
    if mode == "open":
        data["top_k_response"] = [{"op": i, "ns": round(resp[i])} for i in sorted(range(N), key=lambda i: -resp[i])[:16]]
    with open(os.path.join(out, run_id + ".json"), "w") as f:
        json.dump(data, f, separators=(',', ':'))
    return run_id


PLAN = [("insert_growth", "closed", 8), ("insert_growth", "closed", 64), ("insert_growth", "closed", 256),
        ("insert_growth", "open", 8), ("shrink", "closed", 8)]


def write_set(name, maps, plan, extra_failed=(), extra_not_run=()):
    out = os.path.join(HERE, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    runs = []
    for workload, mode, value in plan:
        for m in maps:
            run_id = write_run(out, m, workload, mode, value, seed=42)
            runs.append({"run_id": run_id, "map": m, "workload": workload, "key": "u64", "value_bytes": value,
                         "mode": mode, "n": N, "status": "ok", "result": run_id + ".json",
                         "exit_status": 0, "seconds": 0.1})
    for status, ids in (("failed", extra_failed), ("not_run", extra_not_run)):
        for run_id in ids:
            parts = run_id.split(".")
            runs.append({"run_id": run_id, "map": parts[4], "workload": parts[0], "key": parts[1],
                         "value_bytes": int(parts[2][1:]), "mode": parts[3], "n": N, "status": status,
                         "exit_status": 1 if status == "failed" else None, "seconds": None})
    manifest = {"schema": "rehashlab-manifest/1", "suite": "fixture",
                "status": "interrupted" if extra_not_run else "complete",
                "started": "2024-01-01T00:00:00Z", "finished": "2024-01-01T00:01:00Z", "wall_seconds": 60,
                "command": ["make_fixtures.py"], "runs": runs,
                "not_run": list(extra_not_run), "failed": list(extra_failed),
                "checksums_agree": {f"{w}.u64.v{v}.n{N}": True for w, _, v in plan}}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return out


def main():
    write_set("fixture_ok", MAPS, PLAN)
    write_set("fixture_partial", ["full_rehash", "go_incremental"], PLAN[:1] + PLAN[3:4],
              extra_failed=[f"insert_growth.u64.v8.closed.redis_dual.n{N}"],
              extra_not_run=[f"shrink.u64.v8.closed.full_rehash.n{N}"])
    bad = write_set("fixture_malformed", ["full_rehash"], PLAN[:1])
    path = os.path.join(bad, f"insert_growth.u64.v8.closed.full_rehash.n{N}.json")
    with open(path) as f:
        data = json.load(f)
    del data["summary"]["max_ns"]
    with open(path, "w") as f:
        json.dump(data, f, separators=(',', ':'))


if __name__ == "__main__":
    main()
