#!/usr/bin/python3
"""Validates a rehashlab results directory against results/README.md.

Usage: validate_results.py DIR   -> prints every problem, exit 1 if any, 0 if valid.
Standard library only. Checks the manifest, every completed run's JSON (field names
and types, percentile ordering, top-k consistency), and the files it points to (the
.hgrm percentile distributions and the timeline CSV).
"""

import csv
import json
import math
import os
import sys

NUM = (int, float)
NUM_OR_NULL = (int, float, type(None))
PCT = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns", "min_ns", "mean_ns"]
SUMMARY = {
    "map": (str,), "workload": (str,), "n": (int,), "mode": (str,), "key": (str,),
    "value_bytes": (int,), "ops": (int,), "ops_per_sec": NUM_OR_NULL,
    "peak_bytes": (int,), "final_bytes": (int,), "final_entries": (int,),
    "bytes_per_entry_final": NUM_OR_NULL, "bytes_per_entry_mean": NUM_OR_NULL,
    "peak_to_final": NUM_OR_NULL, "payload_bytes_moved": (int,),
    "payload_bytes_inserted": (int,), "write_amplification": NUM_OR_NULL,
    "measured_payload_bytes_moved": (int,), "timer_overhead_ns": NUM,
    "instrument_overhead_ns": NUM, "checksum": (str,), "seconds": NUM,
}
for p in PCT:
    SUMMARY[p] = NUM
TOP = ["schema", "run_id", "summary", "config", "provenance", "timer", "noise_floor", "memory",
       "resizes", "events", "events_truncated", "top_k", "maintenance", "map_counters",
       "resize_counters", "files"]
PROVENANCE = ["git_commit", "git_dirty", "git_source", "compiler", "compilation_mode", "build_flags",
              "cpu_model", "cores", "kernel", "date", "argv"]
TIMER = ["source", "ticks_per_ns", "calibration_ms", "overhead_ns", "overhead_min_ns", "tsc_invariant"]
MEMORY = ["peak_bytes", "final_bytes", "allocations", "deallocations", "bytes_per_entry_final",
          "bytes_per_entry_mean", "peak_to_final", "over_doubling", "over_doubling_mean",
          "rss_baseline_bytes", "rss_final_bytes", "rss_peak_bytes", "rss_delta_bytes"]
CONFIG = ["workload", "key", "value_bytes", "mode", "n", "ops", "load_ops", "rate", "seed", "hash_seed", "alloc",
          "window", "top_k", "noise_ops", "read_pct", "update_pct", "insert_pct", "distribution", "theta",
          "trace"]
RESIZE = ["start_op", "start_op_ns", "end_op", "migration_ops", "migration_total_ns", "migration_max_ns",
          "entries_at_start", "live_bytes_at_start"]
TIMELINE = ["window", "first_op", "ops", "end_ns", "max_ns", "p99_ns", "live_bytes", "entries", "migrating",
            "resp_max_ns", "resp_p99_ns"]
MANIFEST = ["schema", "suite", "status", "started", "finished", "wall_seconds", "command", "runs", "not_run",
            "failed", "checksums_agree"]
MANIFEST_RUN = ["run_id", "map", "workload", "key", "value_bytes", "mode", "n", "status", "result",
                "exit_status", "seconds"]


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, what):
        self.items.append("%s: %s" % (where, what))

    def need(self, where, obj, keys):
        if not isinstance(obj, dict):
            self.add(where, "expected an object")
            return False
        ok = True
        for k in keys:
            if k not in obj:
                self.add(where, "missing field '%s'" % k)
                ok = False
        return ok


def is_type(v, types):
    if isinstance(v, bool) and bool not in types:
        return False
    return isinstance(v, types)


def check_percentiles(p, where, obj):
    for k in PCT:
        if k not in obj:
            p.add(where, "missing '%s'" % k)
            return
        if not is_type(obj[k], NUM):
            p.add(where, "'%s' is not a number" % k)
            return
    seq = [obj[k] for k in ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns"]]
    if any(a > b for a, b in zip(seq, seq[1:])):
        p.add(where, "percentiles not non-decreasing: %s" % seq)
    if obj["min_ns"] > obj["p50_ns"]:
        p.add(where, "min_ns > p50_ns")
    if not (obj["min_ns"] <= obj["mean_ns"] <= obj["max_ns"]):
        p.add(where, "mean_ns outside [min_ns, max_ns]")


def check_hgrm(p, path, total, max_ns):
    where = os.path.basename(path)
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except OSError as e:
        p.add(where, "cannot read: %s" % e)
        return
    if not lines or lines[0].split() != ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]:
        p.add(where, "bad header line %r" % (lines[0] if lines else ""))
        return
    data = [l for l in lines[2:] if l and not l.startswith("#")]
    footer = [l for l in lines if l.startswith("#[")]
    if len(footer) != 3:
        p.add(where, "expected 3 footer lines, got %d" % len(footer))
    last = (-1.0, -1.0, -1)
    for l in data:
        f = l.split()
        if len(f) not in (3, 4):
            p.add(where, "bad data line %r" % l)
            return
        v, pc, c = float(f[0]), float(f[1]), int(f[2])
        if v < last[0] or pc < last[1] or c < last[2]:
            p.add(where, "data not non-decreasing at %r" % l)
            return
        last = (v, pc, c)
    if total > 0:
        if not data or data[-1].split()[1] != "1.000000000000" or int(data[-1].split()[2]) != total:
            p.add(where, "last data line must be the 100%% line with total count %d" % total)
        elif abs(float(data[-1].split()[0]) - max_ns) > 0.5:
            p.add(where, "100%% value %s != max_ns %s" % (data[-1].split()[0], max_ns))
    tc = [l for l in footer if "Total count" in l]
    if tc and int(tc[0].rstrip("]").split("=")[-1]) != total:
        p.add(where, "footer total count != %d" % total)


def check_timeline(p, path, ops, open_loop, max_ns):
    where = os.path.basename(path)
    try:
        with open(path) as f:
            rows = list(csv.reader(f))
    except OSError as e:
        p.add(where, "cannot read: %s" % e)
        return
    if not rows or rows[0] != TIMELINE:
        p.add(where, "header must be %s" % ",".join(TIMELINE))
        return
    total = 0
    seen_max = 0
    for i, r in enumerate(rows[1:]):
        if len(r) != len(TIMELINE):
            p.add(where, "row %d has %d columns" % (i + 1, len(r)))
            return
        if int(r[0]) != i or int(r[1]) != total:
            p.add(where, "row %d: window/first_op out of sequence" % (i + 1))
            return
        total += int(r[2])
        seen_max = max(seen_max, int(r[4]))
        if int(r[5]) > int(r[4]):
            p.add(where, "row %d: p99_ns > max_ns" % (i + 1))
        if r[8] not in ("0", "1"):
            p.add(where, "row %d: migrating must be 0/1" % (i + 1))
        if open_loop != (r[9] != ""):
            p.add(where, "row %d: resp columns must be %s" % (i + 1, "set" if open_loop else "empty"))
    if total != ops:
        p.add(where, "windows cover %d ops, summary says %d" % (total, ops))
    if ops > 0 and seen_max != max_ns:
        p.add(where, "max over windows %d != summary max_ns %d" % (seen_max, max_ns))


def check_run(p, directory, name):
    path = os.path.join(directory, name)
    where = name
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError) as e:
        p.add(where, "cannot parse: %s" % e)
        return None
    if not p.need(where, run, TOP):
        return None
    if run["schema"] != "rehashlab-run/1":
        p.add(where, "schema must be rehashlab-run/1")
    s = run["summary"]
    for k, types in SUMMARY.items():
        if k not in s:
            p.add(where, "summary missing '%s'" % k)
        elif not is_type(s[k], types):
            p.add(where, "summary '%s' has type %s" % (k, type(s[k]).__name__))
    check_percentiles(p, where + " summary", s)
    if any(k not in s for k in ("mode", "ops", "max_ns", "final_entries", "final_bytes", "peak_bytes", "checksum",
                                  "bytes_per_entry_final")):
        return None
    if s["mode"] not in ("closed", "open"):
        p.add(where, "mode must be closed or open")
    open_loop = s["mode"] == "open"
    if open_loop:
        if not isinstance(s.get("response"), dict):
            p.add(where, "open loop summary needs a 'response' object")
        else:
            check_percentiles(p, where + " summary.response", s["response"])
            if s["response"].get("max_ns", 0) < s["max_ns"]:
                p.add(where, "response max < service max")
        if not is_type(s.get("rate"), NUM) or not is_type(s.get("late_ops"), (int,)):
            p.add(where, "open loop summary needs rate and late_ops")
    elif "response" in s:
        p.add(where, "closed loop summary must not have 'response'")
    if s["final_entries"] > 0 and s["bytes_per_entry_final"] is not None:
        if abs(s["bytes_per_entry_final"] * s["final_entries"] - s["final_bytes"]) > 1e-6 * max(1, s["final_bytes"]):
            p.add(where, "bytes_per_entry_final != final_bytes / final_entries")
    if s["peak_bytes"] < s["final_bytes"]:
        p.add(where, "peak_bytes < final_bytes")
    if len(s["checksum"]) != 18 or not s["checksum"].startswith("0x"):
        p.add(where, "checksum must be 0x + 16 hex digits")
    p.need(where + " config", run["config"], CONFIG)
    p.need(where + " provenance", run["provenance"], PROVENANCE)
    p.need(where + " timer", run["timer"], TIMER)
    if p.need(where + " noise_floor", run["noise_floor"], ["ops", "instrument_overhead_ns"]):
        check_percentiles(p, where + " noise_floor", run["noise_floor"])
    # "host" was added after the first recorded results; those stay valid without it.
    if "host" in run and p.need(where + " host", run["host"], ["steal_ms"]):
        steal = run["host"]["steal_ms"]
        if steal is not None and (not is_type(steal, NUM) or steal < 0):
            p.add(where, "host.steal_ms must be a number >= 0 or null")
    p.need(where + " memory", run["memory"], MEMORY)
    for i, r in enumerate(run["resizes"]):
        if p.need("%s resizes[%d]" % (where, i), r, RESIZE):
            if r["migration_max_ns"] > s["max_ns"]:
                p.add(where, "resizes[%d] migration_max_ns > max_ns" % i)
    for i, e in enumerate(run["events"]):
        if p.need("%s events[%d]" % (where, i), e, ["op", "kind", "time_ns"]):
            if e["kind"] not in ("grow_start", "migration_end", "old_array_freed"):
                p.add(where, "events[%d] unknown kind %r" % (i, e["kind"]))
            if e["op"] >= max(1, s["ops"]):
                p.add(where, "events[%d] op beyond the run" % i)
    tops = run["top_k"]
    if s["ops"] > 0:
        if not tops or tops[0].get("ns") != s["max_ns"]:
            p.add(where, "top_k[0].ns must equal max_ns")
        if any(a["ns"] < b["ns"] for a, b in zip(tops, tops[1:])):
            p.add(where, "top_k not slowest first")
    if open_loop and "top_k_response" not in run:
        p.add(where, "open loop needs top_k_response")
    p.need(where + " maintenance", run["maintenance"], ["enabled", "interval_ms", "budget_us", "calls", "total_ns", "max_ns"])
    files = run["files"]
    if p.need(where + " files", files, ["service_hgrm", "response_hgrm", "timeline_csv"]):
        check_hgrm(p, os.path.join(directory, files["service_hgrm"]), s["ops"], s["max_ns"])
        if open_loop:
            if files["response_hgrm"] is None:
                p.add(where, "open loop needs files.response_hgrm")
            else:
                check_hgrm(p, os.path.join(directory, files["response_hgrm"]), s["ops"],
                           s.get("response", {}).get("max_ns", -1))
        elif files["response_hgrm"] is not None:
            p.add(where, "closed loop files.response_hgrm must be null")
        check_timeline(p, os.path.join(directory, files["timeline_csv"]), s["ops"], open_loop, s["max_ns"])
    return run


def validate(directory):
    p = Problems()
    mpath = os.path.join(directory, "manifest.json")
    try:
        with open(mpath) as f:
            man = json.load(f)
    except (OSError, ValueError) as e:
        p.add("manifest.json", "cannot parse: %s" % e)
        return p.items
    if not p.need("manifest.json", man, MANIFEST):
        return p.items
    if man["schema"] != "rehashlab-manifest/1":
        p.add("manifest.json", "schema must be rehashlab-manifest/1")
    if man["status"] not in ("running", "complete", "interrupted", "failed"):
        p.add("manifest.json", "bad status %r" % man["status"])
    not_run, failed = [], []
    for i, r in enumerate(man["runs"]):
        if not p.need("manifest.json runs[%d]" % i, r, MANIFEST_RUN):
            continue
        if r["status"] == "ok":
            if r["result"] != r["run_id"] + ".json":
                p.add("manifest.json", "runs[%d] result must be run_id.json" % i)
            run = check_run(p, directory, r["result"])
            if run is not None:
                s = run["summary"]
                for k in ("map", "workload", "mode", "n", "key", "value_bytes"):
                    if s[k] != r[k]:
                        p.add(r["result"], "summary %s=%r but manifest says %r" % (k, s[k], r[k]))
        elif r["status"] == "not_run":
            not_run.append(r["run_id"])
        elif r["status"] == "failed":
            failed.append(r["run_id"])
        else:
            p.add("manifest.json", "runs[%d] bad status %r" % (i, r["status"]))
    if sorted(not_run) != sorted(man["not_run"]):
        p.add("manifest.json", "not_run list disagrees with runs")
    if sorted(failed) != sorted(man["failed"]):
        p.add("manifest.json", "failed list disagrees with runs")
    if man["status"] == "complete" and (not_run or failed):
        p.add("manifest.json", "status complete but runs missing")
    for group, agree in man["checksums_agree"].items():
        if agree is not True:
            p.add("manifest.json", "maps disagree on the checksum of %s (a map returned a wrong result)" % group)
    return p.items


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: validate_results.py RESULTS_DIR\n")
        return 2
    problems = validate(argv[1])
    for x in problems:
        print("INVALID " + x)
    if not problems:
        print("valid: %s" % argv[1])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
