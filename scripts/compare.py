#!/usr/bin/env python3
"""Compares two result sets (e.g. a fresh run against results/reference/).

    compare.py BASE NEW [--baseline-map=full_rehash] [--time-tolerance=0.5]
                        [--bytes-tolerance=0.05] [--match=exact|largest]

Absolute times are not comparable across machines, so time metrics (latency
percentiles, max, throughput) are compared as ratios between maps WITHIN each
run set: for every map m and run configuration, r = metric(m) / metric(baseline
map), and the report shows r in BASE, r in NEW, and NEW/BASE. Memory and
write-amplification metrics are exact byte counts that do not depend on the
machine, so they are compared directly. A row is flagged (!) when NEW/BASE lies
outside [1/(1+tol), 1+tol].

Runs are matched by (workload, key, value size, mode, n) with --match=exact (the
default; falls back to largest when nothing matches), or by (workload, key, value
size, mode) at the largest n of each set with --match=largest (a quick run against
the paper reference). Exit 0: nothing flagged; 1: something flagged; 2: bad input.
Standard library only.
"""

import argparse
import math
import sys

import results_io
from results_io import warn

# (label, getter, kind): kind "time" = compared as a ratio to the baseline map;
# "higher" marks metrics where larger is better (throughput) -- only for the report.
TIME_METRICS = [
    ("p99", lambda s: s["p99_ns"]),
    ("p99.9", lambda s: s["p999_ns"]),
    ("p99.99", lambda s: s["p9999_ns"]),
    ("max", lambda s: s["max_ns"]),
    ("mean", lambda s: s["mean_ns"]),
    ("ops/s", lambda s: s["ops_per_sec"]),
    ("resp p99.9", lambda s: (s.get("response") or {}).get("p999_ns")),
    ("resp max", lambda s: (s.get("response") or {}).get("max_ns")),
]
BYTES_METRICS = [
    ("B/entry mean", lambda s: s["bytes_per_entry_mean"]),
    ("B/entry final", lambda s: s["bytes_per_entry_final"]),
    ("peak/final", lambda s: s["peak_bytes"] / s["final_bytes"] if s["final_bytes"] else None),
    ("write ampl.", lambda s: s["write_amplification"]),
]


def config_key(run, with_n=True):
    """The run_id without its map (and without n): workload.key.vV.mode[.nN][.variant].
    Built from run_id so that variants the summary does not separate (mixed
    .zipf/.unif) stay apart."""
    parts = run.run_id.split(".")
    if len(parts) < 6 or parts[4] != run.map:
        parts = [run.workload, run.key, f"v{run.value_bytes}", run.mode, run.map, f"n{run.n}"]
    del parts[4]
    if not with_n:
        del parts[4]
    return tuple(parts)


def group(rs, match):
    """{config: {map: summary}}; with match=largest only the largest n of each config."""
    out, best_n = {}, {}
    for r in rs.runs:
        k = config_key(r, with_n=False)
        best_n[k] = max(best_n.get(k, 0), r.n)
    for r in rs.runs:
        if match == "largest" and r.n != best_n[config_key(r, with_n=False)]:
            continue
        k = config_key(r, with_n=(match == "exact"))
        out.setdefault(k, {})[r.map] = r.summary
    return out


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def outside(change, tol):
    if change is None:
        return False
    if change <= 0:
        return True
    return abs(math.log(change)) > math.log1p(tol)


def compare(base, new, baseline_map="full_rehash", time_tol=0.5, bytes_tol=0.05, match="exact"):
    """Returns (rows, notes). A row: dict(config, map, metric, base, new, change, flagged, kind)."""
    notes = []
    gb, gn = group(base, match), group(new, match)
    if match == "exact" and not set(gb) & set(gn):
        notes.append("no configuration with the same n in both sets; matching at the largest n of each")
        match = "largest"
        gb, gn = group(base, match), group(new, match)
    rows = []
    for cfg in sorted(set(gb) | set(gn), key=str):
        if cfg not in gb or cfg not in gn:
            notes.append(f"{'.'.join(map(str, cfg))}: only in {'BASE' if cfg in gb else 'NEW'}")
            continue
        b_maps, n_maps = gb[cfg], gn[cfg]
        for m in sorted(set(b_maps) ^ set(n_maps)):
            notes.append(f"{'.'.join(map(str, cfg))}: map {m} only in {'BASE' if m in b_maps else 'NEW'}")
        common = [m for m in b_maps if m in n_maps]
        have_base = baseline_map in b_maps and baseline_map in n_maps
        if not have_base:
            notes.append(f"{'.'.join(map(str, cfg))}: baseline map {baseline_map} missing; time metrics skipped")
        for m in common:
            if have_base and m != baseline_map:
                for label, get in TIME_METRICS:
                    rb = _ratio(get(b_maps[m]), get(b_maps[baseline_map]))
                    rn = _ratio(get(n_maps[m]), get(n_maps[baseline_map]))
                    if rb is None and rn is None:
                        continue
                    change = _ratio(rn, rb)
                    rows.append(dict(config=cfg, map=m, metric=f"{label} / {baseline_map}", base=rb, new=rn,
                                     change=change, flagged=change is None or outside(change, time_tol),
                                     kind="time"))
            for label, get in BYTES_METRICS:
                vb, vn = get(b_maps[m]), get(n_maps[m])
                if vb is None and vn is None:
                    continue
                if vb == 0 and vn == 0:
                    change = 1.0
                else:
                    change = _ratio(vn, vb)
                rows.append(dict(config=cfg, map=m, metric=label, base=vb, new=vn, change=change,
                                 flagged=change is None or outside(change, bytes_tol), kind="bytes"))
    return rows, notes


def _f(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.3e}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base")
    ap.add_argument("new")
    ap.add_argument("--baseline-map", default="full_rehash")
    ap.add_argument("--time-tolerance", type=float, default=0.5,
                    help="relative tolerance for ratios of time metrics (default 0.5 = +-50%%)")
    ap.add_argument("--bytes-tolerance", type=float, default=0.05,
                    help="relative tolerance for byte metrics (default 0.05)")
    ap.add_argument("--match", choices=["exact", "largest"], default="exact")
    ap.add_argument("--flagged-only", action="store_true", help="print only flagged rows")
    args = ap.parse_args(argv)
    if args.time_tolerance < 0 or args.bytes_tolerance < 0:
        print("error: tolerances must be >= 0", file=sys.stderr)
        return 2

    def run():
        base = results_io.load(args.base, quiet=True)
        new = results_io.load(args.new, quiet=True)
        rows, notes = compare(base, new, args.baseline_map, args.time_tolerance, args.bytes_tolerance, args.match)
        for note in notes:
            warn(note)
        print(f"BASE = {args.base}   NEW = {args.new}   (time metrics: ratio to {args.baseline_map} within each set)")
        print(f"{'':2}{'configuration':38} {'map':16} {'metric':28} {'BASE':>10} {'NEW':>10} {'NEW/BASE':>9}")
        flagged = 0
        for r in rows:
            flagged += r["flagged"]
            if args.flagged_only and not r["flagged"]:
                continue
            cfg = ".".join(map(str, r["config"]))
            print(f"{'! ' if r['flagged'] else '  '}{cfg:38} {r['map']:16} {r['metric']:28} "
                  f"{_f(r['base']):>10} {_f(r['new']):>10} {_f(r['change']):>9}")
        print(f"{flagged} of {len(rows)} compared metrics outside tolerance "
              f"(time {args.time_tolerance:g}, bytes {args.bytes_tolerance:g})")
        if not rows:
            print("error: nothing to compare (no common configuration and map)", file=sys.stderr)
            return 2
        return 1 if flagged else 0

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
