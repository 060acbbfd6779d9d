#!/usr/bin/env python3
"""Draws the six figures of the paper from a results directory (PNG + PDF).

    figures.py RESULTS_DIR [--out=DIR]      (default DIR: RESULTS_DIR/figures)

  fig1_latency_timeline   per-window max service time during insert_growth, with
                          grow-start / migration-end events (the picture of the spike)
  fig2_percentiles        percentile distribution, x = 1/(1-p), closed (service time)
                          and open loop (response time) side by side
  fig3_memory_timeline    live bytes per entry during insert_growth (the sawtooth and
                          the peak while both arrays are alive)
  fig4_tradeoff           uninstrumented throughput and mean bytes/entry against max
                          latency: per map the median with min-max whiskers
  fig5_write_amplification  payload bytes moved by resizing per byte inserted, by value size
  fig6_shrink             live memory when erasing began (first timeline window) and after
                          erasing 99% (shrink workload)

Repetitions: where a configuration has several, a figure shows every repetition
(timelines, percentile curves) or the median with min-max whiskers (points, bars),
never a single run.

Partial results: a figure whose data are missing is skipped with a warning, and
maps missing from a figure are named. Malformed files: exit 2 with the file name
and the problem (results_io.py; a truncated .hgrm is malformed). Exit 1 if no figure could be drawn.
"""

import mplpython  # noqa: F401  (re-executes under a Python with matplotlib)

import argparse
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

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


def _legend_below(fig, axes, ncol=3):
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    # Below the axes (bbox_inches="tight" at save time keeps it in the image).
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, frameon=False,
               handlelength=1.6, columnspacing=1.0)


def _op_scale(n):
    """(divisor, axis label) so that operation counts read as small numbers."""
    for power, name in ((9, "$10^9$"), (6, "$10^6$"), (3, "$10^3$")):
        if n >= 5 * 10**power:
            return 10**power, f"insert operations ({name})"
    return 1, "insert operations"


def _mops(x, _pos=None):
    return f"{x / 1e6:g}"


def _rep_alpha(i, reps):
    """Line opacity of repetition i: every repetition drawn, the first most opaque."""
    return 1.0 if reps == 1 else max(0.35, 0.9 - 0.5 * i / max(1, reps - 1))


def _steal_note(groups):
    """' (k of N windows with host steal)' over the drawn runs, '' if none or unknown."""
    total = with_steal = 0
    for g in groups:
        for r in g.runs:
            for row in r.timeline():
                if row["steal_ms"] is not None:
                    total += 1
                    with_steal += row["steal_ms"] > 0
    return f"; {with_steal} of {total} windows had host steal (x)" if with_steal else ""


def fig1_latency_timeline(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig1_latency_timeline: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    maps = style.sort_maps(groups)
    _note_missing("fig1_latency_timeline", maps, rs.maps())
    ncols = 1 if len(maps) <= 4 else 2
    nrows = (len(maps) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False,
                             figsize=(style.COLUMN_IN if ncols == 1 else style.FULL_IN, 0.95 * nrows + 0.6))
    scale, xlabel = _op_scale(n)
    for i, name in enumerate(maps):
        ax = axes[i % nrows][i // nrows]
        g = groups[name]
        # Every repetition: a single run is not the result where repetitions exist.
        for j, run in enumerate(g.runs):
            rows = run.timeline()
            x = [(r["first_op"] + r["ops"]) / scale for r in rows]
            y = [max(r["max_ns"], 1) for r in rows]
            ax.plot(x, y, color=style.color(name), linewidth=0.6, alpha=_rep_alpha(j, g.reps),
                    label=style.label(name) if j == 0 else None)
            # Windows with host steal: their maximum is partly the host's.
            sx = [xx for xx, r in zip(x, rows) if r["steal_ms"]]
            sy = [yy for yy, r in zip(y, rows) if r["steal_ms"]]
            ax.scatter(sx, sy, marker="x", s=6, linewidths=0.5, color="0.35", zorder=3)
        ax.set_yscale("log")
        floor = g.median(lambda r: None if r.data["noise_floor"] is None else r.data["noise_floor"]["max_ns"])
        if floor:
            ax.axhline(floor, color="0.4", linestyle=":", linewidth=0.7,
                       label="noise floor max (median)" if i == 0 else None)
        for ev in g.first.data["events"]:
            if ev["kind"] == "grow_start":
                ax.axvline(ev["op"] / scale, color="0.6", linewidth=0.4, linestyle="--", zorder=0)
            elif ev["kind"] == "migration_end":
                ax.axvline(ev["op"] / scale, color=style.color(name), linewidth=0.4, linestyle=":", zorder=0,
                           alpha=0.7)
        ax.text(0.01, 0.93, style.label(name), transform=ax.transAxes, va="top", ha="left",
                fontsize=style.FONT_PT - 0.5, color=style.color(name),
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=1))
    for j in range(len(maps), nrows * ncols):
        axes[j % nrows][j // nrows].set_visible(False)
    window = groups[maps[0]].first.config["window"]
    fig.supylabel(f"max service time per window of {window} ops (ns)", fontsize=style.FONT_PT)
    for c in range(ncols):
        col = [axes[r][c] for r in range(nrows) if r + c * nrows < len(maps)]
        if col:
            col[-1].set_xlabel(xlabel)
            col[-1].tick_params(labelbottom=True)
    reps = max(g.reps for g in groups.values())
    fig.suptitle(f"insert_growth, closed loop, n = {n:,}, {reps} repetition(s) per map: dashed = grow start, "
                 f"dotted = migration end{_steal_note(groups.values())}", fontsize=style.FONT_PT)
    return _save(fig, out_dir, "fig1_latency_timeline")


def _hgrm_xy(points):
    xs, ys = [], []
    for value, pct, _count in points:
        if pct >= 1.0:
            continue
        xs.append(1.0 / (1.0 - pct))
        ys.append(max(value, 1.0))
    return xs, ys


def fig2_percentiles(rs, out_dir):
    closed, n_closed = rs.largest("insert_growth", "closed")
    opened, n_open = rs.largest("insert_growth", "open")
    if not closed and not opened:
        warn("fig2_percentiles: no insert_growth u64/v8 run; skipped")
        return []
    if not opened:
        warn("fig2_percentiles: no open-loop insert_growth run; drawing the closed-loop panel only")
    if not closed:
        warn("fig2_percentiles: no closed-loop insert_growth run; drawing the open-loop panel only")
    panels = [(closed, n_closed, "service", "closed loop: service time"),
              (opened, n_open, "response", "open loop: response time")]
    panels = [p for p in panels if p[0]]
    fig, axes = plt.subplots(len(panels), 1, figsize=(style.COLUMN_IN, 1.9 * len(panels) + 0.6),
                             sharex=True, squeeze=False)
    for ax, (groups, n, which, title) in zip(axes[:, 0], panels):
        for name in style.sort_maps(groups):
            g = groups[name]
            for j, run in enumerate(g.runs):  # every repetition, same style
                xs, ys = _hgrm_xy(run.hgrm(which))
                kw = style.line_kw(name)
                if j:
                    kw["label"] = None
                ax.plot(xs, ys, markevery=max(1, len(xs) // 8), alpha=_rep_alpha(j, g.reps), **kw)
        rate = next(iter(groups.values())).first.summary.get("rate")
        extra = f", R = {rate / 1e6:g} Mops/s" if rate else ""
        ax.set_title(f"{title} (n = {n:,}{extra})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("latency (ns)")
    axes[-1][0].set_xlabel("1/(1-p): 10 = p90, 100 = p99, 10$^4$ = p99.99\n(one line per repetition)")
    _legend_below(fig, axes[:, 0])
    return _save(fig, out_dir, "fig2_percentiles")


def fig3_memory_timeline(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig3_memory_timeline: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 2.7))
    for name in style.sort_maps(groups):
        g = groups[name]
        for j, run in enumerate(g.runs):  # memory is nearly deterministic: repetitions overlap
            rows = [r for r in run.timeline() if r["entries"] > 0]
            xs = [r["entries"] for r in rows]
            ys = [r["live_bytes"] / r["entries"] for r in rows]
            kw = style.line_kw(name)
            if j:
                kw["label"] = None
            ax.plot(xs, ys, markevery=max(1, len(xs) // 10), alpha=_rep_alpha(j, g.reps), **kw)
            # The peak while both arrays are alive: mark windows that end mid-migration.
            mx = [x for x, r in zip(xs, rows) if r["migrating"]]
            my = [y for y, r in zip(ys, rows) if r["migrating"]]
            ax.scatter(mx, my, s=4, color=style.color(name), zorder=3, linewidths=0)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("entries")
    ax.set_ylabel("live bytes / entry (B)")
    ax.set_title(f"insert_growth, n = {n:,} (dots: migration in progress)")
    _legend_below(fig, [ax])
    return _save(fig, out_dir, "fig3_memory_timeline")


def _median_whiskers(values):
    """(median, [[median - min], [max - median]]) for errorbar."""
    med = statistics.median(values)
    return med, [[med - min(values)], [max(values) - med]]


def fig4_tradeoff(rs, out_dir):
    groups, n = rs.largest("insert_growth", "closed")
    if not groups:
        warn("fig4_tradeoff: no closed-loop insert_growth u64/v8 run; skipped")
        return []
    fig, (a1, a2) = plt.subplots(1, 2, sharey=True, figsize=(style.COLUMN_IN, 2.4))
    for name in style.sort_maps(groups):
        g = groups[name]
        maxima = g.values(lambda r: r.summary["max_ns"] / 1e3)
        # Throughput of the uninstrumented pass: ops_per_sec includes the instrument's cost.
        ops = g.values(lambda r: r.summary["ops_per_sec_uninstrumented"])
        bpe = g.values(lambda r: r.summary["bytes_per_entry_mean"])
        y, yerr = _median_whiskers(maxima)
        kw = style.line_kw(name)
        kw.update(linestyle="none", markersize=5, elinewidth=0.7, capsize=1.5, ecolor=style.color(name))
        if ops:
            x, xerr = _median_whiskers(ops)
            a1.errorbar([x], [y], xerr=xerr, yerr=yerr, **kw)
        else:
            warn(f"fig4_tradeoff: {name} has no ops_per_sec_uninstrumented; left out of the throughput panel")
        if bpe:
            x, xerr = _median_whiskers(bpe)
            a2.errorbar([x], [y], xerr=xerr, yerr=yerr, **kw)
    a1.set_yscale("log")
    a1.set_ylabel("max insert latency (µs)")
    a1.set_xlabel("uninstrumented Mops/s")
    a1.xaxis.set_major_formatter(FuncFormatter(_mops))
    a2.set_xlabel("mean bytes / entry (B)")
    reps = max(g.reps for g in groups.values())
    fig.suptitle(f"insert_growth, closed loop, n = {n:,}; lower is better\n"
                 f"median and min-max of {reps} repetition(s)", fontsize=style.FONT_PT)
    _legend_below(fig, [a1, a2], ncol=3)
    return _save(fig, out_dir, "fig4_tradeoff")


def fig5_write_amplification(rs, out_dir):
    groups = rs.select_groups(workload="insert_growth", mode="closed", key="u64")
    if not groups:
        warn("fig5_write_amplification: no closed-loop insert_growth u64 run; skipped")
        return []
    values = sorted({g.value_bytes for g in groups})
    best = {}  # (map, value) -> group at the largest n
    for g in groups:
        k = (g.map, g.value_bytes)
        if k not in best or g.n > best[k].n:
            best[k] = g
    maps = style.sort_maps({m for m, _ in best})
    if len(values) < 3:
        warn(f"fig5_write_amplification: value sizes present: {values} (expected 8, 64, 256)")
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 2.4))
    width = 0.8 / max(1, len(maps))
    for i, name in enumerate(maps):
        xs, ys, lo, hi = [], [], [], []
        for j, v in enumerate(values):
            g = best.get((name, v))
            vals = g.values(lambda r: r.summary["write_amplification"]) if g else []
            if not vals:
                continue
            med, err = _median_whiskers(vals)
            xs.append(j - 0.4 + width * (i + 0.5))
            ys.append(med)
            lo.append(err[0][0])
            hi.append(err[1][0])
        ax.bar(xs, ys, width=width, color=style.color(name), label=style.label(name),
               edgecolor="black" if not style.in_house(name) else style.color(name), linewidth=0.3,
               yerr=[lo, hi], error_kw=dict(elinewidth=0.5, capsize=1))
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels([f"{v} B" for v in values])
    ax.set_xlabel("value size (key: 8-byte u64)")
    ax.set_ylabel("payload bytes moved / inserted")
    ns = sorted({g.n for g in best.values()})
    ax.set_title(f"write amplification of growth (median, min-max), insert_growth n = "
                 f"{', '.join(f'{n:,}' for n in ns)}")
    _legend_below(fig, [ax])
    return _save(fig, out_dir, "fig5_write_amplification")


def fig6_shrink(rs, out_dir):
    groups, n = rs.largest("shrink", "closed")
    if not groups:
        warn("fig6_shrink: no closed-loop shrink u64/v8 run; skipped")
        return []
    maps = style.sort_maps(groups)
    _note_missing("fig6_shrink", maps, rs.maps())
    fig, ax = plt.subplots(figsize=(style.COLUMN_IN, 2.4))
    for i, name in enumerate(maps):
        g = groups[name]
        start = g.values(lambda r: r.timeline()[0]["live_bytes"] / 2**20 if r.timeline()
                         else r.summary["peak_bytes"] / 2**20)
        final = g.values(lambda r: r.summary["final_bytes"] / 2**20)
        (s_med, s_err), (f_med, f_err) = _median_whiskers(start), _median_whiskers(final)
        ax.bar(i - 0.2, s_med, width=0.4, color="white", edgecolor=style.color(name), yerr=s_err,
               hatch="////", linewidth=0.8, label="when erasing began" if i == 0 else None,
               error_kw=dict(elinewidth=0.5, capsize=1))
        ax.bar(i + 0.2, f_med, width=0.4, color=style.color(name), yerr=f_err,
               edgecolor=style.color(name), label="after erasing 99%" if i == 0 else None,
               error_kw=dict(elinewidth=0.5, capsize=1))
    ax.set_yscale("log")
    ax.set_xticks(range(len(maps)))
    ax.set_xticklabels([style.label(m) for m in maps], rotation=30, ha="right")
    ax.set_ylabel("live bytes (MiB)")
    ax.set_title(f"shrink: n = {n:,}, then erase to n/100 (median, min-max)")
    ax.legend(loc="upper right", frameon=False)
    ax.legend_.get_patches()[0].set_edgecolor("0.3")
    ax.legend_.get_patches()[1].set_facecolor("0.3")
    ax.legend_.get_patches()[1].set_edgecolor("0.3")
    return _save(fig, out_dir, "fig6_shrink")


FIGURES = [fig1_latency_timeline, fig2_percentiles, fig3_memory_timeline, fig4_tradeoff,
           fig5_write_amplification, fig6_shrink]


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
