#!/usr/bin/env python3
"""Compares two result sets (e.g. a fresh run against results/reference/), like with like.

    compare.py BASE NEW [--baseline-map=full_rehash] [--time-tolerance=0.5]
                        [--bytes-tolerance=0.05] [--flagged-only]

Only like is compared with like: a group of BASE is compared with the group of NEW
that has the same key -- workload, key type, value size, mode, map, n, allocation
(and the mixed workload's distribution, the Go peer's GC setting): the run id
without ".rep<i>". Groups without a counterpart are counted and listed, never
matched to something else. Where a group has repetitions, its MEDIAN is compared.

Absolute times are not comparable across machines, so time metrics (latency
percentiles, max, uninstrumented throughput) are compared as ratios between maps
WITHIN each set: for every map m of a configuration, r = metric(m) / metric(baseline
map), and the report shows r in BASE, r in NEW, and NEW/BASE. Memory and
write-amplification metrics are byte counts that do not depend on the machine, so
they are compared directly. A row is flagged (!) when NEW/BASE lies outside
[1/(1+tol), 1+tol].

Exit 0: nothing flagged; 1: something flagged; 2: bad input, or nothing in common.
Standard library only.
"""

import argparse
import math
import sys

import results_io
from results_io import warn


def _resp(field):
    return lambda s: (s.get("response") or {}).get(field)


TIME_METRICS = [
    ("p99", lambda s: s["p99_ns"]),
    ("p99.9", lambda s: s["p999_ns"]),
    ("p99.99", lambda s: s["p9999_ns"]),
    ("max", lambda s: s["max_ns"]),
    ("max quiet", lambda s: s["max_ns_quiet"]),
    ("mean", lambda s: s["mean_ns"]),
    ("Mops/s uninstr.", lambda s: s["ops_per_sec_uninstrumented"]),
    ("resp p99.9", _resp("p999_ns")),
    ("resp max", _resp("max_ns")),
]
BYTES_METRICS = [
    ("B/entry mean", lambda s: s["bytes_per_entry_mean"]),
    ("B/entry final", lambda s: s["bytes_per_entry_final"]),
    ("peak/final", lambda s: s["peak_bytes"] / s["final_bytes"] if s["final_bytes"] else None),
    ("write ampl.", lambda s: s["write_amplification"]),
]


def config_of(group):
    """The group key without its map: what maps are compared within."""
    parts = group.key.split(".")
    if len(parts) > 4 and parts[4] == group.map:
        del parts[4]
    return ".".join(parts)


def _median_of(group, get):
    return group.median(lambda r: get(r.summary))


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


def compare(base, new, baseline_map="full_rehash", time_tol=0.5, bytes_tol=0.05):
    """(rows, notes, unmatched): a row is dict(config, map, metric, base, new, change,
    flagged, kind); unmatched = (groups only in BASE, groups only in NEW)."""
    gb = {k: g for k, g in base.groups.items()}
    gn = {k: g for k, g in new.groups.items()}
    only_base = sorted(set(gb) - set(gn))
    only_new = sorted(set(gn) - set(gb))
    notes = []
    if only_base or only_new:
        notes.append(f"{len(only_base)} group(s) of BASE and {len(only_new)} of NEW have no counterpart "
                     "(same workload, key, value, mode, map, n, allocation) and are not compared")
    common = sorted(set(gb) & set(gn))
    by_config = {}
    for k in common:
        by_config.setdefault(config_of(gb[k]), {})[gb[k].map] = (gb[k], gn[k])
    rows = []
    for cfg in sorted(by_config):
        pairs = by_config[cfg]
        have_base = baseline_map in pairs
        if not have_base:
            notes.append(f"{cfg}: baseline map {baseline_map} not in both sets; time metrics skipped")
        for m in sorted(pairs):
            b, n = pairs[m]
            if b.reps != n.reps:
                notes.append(f"{cfg} {m}: {b.reps} repetition(s) in BASE, {n.reps} in NEW (medians compared)")
            if have_base and m != baseline_map:
                bb, nb = pairs[baseline_map]
                for label, get in TIME_METRICS:
                    rb = _ratio(_median_of(b, get), _median_of(bb, get))
                    rn = _ratio(_median_of(n, get), _median_of(nb, get))
                    if rb is None and rn is None:
                        continue
                    change = _ratio(rn, rb)
                    rows.append(dict(config=cfg, map=m, metric=f"{label} / {baseline_map}", base=rb, new=rn,
                                     change=change, flagged=change is None or outside(change, time_tol),
                                     kind="time"))
            for label, get in BYTES_METRICS:
                vb, vn = _median_of(b, get), _median_of(n, get)
                if vb is None and vn is None:
                    continue
                change = 1.0 if vb == 0 and vn == 0 else _ratio(vn, vb)
                rows.append(dict(config=cfg, map=m, metric=label, base=vb, new=vn, change=change,
                                 flagged=change is None or outside(change, bytes_tol), kind="bytes"))
    return rows, notes, (only_base, only_new)


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
    ap.add_argument("--flagged-only", action="store_true", help="print only flagged rows")
    ap.add_argument("--list-unmatched", action="store_true", help="name every group without a counterpart")
    args = ap.parse_args(argv)
    if args.time_tolerance < 0 or args.bytes_tolerance < 0:
        print("error: tolerances must be >= 0", file=sys.stderr)
        return 2

    def run():
        base = results_io.load(args.base, quiet=True)
        new = results_io.load(args.new, quiet=True)
        rows, notes, (only_base, only_new) = compare(base, new, args.baseline_map, args.time_tolerance,
                                                     args.bytes_tolerance)
        for note in notes:
            warn(note)
        if args.list_unmatched:
            for k in only_base:
                warn(f"only in BASE: {k}")
            for k in only_new:
                warn(f"only in NEW: {k}")
        print(f"BASE = {args.base} (R = {base.reps})   NEW = {args.new} (R = {new.reps})   "
              f"(medians over repetitions; time metrics: ratio to {args.baseline_map} within each set)")
        print(f"{'':2}{'configuration':38} {'map':16} {'metric':30} {'BASE':>10} {'NEW':>10} {'NEW/BASE':>9}")
        flagged = 0
        for r in rows:
            flagged += r["flagged"]
            if args.flagged_only and not r["flagged"]:
                continue
            print(f"{'! ' if r['flagged'] else '  '}{r['config']:38} {r['map']:16} {r['metric']:30} "
                  f"{_f(r['base']):>10} {_f(r['new']):>10} {_f(r['change']):>9}")
        matched = len(base.groups) - len(only_base)
        runs_b = sum(base.groups[k].reps for k in only_base)
        runs_n = sum(new.groups[k].reps for k in only_new)
        print(f"{flagged} of {len(rows)} compared metrics outside tolerance (time {args.time_tolerance:g}, "
              f"bytes {args.bytes_tolerance:g}); {matched} group(s) compared, "
              f"{len(only_base)} of BASE and {len(only_new)} of NEW without a counterpart "
              f"({runs_b} and {runs_n} runs)")
        if not rows:
            print("error: nothing to compare (no group in both sets)", file=sys.stderr)
            return 2
        return 1 if flagged else 0

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
