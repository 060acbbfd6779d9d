#!/usr/bin/env python3
"""Aggregates over repetitions: recomputes aggregate.json (rehashlab-aggregate/1) from
the run files of a results directory, by the same rule as the harness, and compares
it with the one the harness wrote.

    aggregate.py RESULTS_DIR                 print the differences from RESULTS_DIR/aggregate.json
    aggregate.py RESULTS_DIR --write=FILE    write the recomputed aggregate

For every group (a configuration's repetitions: the run id without ".rep<i>") and
every numeric, non-bool field under summary (summary.response.* included),
noise_floor, memory (scalars only) and host: median (the mean of the two middle
values for an even count), min, max, reps (how many repetitions have a number
there; null values are left out) and values (those numbers, in repetition order).

Confidence interval of the median, for reps >= 5 (null below): the order-statistic
interval [x_(l), x_(n+1-l)] -- distribution-free: the median lies in it with
probability 1 - 2 P(Bin(n, 1/2) <= l-1) -- with the largest l (the narrowest such
interval) whose coverage is >= 0.95; if even l = 1 falls short (n = 5: 0.9375), the
interval is [min, max] with its actual coverage. ci_coverage is that probability.

Exit status: 0 same (or --write done), 1 differences, 2 malformed results.
Standard library only.
"""

import argparse
import json
import math
import os
import sys
from fractions import Fraction

import results_io

CI_LEVEL = 0.95
CI_MIN_REPS = 5
CI_METHOD = ("order statistics: narrowest [x_(l), x_(n+1-l)] with coverage >= 0.95 "
             "(distribution-free, binomial), else [min, max] with its coverage; null below 5 reps")
SECTIONS = ("summary", "noise_floor", "memory", "host")


def coverage(n, l):
    """P(x_(l) <= median <= x_(n+1-l)) for n samples of a continuous distribution."""
    tail = sum(Fraction(math.comb(n, i), 2 ** n) for i in range(l))
    return float(1 - 2 * tail)


def median_ci(values, level=CI_LEVEL):
    """(lo, hi, coverage) of the median, or (None, None, None) below CI_MIN_REPS values."""
    n = len(values)
    if n < CI_MIN_REPS:
        return None, None, None
    xs = sorted(values)
    best = None
    for l in range(1, (n + 1) // 2 + 1):
        if n + 1 - l < l:
            break
        if coverage(n, l) >= level:
            best = l
        else:
            break
    l = best or 1
    return xs[l - 1], xs[n - l], coverage(n, l)


def stat(values):
    """One aggregate_stat object over values (in repetition order)."""
    lo, hi, cov = median_ci(values)
    return {"median": results_io.median(values), "min": min(values), "max": max(values), "reps": len(values),
            "values": list(values), "ci_lo": lo, "ci_hi": hi, "ci_coverage": cov}


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def numeric_fields(run):
    """{'section.field': number} of one run: numeric non-bool scalars of summary
    (and summary.response), noise_floor, memory and host."""
    out = {}
    for section in SECTIONS:
        obj = run.data.get(section)
        if not isinstance(obj, dict):
            continue
        for k, v in obj.items():
            if _is_number(v):
                out[f"{section}.{k}"] = v
            elif section == "summary" and k == "response" and isinstance(v, dict):
                for rk, rv in v.items():
                    if _is_number(rv):
                        out[f"summary.response.{rk}"] = rv
    return out


def group_aggregate(group):
    per_run = [numeric_fields(r) for r in group.runs]
    names = []
    for fields in per_run:
        for k in fields:
            if k not in names:
                names.append(k)
    fields = {}
    for name in names:
        vals = [f[name] for f in per_run if name in f]
        fields[name] = stat(vals)
    s = group.first.summary
    return {"map": s["map"], "workload": s["workload"], "key": s["key"], "value_bytes": s["value_bytes"],
            "mode": s["mode"], "n": s["n"], "alloc": s["alloc"], "reps": group.reps, "run_ids": group.run_ids,
            "fields": fields}


def aggregate(rs):
    """The aggregate.json object for a loaded ResultSet."""
    return {"schema": results_io.schema()["aggregate_schema"], "reps": rs.reps, "ci_method": CI_METHOD,
            "groups": {k: group_aggregate(g) for k, g in sorted(rs.groups.items())}}


def _close(a, b, rel):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and \
            all(_close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def differences(mine, theirs, rel=1e-9):
    """Where two aggregates disagree, as readable lines (empty: they agree). 'mine' is
    the recomputed one; ci_method's wording is not compared."""
    out = []
    if mine["reps"] != theirs.get("reps"):
        out.append(f"reps: {mine['reps']} recomputed, {theirs.get('reps')} written")
    tg = theirs.get("groups", {})
    for gname in sorted(set(mine["groups"]) | set(tg)):
        if gname not in tg:
            out.append(f"{gname}: group missing from the written aggregate")
            continue
        if gname not in mine["groups"]:
            out.append(f"{gname}: group in the written aggregate but no such runs")
            continue
        a, b = mine["groups"][gname], tg[gname]
        for k in ("map", "workload", "key", "value_bytes", "mode", "n", "alloc", "reps", "run_ids"):
            if a[k] != b.get(k):
                out.append(f"{gname}.{k}: {a[k]!r} recomputed, {b.get(k)!r} written")
        fa, fb = a["fields"], b.get("fields", {})
        for f in sorted(set(fa) | set(fb)):
            if f not in fb:
                out.append(f"{gname}: field {f} missing from the written aggregate")
            elif f not in fa:
                out.append(f"{gname}: field {f} written but not numeric in the runs")
            else:
                for k in ("median", "min", "max", "reps", "values", "ci_lo", "ci_hi", "ci_coverage"):
                    if not _close(fa[f][k], fb[f].get(k), rel):
                        out.append(f"{gname}: {f}.{k} {fa[f][k]!r} recomputed, {fb[f].get(k)!r} written")
    return out


def write_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--write", metavar="FILE", help="write the recomputed aggregate here")
    args = ap.parse_args(argv)

    def run():
        rs = results_io.load(args.results, quiet=True)
        mine = aggregate(rs)
        if args.write:
            write_json(args.write, mine)
            print(args.write)
            return 0
        if rs.aggregate is None:
            raise results_io.ResultsError(os.path.join(args.results, "aggregate.json"), "does not exist")
        diffs = differences(mine, rs.aggregate)
        for d in diffs:
            print(d)
        print(f"{len(diffs)} differences between the recomputed and the written aggregate "
              f"({len(mine['groups'])} groups)")
        return 1 if diffs else 0

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
