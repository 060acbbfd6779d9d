#!/usr/bin/python3
"""Validates a rehashlab results directory against results/schema.json and the rules of
results/README.md.

Usage: validate_results.py DIR   -> prints every problem, exit 1 if any, 0 if valid, 2 usage.

Field names and types come from results/schema.json (through results_io), never
restated here. On top of the types it checks what a reader relies on: percentile
ordering, top-k consistency (slowest first, top_k[0] is max_ns, each entry's window
and steal match the timeline), the timeline (header, windows covering every
operation, steal columns consistent with summary.quiet_windows / max_ns_quiet and
host.windows_with_steal), the .hgrm files (header, 100% row, footer total), the
manifest (lists, groups, repetitions, run-id suffixes, checksum groups) and
aggregate.json (recomputed from the runs by scripts/aggregate.py and compared).
Timelines listed in timelines_downsampled.json (results/reference keeps them short)
are checked for coverage, not for one row per window. Standard library only.
"""

import csv
import json
import os
import sys

import aggregate
import results_io

PCT = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns"]
ALLOCS = ("fresh", "system", "naive", None)
PEER_MAPS = ("go_runtime", "redis_server")
DOWNSAMPLED = "timelines_downsampled.json"


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, what):
        self.items.append("%s: %s" % (where, what))

    def types(self, where, obj, spec_name, prefix=""):
        """Adds the schema type problems of obj; reports whether there were none."""
        found = results_io.type_problems(obj, results_io.schema()[spec_name], prefix)
        for f in found:
            self.add(where, f)
        return not found


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_percentiles(p, where, obj):
    if not all(num(obj.get(k)) for k in PCT + ["min_ns", "mean_ns"]):
        return
    seq = [obj[k] for k in PCT]
    if any(a > b for a, b in zip(seq, seq[1:])):
        p.add(where, "percentiles not non-decreasing: %s" % seq)
    if obj["min_ns"] > obj["p50_ns"]:
        p.add(where, "min_ns > p50_ns")
    if not (obj["min_ns"] <= obj["mean_ns"] <= obj["max_ns"]):
        p.add(where, "mean_ns outside [min_ns, max_ns]")


def check_hgrm(p, path, total, max_ns):
    where = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        p.add(where, "cannot read: %s" % e)
        return
    if not lines or lines[0].split() != ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]:
        p.add(where, "bad header line %r" % (lines[0] if lines else ""))
        return
    try:
        points = results_io.read_hgrm(path, expect_total=total)
    except results_io.ResultsError as e:
        p.add(where, e.problem)
        return
    if total > 0:
        value, pct, count = points[-1]
        if pct != 1.0 or count != total:
            p.add(where, "last data line must be the 100%% line with total count %d" % total)
        elif abs(value - max_ns) > 0.5:
            p.add(where, "100%% value %s != max_ns %s" % (value, max_ns))


def check_timeline(p, path, run, downsampled):
    """Problems of one timeline; returns the rows (or None)."""
    where = os.path.basename(path)
    try:
        rows = results_io.read_timeline(path)
    except results_io.ResultsError as e:
        p.add(where, e.problem)
        return None
    s = run["summary"]
    open_loop = s["mode"] == "open"
    total, seen_max, last_window = 0, 0, -1
    for i, r in enumerate(rows):
        if r["first_op"] != total:
            p.add(where, "row %d: first_op %s, expected %d (windows must cover the run in order)" % (i + 1, r["first_op"], total))
            return None
        if (r["window"] != i) if not downsampled else (r["window"] <= last_window):
            p.add(where, "row %d: window/first_op out of sequence" % (i + 1))
            return None
        last_window = r["window"]
        total += r["ops"]
        seen_max = max(seen_max, r["max_ns"])
        if r["p99_ns"] > r["max_ns"]:
            p.add(where, "row %d: p99_ns > max_ns" % (i + 1))
        if r["migrating"] not in (0, 1):
            p.add(where, "row %d: migrating must be 0/1" % (i + 1))
        if r["peak_bytes"] < r["live_bytes"]:
            p.add(where, "row %d: peak_bytes < live_bytes" % (i + 1))
        if open_loop != (r["resp_max_ns"] is not None):
            p.add(where, "row %d: resp columns must be %s" % (i + 1, "set" if open_loop else "empty"))
    if total != s["ops"]:
        p.add(where, "windows cover %d ops, summary says %d" % (total, s["ops"]))
    if s["ops"] > 0 and seen_max != s["max_ns"]:
        p.add(where, "max over windows %s != summary max_ns %s" % (seen_max, s["max_ns"]))
    if downsampled:
        return rows
    if s["windows"] != len(rows):
        p.add(where, "%d rows, summary.windows says %d" % (len(rows), s["windows"]))
    steals = [r["steal_ms"] for r in rows]
    if all(x is not None for x in steals):
        quiet = [r["max_ns"] for r in rows if r["steal_ms"] == 0]
        if s["quiet_windows"] != len(quiet):
            p.add(where, "%d windows without steal, summary.quiet_windows says %d" % (len(quiet), s["quiet_windows"]))
        if s["max_ns_quiet"] != (max(quiet) if quiet else None):
            p.add(where, "summary.max_ns_quiet %s != largest max_ns of the windows without steal %s"
                  % (s["max_ns_quiet"], max(quiet) if quiet else None))
        wws = run["host"]["windows_with_steal"]
        if wws is not None and wws != sum(1 for x in steals if x > 0):
            p.add(where, "host.windows_with_steal %s != windows with steal_ms > 0 (%d)"
                  % (wws, sum(1 for x in steals if x > 0)))
    return rows


def check_top_k(p, where, run, name, rows, downsampled):
    s = run["summary"]
    tops = run[name]
    if not all(isinstance(t, dict) and num(t.get("ns")) for t in tops):
        return
    best = s["max_ns"] if name == "top_k" else s.get("response", {}).get("max_ns")
    if s["ops"] > 0 and (not tops or tops[0]["ns"] != best):
        p.add(where, "%s[0].ns must equal the %s max_ns" % (name, "service" if name == "top_k" else "response"))
    if any(a["ns"] < b["ns"] for a, b in zip(tops, tops[1:])):
        p.add(where, "%s not slowest first" % name)
    window = run["config"]["window"]
    by_window = {r["window"]: r for r in rows or []}
    for i, t in enumerate(tops):
        if not (isinstance(t.get("op"), int) and isinstance(t.get("window"), int)):
            continue
        if t["op"] >= max(1, s["ops"]):
            p.add(where, "%s[%d].op beyond the run" % (name, i))
        if window > 0 and t["window"] != t["op"] // window:
            p.add(where, "%s[%d].window %d is not op // config.window" % (name, i, t["window"]))
        row = by_window.get(t["window"])
        if row is not None and not downsampled and row["steal_ms"] != t["steal_ms"]:
            p.add(where, "%s[%d].steal_ms %s != the timeline's %s for window %d"
                  % (name, i, t["steal_ms"], row["steal_ms"], t["window"]))


def check_run(p, directory, name, downsampled=False):
    path = os.path.join(directory, name)
    where = name
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
    except (OSError, ValueError) as e:
        p.add(where, "cannot parse: %s" % e)
        return None
    sc = results_io.schema()
    if not p.types(where, run, "run_top"):
        return None
    if run["schema"] != sc["run_schema"]:
        p.add(where, "schema must be %s" % sc["run_schema"])
    s = run["summary"]
    summary_ok = p.types(where, s, "summary", "summary.")
    check_percentiles(p, where + " summary", s)
    if not summary_ok:
        return None
    if s["mode"] not in ("closed", "open"):
        p.add(where, "mode must be closed or open")
    open_loop = s["mode"] == "open"
    if open_loop:
        if not p.types(where, run, "run_top_open") or not p.types(where, s, "summary_open", "summary."):
            return None
        if p.types(where, s["response"], "percentiles", "summary.response."):
            check_percentiles(p, where + " summary.response", s["response"])
            if s["response"]["max_ns"] < s["max_ns"]:
                p.add(where, "response max < service max")
        if s["ops_per_sec_uninstrumented"] is not None:
            p.add(where, "summary.ops_per_sec_uninstrumented must be null in open loop")
    else:
        if "response" in s:
            p.add(where, "closed loop summary must not have 'response'")
        if s["ops_per_sec_uninstrumented"] is None and s["ops"] > 0:
            p.add(where, "summary.ops_per_sec_uninstrumented missing in a closed-loop run")
    if s["ops"] > 0 and s["max_ns"] <= 0:
        p.add(where, "summary.max_ns must be > 0 in a run with operations")
    if s["max_ns_quiet"] is not None and s["max_ns_quiet"] > s["max_ns"]:
        p.add(where, "summary.max_ns_quiet > max_ns")
    if s["quiet_windows"] > s["windows"]:
        p.add(where, "summary.quiet_windows > windows")
    if s["final_entries"] > 0 and s["bytes_per_entry_final"] is not None:
        if abs(s["bytes_per_entry_final"] * s["final_entries"] - s["final_bytes"]) > 1e-6 * max(1, s["final_bytes"]):
            p.add(where, "bytes_per_entry_final != final_bytes / final_entries")
    if s["peak_bytes"] < s["final_bytes"]:
        p.add(where, "peak_bytes < final_bytes")
    if len(s["checksum"]) != 18 or not s["checksum"].startswith("0x"):
        p.add(where, "checksum must be 0x + 16 hex digits")
    if s["alloc"] not in ALLOCS:
        p.add(where, "summary.alloc must be fresh, system, naive or null")
    for section in ("config", "provenance", "timer", "host", "memory"):
        p.types(where, run[section], section, section + ".")
    cfg = run["config"]
    if isinstance(cfg, dict):
        if cfg.get("rep") != s["rep"] or cfg.get("alloc") != s["alloc"]:
            p.add(where, "config.rep/alloc differ from summary.rep/alloc")
        reps = cfg.get("reps")
        suffix = ".rep%d" % s["rep"]
        if isinstance(reps, int):
            if not 0 <= s["rep"] < reps:
                p.add(where, "summary.rep %s outside 0..config.reps-1" % s["rep"])
            if (reps > 1) != run["run_id"].endswith(suffix):
                p.add(where, "run_id must end in %s exactly when config.reps > 1" % suffix)
            if s["rep"] == 0 and (cfg.get("seed") != cfg.get("base_seed") or
                                  cfg.get("hash_seed") != cfg.get("base_hash_seed")):
                p.add(where, "repetition 0 must use the base seeds")
        if cfg.get("go_gc") not in ("on", "off", None):
            p.add(where, "config.go_gc must be on, off or null")
        if (cfg.get("go_gc") == "off") != (".gcoff" in run["run_id"]):
            p.add(where, "run_id has .gcoff exactly when config.go_gc is off")
        if s["alloc"] in ("system", "naive") and "." + s["alloc"] not in run["run_id"]:
            p.add(where, "run_id must carry .%s" % s["alloc"])
    host = run["host"]
    if isinstance(host, dict):
        steal = host.get("steal_ms")
        if steal is not None and (not num(steal) or steal < 0):
            p.add(where, "host.steal_ms must be a number >= 0 or null")
    floor = run["noise_floor"]
    if floor is None:
        if isinstance(cfg, dict) and cfg.get("noise_ops"):
            p.add(where, "noise_floor is null but config.noise_ops is %s" % cfg.get("noise_ops"))
    elif p.types(where, floor, "noise_floor", "noise_floor."):
        check_percentiles(p, where + " noise_floor", floor)
        if floor["every"] <= 0 or floor["ops"] <= 0:
            p.add(where, "noise_floor.every and .ops must be > 0")
        if not 0 <= floor["coverage"] <= 1.05:
            p.add(where, "noise_floor.coverage %s outside [0, 1]" % floor["coverage"])
    if s["map"] in PEER_MAPS or "peer" in run:
        if p.types(where, run, "run_top_peer"):
            peer = run["peer"]
            if not isinstance(peer, dict) or not all(isinstance(peer.get(k), str) for k in ("kind", "version")):
                p.add(where, "peer must be an object with string kind and version")
    for i, r in enumerate(run["resizes"]):
        if p.types("%s resizes[%d]" % (where, i), r, "resize"):
            if r["migration_max_ns"] > s["max_ns"]:
                p.add(where, "resizes[%d] migration_max_ns > max_ns" % i)
            if r["end_op"] is not None and r["end_op"] < r["start_op"]:
                p.add(where, "resizes[%d] end_op < start_op" % i)
            if r["end_op"] is None and r["end_op_ns"] is not None:
                p.add(where, "resizes[%d] end_op_ns set for an unfinished migration" % i)
    for i, e in enumerate(run["events"]):
        if p.types("%s events[%d]" % (where, i), e, "event"):
            if e["kind"] not in sc["event_kinds"]:
                p.add(where, "events[%d] unknown kind %r" % (i, e["kind"]))
            if e["op"] >= max(1, s["ops"]):
                p.add(where, "events[%d] op beyond the run" % i)
    for name_k in ("top_k",) + (("top_k_response",) if open_loop else ()):
        for i, t in enumerate(run[name_k]):
            p.types("%s %s[%d]" % (where, name_k, i), t, "top_k_entry")
    files = run["files"]
    rows = None
    if all(isinstance(files.get(k), (str, type(None))) for k in ("service_hgrm", "response_hgrm", "timeline_csv")) \
            and "service_hgrm" in files and "timeline_csv" in files:
        check_hgrm(p, os.path.join(directory, files["service_hgrm"]), s["ops"], s["max_ns"])
        if open_loop:
            if files.get("response_hgrm") is None:
                p.add(where, "open loop needs files.response_hgrm")
            else:
                check_hgrm(p, os.path.join(directory, files["response_hgrm"]), s["ops"], s["response"]["max_ns"])
        elif files.get("response_hgrm") is not None:
            p.add(where, "closed loop files.response_hgrm must be null")
        rows = check_timeline(p, os.path.join(directory, files["timeline_csv"]), run, downsampled)
    else:
        p.add(where + " files", "needs service_hgrm, response_hgrm (null in closed loop) and timeline_csv")
    check_top_k(p, where, run, "top_k", rows, downsampled)
    if open_loop:
        check_top_k(p, where, run, "top_k_response", rows, downsampled)
    return run


def validate(directory):
    p = Problems()
    mpath = os.path.join(directory, "manifest.json")
    try:
        with open(mpath, encoding="utf-8") as f:
            man = json.load(f)
    except (OSError, ValueError) as e:
        p.add("manifest.json", "cannot parse: %s" % e)
        return p.items
    try:
        sc = results_io.schema()
    except results_io.ResultsError as e:
        return [str(e)]
    if not p.types("manifest.json", man, "manifest"):
        return p.items
    if man["schema"] != sc["manifest_schema"]:
        p.add("manifest.json", "schema must be %s" % sc["manifest_schema"])
    if man["status"] not in ("running", "complete", "interrupted", "failed"):
        p.add("manifest.json", "bad status %r" % man["status"])
    downsampled = {}
    ds_path = os.path.join(directory, DOWNSAMPLED)
    if os.path.isfile(ds_path):
        try:
            with open(ds_path, encoding="utf-8") as f:
                downsampled = json.load(f).get("runs", {})
        except (OSError, ValueError, AttributeError) as e:
            p.add(DOWNSAMPLED, "cannot parse: %s" % e)
    not_run, failed, ok_ids = [], [], set()
    for i, r in enumerate(man["runs"]):
        if not p.types("manifest.json runs[%d]" % i, r, "manifest_run"):
            continue
        if r["group"] != results_io.group_of(r["run_id"]):
            p.add("manifest.json", "runs[%d] group must be the run_id without .rep<i>" % i)
        if not 0 <= r["rep"] < max(1, man["reps"]):
            p.add("manifest.json", "runs[%d] rep outside 0..reps-1" % i)
        if r["status"] == "ok":
            if r["result"] != r["run_id"] + ".json":
                p.add("manifest.json", "runs[%d] result must be run_id.json" % i)
                continue
            ok_ids.add(r["run_id"])
            run = check_run(p, directory, r["result"], r["run_id"] in downsampled)
            if run is not None and isinstance(run.get("summary"), dict):
                s = run["summary"]
                for k in ("map", "workload", "mode", "n", "key", "value_bytes", "alloc", "rep"):
                    if s.get(k) != r[k]:
                        p.add(r["result"], "summary %s=%r but manifest says %r" % (k, s.get(k), r[k]))
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
    for group, g in man["checksums"].items():
        if not p.types("manifest.json checksums.%s" % group, g, "manifest_checksum_group"):
            continue
        if g["agree"] is not True:
            p.add("manifest.json", "maps disagree on the checksum of %s (a map returned a wrong result)" % group)
        if not group.rsplit(".", 1)[-1].startswith("rep"):
            p.add("manifest.json", "checksum group %s must end in .rep<i>" % group)
    agg_path = os.path.join(directory, "aggregate.json")
    if not os.path.isfile(agg_path):
        p.add("aggregate.json", "missing (every results directory has one)")
    elif ok_ids and not p.items:
        try:
            rs = results_io.load(directory, quiet=True, eager=False)
            for d in aggregate.differences(aggregate.aggregate(rs), rs.aggregate):
                p.add("aggregate.json", d)
        except results_io.ResultsError as e:
            p.add("aggregate.json", str(e))
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
