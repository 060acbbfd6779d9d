#!/usr/bin/env python3
"""Writes the paper's numbers (LaTeX macros) and tables from a results directory.

    paper_data.py RESULTS_DIR [--out=DIR] [--figures=DIR] [--markdown=FILE]

  OUT/macros.tex               \\newcommand per number: per map (e.g. \\GoIncMaxInsertUs)
                               and per run set (provenance, machine, sizes: \\ResCPU ...)
  OUT/table_insert_growth.tex  the headline table (booktabs), median [min-max] per cell
  OUT/table_workloads.tex      every workload and key type: p99 and worst op per map
  OUT/table_open_loop.tex      the open-loop rates: worst response per map and its cause
  OUT/table_fidelity.tex       the largest op of each late grow: real Go / Redis vs variants
  OUT/paths.tex                \\graphicspath to the figures drawn from the same results,
                               relative to OUT/.. (the directory LaTeX runs in)
  MARKDOWN (default RESULTS/figures/tables.md)  the headline table for the README

Over repetitions: every number is the MEDIAN over the repetitions of its
configuration; the headline table prints "median [min-max]" (just the median when
every repetition gave the same number); a ratio between two maps is the ratio of their
medians. Throughput is summary.ops_per_sec_uninstrumented (a second, uninstrumented
pass over the same operations); summary.ops_per_sec includes the instrument's cost and
is not throughput.

Every macro of every map in scripts/style.py is defined, so the paper compiles on
partial results: a number that the results do not contain prints as a bold "n/a"
and is listed as a warning. No number in the paper's prose is typed by hand: sizes,
rates, repetitions, the machine and the lists of maps come from the results too.
Standard library only.
"""

import argparse
import os
import statistics
import sys

import analysis
import results_io
import style
from results_io import warn

NA = r"\textbf{n/a}"
TABLE_MAPS_NOTE = r"\dag: the run ended during a migration, so its final bytes hold both arrays."


def tex_escape(text):
    out = []
    for ch in str(text):
        out.append({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "%": r"\%", "&": r"\&",
                    "#": r"\#", "$": r"\$", "^": r"\^{}", "~": r"\~{}"}.get(ch, ch))
    return "".join(out)


def fmt(x, digits=3):
    """A number for prose: 3 significant digits, thousands grouped with {,}."""
    if x is None:
        return NA
    if isinstance(x, bool):
        return "yes" if x else "no"
    ax = abs(x)
    if ax >= 10 ** digits or (isinstance(x, int) and ax >= 100):
        s = f"{round(x):,}"
    elif ax == 0:
        s = "0"
    else:
        s = f"{x:.{digits}g}"
        if "e" in s:
            s = f"{x:.{digits}f}"
    return s.replace(",", "{,}")


def human_n(n):
    """20000000 -> '20M', 200000 -> '200k' (sizes in prose and tables)."""
    if n is None:
        return NA
    for div, suffix in ((10 ** 6, "M"), (10 ** 3, "k")):
        if n >= div and n % (div // 10) == 0:
            v = n / div
            return (f"{v:g}" if v != int(v) else str(int(v))) + suffix
    return fmt(n)


def words(items):
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = list(items)
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Stat:
    """median, min, max over the repetitions of one number (None: no data)."""

    def __init__(self, values):
        self.values = [v for v in values if v is not None]
        self.median = results_io.median(self.values)
        self.min = min(self.values) if self.values else None
        self.max = max(self.values) if self.values else None

    def spread(self):
        """Reports whether the repetitions gave different numbers."""
        return bool(self.values) and fmt(self.min) != fmt(self.max)


def stat(group, get):
    return Stat(group.values(get) if group else [])


def _div(a, b):
    return None if a is None or not b else a / b


def _counter(run, name):
    """A map counter of the run (map_counters), or None."""
    return (run.data.get("map_counters") or {}).get(name)


def ratio(a, b):
    """A ratio of two Stats: the ratio of their medians."""
    return Stat([_div(a.median, b.median)])


# ---- which runs feed what ---------------------------------------------------------------

def headline(rs):
    """({map: Group}, n): closed-loop insert_growth u64/v8 at its largest n."""
    return rs.largest("insert_growth", "closed")


def go_fidelity_n(rs):
    return max((r.n for r in rs.select(map="go_runtime", go_gc=None)), default=None)


def redis_fidelity_n(rs):
    return max((r.n for r in rs.select(map="redis_server")), default=None)


def system_n(rs):
    return analysis.common_n(rs, analysis.INCREMENTAL, alloc="system")


def group_at(rs, map_name, n, **kw):
    gs = [g for g in rs.select_groups(map=map_name, n=n, **kw)] if n else []
    return gs[0] if gs else None


def scaling_sizes(rs):
    return sorted({r.n for r in rs.select(workload="insert_growth", mode="closed", key="u64", value_bytes=8)})


def sweep_loads(rs):
    return sorted({r.load for r in rs.select(workload="insert_growth", mode="open", load=None, alloc=None, go_gc=None)
                   if r.load is not None})


# ---- per-map numbers ------------------------------------------------------------------------

def _resize_pause(run):
    pauses = [x["migration_max_ns"] for x in run.data["resizes"] if x["migration_max_ns"]]
    return max(pauses) / 1e3 if pauses else None


def _last_migration_ops(run):
    done = [x for x in run.data["resizes"] if x["end_op"] is not None]
    return max(done, key=lambda x: x["entries_at_start"])["migration_ops"] if done else None


def _kept_pct(run):
    rows = run.timeline()
    return 100.0 * run.summary["final_bytes"] / rows[0]["live_bytes"] if rows and rows[0]["live_bytes"] else None


def _octave_median_step(run, which):
    """Median step cost (µs) of the first octave with >= 16 steps ('first') or the last."""
    med = analysis.octave_medians(run)
    if not med:
        return None
    if which == "last":
        return med[max(med)][1] / 1e3
    full = sorted(k for k, (steps, _) in med.items() if steps >= 16)
    return med[full[0]][1] / 1e3 if full else None


def _all_finds_p50(run):
    vals = [analysis.by_op_field(run, "find", s, "p50_ns") for s in ("steady", "migrating")]
    vals = [v for v in vals if v is not None]
    return max(vals) if vals else None


def _summary(g, field, k=1.0):
    return stat(g, lambda r: None if r.summary.get(field) is None else r.summary[field] / k)


def _slope_stat(rs, name):
    """The log-log slope of the largest insert over n, per repetition index present at every n."""
    groups = [group_at(rs, name, n, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
              for n in scaling_sizes(rs)]
    groups = [g for g in groups if g]
    if len(groups) < 2:
        return Stat([])
    reps = min(g.reps for g in groups)
    vals = []
    for rep in range(reps):
        pts = [(g.n, g.by_rep[rep].summary["max_ns"]) for g in groups if rep in g.by_rep]
        vals.append(analysis.loglog_slope(pts))
    return Stat(vals)


METRICS = [
    # closed-loop insert_growth u64/v8 at the headline n
    "MaxInsertUs", "MaxInsertMs", "MaxInsertNs", "MaxQuietUs", "PNineNineNs", "PNineNineNineNs", "PNineNineNineNineNs",
    "MeanNs", "OpsM", "OpsUninstrM", "BytesPerEntryMean", "BytesPerEntryFinal", "PeakBytesPerEntry", "PeakToFinal",
    "RssPerEntry", "RssOverCounted", "Resizes", "LargestResizeOpUs", "LastMigrationOps", "MaxBelowFull",
    "PNineNineOverFull", "FloorMaxUs", "FloorMaxQuietUs", "StealMs", "MigratingInsertPct", "InsertPNineNineSteadyNs",
    "InsertPNineNineMigratingNs", "TopIsStepPct", "FirstOctaveStepUs", "LastOctaveStepUs", "ScalingSlope",
    # paced_flat's bar (against boost_flat, same runs)
    "PNineNineOverBoost", "PNineNineNineOverBoost", "MaxQuietOverFloor", "OpsOverBoost", "BytesOverBoost",
    "FindOverBoost", "QuietMaxOutsideResizesUs", "FloorExposurePct", "MaxQuietOverFlatCeiling", "PrefaultWritePct",
    "PrefaultPagesPerWrite", "ReleaseKiBPerBatch",
    # open loop at the fixed rate
    "OpenRespMaxUs", "OpenRespPNineNineNineUs", "OpenRespPNineNineUs", "OpenServiceMaxUs",
    # write amplification at one n for every value size; shrink
    "WriteAmpEight", "WriteAmpSixtyFour", "WriteAmpTwoFiftySix", "ShrinkKeptPct", "ShrinkPeakMiB", "ShrinkFinalMiB",
    # allocation modes at one n
    "SystemMaxInsertUs", "FreshMaxInsertUsAtSystemN", "SystemOverFresh",
    # lookups during migration (grow_read)
    "FindPFiftySteadyNs", "FindPFiftyMigratingNs", "FindPNineNineSteadyNs", "FindPNineNineMigratingNs",
    # key types
    "StrSixteenMaxInsertUs", "StrSixtyFourMaxInsertUs", "StrSixteenPNineNineNs", "StrSixtyFourPNineNineNs",
    # fidelity
    "MaxInsertUsAtGoN", "GcOffMaxInsertUs", "GcOffMaxInsertMs", "Grows", "LastMigrationOpsAtRedisN",
]
# Numbers every map of the headline runs has: a gap there is worth a warning (the others
# exist only for the maps and suites that ran their configuration).
HEADLINE_METRICS = ("MaxInsertUs", "PNineNineNs", "PNineNineNineNs", "MeanNs", "BytesPerEntryMean",
                    "BytesPerEntryFinal", "PeakBytesPerEntry")


def per_map_numbers(rs):
    """{map: {metric: Stat}}; metric names are macro suffixes (METRICS)."""
    out = {}
    closed, _ = headline(rs)
    opened, _ = rs.largest("insert_growth", "open")
    shrink, _ = rs.largest("shrink", "closed")
    grow_read, _ = rs.largest("grow_read", "closed")
    str16, _ = rs.largest("insert_growth", "closed", key="str16")
    str64, _ = rs.largest("insert_growth", "closed", key="str64")
    wa_n = analysis.common_value_n(rs, [m for m in ("go_incremental", "full_rehash") if m in rs.maps()], (8, 64, 256))
    sys_n, go_n, redis_n = system_n(rs), go_fidelity_n(rs), redis_fidelity_n(rs)
    full, ref = closed.get("full_rehash"), closed.get(analysis.FLAT_REFERENCE)
    full_max = stat(full, lambda r: r.summary["max_ns"])
    full_p99 = stat(full, lambda r: r.summary["p99_ns"])
    quiet_max_outside_resizes = lambda r: _div(analysis.largest_quiet_op_outside_resizes(r), 1e3)
    flat_ceiling = stat(ref, quiet_max_outside_resizes)
    for name in style.sort_maps(set(rs.maps()) | set(style.MAPS)):
        d = {}
        g = closed.get(name)
        if g:
            s = lambda field, k=1.0: _summary(g, field, k)
            d.update(MaxInsertUs=s("max_ns", 1e3), MaxInsertMs=s("max_ns", 1e6), MaxInsertNs=s("max_ns"),
                     MaxQuietUs=s("max_ns_quiet", 1e3), PNineNineNs=s("p99_ns"), PNineNineNineNs=s("p999_ns"),
                     PNineNineNineNineNs=s("p9999_ns"), MeanNs=s("mean_ns"), OpsM=s("ops_per_sec", 1e6),
                     OpsUninstrM=s("ops_per_sec_uninstrumented", 1e6), BytesPerEntryMean=s("bytes_per_entry_mean"),
                     BytesPerEntryFinal=s("bytes_per_entry_final"), PeakToFinal=s("peak_to_final"),
                     PeakBytesPerEntry=stat(g, analysis.peak_per_entry), RssPerEntry=stat(g, analysis.rss_per_entry),
                     RssOverCounted=stat(g, analysis.rss_over_counted),
                     Resizes=stat(g, analysis.resize_count), Grows=stat(g, analysis.resize_count),
                     LargestResizeOpUs=stat(g, _resize_pause), LastMigrationOps=stat(g, _last_migration_ops),
                     FloorMaxUs=stat(g, lambda r: None if r.data["noise_floor"] is None
                                     else r.data["noise_floor"]["max_ns"] / 1e3),
                     FloorMaxQuietUs=stat(g, lambda r: None if r.data["noise_floor"] is None
                                          or r.data["noise_floor"]["max_ns_quiet"] is None
                                          else r.data["noise_floor"]["max_ns_quiet"] / 1e3),
                     StealMs=stat(g, lambda r: r.data["host"]["steal_ms"]),
                     QuietMaxOutsideResizesUs=stat(g, quiet_max_outside_resizes),
                     FloorExposurePct=stat(g, lambda r: _div(analysis.floor_exposure(r), 0.01)),
                     PrefaultWritePct=stat(g, lambda r: _div(_counter(r, "prefault_batches"), r.summary["ops"] / 100)),
                     PrefaultPagesPerWrite=stat(g, lambda r: _div(_counter(r, "prefault_pages"),
                                                                  _counter(r, "prefault_batches"))),
                     ReleaseKiBPerBatch=stat(g, lambda r: _div(_div(_counter(r, "old_bytes_released"),
                                                                    _counter(r, "release_batches")), 1024)),
                     MigratingInsertPct=stat(g, lambda r: None if analysis.by_op(r, "insert", "migrating") is None
                                             else 100 * analysis.migrating_share(r, "insert")),
                     InsertPNineNineSteadyNs=stat(g, lambda r: analysis.by_op_field(r, "insert", "steady", "p99_ns")),
                     InsertPNineNineMigratingNs=stat(g, lambda r: analysis.by_op_field(r, "insert", "migrating",
                                                                                       "p99_ns")),
                     TopIsStepPct=Stat([None if not g.values(analysis.top_op_is_step) else
                                        100 * sum(g.values(analysis.top_op_is_step)) / len(g.values(
                                            analysis.top_op_is_step))]),
                     FirstOctaveStepUs=stat(g, lambda r: _octave_median_step(r, "first")),
                     LastOctaveStepUs=stat(g, lambda r: _octave_median_step(r, "last")),
                     ScalingSlope=_slope_stat(rs, name))
            if full and name != "full_rehash":
                d["MaxBelowFull"] = ratio(full_max, stat(g, lambda r: r.summary["max_ns"]))
                d["PNineNineOverFull"] = ratio(d["PNineNineNs"], full_p99)
            if ref and name != analysis.FLAT_REFERENCE:
                d["PNineNineOverBoost"] = ratio(d["PNineNineNs"], _summary(ref, "p99_ns"))
                d["PNineNineNineOverBoost"] = ratio(d["PNineNineNineNs"], _summary(ref, "p999_ns"))
                d["OpsOverBoost"] = ratio(d["OpsUninstrM"], _summary(ref, "ops_per_sec_uninstrumented", 1e6))
                d["BytesOverBoost"] = ratio(d["BytesPerEntryMean"], _summary(ref, "bytes_per_entry_mean"))
                d["MaxQuietOverFlatCeiling"] = ratio(d["MaxQuietUs"], flat_ceiling)
            d["MaxQuietOverFloor"] = ratio(d["MaxQuietUs"], d["FloorMaxQuietUs"])
        g = opened.get(name)
        if g:
            d.update(OpenRespMaxUs=stat(g, lambda r: r.summary["response"]["max_ns"] / 1e3),
                     OpenRespPNineNineNineUs=stat(g, lambda r: r.summary["response"]["p999_ns"] / 1e3),
                     OpenRespPNineNineUs=stat(g, lambda r: r.summary["response"]["p99_ns"] / 1e3),
                     OpenServiceMaxUs=stat(g, lambda r: r.summary["max_ns"] / 1e3))
        if wa_n:
            for v, word in ((8, "Eight"), (64, "SixtyFour"), (256, "TwoFiftySix")):
                wg = group_at(rs, name, wa_n, workload="insert_growth", mode="closed", key="u64", value_bytes=v)
                if wg:
                    d[f"WriteAmp{word}"] = stat(wg, lambda r: r.summary["write_amplification"])
        g = shrink.get(name)
        if g:
            d.update(ShrinkKeptPct=stat(g, _kept_pct), ShrinkPeakMiB=stat(g, lambda r: r.summary["peak_bytes"] / 2**20),
                     ShrinkFinalMiB=stat(g, lambda r: r.summary["final_bytes"] / 2**20))
        if sys_n:
            sg = group_at(rs, name, sys_n, workload="insert_growth", mode="closed", key="u64", value_bytes=8,
                          alloc="system")
            fg = group_at(rs, name, sys_n, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
            if sg and fg:
                d["SystemMaxInsertUs"] = stat(sg, lambda r: r.summary["max_ns"] / 1e3)
                d["FreshMaxInsertUsAtSystemN"] = stat(fg, lambda r: r.summary["max_ns"] / 1e3)
                d["SystemOverFresh"] = ratio(d["SystemMaxInsertUs"], d["FreshMaxInsertUsAtSystemN"])
        g = grow_read.get(name)
        if g:
            for q, qn in (("p50_ns", "PFifty"), ("p99_ns", "PNineNine")):
                for state, sn in (("steady", "Steady"), ("migrating", "Migrating")):
                    d[f"Find{qn}{sn}Ns"] = stat(g, lambda r, q=q, state=state: analysis.by_op_field(r, "find", state, q))
            rg = grow_read.get(analysis.FLAT_REFERENCE)
            if rg and name != analysis.FLAT_REFERENCE:
                d["FindOverBoost"] = ratio(stat(g, _all_finds_p50), stat(rg, _all_finds_p50))
        for groups, word in ((str16, "StrSixteen"), (str64, "StrSixtyFour")):
            g = groups.get(name)
            if g:
                d[f"{word}MaxInsertUs"] = stat(g, lambda r: r.summary["max_ns"] / 1e3)
                d[f"{word}PNineNineNs"] = stat(g, lambda r: r.summary["p99_ns"])
        if go_n:
            g = group_at(rs, name, go_n, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
            if g:
                d["MaxInsertUsAtGoN"] = stat(g, lambda r: r.summary["max_ns"] / 1e3)
                if name == "go_runtime":
                    d["Grows"] = stat(g, analysis.resize_count)
            g = group_at(rs, name, go_n, workload="insert_growth", mode="closed", key="u64", value_bytes=8,
                         go_gc="off")
            if g and name == "go_runtime":
                d["GcOffMaxInsertUs"] = stat(g, lambda r: r.summary["max_ns"] / 1e3)
                d["GcOffMaxInsertMs"] = stat(g, lambda r: r.summary["max_ns"] / 1e6)
        if redis_n:
            g = group_at(rs, name, redis_n, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
            if g:
                d["LastMigrationOpsAtRedisN"] = stat(g, _last_migration_ops)
        out[name] = d
    return out


# ---- the run set ------------------------------------------------------------------------------

def reps_text(rs):
    """How many times each configuration ran: "5", or "3 to 5" when the suite repeats some
    configurations more often than others."""
    counts = [g.reps for g in rs.groups.values()]
    lo, hi = min(counts), max(counts)
    return str(hi) if lo == hi else f"{lo} to {hi}"


def suite_title(suite):
    """What the PDF's title says about the suite: nothing for the paper suite; every
    other suite is named and said not to be the paper's results."""
    return "" if suite == "paper" else f"{suite or 'unnamed'} suite: not the paper's results"


def map_families(rs):
    """(in-house, production adapters, peers): the maps of the results, by what the results
    say about them (an allocation switch: in-house; a peer object: a real system)."""
    inhouse, adapters, peers = [], [], []
    for name in style.sort_maps(rs.maps()):
        run = next(r for r in rs.runs if r.map == name)
        (peers if analysis.is_peer(run) else inhouse if analysis.in_house(run) else adapters).append(name)
    return inhouse, adapters, peers


def _go_length_diff(rs):
    """Median over repetitions of the largest relative difference (%) between a migration of
    the real Go map at least n/100 ops long and the same migration in go_incremental (either
    allocation) and in the real map with its GC off (GoMigrationLengthsMatchRuntime's rule)."""
    n = go_fidelity_n(rs)
    real = group_at(rs, "go_runtime", n, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
    others = [group_at(rs, "go_incremental", n, workload="insert_growth", mode="closed", key="u64", value_bytes=8,
                       alloc=a) for a in ("fresh", "system")]
    others += [group_at(rs, "go_runtime", n, workload="insert_growth", mode="closed", key="u64", value_bytes=8,
                        go_gc="off")]
    others = [o for o in others if o]
    if not real or not others:
        return None
    vals = []
    for rep, run in real.by_rep.items():
        diffs = analysis.length_differences(run, [o.by_rep[rep] for o in others if rep in o.by_rep], n // 100)
        diffs = [x for x in diffs if x is not None]
        if diffs:
            vals.append(max(diffs))
    return results_io.median(vals)


def run_set_numbers(rs):
    """Provenance, machine and configuration of the run set: ({suffix: number}, {suffix: text})."""
    closed, n_growth = headline(rs)
    opened, n_open = rs.largest("insert_growth", "open")
    _, n_shrink = rs.largest("shrink", "closed")
    _, n_grow_read = rs.largest("grow_read", "closed")
    _, n_str = rs.largest("insert_growth", "closed", key="str64")
    _, n_mixed = rs.largest("mixed", "closed")
    _, n_churn = rs.largest("churn", "closed")
    ref_group = closed.get("full_rehash") or next(iter(closed.values()), None)
    ref = ref_group.first if ref_group else rs.any_run()
    prov, timer, cfg = ref.data["provenance"], ref.data["timer"], ref.config
    mach = analysis.machine(ref)
    maint = ref.data.get("maintenance") or {}
    floors = [r.data["noise_floor"] for r in rs.runs if r.data["noise_floor"] is not None]

    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    steals = [(r.data["host"]["steal_ms"], r.run_id) for r in rs.runs if r.data["host"]["steal_ms"] is not None]
    steal_max = max(steals) if steals else None
    manifest = rs.manifest or {}
    commit = prov.get("git_commit") or "unknown"
    rate = next(iter(opened.values())).first.summary.get("rate") if opened else None
    seeds = sorted({r.config["base_seed"] for r in rs.runs})
    flags = prov.get("build_flags")
    inhouse, adapters, peers = map_families(rs)
    sizes = scaling_sizes(rs)
    loads = sweep_loads(rs)
    sweep_runs = [r for r in rs.select(workload="insert_growth", mode="open", load=None, alloc=None, go_gc=None)
                  if r.load is not None]
    redis_n = redis_fidelity_n(rs)
    server = group_at(rs, "redis_server", redis_n, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
    go_real = next((r for r in rs.runs if r.map == "go_runtime"), None)
    num = {
        "GrowthN": n_growth, "OpenN": n_open, "ShrinkN": n_shrink, "OpenRateM": _div(rate, 1e6),
        "SystemN": system_n(rs), "GoFidelityN": go_fidelity_n(rs), "RedisFidelityN": redis_n,
        "RedisEndGranularity": analysis.end_granularity(server.first) if server else None,
        "WriteAmpN": analysis.common_value_n(rs, [m for m in ("go_incremental", "full_rehash") if m in rs.maps()],
                                             (8, 64, 256)),
        "GrowReadN": n_grow_read, "KeyTypesN": n_str, "MixedN": n_mixed, "ChurnN": n_churn,
        "ScalingMinN": sizes[0] if sizes else None, "ScalingMaxN": sizes[-1] if sizes else None,
        "SweepN": max((r.n for r in sweep_runs), default=None), "SweepRuns": len(sweep_runs) or None,
        "SweepSaturatedRuns": sum(1 for r in sweep_runs if analysis.saturated(r)) if sweep_runs else None,
        "GoMigrationLengthMaxDiffPct": _go_length_diff(rs),
        "Reps": rs.reps, "GrowthReps": ref_group.reps if ref_group else None, "NumRuns": len(rs.runs),
        "NumGroups": len(rs.groups), "NumMaps": len(rs.maps()), "NumInHouse": len(inhouse),
        "NumAdapters": len(adapters), "NumPeers": len(peers),
        "NumMissing": len([m for m in rs.missing if m[0] != "(suite)"]),
        "WallMin": _div(manifest.get("wall_seconds"), 60), "Cores": prov.get("cores"),
        "CPUMHz": _float(mach["cpu_mhz"]), "MemoryGiB": analysis.memory_gib(mach["memory"]),
        "TimerOverheadNs": med(r.summary["timer_overhead_ns"] for r in rs.runs),
        "InstrOverheadNs": med(r.summary["instrument_overhead_ns"] for r in rs.runs),
        "NoiseMaxNs": max((f["max_ns"] for f in floors), default=None),
        "NoiseMedianMaxNs": med(f["max_ns"] for f in floors),
        "NoisePNineNineNineNineNs": med(f["p9999_ns"] for f in floors),
        "NoiseEvery": med(f["every"] for f in floors),
        "NoiseCoveragePct": None if not floors else 100 * med(f["coverage"] for f in floors),
        "NoiseOps": cfg.get("noise_ops"), "Window": cfg.get("window"), "TopK": cfg.get("top_k"),
        "CalibrationMs": timer.get("calibration_ms"), "MaintIntervalMs": maint.get("interval_ms"),
        "MaintBudgetUs": maint.get("budget_us"), "HashSeed": cfg.get("base_hash_seed"),
        "Seed": seeds[0] if len(seeds) == 1 else None, "OrderSeed": manifest.get("order_seed"),
        "StealKnownRuns": len(steals) if steals else None,
        "StealRuns": sum(1 for ms, _ in steals if ms > 0) if steals else None,
        "StealMaxMs": steal_max[0] if steal_max else None,
        "TriggerOps": analysis.TRIGGER_OPS,
    }
    tt = lambda names: words([r"\texttt{" + tex_escape(m) + "}" for m in names])
    text = {
        "RepsText": reps_text(rs), "Suite": manifest.get("suite", "unknown"),
        "SuiteTitle": suite_title(manifest.get("suite")),
        "CPU": prov.get("cpu_model", "unknown"), "Kernel": prov.get("kernel", "unknown"),
        "Caches": mach["caches"] or "unknown", "THP": analysis.thp_mode(mach["transparent_hugepage"]) or "unknown",
        "Hypervisor": analysis.hypervisor_name(mach["hypervisor"]),
        "Compiler": prov.get("compiler", "unknown"), "CompilationMode": prov.get("compilation_mode", "unknown"),
        "BuildFlags": (", ".join(flags) if isinstance(flags, list) else str(flags or "")) or "none",
        "GitCommit": commit[:12], "GitDirty": {True: "yes", False: "no"}.get(prov.get("git_dirty"), "unknown"),
        "RunDate": manifest.get("started") or prov.get("date", "unknown"), "TimerSource": timer.get("source", "unknown"),
        "TscInvariant": {True: "yes", False: "no"}.get(timer.get("tsc_invariant"), "unknown"),
        "Seeds": ", ".join(str(s) for s in seeds) or "unknown", "ResultsDir": display_dir(rs.dir),
        "Hostname": prov.get("hostname", "unknown"),
        "StealMaxRun": (steal_max[1] if steal_max[0] > 0 else "none") if steal_max else "unknown",
        "SweepLoads": words([f"{round(x * 100)}" for x in loads]),
        "GoVersion": (go_real.data.get("peer") or {}).get("version", "unknown") if go_real else "unknown",
        "RedisVersion": (server.first.data.get("peer") or {}).get("version", "unknown") if server else "unknown",
    }
    tex = {"InHouseList": tt(inhouse), "AdapterList": tt(adapters), "PeerList": tt(peers),
           "ScalingSizes": ", ".join(human_n(n) for n in sizes) or "none"}
    return num, text, tex


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def display_dir(path):
    """A results directory as the paper names it: relative to the workspace when inside it."""
    ws = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    full = os.path.abspath(path)
    if ws and (full + os.sep).startswith(os.path.abspath(ws) + os.sep):
        return os.path.relpath(full, ws)
    return os.path.basename(os.path.normpath(full))


BREAK_AT_DOTS = ("StealMaxRun", "ResultsDir")
SIZE_MACROS = {"GrowthN", "OpenN", "ShrinkN", "SystemN", "GoFidelityN", "RedisFidelityN", "WriteAmpN", "GrowReadN",
               "KeyTypesN", "MixedN", "ChurnN", "ScalingMinN", "ScalingMaxN", "SweepN"}
QUIET_RUN_SET = {"OrderSeed", "Seed", "SweepRuns", "SweepSaturatedRuns", "SystemN", "GoFidelityN", "RedisFidelityN",
                 "RedisEndGranularity", "WriteAmpN", "GrowReadN", "KeyTypesN", "MixedN", "ChurnN", "SweepN", "OpenN",
                 "OpenRateM", "GoMigrationLengthMaxDiffPct", "CPUMHz", "MemoryGiB", "ShrinkN"}


def write_macros(rs, path):
    per_map = per_map_numbers(rs)
    num, text, tex = run_set_numbers(rs)
    closed, _ = headline(rs)
    lines = ["% Generated by scripts/paper_data.py from " + display_dir(rs.dir) + ". Do not edit.",
             "% Numbers over repetitions are medians.", ""]
    missing = []
    steal_known = num.get("StealKnownRuns") is not None
    lines.append("\\newif\\ifResStealKnown \\ResStealKnown" + ("true" if steal_known else "false"))
    lines.append("\\newif\\ifResPaperSuite \\ResPaperSuite" + ("true" if text["Suite"] == "paper" else "false"))
    lines.append("\\newif\\ifResHasPacedFlat \\ResHasPacedFlat" + ("true" if "paced_flat" in rs.maps() else "false"))
    for key, value in num.items():
        lines.append(f"\\newcommand{{\\Res{key}}}{{{fmt(value)}}}")
        if key in SIZE_MACROS:   # sizes also as 20M, 4M, 200k for tables and captions
            lines.append(f"\\newcommand{{\\Res{key}Short}}{{{human_n(value)}}}")
        if value is None and not (key.startswith("Steal") and not steal_known) and key not in QUIET_RUN_SET:
            missing.append(f"Res{key}")
    for key, value in text.items():
        escaped = tex_escape(value)
        if key in BREAK_AT_DOTS:  # run ids and paths: may break at dots in a narrow column
            escaped = escaped.replace(".", ".\\allowbreak{}")
        lines.append(f"\\newcommand{{\\Res{key}}}{{{escaped}}}")
    for key, value in tex.items():
        lines.append(f"\\newcommand{{\\Res{key}}}{{{value}}}")
    lines.append("")
    for name, d in per_map.items():
        prefix = style.macro_prefix(name)
        lines.append(f"\\newcommand{{\\{prefix}Name}}{{\\texttt{{{tex_escape(name)}}}}}")
        for metric in METRICS:
            value = d[metric].median if metric in d else None
            lines.append(f"\\newcommand{{\\{prefix}{metric}}}{{{fmt(value)}}}")
            if value is None and name in closed and metric in HEADLINE_METRICS:
                missing.append(f"{prefix}{metric}")
    atomic_write(path, "\n".join(lines) + "\n")
    if missing:
        warn(f"{path}: {len(missing)} macros have no data (printed as n/a): {', '.join(missing[:12])}"
             + (" ..." if len(missing) > 12 else ""))


# ---- tables -----------------------------------------------------------------------------------

# The headline table: (header, metric). Throughput is the uninstrumented pass.
COLUMNS = [("p99 (ns)", "PNineNineNs"), ("p99.9 (ns)", "PNineNineNineNs"), ("max (µs)", "MaxInsertUs"),
           ("max quiet (µs)", "MaxQuietUs"), ("floor max (µs)", "FloorMaxUs"),
           ("Mops/s uninstr.", "OpsUninstrM"), ("B/entry mean", "BytesPerEntryMean"),
           ("B/entry peak", "PeakBytesPerEntry"), ("write ampl.", "WriteAmpEightHeadline")]


def headline_rows(rs):
    """[(map, [Stat per column], ended mid-migration, is peer)] at the headline n, and n."""
    closed, n = headline(rs)
    per_map = per_map_numbers(rs)
    rows = []
    for name in style.sort_maps(closed):
        g = closed[name]
        d = dict(per_map[name])
        d["WriteAmpEightHeadline"] = stat(g, lambda r: r.summary["write_amplification"])
        mid = any(analysis.holds_old_array_at_end(r) for r in g.runs)
        rows.append((name, [d.get(metric) or Stat([]) for _, metric in COLUMNS], mid, analysis.is_peer(g.first)))
    return rows, n


def _family(name, rs):
    run = next(r for r in rs.runs if r.map == name)
    return 2 if analysis.is_peer(run) else 0 if analysis.in_house(run) else 1


def write_table_tex(rs, path):
    rows, n = headline_rows(rs)
    headers = [h.replace("µs", r"\textmu s") for h, _ in COLUMNS]
    lines = ["% Generated by scripts/paper_data.py. Do not edit.",
             "% Each map: the median over repetitions, below it [min--max] when they differ.",
             r"\setlength{\tabcolsep}{3.5pt}",
             r"\begin{tabular}{l" + "r" * len(COLUMNS) + "}", r"\toprule",
             "map & " + " & ".join(headers) + r" \\", r"\midrule"]
    family = None
    for name, stats, mid, peer in rows:
        fam = _family(name, rs)
        if family is not None and fam != family:
            lines.append(r"\midrule")
        family = fam
        cells = [fmt(s.median) for s in stats]
        if peer and stats[-1].median is None:
            cells[-1] = "n/o"
        label = f"\\texttt{{{tex_escape(name)}}}" + (r"\,\dag" if mid else "")
        lines.append(label + " & " + " & ".join(cells) + r" \\")
        if any(s.spread() for s in stats):
            lines.append(" & " + " & ".join(f"{{\\scriptsize[{fmt(s.min)}--{fmt(s.max)}]}}" if s.spread() else ""
                                            for s in stats) + r" \\[1pt]")
    lines += [r"\bottomrule", r"\end{tabular}"]
    atomic_write(path, "\n".join(lines) + "\n")
    return n


def md_cell(s):
    text = fmt(s.median).replace("{,}", ",").replace(NA, "n/a")
    if s.spread():
        text += f" [{fmt(s.min).replace('{,}', ',')}–{fmt(s.max).replace('{,}', ',')}]"
    return text


def write_table_md(rs, path):
    rows, n = headline_rows(rs)
    lines = [f"insert_growth, u64 keys, 8-byte values, closed loop, n = {n}, median [min–max] over the repetitions "
             f"({reps_text(rs)}); Mops/s from the uninstrumented pass; max quiet: largest op in windows without host "
             "steal; floor max: the interleaved noise floor's largest empty op; B/entry peak: peak live bytes per final "
             "entry; n/o: not observable (peers); †: ended during a migration. Generated from "
             f"{display_dir(rs.dir)}.", "",
             "| map | " + " | ".join(h for h, _ in COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for name, stats, mid, peer in rows:
        cells = [md_cell(s) for s in stats]
        if peer and stats[-1].median is None:
            cells[-1] = "n/o"
        lines.append("| " + " | ".join([name + (" †" if mid else "")] + cells) + " |")
    atomic_write(path, "\n".join(lines) + "\n")


# Every workload and key type: (label, workload, key, extra selection).
WORKLOAD_COLUMNS = [("\\texttt{str16} keys", "insert_growth", "str16"), ("\\texttt{str64} keys", "insert_growth", "str64"),
                    ("mixed, zipfian", "mixed", "u64"), ("churn", "churn", "u64"),
                    ("\\texttt{grow\\_read}", "grow_read", "u64")]


def workload_table(rs):
    """([(label, n)], [(map, [(p99 Stat, max Stat)])]) for the workload table."""
    cols, per = [], []
    for label, workload, key in WORKLOAD_COLUMNS:
        groups, n = rs.largest(workload, "closed", key=key)
        if groups:
            cols.append((label, n, groups))
    maps = style.sort_maps({m for _, _, groups in cols for m in groups})
    for m in maps:
        cells = []
        for _, _, groups in cols:
            g = groups.get(m)
            cells.append((stat(g, lambda r: r.summary["p99_ns"]), stat(g, lambda r: r.summary["max_ns"] / 1e3)))
        per.append((m, cells))
    return [(label, n) for label, n, _ in cols], per


def write_workload_table(rs, path):
    cols, per = workload_table(rs)
    lines = ["% Generated by scripts/paper_data.py. Do not edit. Medians over repetitions.",
             r"\setlength{\tabcolsep}{3pt}"]
    if not cols:
        lines += [r"\begin{tabular}{l}", r"no workload or key-type runs in these results \\", r"\end{tabular}"]
        atomic_write(path, "\n".join(lines) + "\n")
        return
    lines += [r"\begin{tabular}{l" + "rr" * len(cols) + "}", r"\toprule",
              " & " + " & ".join(f"\\multicolumn{{2}}{{c}}{{{label}, $n$={human_n(n)}}}" for label, n in cols)
              + r" \\",
              " ".join(f"\\cmidrule(lr){{{2 + 2 * i}-{3 + 2 * i}}}" for i in range(len(cols))),
              "map & " + " & ".join(["p99 (ns) & max (\\textmu s)"] * len(cols)) + r" \\", r"\midrule"]
    for m, cells in per:
        lines.append(f"\\texttt{{{tex_escape(m)}}} & " + " & ".join(f"{fmt(a.median)} & {fmt(b.median)}"
                                                                  for a, b in cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    atomic_write(path, "\n".join(lines) + "\n")


CAUSE_TAG = {"op": "op", "stall": "st", "hook": "hk"}


def open_loop_settings(rs):
    """[(label, {map: Group})]: the fixed rate first, then the loads of the sweep."""
    out = []
    fixed, n = rs.largest("insert_growth", "open")
    if fixed:
        rate = next(iter(fixed.values())).first.summary.get("rate")
        out.append((f"{fmt(rate / 1e6)}\\,M/s" if rate else "fixed", fixed))
    for load in sweep_loads(rs):
        groups, _ = rs.largest("insert_growth", "open", load=load, alloc="fresh")
        out.append((f"{round(load * 100)}\\,\\%", groups))
    return out


def open_loop_cell(g):
    """(worst response Stat in µs, cause tag or 'sat.', steal Stat) of one map at one setting."""
    if not g:
        return Stat([]), "", Stat([])
    if sum(1 for r in g.runs if analysis.saturated(r)) * 2 > g.reps:
        return stat(g, lambda r: r.summary["response"]["max_ns"] / 1e3), "sat.", Stat([])
    worst = [analysis.worst_response(r) for r in g.runs]
    causes = [w["cause"] for w in worst if w]
    tag = CAUSE_TAG[max(set(causes), key=causes.count)] if causes else ""
    return (Stat([w["response_ns"] / 1e3 for w in worst if w]), tag,
            Stat([w["steal_ms"] for w in worst if w and w["steal_ms"] is not None]))


def write_open_loop_table(rs, path):
    settings = open_loop_settings(rs)
    lines = ["% Generated by scripts/paper_data.py. Do not edit. Medians over repetitions.",
             r"\setlength{\tabcolsep}{3pt}"]
    if not settings:
        lines += [r"\begin{tabular}{l}", r"no open-loop runs in these results \\", r"\end{tabular}"]
        atomic_write(path, "\n".join(lines) + "\n")
        return
    maps = style.sort_maps({m for _, groups in settings for m in groups})
    lines += [r"\begin{tabular}{l" + "rl" * len(settings) + "}", r"\toprule",
              "map & " + " & ".join(f"\\multicolumn{{2}}{{c}}{{{label}}}" for label, _ in settings) + r" \\",
              r"\midrule"]
    for m in maps:
        cells = []
        for _, groups in settings:
            worst, tag, _ = open_loop_cell(groups.get(m))
            cells.append(f"{fmt(worst.median)} & {{\\scriptsize {tag}}}" if worst.values else " & ")
        lines.append(f"\\texttt{{{tex_escape(m)}}} & " + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    atomic_write(path, "\n".join(lines) + "\n")


POS_TAG = {"trigger": "T", "completion": "C", "during": "--"}


def position_tag(where):
    """The most common position over the repetitions; on a tie every tied one, in the
    order T, --, C, joined by '/' (so the tag does not depend on set order)."""
    if not where:
        return ""
    best = max(where.count(w) for w in where)
    return "/".join(POS_TAG[w] for w in ("trigger", "during", "completion") if where.count(w) == best)


def fidelity_rows(rs, columns, n, k=4):
    """Rows (entries at start, [(largest op Stat in µs, position tag)]) for the last k grows
    of the first column's map; columns: [(label, map, select kwargs)]."""
    groups = [group_at(rs, m, n, workload="insert_growth", mode="closed", key="u64", value_bytes=8, **kw)
              for _, m, kw in columns]
    if not groups or groups[0] is None:
        return []
    starts = sorted({s["entries"] for s in analysis.growth_steps(groups[0].first, completed_only=True)})[-k:]
    rows = []
    for e in starts:
        cells = []
        for g in groups:
            if g is None:
                cells.append((Stat([]), ""))
                continue
            found = [next((s for s in analysis.growth_steps(r) if s["entries"] == e), None) for r in g.runs]
            found = [s for s in found if s]
            where = [s["where"] for s in found]
            cells.append((Stat([s["largest_ns"] / 1e3 for s in found]), position_tag(where)))
        rows.append((e, cells))
    return rows


GO_COLUMNS = [("Go GC on", "go_runtime", {}), ("Go GC off", "go_runtime", {"go_gc": "off"}),
              ("system", "go_incremental", {"alloc": "system"}), ("fresh", "go_incremental", {}),
              ("\\texttt{full\\_rehash}", "full_rehash", {})]
REDIS_COLUMNS = [("server", "redis_server", {}), ("system", "redis_dual", {"alloc": "system"}),
                 ("fresh", "redis_dual", {})]


def write_fidelity_table(rs, path):
    lines = ["% Generated by scripts/paper_data.py. Do not edit. Medians over repetitions; T: at the op that",
             "% started the grow (within analysis.TRIGGER_OPS ops), C: at the op that completed it, --: in between.",
             r"\setlength{\tabcolsep}{3pt}"]
    parts = []
    for title, columns, n in (("Go", GO_COLUMNS, go_fidelity_n(rs)), ("Redis", REDIS_COLUMNS, redis_fidelity_n(rs))):
        rows = fidelity_rows(rs, columns, n) if n else []
        if not rows:
            continue
        part = [r"\begin{tabular}{r" + "rl" * len(columns) + "}", r"\toprule",
                f"\\multicolumn{{{1 + 2 * len(columns)}}}{{l}}{{{title}, $n$={human_n(n)}: largest op of the "
                r"grow (\textmu s)} \\",
                r"\midrule", "entries & " + " & ".join(f"\\multicolumn{{2}}{{c}}{{{label}}}" for label, _, _ in columns)
                + r" \\", r"\midrule"]
        for e, cells in rows:
            part.append(f"{human_n(e) if e >= 10000 else fmt(e)} & "
                        + " & ".join(f"{fmt(s.median)} & {{\\scriptsize {tag}}}" if s.values else " & "
                                     for s, tag in cells) + r" \\")
        part += [r"\bottomrule", r"\end{tabular}"]
        parts.append("\n".join(part))
    if not parts:
        parts = [r"\begin{tabular}{l}" + "\n" + r"no peer runs in these results \\" + "\n" + r"\end{tabular}"]
    lines.append("\n\\hfill\n".join(parts))
    atomic_write(path, "\n".join(lines) + "\n")


def write_paths(path, figures_dir):
    rel = os.path.relpath(os.path.abspath(figures_dir), os.path.abspath(os.path.join(os.path.dirname(path), "..")))
    rel = rel.replace(os.sep, "/")
    atomic_write(path, "% Generated by scripts/paper_data.py. Do not edit.\n"
                       f"\\graphicspath{{{{{rel}/}}}}\n"
                       f"\\newcommand{{\\FigDir}}{{{rel}}}\n")


def atomic_write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--out", required=True, help="directory for macros.tex, table_*.tex, paths.tex")
    ap.add_argument("--figures", help="figures directory for \\graphicspath (default RESULTS/figures)")
    ap.add_argument("--markdown", help="markdown table (default RESULTS/figures/tables.md)")
    args = ap.parse_args(argv)

    def run():
        rs = results_io.load(args.results)
        figures = args.figures or os.path.join(args.results, "figures")
        write_macros(rs, os.path.join(args.out, "macros.tex"))
        write_table_tex(rs, os.path.join(args.out, "table_insert_growth.tex"))
        write_workload_table(rs, os.path.join(args.out, "table_workloads.tex"))
        write_open_loop_table(rs, os.path.join(args.out, "table_open_loop.tex"))
        write_fidelity_table(rs, os.path.join(args.out, "table_fidelity.tex"))
        write_paths(os.path.join(args.out, "paths.tex"), figures)
        write_table_md(rs, args.markdown or os.path.join(figures, "tables.md"))
        print(os.path.normpath(args.out))
        return 0

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
