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
TOP_K = 8
EVERY = 64            # noise floor: one empty timed op after every EVERY map ops
RATE = 2_000_000      # open-loop ops/s
BASE_SEED, BASE_HASH_SEED, ORDER_SEED = 1, 7, 99
BUCKET_BYTES = {8: 144, 64: 592, 256: 2128}  # Go bucket: 8 tophash + 8 keys + 8 values + link
IN_HOUSE = ("full_rehash", "go_incremental", "redis_dual", "overflow_slab")
PEERS = {"go_runtime": {"kind": "go_runtime", "version": "go1.19 (fixture)"}}


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

def rep_seed(base, rep):
    return base if rep == 0 else (base * 1_000_003 + rep * 7919) % (2 ** 63)


def grow_points(map_name):
    """Entry counts at which the map starts a resize, and the migration length in writes."""
    if map_name == "redis_dual":
        return [(2 ** k, 2 ** k) for k in range(2, 15) if 2 ** k < N]
    if map_name == "std_unordered":
        return [(p, 0) for p in (13, 29, 59, 127, 257, 541, 1109, 2357, 5087, 10273) if p < N]
    pts, b = [], 1
    while True:
        at = int(6.5 * 2 ** b) + 1 if b > 0 else 9
        if at >= N:
            return pts
        pts.append((at, 0 if map_name == "full_rehash" else max(2, 2 ** b // 2)))
        b += 1


def inline(map_name):
    return map_name in ("full_rehash", "go_incremental", "go_runtime")


def live_bytes(map_name, entries, value_bytes, migrating=False):
    bb = BUCKET_BYTES[value_bytes]
    if inline(map_name):
        b = max(0, math.ceil(math.log2(max(1, entries) / 6.5)))
        cur = bb * 2 ** b * 17 // 16
        return cur + (cur // 2 if migrating else 0)
    if map_name == "overflow_slab":
        b = max(0, math.ceil(math.log2(max(1, entries) / 6.5)))
        idx = 44 * 2 ** b
        return idx + (idx // 2 if migrating else 0) + 4096 + (8 + value_bytes) * entries
    if map_name == "redis_dual":
        size = 4
        while size < entries:
            size *= 2
        return 8 * size + (4 * size if migrating else 0) + (16 + 8 + value_bytes) * entries
    buckets = 13
    for p, _ in grow_points(map_name):
        if entries >= p:
            buckets = p * 2 + 1
    return 8 * buckets + (24 + value_bytes) * entries


def window_steal(rng, windows):
    """Host steal per window (ms): most windows none, some 10-30 ms."""
    return [rng.choice([10, 20, 30]) if rng.random() < 0.25 else 0 for _ in range(windows)]


def insert_growth_ops(map_name, value_bytes, alloc, rng, steal):
    """Per-op service times (ns), entries after each op, migrating flag, events, resizes."""
    lat, migrating, events, resizes = [], [], [], []
    grows = dict(grow_points(map_name))
    active_until = -1
    spikes = {w * WINDOW + rng.randrange(WINDOW) for w, s in enumerate(steal) if s}
    for op in range(N):
        entries = op + 1
        ns = 45 + rng.expovariate(1 / 12) + value_bytes / 16
        if rng.random() < 0.002:
            ns += rng.uniform(300, 1200)    # machine noise: interrupts, faults
        if op in spikes:
            ns += rng.uniform(1500, 2500)   # an op the host preempted
        if entries in grows:
            length = grows[entries]
            events.append({"op": op, "kind": "grow_start", "time_ns": 0})
            if alloc == "naive":
                ns += 60 * entries          # memset of the new array when the grow starts
            if length == 0:
                ns += (1000 + value_bytes) * entries + 400
                events.append({"op": op, "kind": "migration_end", "time_ns": 0})
                events.append({"op": op, "kind": "old_array_freed", "time_ns": 0})
                resizes.append({"start_op": op, "end_op": op, "migration_ops": 1, "entries_at_start": entries - 1})
            else:
                ns += 350                   # first pages of the new array
                active_until = op + length
                resizes.append({"start_op": op, "end_op": None, "migration_ops": length,
                                "entries_at_start": entries - 1})
        if op <= active_until:
            ns += 60 + value_bytes / 4
            if op == active_until:
                if alloc == "naive":
                    ns += 20 * entries      # the old array freed at once
                events.append({"op": op, "kind": "migration_end", "time_ns": 0})
                events.append({"op": op, "kind": "old_array_freed", "time_ns": 0})
                resizes[-1]["end_op"] = op
        lat.append(ns)
        migrating.append(op < active_until)
    return lat, list(range(1, N + 1)), migrating, events, resizes


def shrink_ops(map_name, rng, steal):
    """Measured phase: erase 99% of N entries, then reads."""
    lat, entries, events = [], [], []
    erase = N - N // 100
    count = N
    spikes = {w * WINDOW + rng.randrange(WINDOW) for w, s in enumerate(steal) if s}
    for op in range(N):
        ns = 40 + rng.expovariate(1 / 10) + (rng.uniform(1500, 2500) if op in spikes else 0)
        if op < erase:
            count -= 1
        lat.append(ns)
        entries.append(count)
    if map_name == "redis_dual":  # maintenance() shrinks once fill < 10%
        at = next(i for i, c in enumerate(entries) if c * 10 < N)
        events += [{"op": at, "kind": "grow_start", "time_ns": 0},
                   {"op": at + 50, "kind": "migration_end", "time_ns": 0},
                   {"op": at + 50, "kind": "old_array_freed", "time_ns": 0}]
    return lat, entries, [False] * N, events


def shrink_bytes(map_name, count, op, events):
    full = live_bytes(map_name, N, 8)
    if map_name == "redis_dual":
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
    while p < 1.0 - 1e-9 and len(ticks) < 200:
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


def run_id_of(workload, map_name, mode, value_bytes, alloc, rep, reps):
    rid = f"{workload}.u64.v{value_bytes}.{mode}.{map_name}.n{N}"
    if alloc in ("system", "naive"):
        rid += "." + alloc
    if reps > 1:
        rid += f".rep{rep}"
    return rid


def checksum(workload, value_bytes, rep):
    h = hashlib.sha256(f"{workload}.{value_bytes}.{N}.{rep}".encode()).hexdigest()
    return "0x" + h[:16]


def checksum_group(workload, value_bytes, rep):
    return f"{workload}.u64.v{value_bytes}.n{N}.rep{rep}"


def write_run(out, spec, rep, reps, suite):
    workload, mode, value_bytes, map_name, alloc = spec
    seed, hash_seed = rep_seed(BASE_SEED, rep), rep_seed(BASE_HASH_SEED, rep)
    rng = random.Random(f"{seed}-{map_name}-{workload}-{mode}-{value_bytes}-{alloc}")
    run_id = run_id_of(workload, map_name, mode, value_bytes, alloc, rep, reps)
    windows = N // WINDOW
    steal = window_steal(rng, windows)
    if workload == "insert_growth":
        lat, entries, migrating, events, resizes = insert_growth_ops(map_name, value_bytes, alloc, rng, steal)
        mem = [live_bytes(map_name, e, value_bytes, m) for e, m in zip(entries, migrating)]
    else:
        lat, entries, migrating, events = shrink_ops(map_name, rng, steal)
        resizes = []
        mem = [shrink_bytes(map_name, c, i, events) for i, c in enumerate(entries)]
    # Open loop: op i is scheduled at i/R; it starts at max(previous end, schedule).
    resp, t_end, times = [], 0.0, []
    for i, ns in enumerate(lat):
        sched = i * 1e9 / RATE
        start = max(sched, t_end) if mode == "open" else t_end
        t_end = start + ns + 15 + (1e9 / RATE / 4 if mode == "open" else 0)
        times.append(t_end)
        resp.append(t_end - sched)
    for e in events:
        e["time_ns"] = round(times[e["op"]])
    lat = [round(x) for x in lat]
    rss = 4_000_000 + max(mem)
    rows = []
    for w in range(windows):
        first, last = w * WINDOW, (w + 1) * WINDOW - 1
        sl = lat[first:last + 1]
        rows.append(fill_row({
            "window": w, "first_op": first, "ops": WINDOW, "end_ns": round(times[last]), "max_ns": max(sl),
            "p99_ns": round(percentile(sorted(sl), .99)), "live_bytes": mem[last],
            "peak_bytes": max(mem[first:last + 1]), "rss_bytes": rss, "entries": entries[last],
            "migrating": int(migrating[last]), "steal_ms": steal[w],
            "resp_max_ns": round(max(resp[first:last + 1])) if mode == "open" else "",
            "resp_p99_ns": round(percentile(sorted(resp[first:last + 1]), .99)) if mode == "open" else ""}))
    for r in resizes:
        end = N - 1 if r["end_op"] is None else r["end_op"]
        ops = lat[r["start_op"]:end + 1]
        worst = max(range(r["start_op"], end + 1), key=lambda i: lat[i])
        r.update(start_op_ns=lat[r["start_op"]], migration_total_ns=sum(ops), migration_max_ns=max(ops),
                 migration_max_op=worst,
                 steal_ms=sum(steal[w] for w in range(r["start_op"] // WINDOW, end // WINDOW + 1)),
                 live_bytes_at_start=live_bytes(map_name, r["entries_at_start"], value_bytes),
                 peak_bytes=max(mem[r["start_op"]:end + 1]),
                 end_op_ns=None if r["end_op"] is None else lat[r["end_op"]])
        if r["end_op"] is None:
            r["migration_ops"] = N - r["start_op"]
    resizes = [fill("resize", r) for r in resizes]
    events = [fill("event", e) for e in events]
    payload = 8 + value_bytes
    moved = sum(r["entries_at_start"] for r in resizes) * payload if inline(map_name) else 0
    inserted = N * payload
    d = dist(lat)
    quiet = [max(lat[w * WINDOW:(w + 1) * WINDOW]) for w in range(windows) if not steal[w]]
    seconds = times[-1] / 1e9
    peak = max(mem + [live_bytes(map_name, N, value_bytes)])
    bpe = [m / e for m, e in zip(mem, entries) if e > 0]
    is_peer = map_name in PEERS
    alloc_value = None if (is_peer or map_name == "std_unordered") else alloc
    summary = dict(
        map=map_name, workload=workload, n=N, mode=mode, key="u64", value_bytes=value_bytes, alloc=alloc_value,
        rep=rep, ops=N, **d, max_ns_quiet=max(quiet) if quiet else None,
        quiet_windows=len(quiet), windows=windows, ops_per_sec=round(N / seconds, 1),
        ops_per_sec_uninstrumented=None if mode == "open" else round(N / (seconds - N * 27e-9) * 1.02, 1),
        peak_bytes=peak, final_bytes=mem[-1], final_entries=entries[-1],
        bytes_per_entry_final=mem[-1] / entries[-1], bytes_per_entry_mean=round(sum(bpe) / len(bpe), 3),
        peak_to_final=round(peak / mem[-1], 4), payload_bytes_moved=moved, payload_bytes_inserted=inserted,
        write_amplification=round(moved / inserted, 4), measured_payload_bytes_moved=moved,
        timer_overhead_ns=18, instrument_overhead_ns=27, checksum=checksum(workload, value_bytes, rep),
        seconds=round(seconds, 6))
    files = {"service_hgrm": run_id + ".service.hgrm", "response_hgrm": None,
             "timeline_csv": run_id + ".timeline.csv"}
    top = sorted(range(N), key=lambda i: -lat[i])[:TOP_K]
    data = {
        "schema": SCHEMA["run_schema"], "run_id": run_id,
        "config": fill("config", {
            "workload": workload, "key": "u64", "value_bytes": value_bytes, "mode": mode, "n": N, "ops": N,
            "load_ops": N if workload == "shrink" else 0, "rate": RATE if mode == "open" else None, "rep": rep,
            "reps": reps, "seed": seed, "hash_seed": hash_seed, "base_seed": BASE_SEED,
            "base_hash_seed": BASE_HASH_SEED, "alloc": alloc_value, "go_gc": "on" if map_name == "go_runtime" else None,
            "window": WINDOW, "top_k": TOP_K, "noise_ops": N // EVERY, "read_pct": 0, "update_pct": 0,
            "insert_pct": 100, "distribution": "uniform", "theta": 0.99}),
        "provenance": fill("provenance", {
            "git_commit": "unknown", "git_dirty": None, "git_source": "unavailable",
            "compiler": "fixture (hand-modelled, not measured)", "compilation_mode": "opt",
            "build_flags": ["NDEBUG", "__OPTIMIZE__"], "cpu_model": "fixture CPU", "cores": 2,
            "kernel": "Linux fixture x86_64", "hostname": "fixture", "date": "2024-01-01T00:00:00Z", "pid": 1,
            "argv": ["make_fixtures.py"], "machine": {}}),
        "timer": fill("timer", {"source": "tsc", "ticks_per_ns": 2.5, "calibration_ms": 50, "overhead_ns": 18,
                                "overhead_min_ns": 16, "tsc_invariant": True}),
        "noise_floor": fill("noise_floor", dict(
            ops=N // EVERY, every=EVERY, wall_ns=round(times[-1] * 0.99), coverage=0.99,
            **{k: v for k, v in dist([20 + (i % 7) for i in range(N // EVERY - 1)] + [900 + rep * 100]).items()},
            max_ns_quiet=800, instrument_overhead_ns=27)),
        "host": fill("host", {"steal_ms": sum(steal), "steal_source": "fixture",
                              "windows_with_steal": sum(1 for s in steal if s)}),
        "memory": fill("memory", {
            "peak_bytes": peak, "final_bytes": mem[-1], "allocations": 100, "deallocations": 90,
            "bytes_per_entry_final": summary["bytes_per_entry_final"],
            "bytes_per_entry_mean": summary["bytes_per_entry_mean"], "peak_to_final": summary["peak_to_final"],
            "over_doubling": [], "rss_baseline_bytes": 4_000_000, "rss_final_bytes": rss, "rss_peak_bytes": rss,
            "rss_delta_bytes": rss - 4_000_000}),
        "resizes": resizes, "events": events, "events_truncated": False,
        "top_k": [fill("top_k_entry", {"op": i, "ns": lat[i], "window": i // WINDOW, "steal_ms": steal[i // WINDOW]})
                  for i in top],
        "maintenance": {"enabled": map_name == "redis_dual", "interval_ms": 100, "budget_us": 1000,
                        "calls": 0, "total_ns": 0, "max_ns": 0},
        "map_counters": {}, "resize_counters": {"grows_started": len(resizes)},
        "by_op": {kind: {"steady": fill("by_op_entry", dict(count=N, **dist(lat))), "migrating": None}
                  for kind in (("erase", "find") if workload == "shrink" else ("insert",))},
        "files": files,
    }
    if mode == "open":
        summary.update(response=dist(resp), rate=RATE,
                       late_ops=sum(1 for r, s in zip(resp, lat) if r - s > 1e9 / RATE))
        files["response_hgrm"] = run_id + ".response.hgrm"
        write_hgrm(os.path.join(out, files["response_hgrm"]), resp)
        order = sorted(range(N), key=lambda i: -resp[i])[:TOP_K]
        data["top_k_response"] = [fill("top_k_entry", {"op": i, "ns": round(resp[i]), "window": i // WINDOW,
                                                       "steal_ms": steal[i // WINDOW]}) for i in order]
    if is_peer:
        data["peer"] = PEERS[map_name]
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
            "go_gc": "on" if s["map"] == "go_runtime" else None, "reps": len(runs),
            "run_ids": [d["run_id"] for d in runs], "fields": fields})
    return fill("aggregate", {"schema": SCHEMA["aggregate_schema"], "reps": reps,
                              "ci_method": "order statistics (fixture)", "groups": groups})


# ---- result sets -----------------------------------------------------------------------

def plan(maps):
    """(workload, mode, value, map, alloc) per configuration."""
    out = []
    for m in maps:
        out.append(("insert_growth", "closed", 8, m, "fresh"))
    for v in (64, 256):
        out += [("insert_growth", "closed", v, m, "fresh") for m in maps if m not in PEERS]
    out += [("insert_growth", "open", 8, m, "fresh") for m in maps if m not in PEERS]
    out += [("insert_growth", "closed", 8, m, "naive") for m in maps if m in IN_HOUSE]
    out += [("shrink", "closed", 8, m, "fresh") for m in maps if m not in PEERS]
    return out


def write_set(name, maps, reps=REPS, suite="paper", failed=(), not_run_reps=(), stop_after=None, only=None):
    """failed: specs whose rep-0 run failed; not_run_reps: repetitions never started
    (after stop_after runs of the first of them, the suite was interrupted)."""
    out = os.path.join(HERE, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    specs = [s for s in plan(maps) if only is None or s[:3] in only]
    order_rng = random.Random(ORDER_SEED)
    runs, results, by_group, checks = [], [], {}, {}
    started_in_stopped_rep = 0
    for rep in range(reps):
        # Repetition-major; the map order shuffled per repetition.
        shuffled = list(maps)
        order_rng.shuffle(shuffled)
        rep_specs = sorted(specs, key=lambda s: (s[0], s[1], s[2], s[4], shuffled.index(s[3])))
        for spec in rep_specs:
            workload, mode, value, m, alloc = spec
            rid = run_id_of(workload, m, mode, value, alloc, rep, reps)
            entry = {"run_id": rid, "group": run_id_of(workload, m, mode, value, alloc, 0, 1), "map": m,
                     "workload": workload, "key": "u64", "value_bytes": value, "mode": mode, "n": N,
                     "alloc": None if (m in PEERS or m == "std_unordered") else alloc, "rep": rep}
            if rep in not_run_reps and started_in_stopped_rep >= (stop_after or 0):
                runs.append(fill("manifest_run", dict(entry, status="not_run")))
                continue
            if rep in not_run_reps:
                started_in_stopped_rep += 1
            if rep == 0 and spec in failed:
                runs.append(fill("manifest_run", dict(entry, status="failed", exit_status=1, seconds=0.2)))
                continue
            data = write_run(out, spec, rep, reps, suite)
            results.append(data)
            by_group.setdefault(entry["group"], []).append(data)
            g = checks.setdefault(checksum_group(workload, value, rep), {"sums": set(), "maps": [], "runs": 0})
            g["sums"].add(data["summary"]["checksum"])
            g["runs"] += 1
            if m not in g["maps"]:
                g["maps"].append(m)
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
    maps = ["full_rehash", "go_incremental", "redis_dual", "overflow_slab", "std_unordered", "go_runtime"]
    write_set("fixture_ok", maps)
    write_set("fixture_partial", ["full_rehash", "go_incremental", "redis_dual"],
              failed=[("insert_growth", "closed", 8, "redis_dual", "fresh")], not_run_reps=(2,), stop_after=3,
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
