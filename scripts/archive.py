#!/usr/bin/env python3
"""Nothing set aside: every paper-suite attempt is archived, and results/reference is
the latest complete one, whatever its claims say.

    archive.py save RESULTS_DIR [--archive=DIR] [--claims-report=FILE] [--note=TEXT]
        Archives one attempt (complete or not) under DIR/<UTC start>.<commit>/:
          manifest.json    the suite's manifest, as written
          aggregate.json   medians/min/max over repetitions, as written (if any)
          summaries.jsonl  one JSON line per completed run: run_id, summary, config, host,
                           noise_floor, top_k (no timelines, no histograms)
          claims.txt       the claims report (scripts/check_claims.py) on these results
          attempt.json     what the attempts table needs: date, commit, machine (CPU model and
                           kernel of the runs), suite, status
                           ("killed" when the manifest still says "running": the suite died
                           before finalizing it),
                           repetitions, runs ok/planned, claim outcomes, note
        <UTC start> is the manifest's start, YYYYMMDDTHHMMZ (two attempts of one commit on
        one day stay apart); <commit> the runs' git commit, 7 hex digits; ".2", ".3" ... is
        appended rather than ever replacing an archived attempt.
    archive.py promote RESULTS_DIR [--reference=DIR] [--max-rows=1000] [--other-rows=100]
                       [--max-resizes=1000]
        Makes a COMPLETE attempt the reference: copies it (without traces/ and figures/)
        to DIR, replacing what was there, with its timelines downsampled (rule below,
        recorded in DIR/timelines_downsampled.json): those a figure draws (closed-loop
        insert_growth u64/v8 at the largest n) to at most --max-rows rows, every other one
        to at most --other-rows; resize lists longer than --max-resizes thinned (go_swiss
        records every table split: thin_resizes says what is kept and what is summarized
        first, so claims and figures read the same numbers); it records the attempt's
        archive name in DIR/ATTEMPT. Refuses an incomplete attempt.
    archive.py tex [--archive=DIR] [--reference=DIR] --out=FILE
        Writes the attempts table (LaTeX) and \\Attempts... macros from DIR/*/attempt.json.

Downsampling keeps the repo lean (a paper suite with repetitions has hundreds of runs;
at full length their timelines would add tens of MB per reference). The full timelines
stay in the results directory the suite wrote, e.g. results/latest; only the committed
reference is short. The first window is kept as it
is (claims read the state after it); the others are merged in consecutive groups of
k = ceil((rows - 1) / (max_rows - 1)) windows into one row each: window and first_op
of the group's first window, ops summed, end_ns / live_bytes / rss_bytes / entries /
migrating of its last window (the state at the row's end), max_ns, peak_bytes,
resp_max_ns the maximum, p99_ns and resp_p99_ns the maximum of the windows' p99 (an
upper bound of the merged p99, not the merged p99), steal_ms summed (empty if any
window's is). Every window's maximum and peak therefore survives in its row.

Exit status: 0 done; 1 refused (promote of an incomplete attempt); 2 malformed input.
Standard library only.
"""

import argparse
import csv
import datetime
import glob
import json
import math
import os
import shutil
import sys

import analysis
import results_io

SUMMARY_KEYS = ("run_id", "summary", "config", "host", "noise_floor", "top_k")
DOWNSAMPLED = "timelines_downsampled.json"


def _load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise results_io.ResultsError(path, f"cannot read ({e})") from None


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _runs(results_dir, manifest):
    """Paths of the completed runs' JSON files (any schema version)."""
    out = []
    for entry in manifest.get("runs") or []:
        if entry.get("status") == "ok":
            path = os.path.join(results_dir, entry.get("result") or entry["run_id"] + ".json")
            if os.path.isfile(path):
                out.append(path)
    return out


def attempt_name(manifest, commit):
    started = manifest.get("started") or "1970-01-01T00:00:00Z"
    try:
        t = datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ")
        stamp = t.strftime("%Y%m%dT%H%MZ")
    except ValueError:
        stamp = "".join(ch for ch in started if ch.isalnum())[:13] or "undated"
    return f"{stamp}.{(commit or 'unknown')[:7]}"


def claims_of(results_dir):
    """(report lines, {HOLDS: n, FAILS: n, NOT CHECKABLE: n}) of check_claims on the results,
    or the reason they could not be read."""
    import check_claims
    try:
        rs = results_io.load(results_dir, quiet=True)
    except results_io.ResultsError as e:
        return [f"claims not evaluated: malformed results: {e}"], None
    results = check_claims.evaluate(rs)
    counts = {s: sum(1 for r in results if r.status == s)
              for s in (check_claims.HOLDS, check_claims.FAILS, check_claims.NOT_CHECKABLE)}
    return check_claims.report(results, results_dir), counts


def count_claims(report_lines):
    """Claim outcomes counted from a report's status words (for reports given as files)."""
    counts = {"HOLDS": 0, "FAILS": 0, "NOT CHECKABLE": 0}
    for line in report_lines:
        for word in counts:
            if line.startswith(word + " "):
                counts[word] += 1
    return counts


def machine_of(provenance):
    """'<cpu model>, <kernel release>' from a run's provenance, or None: attempts on
    different machines are not comparable number for number (the attempts table says)."""
    m = (provenance or {}).get("machine") or {}
    cpu, kernel = m.get("cpu_model"), (m.get("kernel") or "").split(" ")
    release = kernel[1] if len(kernel) > 1 else None
    return ", ".join(x for x in (cpu, release) if x) or None


def save(results_dir, archive_root, claims_report=None, note="", role=None, claims_rule=None):
    """Archives one attempt; returns its directory."""
    mpath = os.path.join(results_dir, "manifest.json")
    manifest = _load(mpath)
    paths = _runs(results_dir, manifest)
    lines, commit, dirty, machine = [], None, None, None
    for p in paths:
        data = _load(p)
        prov = data.get("provenance") or {}
        commit = commit or prov.get("git_commit")
        dirty = dirty or prov.get("git_dirty")
        machine = machine or machine_of(prov)
        lines.append(json.dumps({k: data.get(k) for k in SUMMARY_KEYS}, separators=(",", ":")))
    name = attempt_name(manifest, commit)
    base, i = name, 1
    while os.path.exists(os.path.join(archive_root, name)):  # never overwrite an attempt
        i += 1
        name = f"{base}.{i}"
    out = os.path.join(archive_root, name)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    shutil.copyfile(mpath, os.path.join(tmp, "manifest.json"))
    agg = os.path.join(results_dir, "aggregate.json")
    if os.path.isfile(agg):
        shutil.copyfile(agg, os.path.join(tmp, "aggregate.json"))
    _write(os.path.join(tmp, "summaries.jsonl"), "\n".join(lines) + ("\n" if lines else ""))
    if claims_report:
        with open(claims_report, encoding="utf-8") as f:
            report = f.read().splitlines()
        counts = count_claims(report)
        rule = claims_rule or "as recorded in claims.txt"
    else:
        report, counts = claims_of(results_dir)
        rule = "medians and >= 80% of repetitions (scripts/check_claims.py)"
    _write(os.path.join(tmp, "claims.txt"), "\n".join(report) + "\n")
    runs = manifest.get("runs") or []
    attempt = {
        "name": name, "started": manifest.get("started"), "finished": manifest.get("finished"),
        "commit": commit or "unknown", "git_dirty": dirty, "machine": machine, "suite": manifest.get("suite"),
        "status": _status(manifest), "reps": manifest.get("reps", 1),
        "wall_seconds": manifest.get("wall_seconds"), "runs_planned": len(runs),
        "runs_ok": sum(1 for r in runs if r.get("status") == "ok"),
        "runs_failed": sum(1 for r in runs if r.get("status") == "failed"),
        "runs_not_run": sum(1 for r in runs if r.get("status") == "not_run"),
        "claims": counts, "claims_rule": rule, "role": role, "note": note,
    }
    _write(os.path.join(tmp, "attempt.json"), json.dumps(attempt, indent=1) + "\n")
    os.replace(tmp, out)
    return out


def _status(manifest):
    """The attempt's status: the manifest's, except that a manifest still saying "running"
    when it is archived (archiving runs after the suite has exited) was left by a suite
    that was killed before it could finalize it; that is recorded as "killed"."""
    status = manifest.get("status")
    return "killed" if status == "running" else status


# ---- promotion and downsampling --------------------------------------------------------

def _merge(rows, cols):
    def col(name):
        return [r[cols.index(name)] for r in rows]

    def mx(name):
        vals = [float(v) for v in col(name) if v != ""]
        return _num(max(vals)) if vals else ""

    out = {}
    for c in cols:
        if c in ("window", "first_op"):
            out[c] = rows[0][cols.index(c)]
        elif c == "ops":
            out[c] = str(sum(int(float(v)) for v in col(c)))
        elif c in ("max_ns", "peak_bytes", "resp_max_ns", "p99_ns", "resp_p99_ns"):
            out[c] = mx(c)
        elif c == "steal_ms":
            vals = col(c)
            out[c] = "" if any(v == "" for v in vals) else _num(sum(float(v) for v in vals))
        else:  # end_ns, live_bytes, rss_bytes, entries, migrating: the state at the end
            out[c] = rows[-1][cols.index(c)]
    return [out[c] for c in cols]


def _num(x):
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def downsample(path, max_rows):
    """Rewrites one timeline CSV in place; returns (rows before, rows after, k)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    if len(body) <= max_rows:
        return len(body), len(body), 1
    k = math.ceil((len(body) - 1) / (max_rows - 1))
    out = [body[0]] + [_merge(body[i:i + k], header) for i in range(1, len(body), k)]
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(out)
    os.replace(tmp, path)
    return len(body), len(out), k


def thin_resizes(run, max_resizes):
    """The run's JSON with its resize list thinned when it holds more than max_resizes
    records (None when it does not): go_swiss records every table split, ~33,000 at 20M
    entries (21 MB per run). Kept: the first and last resize, every unfinished one, those
    that began, ended or peaked at a top-k op (so analysis.largest_quiet_op_outside_resizes
    reads the same), per octave of table size the one with the largest op (among
    all, and among completed ones), the completed one that began at the largest size;
    events only at the kept resizes' ops. What the claims and figures read from the rest
    is computed over all records first and stored in resizes_thinned (octave_medians:
    steps and median step per octave; resize_count), so they read the same numbers."""
    data = run.data
    recs = data["resizes"]
    if len(recs) <= max_resizes:
        return None
    top_ops = {t["op"] for name in ("top_k", "top_k_response") for t in data.get(name) or []}
    keep = {0, len(recs) - 1}
    keep |= {i for i, r in enumerate(recs) if r["end_op"] is None
             or top_ops & {r["start_op"], r["end_op"], r.get("migration_max_op")}}
    largest = [s for done_only in (False, True) for s in analysis.octave_steps(run, done_only).values()]
    wanted = {(s["start_op"], s["entries"]) for s in largest}
    keep |= {i for i, r in enumerate(recs) if (r["start_op"], r["entries_at_start"]) in wanted}
    done = [i for i, r in enumerate(recs) if r["end_op"] is not None]
    if done:
        keep.add(max(done, key=lambda i: recs[i]["entries_at_start"]))
    ops = {op for i in keep for op in (recs[i]["start_op"], recs[i]["end_op"]) if op is not None}
    out = dict(data)
    out["resizes_thinned"] = {
        "resizes": len(recs), "events": len(data["events"]), "kept": len(keep),
        "octaves": {str(k): {"steps": n, "median_largest_ns": m}
                    for k, (n, m) in sorted(analysis.octave_medians(run).items())}}
    out["resizes"] = [recs[i] for i in sorted(keep)]
    out["events"] = [e for e in data["events"] if e["op"] in ops]
    return out


def drawn_runs(rs):
    """Run ids whose timelines a figure draws: closed-loop insert_growth u64/v8 at the
    largest n (fig1, fig3), every repetition."""
    groups, _ = rs.largest("insert_growth", "closed")
    return {r.run_id for g in groups.values() for r in g.runs}


def promote(results_dir, reference_dir, max_rows=1000, attempt=None, other_rows=100, max_resizes=1000):
    """Replaces reference_dir with a downsampled copy of a complete attempt: timelines a
    figure draws keep up to max_rows rows, every other one up to other_rows; resize lists
    longer than max_resizes are thinned (thin_resizes)."""
    manifest = _load(os.path.join(results_dir, "manifest.json"))
    if manifest.get("status") != "complete":
        raise RefusedError(f"{results_dir}: manifest status is {manifest.get('status')}; only a complete attempt "
                           "becomes the reference (it is archived all the same)")
    rs = results_io.load(results_dir, quiet=True, eager=False)  # malformed results are never promoted
    drawn = drawn_runs(rs)
    new = reference_dir.rstrip("/") + ".new"
    shutil.rmtree(new, ignore_errors=True)
    shutil.copytree(results_dir, new, ignore=shutil.ignore_patterns("traces", "figures", "paper", "*.tmp"))
    record = {"rule": "first window kept; the rest merged k at a time (scripts/archive.py)", "max_rows": max_rows,
              "other_rows": other_rows, "runs": {},
              "resizes_rule": "resize lists longer than max_resizes thinned (thin_resizes in scripts/archive.py)",
              "max_resizes": max_resizes, "resizes_thinned": {}}
    for run in rs.runs:
        thinned = thin_resizes(run, max_resizes)
        if thinned is not None:
            _write(os.path.join(new, os.path.basename(run.path)), json.dumps(thinned, indent=1) + "\n")
            record["resizes_thinned"][run.run_id] = {k: thinned["resizes_thinned"][k]
                                                     for k in ("resizes", "events", "kept")}
    for path in sorted(glob.glob(os.path.join(new, "*.timeline.csv"))):
        run_id = os.path.basename(path)[:-len(".timeline.csv")]
        before, after, k = downsample(path, max_rows if run_id in drawn else other_rows)
        if k > 1:
            record["runs"][run_id] = {"rows": before, "kept": after, "merged": k}
    _write(os.path.join(new, DOWNSAMPLED), json.dumps(record, indent=1) + "\n")
    if attempt:
        _write(os.path.join(new, "ATTEMPT"), attempt + "\n")
    old = reference_dir.rstrip("/") + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(reference_dir):
        os.replace(reference_dir, old)
    os.replace(new, reference_dir)
    shutil.rmtree(old, ignore_errors=True)
    return record


class RefusedError(Exception):
    pass


# ---- the attempts table ----------------------------------------------------------------

def attempts(archive_root):
    out = []
    for path in sorted(glob.glob(os.path.join(archive_root, "*", "attempt.json"))):
        out.append(_load(path))
    return out


def role_of(a, reference_name):
    if a.get("name") == reference_name:
        return "reference"
    return a.get("role") or "archived"


def _tex(text):
    return str(text).replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")


def write_tex(archive_root, reference_dir, path):
    ref_file = os.path.join(reference_dir, "ATTEMPT") if reference_dir else None
    reference_name = None
    if ref_file and os.path.isfile(ref_file):
        with open(ref_file, encoding="utf-8") as f:
            reference_name = f.read().strip()
    rows = attempts(archive_root)
    lines = ["% Generated by scripts/archive.py from results/archive/*/attempt.json. Do not edit.",
             f"\\newcommand{{\\AttemptsTotal}}{{{len(rows)}}}",
             f"\\newcommand{{\\AttemptsComplete}}{{{sum(1 for a in rows if a.get('status') == 'complete')}}}",
             r"\newcommand{\AttemptsTable}{%", r"\begin{tabular}{lllrrlrrrl}", r"\toprule",
             r"started (UTC) & commit & machine & R & runs & status & holds & fails & n/c & role \\", r"\midrule"]
    for a in rows:
        c = a.get("claims") or {}
        started = (a.get("started") or "?").replace("T", " ").rstrip("Z")[:16]
        lines.append(" & ".join([
            _tex(started), r"\texttt{" + _tex(a.get("commit", "?")[:7]) + "}",
            _tex(a.get("machine") or "not recorded"), str(a.get("reps", 1)),
            f"{a.get('runs_ok', 0)}/{a.get('runs_planned', 0)}", _tex(a.get("status", "?")),
            str(c.get("HOLDS", "?")), str(c.get("FAILS", "?")), str(c.get("NOT CHECKABLE", "?")),
            _tex(role_of(a, reference_name))]) + r" \\")
    if not rows:
        lines.append(r"\multicolumn{10}{c}{no attempt archived yet} \\")
    lines += [r"\bottomrule", r"\end{tabular}}"]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    _write(path, "\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save")
    s.add_argument("results")
    s.add_argument("--archive", default="results/archive")
    s.add_argument("--claims-report", help="use this claims report instead of running the checks")
    s.add_argument("--note", default="")
    s.add_argument("--role", help="e.g. 'set aside' for an attempt recorded after the fact")
    s.add_argument("--claims-rule", help="with --claims-report: the rule that report applied")
    p = sub.add_parser("promote")
    p.add_argument("results")
    p.add_argument("--reference", default="results/reference")
    p.add_argument("--max-rows", type=int, default=1000, help="rows kept of a timeline a figure draws")
    p.add_argument("--other-rows", type=int, default=100, help="rows kept of every other timeline")
    p.add_argument("--max-resizes", type=int, default=1000, help="resize records kept before a list is thinned")
    p.add_argument("--attempt", help="archive name of this attempt (written to REFERENCE/ATTEMPT)")
    t = sub.add_parser("tex")
    t.add_argument("--archive", default="results/archive")
    t.add_argument("--reference", default="results/reference")
    t.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    def run():
        if args.cmd == "save":
            print(save(args.results, args.archive, args.claims_report, args.note, args.role, args.claims_rule))
        elif args.cmd == "promote":
            if min(args.max_rows, args.other_rows) < 2 or args.max_resizes < 1:
                print("error: --max-rows and --other-rows must be at least 2, --max-resizes at least 1",
                      file=sys.stderr)
                return 2
            try:
                record = promote(args.results, args.reference, args.max_rows, args.attempt, args.other_rows,
                                 args.max_resizes)
            except RefusedError as e:
                print(f"refused: {e}", file=sys.stderr)
                return 1
            print(f"{args.reference}: {len(record['runs'])} timeline(s) downsampled to <= {args.max_rows} rows "
                  f"(drawn by a figure) or <= {args.other_rows} (the others)")
        else:
            write_tex(args.archive, args.reference, args.out)
            print(args.out)
        return 0

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
