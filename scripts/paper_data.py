#!/usr/bin/env python3
"""Writes the paper's numbers (LaTeX macros) and tables from a results directory.

    paper_data.py RESULTS_DIR [--out=paper/generated] [--figures=DIR] [--markdown=FILE]

  OUT/macros.tex             \\newcommand per number: per map (e.g. \\GoIncMaxInsertUs)
                             and per run set (provenance: \\ResCPU, \\ResTimerOverheadNs ...)
  OUT/table_insert_growth.tex  the headline table (booktabs)
  OUT/paths.tex              \\graphicspath to the figures drawn from the same results
  MARKDOWN (default RESULTS/figures/tables.md)  the same table for the README

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


def _div(a, b):
    return None if a is None or not b else a / b


def naive_runs(rs):
    """({map: Run}, n) of the closed-loop u64/v8 insert_growth runs with
    --alloc=naive at the largest n they were run with ({}, None if none)."""
    runs = rs.select(workload="insert_growth", mode="closed", key="u64", value_bytes=8, alloc="naive")
    if not runs:
        return {}, None
    n = max(r.n for r in runs)
    return {r.map: r for r in runs if r.n == n}, n


def per_map_numbers(rs):
    """{map: {metric: value}} for the headline runs; metric names are macro suffixes."""
    out = {}
    closed, _ = rs.largest("insert_growth", "closed")
    opened, _ = rs.largest("insert_growth", "open")
    shrink, _ = rs.largest("shrink", "closed")
    full = closed.get("full_rehash")
    naive, naive_n = naive_runs(rs)
    fresh_at_naive_n = {r.map: r for r in rs.select(workload="insert_growth", mode="closed", key="u64",
                                                    value_bytes=8, n=naive_n)} if naive_n else {}
    for name in style.sort_maps(set(rs.maps()) | set(style.MAPS)):
        d = {}
        r = naive.get(name)
        if r:
            d["NaiveMaxInsertUs"] = r.summary["max_ns"] / 1e3
            f = fresh_at_naive_n.get(name)
            if f:
                d["FreshMaxInsertUsAtNaiveN"] = f.summary["max_ns"] / 1e3
                d["NaiveOverFresh"] = _div(r.summary["max_ns"], f.summary["max_ns"])
        r = closed.get(name)
        if r:
            s = r.summary
            d.update(MaxInsertUs=s["max_ns"] / 1e3, MaxInsertNs=s["max_ns"], PNineNineNs=s["p99_ns"],
                     PNineNineNineNs=s["p999_ns"], PNineNineNineNineNs=s["p9999_ns"], MeanNs=s["mean_ns"],
                     OpsM=s["ops_per_sec"] / 1e6, BytesPerEntryMean=s["bytes_per_entry_mean"],
                     BytesPerEntryFinal=s["bytes_per_entry_final"], PeakToFinal=_div(s["peak_bytes"], s["final_bytes"]),
                     Resizes=len(r.get("resizes", default=[])))
            pauses = [x.get("migration_max_ns") for x in r.get("resizes", default=[]) if x.get("migration_max_ns")]
            d["LargestResizeOpUs"] = max(pauses) / 1e3 if pauses else None
            done = [x for x in r.get("resizes", default=[]) if x.get("end_op") is not None]
            d["LastMigrationOps"] = done[-1]["migration_ops"] if done else None
            if full and name != "full_rehash":
                d["MaxBelowFull"] = _div(full.summary["max_ns"], s["max_ns"])
        r = opened.get(name)
        if r:
            resp = r.summary["response"]
            d.update(OpenRespMaxUs=resp["max_ns"] / 1e3, OpenRespPNineNineNineUs=resp["p999_ns"] / 1e3,
                     OpenRespPNineNineUs=resp["p99_ns"] / 1e3, OpenServiceMaxUs=r.summary["max_ns"] / 1e3)
        for v, word in ((8, "Eight"), (64, "SixtyFour"), (256, "TwoFiftySix")):
            runs, _ = rs.largest("insert_growth", "closed", value_bytes=v)
            if name in runs:
                d[f"WriteAmp{word}"] = runs[name].summary["write_amplification"]
        r = shrink.get(name)
        if r:
            s = r.summary
            start = r.timeline()[0]["live_bytes"] if r.timeline() else None
            kept = _div(s["final_bytes"], start)
            d.update(ShrinkKeptPct=None if kept is None else 100.0 * kept,
                     ShrinkPeakMiB=s["peak_bytes"] / 2**20, ShrinkFinalMiB=s["final_bytes"] / 2**20)
        out[name] = d
    return out


METRICS = ["MaxInsertUs", "MaxInsertNs", "PNineNineNs", "PNineNineNineNs", "PNineNineNineNineNs", "MeanNs",
           "OpsM", "BytesPerEntryMean", "BytesPerEntryFinal", "PeakToFinal", "Resizes", "LargestResizeOpUs",
           "LastMigrationOps", "MaxBelowFull", "OpenRespMaxUs", "OpenRespPNineNineNineUs", "OpenRespPNineNineUs",
           "OpenServiceMaxUs", "WriteAmpEight", "WriteAmpSixtyFour", "WriteAmpTwoFiftySix", "ShrinkKeptPct",
           "ShrinkPeakMiB", "ShrinkFinalMiB", "NaiveMaxInsertUs", "FreshMaxInsertUsAtNaiveN", "NaiveOverFresh"]
# Only the maps with a zero-fill switch have naive runs.
NAIVE_METRICS = ("NaiveMaxInsertUs", "FreshMaxInsertUsAtNaiveN", "NaiveOverFresh")


def run_set_numbers(rs):
    """Provenance and configuration of the run set: {macro suffix: (value, is_text)}."""
    closed, n_growth = rs.largest("insert_growth", "closed")
    opened, n_open = rs.largest("insert_growth", "open")
    _, n_shrink = rs.largest("shrink", "closed")
    _, n_naive = naive_runs(rs)
    ref = closed.get("full_rehash") or next(iter(closed.values()), None) or rs.any_run()
    prov = ref.get("provenance", default={})
    timer = ref.get("timer", default={})
    cfg = ref.get("config", default={})
    maint = ref.get("maintenance", default={})
    floors = [r.get("noise_floor", "max_ns") for r in rs.runs if r.get("noise_floor", "max_ns") is not None]
    floors9 = [r.get("noise_floor", "p9999_ns") for r in rs.runs if r.get("noise_floor", "p9999_ns") is not None]
    overheads = [r.summary.get("timer_overhead_ns") for r in rs.runs if r.summary.get("timer_overhead_ns") is not None]
    instr = [r.summary.get("instrument_overhead_ns") for r in rs.runs
             if r.summary.get("instrument_overhead_ns") is not None]
    seeds = sorted({r.get("config", "seed") for r in rs.runs if r.get("config", "seed") is not None})
    # Host steal during each run's measured phase (absent in results recorded before it was).
    steals = [(r.get("host", "steal_ms"), r.run_id) for r in rs.runs if r.get("host", "steal_ms") is not None]
    steal_max = max(steals) if steals else None
    manifest = rs.manifest or {}
    commit = prov.get("git_commit") or "unknown"
    rate = next(iter(opened.values())).summary.get("rate") if opened else None
    num = {
        "GrowthN": n_growth, "OpenN": n_open, "ShrinkN": n_shrink, "NaiveN": n_naive, "OpenRateM": _div(rate, 1e6),
        "NumRuns": len(rs.runs), "NumMaps": len(rs.maps()), "NumMissing": len(rs.missing),
        "WallMin": _div(manifest.get("wall_seconds"), 60),
        "Cores": prov.get("cores"), "TimerOverheadNs": statistics.median(overheads) if overheads else None,
        "InstrOverheadNs": statistics.median(instr) if instr else None,
        "NoiseMaxNs": max(floors) if floors else None,
        "NoiseMedianMaxNs": statistics.median(floors) if floors else None,
        "NoisePNineNineNineNineNs": statistics.median(floors9) if floors9 else None,
        "NoiseOps": cfg.get("noise_ops"), "Window": cfg.get("window"), "TopK": cfg.get("top_k"),
        "CalibrationMs": timer.get("calibration_ms"), "MaintIntervalMs": maint.get("interval_ms"),
        "MaintBudgetUs": maint.get("budget_us"), "HashSeed": cfg.get("hash_seed"),
        "Seed": seeds[0] if len(seeds) == 1 else None,
        "StealKnownRuns": len(steals) if steals else None,
        "StealRuns": sum(1 for ms, _ in steals if ms > 0) if steals else None,
        "StealMaxMs": steal_max[0] if steal_max else None,
    }
    text = {
        "Suite": manifest.get("suite", "unknown"), "CPU": prov.get("cpu_model", "unknown"),
        "Kernel": prov.get("kernel", "unknown"), "Compiler": prov.get("compiler", "unknown"),
        "CompilationMode": prov.get("compilation_mode", "unknown"),
        "BuildFlags": ", ".join(prov.get("build_flags") or []) or "none",
        "GitCommit": commit[:12], "GitDirty": {True: "yes", False: "no"}.get(prov.get("git_dirty"), "unknown"),
        "RunDate": prov.get("date", "unknown"), "TimerSource": timer.get("source", "unknown"),
        "TscInvariant": {True: "yes", False: "no"}.get(timer.get("tsc_invariant"), "unknown"),
        "Seeds": ", ".join(str(s) for s in seeds) or "unknown", "ResultsDir": rs.dir,
        "Hostname": prov.get("hostname", "unknown"),
        "StealMaxRun": (steal_max[1] if steal_max[0] > 0 else "none") if steal_max else "unknown",
    }
    return num, text


def write_macros(rs, path):
    per_map = per_map_numbers(rs)
    num, text = run_set_numbers(rs)
    lines = ["% Generated by scripts/paper_data.py from " + rs.dir + ". Do not edit.", ""]
    missing = []
    # Results recorded before the harness read host steal have none: the paper then
    # says so (\ifResStealKnown) instead of printing n/a.
    steal_known = num.get("StealKnownRuns") is not None
    lines.append("\\newif\\ifResStealKnown \\ResStealKnown" + ("true" if steal_known else "false"))
    for key, value in num.items():
        lines.append(f"\\newcommand{{\\Res{key}}}{{{fmt(value)}}}")
        if value is None and not (key.startswith("Steal") and not steal_known):
            missing.append(f"Res{key}")
    for key, value in text.items():
        lines.append(f"\\newcommand{{\\Res{key}}}{{{tex_escape(value)}}}")
    lines.append("")
    naive, _ = naive_runs(rs)
    for name, d in per_map.items():
        prefix = style.macro_prefix(name)
        lines.append(f"\\newcommand{{\\{prefix}Name}}{{\\texttt{{{tex_escape(name)}}}}}")
        for metric in METRICS:
            value = d.get(metric)
            lines.append(f"\\newcommand{{\\{prefix}{metric}}}{{{fmt(value)}}}")
            if metric in NAIVE_METRICS and name not in naive:
                continue
            if value is None and name in rs.maps() and not (metric == "MaxBelowFull" and name == "full_rehash"):
                missing.append(f"{prefix}{metric}")
    _atomic_write(path, "\n".join(lines) + "\n")
    if missing:
        warn(f"{path}: {len(missing)} macros have no data (printed as n/a): {', '.join(missing[:12])}"
             + (" ..." if len(missing) > 12 else ""))


def headline_rows(rs):
    closed, n = rs.largest("insert_growth", "closed")
    per_map = per_map_numbers(rs)
    rows = []
    for name in style.sort_maps(closed):
        d = per_map[name]
        rows.append((name, d.get("PNineNineNs"), d.get("PNineNineNineNineNs"), d.get("MaxInsertUs"),
                     d.get("OpenRespPNineNineNineUs"), d.get("OpsM"), d.get("BytesPerEntryMean"),
                     d.get("PeakToFinal"), d.get("WriteAmpEight")))
    return rows, n


HEADERS = ["map", "p99 (ns)", "p99.99 (ns)", "max (µs)", "open p99.9 (µs)", "Mops/s", "B/entry (mean)",
           "peak/final", "write ampl."]


def write_table_tex(rs, path):
    rows, n = headline_rows(rs)
    tex_headers = [h.replace("µs", r"\textmu s") for h in HEADERS]
    lines = ["% Generated by scripts/paper_data.py. Do not edit.", r"\begin{tabular}{l" + "r" * 8 + "}",
             r"\toprule", " & ".join(tex_headers) + r" \\", r"\midrule"]
    for row in rows:
        lines.append(f"\\texttt{{{tex_escape(row[0])}}} & " + " & ".join(fmt(v) for v in row[1:]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    _atomic_write(path, "\n".join(lines) + "\n")
    return n


def write_table_md(rs, path):
    rows, n = headline_rows(rs)
    lines = [f"insert_growth, u64 keys, 8-byte values, closed loop, n = {n}"
             " (open p99.9: response time in open loop). Generated from " + rs.dir + ".", "",
             "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        lines.append("| " + " | ".join([row[0]] + [fmt(v).replace("{,}", ",").replace(NA, "n/a") for v in row[1:]]) + " |")
    _atomic_write(path, "\n".join(lines) + "\n")


def write_paths(path, figures_dir):
    rel = os.path.relpath(os.path.abspath(figures_dir), os.path.abspath(os.path.join(os.path.dirname(path), "..")))
    _atomic_write(path, "% Generated by scripts/paper_data.py. Do not edit.\n"
                        f"\\graphicspath{{{{{rel.replace(os.sep, '/')}/}}}}\n")


def _atomic_write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "paper",
                                                  "generated"))
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
