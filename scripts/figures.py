#!/usr/bin/env python3
"""Draws the paper's figures from a results directory (PNG + PDF). Each makes one point.

    figures.py RESULTS_DIR [--out=DIR]      (default DIR: RESULTS_DIR/figures)

  fig1_latency_timeline     the spike: the largest insert of every timeline window over the
                            last three doublings (log x, so each doubling is as wide as the
                            next), one panel per design, the noise floor as a labelled line
  fig2_percentiles          the cost of spreading: service-time percentiles of the designs,
                            the incremental ones above the stop-the-world ones up to p99.99
                            and far below them at the maximum
  fig3_memory               memory: the peak live bytes per entry at each growth step, and
                            at n the counted final and peak bytes beside RSS
  fig4_tradeoff             uninstrumented throughput and mean bytes/entry against the
                            largest insert, with the direction that is better marked
  fig5_write_amplification  payload bytes moved per byte inserted, for every value size at
                            one n (so the value size is the only difference)
  fig6_shrink               share of memory kept after erasing 99 % of the entries
  fig7_scaling              the largest insert against n (log-log): stop-the-world maps grow
                            with n, the others do not
  fig8_growth_steps         the largest op of each growth step against table size (log-log):
                            real Go and Redis beside their variants, and the bounded designs
  fig9_open_loop            the open-loop rates: worst response per map at the fixed rate
                            and at each share of the map's own throughput
  fig10_migration_ops       inserts (insert_growth) and finds (grow_read) inside and outside
                            migrations

Repetitions: where a configuration has several, a figure shows every repetition
(timelines, percentile curves) or the median with min-max whiskers (points, bars),
never a single run.

Partial results: a figure whose data are missing is skipped with a warning, and
maps missing from a figure are named. Malformed files: exit 2 with the file name
and the problem (results_io.py; a truncated .hgrm is malformed). Exit 1 if no figure
could be drawn.
"""

import mplpython  # noqa: F401  (re-executes under a Python with matplotlib)

import argparse
import math
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

import analysis  # noqa: E402
import results_io  # noqa: E402
import style  # noqa: E402
from results_io import warn  # noqa: E402

style.apply_rcparams(matplotlib)


def _save(fig, out_dir, name):
    paths = []
    for ext in ("png", "pdf"):
        path = os.path.join(out_dir, f"{name}.{ext}")
        tmp = path + ".tmp." + ext
        # No creation date in the PDF: the same results give byte-identical figures.
        meta = {"CreationDate": None} if ext == "pdf" else {}
        fig.savefig(tmp, bbox_inches="tight", pad_inches=0.02, metadata=meta)
        os.replace(tmp, path)
        paths.append(path)
    plt.close(fig)
    return paths


def _note_missing(fig_name, have, expected):
    lacking = [m for m in expected if m not in have]
    if lacking:
        warn(f"{fig_name}: no data for {', '.join(lacking)}")


def _legend_below(fig, axes, ncol=3, extra=()):
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    for h, lab in extra:
        handles.append(h)
        labels.append(lab)
    # Below the axes (bbox_inches="tight" at save time keeps it in the image): never over data.
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, frameon=False,
               handlelength=1.6, columnspacing=1.0)


def human(x, _pos=None):
    """20000000 -> '20M', 2500000 -> '2.5M', 500 -> '500' (axis ticks)."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            v = x / div
            return f"{v:.3g}{suffix}"
    return f"{x:.3g}"


def human_time(ns, _pos=None):
    """A latency tick: 100 ns, 10 µs, 1 ms, 1 s."""
    if ns >= 1e9:
        return f"{ns / 1e9:g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:g} µs"
    return f"{ns:g} ns"


def _time_axis(ax, axis="y"):
    a = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    a.set_major_locator(LogLocator(base=10, numticks=12))
    a.set_major_formatter(FuncFormatter(human_time))
    a.set_minor_formatter(NullFormatter())


def _rep_alpha(i, reps):
    """Line opacity of repetition i: every repetition drawn, the first most opaque."""
    return 1.0 if reps == 1 else max(0.35, 0.9 - 0.5 * i / max(1, reps - 1))


def _median_whiskers(values):
    """(median, [[median - min], [max - median]]) for errorbar."""
    med = statistics.median(values)
    return med, [[med - min(values)], [max(values) - med]]


def _point_kw(name, size=4.5):
    kw = style.line_kw(name)
    kw.update(linestyle="none", markersize=size, elinewidth=0.7, capsize=1.5, ecolor=style.color(name))
    return kw


def _timeline_maps(groups):
    """The designs a per-map figure shows: the in-house maps and the flat reference table
    (the other production tables behave like it and like full_rehash)."""
    return [m for m in style.sort_maps(groups)
            if analysis.in_house(groups[m].first) or m == analysis.FLAT_REFERENCE]


# ---- fig1: the spike ------------------------------------------------------------------------

def _window_stats(group, lo):
    """(entries, median, min, max) of the windows' largest op across the repetitions, for
    the windows that end at or above lo entries (windows matched by index)."""
    per = [[r for r in run.timeline() if r["entries"] >= lo] for run in group.runs]
    count = min(len(p) for p in per)
    xs, med, low, high = [], [], [], []
    for i in range(count):
        vals = [max(p[i]["max_ns"], 1) for p in per]
        xs.append(per[0][i]["entries"])
        med.append(statistics.median(vals))
        low.append(min(vals))
        high.append(max(vals))
    return xs, med, low, high


def fig1_latency_timeline(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig1_latency_timeline: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    maps = _timeline_maps(groups)
    if not maps:
        warn("fig1_latency_timeline: no in-house map among the headline runs; skipped")
        return []
    ncols = 4 if len(maps) > 3 else len(maps)
    panels = len(maps) + (1 if len(maps) % ncols else 0)     # a spare cell holds the key
    nrows = (panels + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False,
                             figsize=(style.FULL_IN, 1.25 * nrows + 0.35))
    lo = n / 8
    ymax = 1
    for g in groups.values():
        ymax = max(ymax, max(g.values(lambda r: r.summary["max_ns"])))
    for i, name in enumerate(maps):
        ax = axes[i // ncols][i % ncols]
        g = groups[name]
        # Windows line up across repetitions (same ops): the median of each window's largest
        # insert, and the band between the repetitions' smallest and largest. A spike of the
        # map lands in the same window of every repetition; the machine's land anywhere.
        xs, med, low, high = _window_stats(g, lo)
        ax.fill_between(xs, low, high, color=style.color(name), alpha=0.25, linewidth=0, step="mid")
        ax.plot(xs, med, color=style.color(name), linewidth=0.7, drawstyle="steps-mid")
        # Migrations of the first repetition, shaded; grow starts as ticks on the top edge.
        first = g.first
        for step in analysis.growth_steps(first):
            if step["entries"] < lo:
                continue
            end_op = step["end_op"] if step["end_op"] is not None else n - 1
            if end_op > step["start_op"] + 1:
                ax.axvspan(step["start_op"] + 1, end_op + 1, color=style.color(name), alpha=0.12, linewidth=0)
        starts = [s["start_op"] + 1 for s in analysis.growth_steps(first) if s["entries"] >= lo]
        if analysis.resize_count(first) <= 64:   # go_swiss splits thousands of tables: no ticks, they would merge
            ax.plot(starts, [0.93] * len(starts), linestyle="none", marker="v", markersize=2.5, color="0.15",
                    transform=ax.get_xaxis_transform(), clip_on=False)
        floor = g.median(lambda r: None if r.data["noise_floor"] is None else r.data["noise_floor"]["max_ns"])
        if floor:
            ax.axhline(floor, color="0.25", linestyle="--", linewidth=0.6)
            ax.text(0.98, floor * 1.4, "floor", transform=ax.get_yaxis_transform(), ha="right", va="bottom",
                    fontsize=style.FONT_PT - 1.5, color="0.25")
        ax.set_title(style.label(name), fontsize=style.FONT_PT, pad=2)
        ax.set_xscale("log", base=2)
        ax.set_xlim(lo, n)
        ticks = [n / 8, n / 4, n / 2, n]
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(FuncFormatter(human))
        ax.xaxis.set_minor_formatter(NullFormatter())
        _time_axis(ax)
        ax.set_ylim(50, ymax * 3)
    for j in range(len(maps), nrows * ncols):
        ax = axes[j // ncols][j % ncols]
        ax.axis("off")
        key = [Line2D([], [], color="0.3", linewidth=0.8, label="largest insert per window:\nmedian of the repetitions"),
               matplotlib.patches.Patch(color="0.3", alpha=0.3, label="smallest to largest\nrepetition"),
               Line2D([], [], color="0.25", linestyle="--", linewidth=0.6, label="noise floor: largest\nempty op"),
               Line2D([], [], linestyle="none", marker="v", markersize=3, color="0.15", label="a grow starts"),
               matplotlib.patches.Patch(color="0.3", alpha=0.12, label="migration running\n(first repetition)")]
        ax.legend(handles=key, loc="center", frameon=False, fontsize=style.FONT_PT - 1, handlelength=1.5)
    for ax in axes[-1]:
        ax.tick_params(labelbottom=True)
    window = groups[maps[0]].first.config["window"]
    fig.supxlabel("map size (entries, last three doublings)", fontsize=style.FONT_PT)
    fig.supylabel(f"largest insert per {window} inserts", fontsize=style.FONT_PT)
    return _save(fig, out_dir, "fig1_latency_timeline")


# ---- fig2: percentiles -------------------------------------------------------------------------

PCT_TICKS = [(2, "p50"), (10, "p90"), (100, "p99"), (1000, "p99.9"), (10 ** 4, "p99.99"), (10 ** 5, "p99.999")]


def _hgrm_xy(points):
    xs, ys = [], []
    for value, pct, _count in points:
        if pct >= 1.0:
            continue
        xs.append(1.0 / (1.0 - pct))
        ys.append(max(value, 1.0))
    return xs, ys


def fig2_percentiles(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig2_percentiles: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    maps = _timeline_maps(groups)
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 2.5))
    xmax = 2
    for name in maps:
        g = groups[name]
        # The histograms of the repetitions report the same percentiles (the HdrHistogram
        # ticks) up to where the shortest one ends: the median over the repetitions of each.
        curves = [dict(zip(*_hgrm_xy(run.hgrm("service")))) for run in g.runs]
        common = sorted(set.intersection(*(set(c) for c in curves)))
        xs = common
        ys = [statistics.median(c[x] for c in curves) for x in common]
        # The maximum, drawn past the last percentile: the point the percentiles hide.
        xs.append((xs[-1] if xs else 1) * 3)
        ys.append(statistics.median(g.values(lambda r: r.summary["max_ns"])))
        xmax = max(xmax, xs[-1])
        ax.plot(xs, ys, markevery=[len(xs) - 1], **style.line_kw(name))
    ax.set_xscale("log")
    ax.set_xticks([t for t, _ in PCT_TICKS if t <= xmax])
    ax.set_xticklabels([lab[1:] for t, lab in PCT_TICKS if t <= xmax])
    ax.xaxis.set_minor_formatter(NullFormatter())
    _time_axis(ax)
    ax.set_xlim(1.5, xmax * 1.5)
    ax.set_xlabel("percentile (marker: the largest insert)")
    ax.set_ylabel("service time")
    _legend_below(fig, [ax], ncol=3)
    return _save(fig, out_dir, "fig2_percentiles")


# ---- fig3: memory ----------------------------------------------------------------------------------

def fig3_memory(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig3_memory: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    maps = [m for m in style.sort_maps(groups) if not analysis.is_peer(groups[m].first)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(style.FULL_IN, 2.5), gridspec_kw={"width_ratios": [1.5, 1]})
    for name in maps:
        g = groups[name]
        per = {}
        for run in g.runs:
            for k, s in analysis.octave_steps(run).items():
                if s["entries"] > 0 and s["peak_bytes"]:
                    per.setdefault(k, []).append((s["entries"], s["peak_bytes"] / s["entries"]))
        pts = sorted((statistics.median(e for e, _ in v), statistics.median(b for _, b in v)) for v in per.values())
        pts = [p for p in pts if p[0] >= 1000]
        if pts:
            a1.plot([p[0] for p in pts], [p[1] for p in pts], **style.line_kw(name))
    a1.set_xscale("log")
    a1.xaxis.set_major_formatter(FuncFormatter(human))
    a1.set_ylim(bottom=0)
    a1.set_xlabel("map size when the growth step began (entries)")
    a1.set_ylabel("peak live bytes during the step / entry")
    a1.set_title("(a) the transient of each growth step", fontsize=style.FONT_PT)
    a1.set_ylim(top=max([1] + [ln.get_ydata().max() for ln in a1.get_lines()]) * 1.45)
    # (b) at n: counted final, counted peak, RSS per entry.
    ys = list(range(len(maps)))[::-1]
    for y, name in zip(ys, maps):
        g = groups[name]
        for get, marker, fill in ((analysis.counted_per_entry, "o", True), (analysis.peak_per_entry, "o", False),
                                  (analysis.rss_per_entry, "x", True)):
            vals = g.values(get)
            if not vals:
                continue
            med, err = _median_whiskers(vals)
            a2.errorbar([med], [y], xerr=err, marker=marker, linestyle="none", markersize=4,
                        color=style.color(name), markerfacecolor=style.color(name) if fill else "white",
                        elinewidth=0.6, capsize=1.2)
    a2.set_yticks(ys)
    a2.set_yticklabels([style.label(m) for m in maps])
    a2.set_xlim(left=0)
    a2.set_xlabel("bytes per entry")
    a2.set_title(f"(b) at n = {human(n)}", fontsize=style.FONT_PT)
    a2.grid(axis="y", alpha=0.15)
    key = [Line2D([], [], marker="o", linestyle="none", color="0.3", label="counted, final"),
           Line2D([], [], marker="o", linestyle="none", color="0.3", markerfacecolor="white", label="counted, peak"),
           Line2D([], [], marker="x", linestyle="none", color="0.3", label="RSS growth")]
    a2.legend(handles=key, loc="lower right", frameon=True, framealpha=0.9, fontsize=style.FONT_PT - 1.5,
              handletextpad=0.3, borderpad=0.3)
    a2.margins(x=0.2)
    a1.legend(loc="upper right", frameon=False, fontsize=style.FONT_PT - 1.5, ncol=2)
    return _save(fig, out_dir, "fig3_memory")


# ---- fig4: trade-off ------------------------------------------------------------------------------

def _better(ax, dx, text="better"):
    """An arrow in the corner of a panel that points the way a map is better."""
    x0 = 0.2 if dx > 0 else 0.8
    ax.annotate("", xy=(x0 + 0.14 * dx, 0.06), xytext=(x0, 0.2), xycoords="axes fraction",
                arrowprops=dict(arrowstyle="->", color="0.35", linewidth=0.8))
    ax.text(x0 + 0.02 * dx, 0.22, text, transform=ax.transAxes, ha="center", va="bottom", color="0.35",
            fontsize=style.FONT_PT - 1)


def fig4_tradeoff(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig4_tradeoff: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    maps = [m for m in style.sort_maps(groups) if not analysis.is_peer(groups[m].first)]
    fig, (a1, a2) = plt.subplots(1, 2, sharey=True, figsize=(style.COLUMN_IN, 2.3))
    for name in maps:
        g = groups[name]
        maxima = g.values(lambda r: r.summary["max_ns"])
        # Throughput of the uninstrumented pass: ops_per_sec includes the instrument's cost.
        ops = g.values(lambda r: r.summary["ops_per_sec_uninstrumented"])
        bpe = g.values(lambda r: r.summary["bytes_per_entry_mean"])
        y, yerr = _median_whiskers(maxima)
        if ops:
            x, xerr = _median_whiskers([o / 1e6 for o in ops])
            a1.errorbar([x], [y], xerr=xerr, yerr=yerr, **_point_kw(name))
        else:
            warn(f"fig4_tradeoff: {name} has no ops_per_sec_uninstrumented; left out of the throughput panel")
        if bpe:
            x, xerr = _median_whiskers(bpe)
            a2.errorbar([x], [y], xerr=xerr, yerr=yerr, **_point_kw(name))
    _time_axis(a1)
    for ax in (a1, a2):
        ax.margins(x=0.15, y=0.15)
    a1.set_ylabel("largest insert")
    a1.set_xlabel("Mops/s (uninstrumented)")
    a2.set_xlabel("bytes / entry (mean)")
    _better(a1, +1)
    _better(a2, -1)
    _legend_below(fig, [a1, a2], ncol=2)
    return _save(fig, out_dir, "fig4_tradeoff")


# ---- fig5: write amplification --------------------------------------------------------------------

VALUE_SHADES = {8: "0.8", 64: "0.55", 256: "0.25"}


def fig5_write_amplification(rs, out_dir):
    values = (8, 64, 256)
    base = [m for m in ("go_incremental", "full_rehash") if m in rs.maps()]
    n = analysis.common_value_n(rs, base or rs.maps()[:1], values)
    if n is None:
        present = sorted({r.value_bytes for r in rs.select(workload="insert_growth", mode="closed", key="u64")})
        warn(f"fig5_write_amplification: no n with every value size; value sizes present: {present}")
        return []
    maps = style.sort_maps({r.map for r in rs.select(workload="insert_growth", mode="closed", key="u64", n=n)
                            if not analysis.is_peer(r)})
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 2.3))
    width = 0.8 / len(values)
    top = 0
    for i, name in enumerate(maps):
        for j, v in enumerate(values):
            x = i - 0.4 + width * (j + 0.5)
            g = next(iter(rs.select_groups(workload="insert_growth", mode="closed", key="u64", value_bytes=v,
                                           n=n, map=name)), None)
            vals = g.values(lambda r: r.summary["write_amplification"]) if g else []
            if not vals:
                ax.text(x, 0.02, "–", ha="center", va="bottom", fontsize=style.FONT_PT - 1)
                continue
            med, err = _median_whiskers(vals)
            top = max(top, max(vals))
            ax.bar([x], [med], width=width, color=VALUE_SHADES[v], edgecolor="black", linewidth=0.3, yerr=err,
                   error_kw=dict(elinewidth=0.5, capsize=1), label=f"{v}-byte values" if i == 0 else None)
            if med == 0 and j == len(values) // 2:
                ax.text(i, 0.02, "0", ha="center", va="bottom", fontsize=style.FONT_PT - 1.5)
    ax.set_xticks(range(len(maps)))
    ax.set_xticklabels([style.label(m) for m in maps], rotation=35, ha="right")
    ax.set_ylim(0, max(top * 1.2, 0.5))
    ax.set_ylabel("payload bytes moved\nper byte inserted")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False, fontsize=style.FONT_PT - 1)
    return _save(fig, out_dir, "fig5_write_amplification")


# ---- fig6: shrink ----------------------------------------------------------------------------------

def _kept_pct(run):
    rows = run.timeline()
    return 100.0 * run.summary["final_bytes"] / rows[0]["live_bytes"] if rows and rows[0]["live_bytes"] else None


def fig6_shrink(rs, out_dir):
    groups, n = rs.largest("shrink", "closed")
    if not groups:
        warn("fig6_shrink: no closed-loop shrink u64/v8 run; skipped")
        return []
    maps = style.sort_maps(groups)
    _note_missing("fig6_shrink", maps, [m for m in rs.maps() if not analysis.is_peer(
        next(r for r in rs.runs if r.map == m))])
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 0.2 * len(maps) + 0.7))
    ys = list(range(len(maps)))[::-1]
    for y, name in zip(ys, maps):
        vals = groups[name].values(_kept_pct)
        if not vals:
            continue
        med, err = _median_whiskers(vals)
        ax.barh([y], [med], xerr=err, color=style.color(name), height=0.65,
                error_kw=dict(elinewidth=0.5, capsize=1))
        ax.text(med + 2, y, f"{med:.0f}%", va="center", fontsize=style.FONT_PT - 1.5)
    ax.set_yticks(ys)
    ax.set_yticklabels([style.label(m) for m in maps])
    ax.set_xlim(0, 118)
    ax.axvline(100, color="0.4", linewidth=0.6, linestyle="--")
    ax.set_xlabel("memory kept after erasing 99 % (%)")
    ax.grid(axis="y", alpha=0)
    return _save(fig, out_dir, "fig6_shrink")


# ---- fig7: scaling ----------------------------------------------------------------------------------

def _scaling_points(rs, name):
    out = []
    for g in rs.select_groups(workload="insert_growth", mode="closed", key="u64", value_bytes=8, map=name):
        vals = g.values(lambda r: r.summary["max_ns"])
        if vals:
            out.append((g.n, vals))
    return sorted(out)


def fig7_scaling(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    maps = [m for m in style.sort_maps(groups) if not analysis.is_peer(groups[m].first)] if groups else []
    series = {m: _scaling_points(rs, m) for m in maps}
    series = {m: p for m, p in series.items() if len(p) >= 2}
    if not series:
        warn("fig7_scaling: no map ran insert_growth at two or more sizes; skipped")
        return []
    stw = [m for m in series if m == analysis.STOP_THE_WORLD_BASELINE or not analysis.in_house(groups[m].first)]
    rest = [m for m in series if m not in stw]
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(style.FULL_IN, 2.4))
    for ax, names, title in ((axes[0], stw, "(a) rehash at once: grows with n"),
                             (axes[1], rest, "(b) incremental and bounded designs")):
        for name in names:
            pts = series[name]
            xs = [p[0] for p in pts]
            meds = [statistics.median(p[1]) for p in pts]
            err = [[m - min(p[1]) for m, p in zip(meds, pts)], [max(p[1]) - m for m, p in zip(meds, pts)]]
            ax.errorbar(xs, meds, yerr=err, capsize=1.5, elinewidth=0.6, **style.line_kw(name))
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(human))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(sorted({p[0] for m in series for p in series[m]}))
        _time_axis(ax)
        ax.set_title(title, fontsize=style.FONT_PT)
        ax.set_xlabel("n (entries inserted)")

    # A reference slope: proportional to n, through full_rehash's smallest point.
    if analysis.STOP_THE_WORLD_BASELINE in series:
        pts = series[analysis.STOP_THE_WORLD_BASELINE]
        x0, y0 = pts[0][0], statistics.median(pts[0][1])
        x1 = pts[-1][0]
        for ax in axes:
            ax.plot([x0, x1], [y0, y0 * x1 / x0], color="0.5", linestyle=":", linewidth=0.8)
        axes[1].text(x1, y0 * x1 / x0, "∝ n", ha="right", va="bottom", color="0.4", fontsize=style.FONT_PT - 1)
    axes[0].set_ylabel("largest insert (median, min-max)")
    _legend_below(fig, axes, ncol=6)
    return _save(fig, out_dir, "fig7_scaling")


# ---- fig8: growth steps --------------------------------------------------------------------------------

def _step_series(group, completed_only=False):
    """[(entries, [largest op per repetition])] per octave of map size."""
    per = {}
    for run in group.runs:
        for k, s in analysis.octave_steps(run, completed_only).items():
            per.setdefault(k, []).append((s["entries"], s["largest_ns"]))
    return sorted((statistics.median(e for e, _ in v), [ns for _, ns in v]) for v in per.values())


def _step_panel(ax, rs, entries, n, title):
    drawn = 0
    for label, name, kw in entries:
        g = next(iter(rs.select_groups(workload="insert_growth", mode="closed", key="u64", value_bytes=8, n=n,
                                       map=name, **kw)), None) if n else None
        if g is None:
            continue
        pts = [p for p in _step_series(g) if p[0] >= 1000]
        if not pts:
            continue
        xs = [p[0] for p in pts]
        meds = [statistics.median(p[1]) for p in pts]
        err = [[m - min(p[1]) for m, p in zip(meds, pts)], [max(p[1]) - m for m, p in zip(meds, pts)]]
        lk = style.line_kw(name)
        lk["label"] = label
        if kw.get("alloc") == "system" or kw.get("go_gc") == "off":
            lk.update(linestyle="--", markerfacecolor="white")
        ax.errorbar(xs, meds, yerr=err, capsize=1.2, elinewidth=0.5, markersize=3, **lk)
        drawn += 1
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(human))
    ax.xaxis.set_minor_formatter(NullFormatter())
    _time_axis(ax)
    ax.set_title(title, fontsize=style.FONT_PT)
    ax.set_xlabel("map size when the step began")
    if drawn:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False,
                  fontsize=style.FONT_PT - 1.5, handlelength=2.2)
    return drawn


def fig8_growth_steps(rs, out_dir):
    go_n = max((r.n for r in rs.select(map="go_runtime", go_gc=None)), default=None)
    redis_n = max((r.n for r in rs.select(map="redis_server")), default=None)
    _, n = rs.largest("insert_growth", "closed")
    panels = [
        ("(a) Go" + (f", n = {human(go_n)}" if go_n else ""), go_n, [
            ("Go 1.19 map, GC on", "go_runtime", {}), ("Go 1.19 map, GC off", "go_runtime", {"go_gc": "off"}),
            ("go_incremental, system", "go_incremental", {"alloc": "system"}),
            ("go_incremental, fresh", "go_incremental", {}), ("full_rehash", "full_rehash", {})]),
        ("(b) Redis" + (f", n = {human(redis_n)}" if redis_n else ""), redis_n, [
            ("redis-server 7.0", "redis_server", {}), ("redis_dual, system", "redis_dual", {"alloc": "system"}),
            ("redis_dual, fresh", "redis_dual", {})]),
        (f"(c) bounded designs, n = {human(n)}" if n else "(c) bounded designs", n, [
            (style.label(m), m, {}) for m in ("full_rehash", "go_incremental", "overflow_slab", "go_swiss",
                                                 "linear_hashing", "paced_flat")]),
    ]
    fig, axes = plt.subplots(1, 3, sharey=True, figsize=(style.FULL_IN, 2.7))
    drawn = sum(_step_panel(ax, rs, entries, pn, title) for ax, (title, pn, entries) in zip(axes, panels))
    if not drawn:
        plt.close(fig)
        warn("fig8_growth_steps: no resize recorded in the closed-loop insert_growth runs; skipped")
        return []
    axes[0].set_ylabel("largest op of the step")
    return _save(fig, out_dir, "fig8_growth_steps")


# ---- fig9: open loop ----------------------------------------------------------------------------------

def fig9_open_loop(rs, out_dir):
    settings = []
    fixed, _ = rs.largest("insert_growth", "open")
    if fixed:
        rate = next(iter(fixed.values())).first.summary.get("rate")
        settings.append((f"{human(rate)} ops/s" if rate else "fixed", fixed))
    loads = sorted({r.load for r in rs.select(workload="insert_growth", mode="open", load=None, alloc=None, go_gc=None)
                    if r.load is not None})
    for load in loads:
        groups, _ = rs.largest("insert_growth", "open", load=load)
        settings.append((f"{round(load * 100)}% of own\nthroughput", groups))
    if not settings:
        warn("fig9_open_loop: no open-loop insert_growth run; skipped")
        return []
    maps = [m for m in style.sort_maps({m for _, gs in settings for m in gs})]
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 2.5))
    width = 0.7
    saturated_any = False
    for i, (label, groups) in enumerate(settings):
        for j, name in enumerate(maps):
            g = groups.get(name)
            if not g:
                continue
            x = i - width / 2 + width * (j + 0.5) / len(maps)
            vals = g.values(lambda r: r.summary["response"]["max_ns"])
            med, err = _median_whiskers(vals)
            sat = sum(1 for r in g.runs if analysis.saturated(r)) * 2 > g.reps
            saturated_any |= sat
            kw = _point_kw(name, 3.5)
            if i:
                kw["label"] = None
            if sat:
                kw.update(markerfacecolor="white", alpha=0.45)
            ax.errorbar([x], [med], yerr=err, **kw)
    ax.set_xticks(range(len(settings)))
    ax.set_xticklabels([s[0] for s in settings])
    for i in range(1, len(settings)):
        ax.axvline(i - 0.5, color="0.85", linewidth=0.6)
    ax.grid(axis="x", alpha=0)
    _time_axis(ax)
    ax.set_ylabel("worst response time")
    extra = [(Line2D([], [], marker="o", linestyle="none", color="0.4", markerfacecolor="white", alpha=0.5),
              "fell behind (saturated)")] if saturated_any else []
    _legend_below(fig, [ax], ncol=2, extra=extra)
    return _save(fig, out_dir, "fig9_open_loop")


# ---- fig10: operations during migrations -------------------------------------------------------------

PCTS = (("p50_ns", "o", "p50"), ("p99_ns", "s", "p99"), ("p999_ns", "^", "p99.9"))


def _state_rows(groups, kind, min_share=0.01):
    """[(map, state, {pct: median})] for the maps with both states, each at least min_share."""
    rows = []
    for name in style.sort_maps(groups):
        g = groups[name]
        shares = g.values(lambda r: analysis.migrating_share(r, kind))
        if not shares or not (min_share <= statistics.median(shares) <= 1 - min_share):
            continue
        for state in ("steady", "migrating"):
            vals = {q: g.values(lambda r, q=q, s=state: analysis.by_op_field(r, kind, s, q)) for q, _, _ in PCTS}
            if all(vals.values()):
                rows.append((name, state, {q: statistics.median(v) for q, v in vals.items()}))
    return rows


def fig10_migration_ops(rs, out_dir):
    inserts, n_ins = rs.largest("insert_growth", "closed")
    finds, n_find = rs.largest("grow_read", "closed")
    panels = [(f"(a) inserts, insert_growth n = {human(n_ins)}" if n_ins else "", _state_rows(inserts, "insert")),
              (f"(b) finds, grow_read n = {human(n_find)}" if n_find else "", _state_rows(finds, "find"))]
    panels = [p for p in panels if p[1]]
    if not panels:
        warn("fig10_migration_ops: no run with operations both inside and outside migrations (by_op); skipped")
        return []
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(style.COLUMN_IN, 0.75 + 0.16 * sum(len(r) for _, r in panels)))
    for ax, (title, rows) in zip(axes[:, 0], panels):
        ys = list(range(len(rows)))[::-1]
        for y, (name, state, q) in zip(ys, rows):
            color = style.color(name) if state == "migrating" else "0.55"
            xs = [q[k] for k, _, _ in PCTS]
            ax.plot(xs, [y] * len(xs), color=color, linewidth=0.8)
            for (k, marker, _), x in zip(PCTS, xs):
                ax.plot([x], [y], marker=marker, color=color, markersize=3.5, linestyle="none")
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{style.label(m)}, {'during' if s == 'migrating' else 'outside'}" for m, s, _ in rows],
                           fontsize=style.FONT_PT - 1)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_title(title, fontsize=style.FONT_PT)
        ax.grid(axis="y", alpha=0)
        _time_axis(ax, "x")
    axes[-1][0].set_xlabel("service time")
    key = [Line2D([], [], marker=m, linestyle="none", color="0.3", label=lab) for _, m, lab in PCTS]
    fig.legend(handles=key, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    return _save(fig, out_dir, "fig10_migration_ops")


FIGURES = [fig1_latency_timeline, fig2_percentiles, fig3_memory, fig4_tradeoff, fig5_write_amplification,
           fig6_shrink, fig7_scaling, fig8_growth_steps, fig9_open_loop, fig10_migration_ops]


def draw_all(results_dir, out_dir):
    rs = results_io.load(results_dir)
    os.makedirs(out_dir, exist_ok=True)
    written, skipped = [], []
    for fig in FIGURES:
        paths = fig(rs, out_dir)
        (written.extend(paths) if paths else skipped.append(fig.__name__))
    return written, skipped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="results directory (manifest.json + <run_id>.json ...)")
    ap.add_argument("--out", help="output directory (default: RESULTS/figures)")
    args = ap.parse_args(argv)
    out = args.out or os.path.join(args.results, "figures")

    def run():
        written, skipped = draw_all(args.results, out)
        for p in written:
            print(p)
        if skipped:
            warn(f"figures not drawn (missing data): {', '.join(skipped)}")
        return 0 if written else 1

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
