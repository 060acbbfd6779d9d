#!/usr/bin/env python3
"""Writes the paper's numbers (LaTeX macros) and tables from a results directory.

    paper_data.py RESULTS_DIR [--out=DIR] [--figures=DIR] [--markdown=FILE]

  OUT/macros.tex               \\newcommand per number: per map (e.g. \\GoIncMaxInsertUs)
                               and per run set (provenance: \\ResCPU, \\ResReps ...)
  OUT/table_insert_growth.tex  the headline table (booktabs), median [min-max] per cell
  OUT/paths.tex                \\graphicspath to the figures drawn from the same results,
                               relative to OUT/.. (the directory LaTeX runs in)
  MARKDOWN (default RESULTS/figures/tables.md)  the same table for the README

Over repetitions: every number is the MEDIAN over the repetitions of its
configuration; tables print "median [min-max]" (just the median when every
repetition gave the same number); a ratio between two maps is the ratio of their
medians. Throughput in the table is summary.ops_per_sec_uninstrumented (a second,
uninstrumented pass over the same operations); summary.ops_per_sec includes the
instrument's ~100 ns/op and is not throughput.

Every macro of every map in scripts/style.py is defined, so the paper compiles on
partial results: a number that the results do not contain prints as a bold "n/a"
and is listed as a warning. No number in the paper's prose is typed by hand.
Standard library only.
"""

import argparse
import os
import statistics
import sys

import results_io
import style
from results_io import warn

NA = r"\textbf{n/a}"


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


def ratio(a, b):
    """A ratio of two Stats: the ratio of their medians."""
    return Stat([_div(a.median, b.median)])


def naive_groups(rs):
    """({map: Group}, n) of the closed-loop u64/v8 insert_growth runs with --alloc=naive
    at the largest n they were run with ({}, None if none)."""
    return rs.largest("insert_growth", alloc="naive")


def _resize_pause(run):
    pauses = [x["migration_max_ns"] for x in run.data["resizes"] if x["migration_max_ns"]]
    return max(pauses) / 1e3 if pauses else None


def _last_migration_ops(run):
    done = [x for x in run.data["resizes"] if x["end_op"] is not None]
    return done[-1]["migration_ops"] if done else None


def _kept_pct(run):
    rows = run.timeline()
    return 100.0 * run.summary["final_bytes"] / rows[0]["live_bytes"] if rows and rows[0]["live_bytes"] else None


def _floor(name):
    return lambda r: None if r.data["noise_floor"] is None else r.data["noise_floor"][name]


def per_map_numbers(rs):
    """{map: {metric: Stat}} for the headline runs; metric names are macro suffixes."""
    out = {}
    closed, _ = rs.largest("insert_growth", "closed")
    opened, _ = rs.largest("insert_growth", "open")
    shrink, _ = rs.largest("shrink", "closed")
    naive, naive_n = naive_groups(rs)
    fresh_at_naive_n = {g.map: g for g in rs.select_groups(workload="insert_growth", mode="closed", key="u64",
                                                           value_bytes=8, n=naive_n)} if naive_n else {}
    wa = {v: rs.largest("insert_growth", "closed", value_bytes=v)[0] for v in (8, 64, 256)}
    full = closed.get("full_rehash")
    full_max = stat(full, lambda r: r.summary["max_ns"]) if full else None
    for name in style.sort_maps(set(rs.maps()) | set(style.MAPS)):
        d = {}
        g = naive.get(name)
        if g:
            d["NaiveMaxInsertUs"] = stat(g, lambda r: r.summary["max_ns"] / 1e3)
            f = fresh_at_naive_n.get(name)
            if f:
                d["FreshMaxInsertUsAtNaiveN"] = stat(f, lambda r: r.summary["max_ns"] / 1e3)
                d["NaiveOverFresh"] = ratio(d["NaiveMaxInsertUs"], d["FreshMaxInsertUsAtNaiveN"])
        g = closed.get(name)
        if g:
            s = lambda field, k=1.0: stat(g, lambda r: None if r.summary[field] is None else r.summary[field] / k)
            d.update(MaxInsertUs=s("max_ns", 1e3), MaxInsertNs=s("max_ns"), MaxQuietUs=s("max_ns_quiet", 1e3),
                     PNineNineNs=s("p99_ns"), PNineNineNineNs=s("p999_ns"), PNineNineNineNineNs=s("p9999_ns"),
                     MeanNs=s("mean_ns"), OpsM=s("ops_per_sec", 1e6), OpsUninstrM=s("ops_per_sec_uninstrumented", 1e6),
                     BytesPerEntryMean=s("bytes_per_entry_mean"), BytesPerEntryFinal=s("bytes_per_entry_final"),
                     PeakToFinal=s("peak_to_final"), Resizes=stat(g, lambda r: len(r.data["resizes"])),
                     LargestResizeOpUs=stat(g, _resize_pause), LastMigrationOps=stat(g, _last_migration_ops),
                     FloorMaxUs=stat(g, lambda r: None if r.data["noise_floor"] is None
                                     else r.data["noise_floor"]["max_ns"] / 1e3),
                     StealMs=stat(g, lambda r: r.data["host"]["steal_ms"]))
            if full and name != "full_rehash":
                d["MaxBelowFull"] = ratio(full_max, stat(g, lambda r: r.summary["max_ns"]))
        g = opened.get(name)
        if g:
            d.update(OpenRespMaxUs=stat(g, lambda r: r.summary["response"]["max_ns"] / 1e3),
                     OpenRespPNineNineNineUs=stat(g, lambda r: r.summary["response"]["p999_ns"] / 1e3),
                     OpenRespPNineNineUs=stat(g, lambda r: r.summary["response"]["p99_ns"] / 1e3),
                     OpenServiceMaxUs=stat(g, lambda r: r.summary["max_ns"] / 1e3))
        for v, word in ((8, "Eight"), (64, "SixtyFour"), (256, "TwoFiftySix")):
            if name in wa[v]:
                d[f"WriteAmp{word}"] = stat(wa[v][name], lambda r: r.summary["write_amplification"])
        g = shrink.get(name)
        if g:
            d.update(ShrinkKeptPct=stat(g, _kept_pct), ShrinkPeakMiB=stat(g, lambda r: r.summary["peak_bytes"] / 2**20),
                     ShrinkFinalMiB=stat(g, lambda r: r.summary["final_bytes"] / 2**20))
        out[name] = d
    return out


METRICS = ["MaxInsertUs", "MaxInsertNs", "MaxQuietUs", "PNineNineNs", "PNineNineNineNs", "PNineNineNineNineNs",
           "MeanNs", "OpsM", "OpsUninstrM", "BytesPerEntryMean", "BytesPerEntryFinal", "PeakToFinal", "Resizes",
           "LargestResizeOpUs", "LastMigrationOps", "MaxBelowFull", "FloorMaxUs", "StealMs", "OpenRespMaxUs",
           "OpenRespPNineNineNineUs", "OpenRespPNineNineUs", "OpenServiceMaxUs", "WriteAmpEight", "WriteAmpSixtyFour",
           "WriteAmpTwoFiftySix", "ShrinkKeptPct", "ShrinkPeakMiB", "ShrinkFinalMiB", "NaiveMaxInsertUs",
           "FreshMaxInsertUsAtNaiveN", "NaiveOverFresh"]
# Only the maps with an allocation switch have naive runs; peers have no resizes.
NAIVE_METRICS = ("NaiveMaxInsertUs", "FreshMaxInsertUsAtNaiveN", "NaiveOverFresh")
OPTIONAL_METRICS = ("MaxQuietUs", "LargestResizeOpUs", "LastMigrationOps", "StealMs")


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


def run_set_numbers(rs):
    """Provenance and configuration of the run set: ({suffix: number}, {suffix: text})."""
    closed, n_growth = rs.largest("insert_growth", "closed")
    opened, n_open = rs.largest("insert_growth", "open")
    _, n_shrink = rs.largest("shrink", "closed")
    _, n_naive = naive_groups(rs)
    ref_group = closed.get("full_rehash") or next(iter(closed.values()), None)
    ref = ref_group.first if ref_group else rs.any_run()
    prov, timer, cfg = ref.data["provenance"], ref.data["timer"], ref.config
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
    num = {
        "GrowthN": n_growth, "OpenN": n_open, "ShrinkN": n_shrink, "NaiveN": n_naive, "OpenRateM": _div(rate, 1e6),
        "Reps": rs.reps, "GrowthReps": ref_group.reps if ref_group else None, "NumRuns": len(rs.runs), "NumGroups": len(rs.groups), "NumMaps": len(rs.maps()),
        "NumMissing": len([m for m in rs.missing if m[0] != "(suite)"]),
        "WallMin": _div(manifest.get("wall_seconds"), 60), "Cores": prov.get("cores"),
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
    }
    text = {
        "RepsText": reps_text(rs), "Suite": manifest.get("suite", "unknown"), "SuiteTitle": suite_title(manifest.get("suite")),
        "CPU": prov.get("cpu_model", "unknown"), "Kernel": prov.get("kernel", "unknown"),
        "Compiler": prov.get("compiler", "unknown"), "CompilationMode": prov.get("compilation_mode", "unknown"),
        "BuildFlags": (", ".join(flags) if isinstance(flags, list) else str(flags or "")) or "none",
        "GitCommit": commit[:12], "GitDirty": {True: "yes", False: "no"}.get(prov.get("git_dirty"), "unknown"),
        "RunDate": manifest.get("started") or prov.get("date", "unknown"), "TimerSource": timer.get("source", "unknown"),
        "TscInvariant": {True: "yes", False: "no"}.get(timer.get("tsc_invariant"), "unknown"),
        "Seeds": ", ".join(str(s) for s in seeds) or "unknown", "ResultsDir": display_dir(rs.dir),
        "Hostname": prov.get("hostname", "unknown"),
        "StealMaxRun": (steal_max[1] if steal_max[0] > 0 else "none") if steal_max else "unknown",
    }
    return num, text


def display_dir(path):
    """A results directory as the paper names it: relative to the workspace when inside it."""
    ws = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    full = os.path.abspath(path)
    if ws and (full + os.sep).startswith(os.path.abspath(ws) + os.sep):
        return os.path.relpath(full, ws)
    return os.path.basename(os.path.normpath(full))


BREAK_AT_DOTS = ("StealMaxRun", "ResultsDir")


def write_macros(rs, path):
    per_map = per_map_numbers(rs)
    num, text = run_set_numbers(rs)
    lines = ["% Generated by scripts/paper_data.py from " + display_dir(rs.dir) + ". Do not edit.",
             "% Numbers over repetitions are medians.", ""]
    missing = []
    steal_known = num.get("StealKnownRuns") is not None
    lines.append("\\newif\\ifResStealKnown \\ResStealKnown" + ("true" if steal_known else "false"))
    lines.append("\\newif\\ifResPaperSuite \\ResPaperSuite" + ("true" if text["Suite"] == "paper" else "false"))
    for key, value in num.items():
        lines.append(f"\\newcommand{{\\Res{key}}}{{{fmt(value)}}}")
        if value is None and not (key.startswith("Steal") and not steal_known) and key not in ("OrderSeed", "Seed"):
            missing.append(f"Res{key}")
    for key, value in text.items():
        escaped = tex_escape(value)
        if key in BREAK_AT_DOTS:  # run ids and paths: may break at dots in a narrow column
            escaped = escaped.replace(".", ".\\allowbreak{}")
        lines.append(f"\\newcommand{{\\Res{key}}}{{{escaped}}}")
    lines.append("")
    naive, _ = naive_groups(rs)
    for name, d in per_map.items():
        prefix = style.macro_prefix(name)
        lines.append(f"\\newcommand{{\\{prefix}Name}}{{\\texttt{{{tex_escape(name)}}}}}")
        for metric in METRICS:
            value = d[metric].median if metric in d else None
            lines.append(f"\\newcommand{{\\{prefix}{metric}}}{{{fmt(value)}}}")
            if metric in NAIVE_METRICS and name not in naive:
                continue
            if value is None and name in rs.maps() and metric not in OPTIONAL_METRICS and \
                    not (metric == "MaxBelowFull" and name == "full_rehash"):
                missing.append(f"{prefix}{metric}")
    atomic_write(path, "\n".join(lines) + "\n")
    if missing:
        warn(f"{path}: {len(missing)} macros have no data (printed as n/a): {', '.join(missing[:12])}"
             + (" ..." if len(missing) > 12 else ""))


# The headline table: (header, metric). Throughput is the uninstrumented pass.
COLUMNS = [("p99 (ns)", "PNineNineNs"), ("p99.9 (ns)", "PNineNineNineNs"), ("max (µs)", "MaxInsertUs"),
           ("max quiet (µs)", "MaxQuietUs"), ("floor max (µs)", "FloorMaxUs"),
           ("Mops/s uninstr.", "OpsUninstrM"), ("B/entry (mean)", "BytesPerEntryMean"),
           ("write ampl.", "WriteAmpEight")]


def headline_rows(rs):
    closed, n = rs.largest("insert_growth", "closed")
    per_map = per_map_numbers(rs)
    rows = [(name, [per_map[name].get(metric) or Stat([]) for _, metric in COLUMNS])
            for name in style.sort_maps(closed)]
    return rows, n


def write_table_tex(rs, path):
    rows, n = headline_rows(rs)
    headers = [h.replace("µs", r"\textmu s") for h, _ in COLUMNS]
    lines = ["% Generated by scripts/paper_data.py. Do not edit.",
             "% Each map: the median over repetitions, below it [min--max] when they differ.",
             r"\setlength{\tabcolsep}{3.5pt}",
             r"\begin{tabular}{l" + "r" * len(COLUMNS) + "}", r"\toprule",
             "map & " + " & ".join(headers) + r" \\", r"\midrule"]
    for name, stats in rows:
        lines.append(f"\\texttt{{{tex_escape(name)}}} & " + " & ".join(fmt(s.median) for s in stats) + r" \\")
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
    lines = [f"insert_growth, u64 keys, 8-byte values, closed loop, n = {n}, median [min–max] over {rs.reps} "
             "repetition(s); Mops/s from the uninstrumented pass; max quiet: largest op in windows without host "
             "steal; floor max: the interleaved noise floor's largest empty op. Generated from "
             f"{display_dir(rs.dir)}.", "",
             "| map | " + " | ".join(h for h, _ in COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for name, stats in rows:
        lines.append("| " + " | ".join([name] + [md_cell(s) for s in stats]) + " |")
    atomic_write(path, "\n".join(lines) + "\n")


def write_paths(path, figures_dir):
    rel = os.path.relpath(os.path.abspath(figures_dir), os.path.abspath(os.path.join(os.path.dirname(path), "..")))
    atomic_write(path, "% Generated by scripts/paper_data.py. Do not edit.\n"
                       f"\\graphicspath{{{{{rel.replace(os.sep, '/')}/}}}}\n")


def atomic_write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--out", required=True, help="directory for macros.tex, table_insert_growth.tex, paths.tex")
    ap.add_argument("--figures", help="figures directory for \\graphicspath (default RESULTS/figures)")
    ap.add_argument("--markdown", help="markdown table (default RESULTS/figures/tables.md)")
    args = ap.parse_args(argv)

    def run():
        rs = results_io.load(args.results)
        figures = args.figures or os.path.join(args.results, "figures")
        write_macros(rs, os.path.join(args.out, "macros.tex"))
        write_table_tex(rs, os.path.join(args.out, "table_insert_growth.tex"))
        write_paths(os.path.join(args.out, "paths.tex"), figures)
        write_table_md(rs, args.markdown or os.path.join(figures, "tables.md"))
        print(os.path.normpath(args.out))
        return 0

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
