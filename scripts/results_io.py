"""Reads a rehashlab results directory (the schema is results/README.md).

One loader for every script (figures, macros, claims, compare), so each rule about
the format lives here once:
  * a file that exists but is malformed is rejected: ResultsError names the file
    and the problem (scripts exit 2 with that message);
  * a run that is missing (planned but failed / not run, or listed but absent) is a
    warning: the caller plots what exists and says what is missing.

Only the Python standard library is used, so compare.py and check_claims.py run
under any python3 (the plotting scripts additionally need matplotlib).
"""

import csv
import json
import math
import os
import sys

RUN_SCHEMA = "rehashlab-run/1"
MANIFEST_SCHEMA = "rehashlab-manifest/1"

# Summary fields the scripts read (results/README.md, "summary"): name -> allowed types.
_NUM = (int, float)
_NUM_OR_NULL = (int, float, type(None))
SUMMARY_FIELDS = {
    "map": (str,), "workload": (str,), "n": (int,), "mode": (str,),
    "key": (str,), "value_bytes": (int,), "ops": (int,),
    "p50_ns": _NUM, "p90_ns": _NUM, "p99_ns": _NUM, "p999_ns": _NUM, "p9999_ns": _NUM,
    "max_ns": _NUM, "mean_ns": _NUM, "ops_per_sec": _NUM,
    "peak_bytes": _NUM, "final_bytes": _NUM, "final_entries": _NUM,
    "bytes_per_entry_final": _NUM_OR_NULL, "bytes_per_entry_mean": _NUM_OR_NULL,
    "payload_bytes_moved": _NUM, "write_amplification": _NUM_OR_NULL,
}
RESPONSE_FIELDS = ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns", "mean_ns")
TIMELINE_COLUMNS = ["window", "first_op", "ops", "end_ns", "max_ns", "p99_ns", "live_bytes",
                    "entries", "migrating", "resp_max_ns", "resp_p99_ns"]
EVENT_KINDS = ("grow_start", "migration_end", "old_array_freed")


class ResultsError(Exception):
    """A malformed results file: str() is '<file>: <problem>'."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def warn(message):
    print(f"warning: {message}", file=sys.stderr)


def _load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ResultsError(path, f"not valid JSON ({e})") from None
    except UnicodeDecodeError as e:
        raise ResultsError(path, f"not UTF-8 text ({e})") from None


def _require(path, obj, field, types, where):
    if not isinstance(obj, dict) or field not in obj:
        raise ResultsError(path, f"missing field '{where}{field}'")
    value = obj[field]
    # bool is an int in Python; no field read here is a bool.
    if isinstance(value, bool) or not isinstance(value, types):
        names = "/".join("null" if t is type(None) else t.__name__ for t in types)
        raise ResultsError(path, f"field '{where}{field}' is {json.dumps(value)}, expected {names}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ResultsError(path, f"field '{where}{field}' is not finite")
    return value


class Run:
    """One <run_id>.json with lazy access to its timeline and histograms."""

    def __init__(self, path, data):
        self.path = path
        self.dir = os.path.dirname(path)
        self.data = data
        self.summary = data["summary"]
        self.run_id = data["run_id"]
        self._timeline = None

    # Selection keys.
    map = property(lambda self: self.summary["map"])
    workload = property(lambda self: self.summary["workload"])
    mode = property(lambda self: self.summary["mode"])
    key = property(lambda self: self.summary["key"])
    value_bytes = property(lambda self: self.summary["value_bytes"])
    n = property(lambda self: self.summary["n"])
    # config.alloc: "fresh" (default: fresh zero pages, chunked release), "system"
    # (calloc, one free) or "naive" (memset, one free). Results written before --alloc
    # existed say config.zero_fill ("fresh" or "naive").
    alloc = property(lambda self: (self.data.get("config") or {}).get("alloc")
                     or (self.data.get("config") or {}).get("zero_fill") or "fresh")

    def get(self, *keys, default=None):
        """data[k1][k2]... or default when any level is absent or null."""
        obj = self.data
        for k in keys:
            if not isinstance(obj, dict) or obj.get(k) is None:
                return default
            obj = obj[k]
        return obj

    def file(self, name):
        rel = self.get("files", name)
        return None if rel is None else os.path.join(self.dir, rel)

    def timeline(self):
        """List of dict rows (ints/floats; None for empty cells)."""
        if self._timeline is None:
            self._timeline = read_timeline(self.file("timeline_csv"))
        return self._timeline

    def hgrm(self, which="service"):
        return read_hgrm(self.file(f"{which}_hgrm"))


def validate_run(path, data):
    """Checks the fields the scripts read; raises ResultsError on the first problem."""
    if not isinstance(data, dict):
        raise ResultsError(path, "top level is not a JSON object")
    if data.get("schema") != RUN_SCHEMA:
        raise ResultsError(path, f"schema is {json.dumps(data.get('schema'))}, expected \"{RUN_SCHEMA}\"")
    _require(path, data, "run_id", (str,), "")
    summary = data.get("summary")
    if not isinstance(summary, dict):
        raise ResultsError(path, "missing object 'summary'")
    for field, types in SUMMARY_FIELDS.items():
        _require(path, summary, field, types, "summary.")
    if summary["mode"] not in ("closed", "open"):
        raise ResultsError(path, f"summary.mode is {json.dumps(summary['mode'])}, expected closed or open")
    if summary["mode"] == "open":
        response = summary.get("response")
        if not isinstance(response, dict):
            raise ResultsError(path, "open-loop run without object 'summary.response'")
        for field in RESPONSE_FIELDS:
            _require(path, response, field, _NUM, "summary.response.")
    files = data.get("files")
    if not isinstance(files, dict):
        raise ResultsError(path, "missing object 'files'")
    for name in ("service_hgrm", "timeline_csv"):
        _require(path, files, name, (str,), "files.")
    if summary["mode"] == "open":
        _require(path, files, "response_hgrm", (str,), "files.")
    for field in ("resizes", "events", "top_k"):
        if not isinstance(data.get(field, []), list):
            raise ResultsError(path, f"field '{field}' is not a list")
    for i, event in enumerate(data.get("events", [])):
        if not isinstance(event, dict) or event.get("kind") not in EVENT_KINDS or \
                not isinstance(event.get("op"), int):
            raise ResultsError(path, f"events[{i}] is not {{op: int, kind: {'|'.join(EVENT_KINDS)}}}")
    for i, resize in enumerate(data.get("resizes", [])):
        if not isinstance(resize, dict) or not isinstance(resize.get("start_op"), int):
            raise ResultsError(path, f"resizes[{i}] has no integer start_op")


def read_run(path):
    data = _load_json(path)
    validate_run(path, data)
    return Run(path, data)


def _number(path, line_no, text, column):
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ResultsError(path, f"line {line_no}: column '{column}' is '{text}', not a number") from None
    if not math.isfinite(value):
        raise ResultsError(path, f"line {line_no}: column '{column}' is not finite")
    return int(value) if value.is_integer() else value


def read_timeline(path):
    if path is None or not os.path.isfile(path):
        raise ResultsError(path or "(timeline)", "timeline file does not exist")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != TIMELINE_COLUMNS:
        raise ResultsError(path, f"header is {rows[0] if rows else 'missing'}, expected {','.join(TIMELINE_COLUMNS)}")
    out = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(TIMELINE_COLUMNS):
            raise ResultsError(path, f"line {line_no}: {len(row)} columns, expected {len(TIMELINE_COLUMNS)}")
        rec = {c: _number(path, line_no, v, c) for c, v in zip(TIMELINE_COLUMNS, row)}
        for c in TIMELINE_COLUMNS[:9]:
            if rec[c] is None:
                raise ResultsError(path, f"line {line_no}: column '{c}' is empty")
        out.append(rec)
    return out


def read_hgrm(path):
    """HdrHistogram percentile distribution -> list of (value_ns, percentile, total_count)."""
    if path is None or not os.path.isfile(path):
        raise ResultsError(path or "(histogram)", "histogram file does not exist")
    points = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            text = line.strip()
            if not text or text.startswith("#") or text.startswith("Value"):
                continue
            parts = text.split()
            if len(parts) not in (3, 4):
                raise ResultsError(path, f"line {line_no}: expected 'Value Percentile TotalCount 1/(1-Percentile)'")
            try:
                value, pct, count = float(parts[0]), float(parts[1]), int(float(parts[2]))
            except ValueError:
                raise ResultsError(path, f"line {line_no}: not numbers: {text!r}") from None
            if not 0.0 <= pct <= 1.0:
                raise ResultsError(path, f"line {line_no}: percentile {pct} outside [0, 1]")
            if points and (pct < points[-1][1] or value < points[-1][0]):
                raise ResultsError(path, f"line {line_no}: values/percentiles not non-decreasing")
            points.append((value, pct, count))
    if not points:
        raise ResultsError(path, "no percentile rows")
    return points


class ResultSet:
    """All runs of one results directory, plus what is missing from it."""

    def __init__(self, directory, runs, manifest, missing):
        self.dir = directory
        self.runs = runs            # list of Run
        self.manifest = manifest    # dict or None
        self.missing = missing      # list of (run_id, reason)

    def select(self, workload=None, mode=None, key=None, value_bytes=None, n=None, map=None, alloc="fresh"):
        """Runs matching every given key. Runs with another allocation mode are a separate
        experiment: left out unless alloc names it (or None: every mode)."""
        out = []
        for r in self.runs:
            if alloc is not None and r.alloc != alloc: continue
            if workload is not None and r.workload != workload: continue
            if mode is not None and r.mode != mode: continue
            if key is not None and r.key != key: continue
            if value_bytes is not None and r.value_bytes != value_bytes: continue
            if n is not None and r.n != n: continue
            if map is not None and r.map != map: continue
            out.append(r)
        return out

    def largest(self, workload, mode="closed", key="u64", value_bytes=8):
        """{map: Run} at the largest n that (workload, mode, key, value) was run with."""
        runs = self.select(workload=workload, mode=mode, key=key, value_bytes=value_bytes)
        if not runs:
            return {}, None
        n = max(r.n for r in runs)
        return {r.map: r for r in runs if r.n == n}, n

    def maps(self):
        seen = []
        for r in self.runs:
            if r.map not in seen:
                seen.append(r.map)
        return seen

    def any_run(self):
        return self.runs[0] if self.runs else None


def load(directory, quiet=False):
    """Loads every run; raises ResultsError on a malformed file; warns about missing runs."""
    if not os.path.isdir(directory):
        raise ResultsError(directory, "results directory does not exist")
    manifest_path = os.path.join(directory, "manifest.json")
    manifest, missing, paths = None, [], []
    if os.path.isfile(manifest_path):
        manifest = _load_json(manifest_path)
        if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
            raise ResultsError(manifest_path, f"schema is not \"{MANIFEST_SCHEMA}\"")
        if not isinstance(manifest.get("runs"), list):
            raise ResultsError(manifest_path, "missing list 'runs'")
        for i, entry in enumerate(manifest["runs"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("run_id"), str):
                raise ResultsError(manifest_path, f"runs[{i}] has no run_id")
            status = entry.get("status")
            if status != "ok":
                missing.append((entry["run_id"], f"status {status}"))
                continue
            result = entry.get("result") or entry["run_id"] + ".json"
            path = os.path.join(directory, result)
            if not os.path.isfile(path):
                missing.append((entry["run_id"], f"listed as ok but {result} does not exist"))
                continue
            paths.append(path)
        if manifest.get("status") not in ("complete", None):
            missing.append(("(suite)", f"manifest status is {manifest.get('status')}"))
    else:
        if not quiet:
            warn(f"{manifest_path} does not exist; reading every *.json in {directory}")
        paths = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                       if f.endswith(".json") and f != "manifest.json")
    runs = [read_run(p) for p in paths]
    # Referenced files must exist and parse: a run whose timeline is broken is malformed.
    for r in runs:
        for name in ("service_hgrm", "timeline_csv") + (("response_hgrm",) if r.mode == "open" else ()):
            f = r.file(name)
            if not os.path.isfile(f):
                raise ResultsError(r.path, f"files.{name} points to {f}, which does not exist")
        r.timeline()
    if not runs:
        raise ResultsError(directory, "no run results (no ok run in manifest.json / no *.json files)")
    if not quiet:
        for run_id, reason in missing:
            warn(f"{directory}: missing run {run_id} ({reason})")
    return ResultSet(directory, runs, manifest, missing)


def main_guard(fn):
    """Runs fn(); a ResultsError becomes 'error: <file>: <problem>' and exit 2."""
    try:
        return fn()
    except ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
