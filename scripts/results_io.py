"""Reads a rehashlab results directory (results/README.md; field lists: results/schema.json).

One loader for every script (figures, paper data, claims, compare, archive, validator),
so each rule about the format lives here once:
  * the field lists and types come from results/schema.json, never restated here;
  * a file that exists but is malformed or odd (a field of the wrong type, max_ns 0 in a
    run with operations, a resize without migration_ops, a top-k entry without op,
    steal_ms as a string, checksums that are not an object, a truncated .hgrm) raises
    ResultsError naming the file and the problem; every CLI turns that into one line on
    stderr and exit status 2 (main_guard), never a traceback;
  * a run that is missing (planned but failed / not run, listed but absent, or a
    repetition short) is a warning: callers use what exists and say what is missing.

Repetitions: each repetition of a configuration is its own run (summary.rep); the
runs of one configuration form a Group, keyed by the run id without ".rep<i>"
(manifest runs[].group, aggregate.json). Selections take the default allocation
(alloc "fresh", or null for maps without the switch) and the default Go GC setting
(go_gc "on", or null) unless asked otherwise.

Standard library only, so every script except figures.py runs under any python3.
"""

import csv
import json
import math
import os
import re
import statistics
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
REP_SUFFIX = re.compile(r"\.rep(\d+)$")


class ResultsError(Exception):
    """A malformed or odd results file: str() is '<file>: <problem>'."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def warn(message):
    print(f"warning: {message}", file=sys.stderr)


# ---- the schema (results/schema.json) -------------------------------------------------

def schema_path():
    """results/schema.json: $REHASHLAB_SCHEMA, else beside this checkout's (or these
    runfiles') scripts/ directory."""
    env = os.environ.get("REHASHLAB_SCHEMA")
    if env:
        return env
    candidates = [os.path.join(_HERE, "..", "results", "schema.json")]
    for root in (os.environ.get("RUNFILES_DIR"), os.environ.get("TEST_SRCDIR")):
        if root:
            candidates.append(os.path.join(root, "rehashlab", "results", "schema.json"))
    for c in candidates:
        if os.path.isfile(c):
            return os.path.normpath(c)
    return os.path.normpath(candidates[0])


_SCHEMA = None


def schema():
    """The parsed results/schema.json (read once)."""
    global _SCHEMA
    if _SCHEMA is None:
        path = schema_path()
        try:
            with open(path, encoding="utf-8") as f:
                _SCHEMA = json.load(f)
        except (OSError, ValueError) as e:
            raise ResultsError(path, f"cannot read the results schema ({e})") from None
    return _SCHEMA


_TYPES = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def type_ok(value, type_name):
    """Reports whether value has the schema type ('int', 'number?', ...)."""
    nullable = type_name.endswith("?")
    base = type_name.rstrip("?")
    if value is None:
        return nullable
    if base not in _TYPES:
        raise ResultsError(schema_path(), f"unknown type '{type_name}'")
    if not _TYPES[base](value):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return True


def type_problems(obj, spec, where):
    """Problems of obj against a schema spec {field: type}: missing fields and wrong
    types, as 'where.field ...' strings (empty list: fine)."""
    if not isinstance(obj, dict):
        return [f"'{where.rstrip('.')}' is {_show(obj)}, expected an object"]
    out = []
    for field, type_name in spec.items():
        if field not in obj:
            out.append(f"missing field '{where}{field}'")
        elif not type_ok(obj[field], type_name):
            out.append(f"field '{where}{field}' is {_show(obj[field])}, expected {type_name}")
    return out


def _show(value):
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check(path, obj, spec, where):
    problems = type_problems(obj, spec, where)
    if problems:
        raise ResultsError(path, problems[0])


def summary_fields():
    return list(schema()["summary"])


def timeline_columns():
    return list(schema()["timeline_columns"])


# ---- one run ---------------------------------------------------------------------------

def group_of(run_id):
    """The run's group (aggregate key): its run id without '.rep<i>'."""
    return REP_SUFFIX.sub("", run_id)


class Run:
    """One <run_id>.json with lazy access to its timeline and histograms."""

    def __init__(self, path, data):
        self.path = path
        self.dir = os.path.dirname(path)
        self.data = data
        self.summary = data["summary"]
        self.config = data["config"]
        self.run_id = data["run_id"]
        self.group = group_of(self.run_id)
        self._timeline = None

    map = property(lambda self: self.summary["map"])
    workload = property(lambda self: self.summary["workload"])
    mode = property(lambda self: self.summary["mode"])
    key = property(lambda self: self.summary["key"])
    value_bytes = property(lambda self: self.summary["value_bytes"])
    n = property(lambda self: self.summary["n"])
    rep = property(lambda self: self.summary["rep"])
    # "fresh" | "system" | "naive" for the in-house maps; None for maps without the switch.
    alloc = property(lambda self: self.summary["alloc"])
    # "on" | "off" for the go_runtime peer; None for every other map.
    go_gc = property(lambda self: self.config["go_gc"])
    # Open loop at a share of the map's own throughput (run id .load<pct>): that share;
    # None for closed loop and for a fixed rate.
    load = property(lambda self: self.config.get("load"))
    peer = property(lambda self: (self.data.get("peer") or {}).get("kind"))

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
        return read_hgrm(self.file(f"{which}_hgrm"), expect_total=self.summary["ops"])

    def max_steal(self, which="top_k"):
        """Host steal (ms) of the window of the run's largest op (top_k[0]), or None
        when unavailable."""
        top = self.data.get(which) or []
        return top[0]["steal_ms"] if top else None


def validate_run(path, data):
    """Checks a run file against results/schema.json plus the oddities the scripts would
    trip over; raises ResultsError on the first problem."""
    sc = schema()
    if not isinstance(data, dict):
        raise ResultsError(path, "top level is not a JSON object")
    if data.get("schema") != sc["run_schema"]:
        raise ResultsError(path, f"schema is {_show(data.get('schema'))}, expected \"{sc['run_schema']}\"")
    _check(path, data, sc["run_top"], "")
    summary = data["summary"]
    _check(path, summary, sc["summary"], "summary.")
    if summary["mode"] not in ("closed", "open"):
        raise ResultsError(path, f"summary.mode is {_show(summary['mode'])}, expected closed or open")
    if summary["mode"] == "open":
        _check(path, data, sc["run_top_open"], "")
        _check(path, summary, sc["summary_open"], "summary.")
        _check(path, summary["response"], sc["percentiles"], "summary.response.")
    if "peer" in data:
        _check(path, data, sc["run_top_peer"], "")
    for section in ("config", "provenance", "timer", "host", "memory"):
        _check(path, data[section], sc[section], section + ".")
    if data["noise_floor"] is not None:
        _check(path, data["noise_floor"], sc["noise_floor"], "noise_floor.")
    if summary["ops"] > 0 and summary["max_ns"] <= 0:
        raise ResultsError(path, f"summary.max_ns is {_show(summary['max_ns'])} in a run of {summary['ops']} "
                                 "operations (an operation takes time)")
    for field in ("max_ns", "p999_ns", "p99_ns"):
        if summary[field] < 0:
            raise ResultsError(path, f"summary.{field} is negative")
    for i, r in enumerate(data["resizes"]):
        _check(path, r, sc["resize"], f"resizes[{i}].")
    for name in ("top_k",) + (("top_k_response",) if summary["mode"] == "open" else ()):
        for i, t in enumerate(data[name]):
            _check(path, t, sc["top_k_entry"], f"{name}[{i}].")
            if t["steal_ms"] is not None and t["steal_ms"] < 0:
                raise ResultsError(path, f"{name}[{i}].steal_ms is negative")
    kinds = sc["event_kinds"]
    for i, e in enumerate(data["events"]):
        _check(path, e, sc["event"], f"events[{i}].")
        if e["kind"] not in kinds:
            raise ResultsError(path, f"events[{i}].kind is {_show(e['kind'])}, expected one of {', '.join(kinds)}")
    steal = data["host"]["steal_ms"]
    if steal is not None and steal < 0:
        raise ResultsError(path, "host.steal_ms is negative")
    files = data["files"]
    need = ["service_hgrm", "timeline_csv"] + (["response_hgrm"] if summary["mode"] == "open" else [])
    for name in need:
        if not isinstance(files.get(name), str):
            raise ResultsError(path, f"files.{name} is {_show(files.get(name))}, expected a path")
    if group_of(data["run_id"]) != data["run_id"] and data["config"]["reps"] <= 1:
        raise ResultsError(path, "run_id has a .rep suffix but config.reps is 1")
    if summary["rep"] != data["config"]["rep"]:
        raise ResultsError(path, "summary.rep differs from config.rep")


def _load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ResultsError(path, f"not valid JSON ({e})") from None
    except UnicodeDecodeError as e:
        raise ResultsError(path, f"not UTF-8 text ({e})") from None
    except OSError as e:
        raise ResultsError(path, f"cannot read ({e.strerror})") from None


def read_run(path):
    data = _load_json(path)
    validate_run(path, data)
    return Run(path, data)


# ---- timelines and histograms ----------------------------------------------------------

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


def timeline_headers():
    """The accepted headers: every column, or every column but the optional ones
    (closed loop may leave them out)."""
    cols = timeline_columns()
    optional = set(schema()["timeline_optional_columns"])
    return [cols, [c for c in cols if c not in optional]]


# Columns whose cells may be empty: host steal where /proc/stat has none, response
# time in closed loop.
EMPTY_OK = {"steal_ms", "resp_max_ns", "resp_p99_ns"}


def read_timeline(path):
    if path is None or not os.path.isfile(path):
        raise ResultsError(path or "(timeline)", "timeline file does not exist")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    headers = timeline_headers()
    if not rows or rows[0] not in headers:
        raise ResultsError(path, f"header is {','.join(rows[0]) if rows else 'missing'}, "
                                 f"expected {','.join(headers[0])}")
    cols = rows[0]
    out = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(cols):
            raise ResultsError(path, f"line {line_no}: {len(row)} columns, expected {len(cols)}")
        rec = {c: _number(path, line_no, v, c) for c, v in zip(cols, row)}
        for c in cols:
            if rec[c] is None and c not in EMPTY_OK:
                raise ResultsError(path, f"line {line_no}: column '{c}' is empty")
        if rec.get("steal_ms") is not None and rec["steal_ms"] < 0:
            raise ResultsError(path, f"line {line_no}: steal_ms is negative")
        rec.setdefault("resp_max_ns", None)
        rec.setdefault("resp_p99_ns", None)
        out.append(rec)
    return out


def read_hgrm(path, expect_total=None):
    """HdrHistogram percentile distribution -> list of (value_ns, percentile, total_count).
    A truncated file (no footer, or a footer whose total count is not the last row's,
    or not the run's operation count) is malformed."""
    if path is None or not os.path.isfile(path):
        raise ResultsError(path or "(histogram)", "histogram file does not exist")
    points, footer_total = [], None
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            text = line.strip()
            if text.startswith("#[") and "Total count" in text:
                try:
                    footer_total = int(float(text.rstrip("]").split("=")[-1]))
                except ValueError:
                    raise ResultsError(path, f"line {line_no}: unreadable footer {text!r}") from None
                continue
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
            if points and (pct < points[-1][1] or value < points[-1][0] or count < points[-1][2]):
                raise ResultsError(path, f"line {line_no}: values/percentiles not non-decreasing")
            points.append((value, pct, count))
    if not points:
        raise ResultsError(path, "no percentile rows")
    if footer_total is None:
        raise ResultsError(path, "truncated: no '#[Max = ..., Total count = ...]' footer")
    if points[-1][2] != footer_total:
        raise ResultsError(path, f"truncated: last row counts {points[-1][2]} values, footer says {footer_total}")
    if expect_total is not None and footer_total != expect_total:
        raise ResultsError(path, f"total count {footer_total} is not the run's {expect_total} operations")
    return points


# ---- groups of repetitions ------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else None


class _Fixed:
    """select(load=FIXED): runs that are not part of a rate sweep (closed loop, or open
    loop at a fixed rate)."""

    def __repr__(self):
        return "FIXED"


FIXED = _Fixed()


class Group:
    """The repetitions of one configuration (workload, key, value, mode, map, n, alloc,
    variant), in repetition order."""

    def __init__(self, key, runs):
        self.key = key
        self.runs = sorted(runs, key=lambda r: r.rep)
        self.by_rep = {r.rep: r for r in self.runs}
        first = self.runs[0]
        for attr in ("map", "workload", "mode", "key", "value_bytes", "n", "alloc", "go_gc", "load"):
            setattr(self, attr if attr != "key" else "key_type", getattr(first, attr))
        self.run_ids = [r.run_id for r in self.runs]

    @property
    def reps(self):
        return len(self.runs)

    def values(self, get):
        """[get(run)] in repetition order, None results left out."""
        out = []
        for r in self.runs:
            v = get(r)
            if v is not None:
                out.append(v)
        return out

    def stats(self, get):
        """(median, min, max, values) of get(run) over the repetitions; Nones if none."""
        vals = self.values(get)
        if not vals:
            return None, None, None, []
        return median(vals), min(vals), max(vals), vals

    def median(self, get):
        return self.stats(get)[0]

    def summary(self, field):
        """(median, min, max, values) of summary[field]."""
        return self.stats(lambda r: r.summary.get(field))

    @property
    def first(self):
        return self.runs[0]


class ResultSet:
    """All runs of one results directory, plus what is missing from it."""

    def __init__(self, directory, runs, manifest, aggregate, missing):
        self.dir = directory
        self.runs = runs            # list of Run
        self.manifest = manifest    # dict or None
        self.aggregate = aggregate  # dict (aggregate.json) or None
        self.missing = missing      # list of (run_id, reason)
        groups = {}
        for r in runs:
            groups.setdefault(r.group, []).append(r)
        self.groups = {k: Group(k, v) for k, v in groups.items()}
        planned = (manifest or {}).get("reps")
        self.reps = planned if isinstance(planned, int) and planned > 0 else \
            max((r.config["reps"] for r in runs), default=1)
        self.suite = (manifest or {}).get("suite")
        # Repetitions planned per group: a suite may run some configurations more often
        # than others (manifest.reps is then the largest). The manifest lists every planned
        # run; without it, each run's config.reps says.
        self._planned = {}
        if manifest:
            for entry in manifest["runs"]:
                self._planned[entry["group"]] = self._planned.get(entry["group"], 0) + 1
        for r in runs:
            self._planned.setdefault(r.group, r.config["reps"])

    def planned_reps(self, group_key):
        """How many repetitions of this group were planned."""
        return self._planned.get(group_key, self.reps)

    def select(self, workload=None, mode=None, key=None, value_bytes=None, n=None, map=None, alloc="fresh",
               go_gc="on", rep=None, load=FIXED):
        """Runs matching every given key. alloc: runs with another allocation mode are a
        separate experiment, left out unless alloc names it ("fresh" also takes maps
        without the switch, alloc null; None takes every mode); go_gc likewise. load:
        FIXED (default) takes closed loop and open loop at a fixed rate, a number the
        open-loop runs at that share of the map's own throughput, None every run."""
        out = []
        for r in self.runs:
            if load is FIXED:
                if r.load is not None:
                    continue
            elif load is not None and (r.load is None or abs(r.load - load) > 1e-9):
                continue
            if alloc is not None and r.alloc != alloc and not (alloc == "fresh" and r.alloc is None):
                continue
            if go_gc is not None and r.go_gc != go_gc and not (go_gc == "on" and r.go_gc is None):
                continue
            if workload is not None and r.workload != workload: continue
            if mode is not None and r.mode != mode: continue
            if key is not None and r.key != key: continue
            if value_bytes is not None and r.value_bytes != value_bytes: continue
            if n is not None and r.n != n: continue
            if map is not None and r.map != map: continue
            if rep is not None and r.rep != rep: continue
            out.append(r)
        return out

    def select_groups(self, **kw):
        """Groups (all repetitions) of the runs select(**kw) returns, ordered by key."""
        keys = sorted({r.group for r in self.select(**kw)})
        return [self.groups[k] for k in keys]

    def largest(self, workload, mode="closed", key="u64", value_bytes=8, alloc="fresh", go_gc="on", load=FIXED):
        """({map: Group}, n) at the largest n that (workload, mode, key, value) was run
        with ({}, None if never). Mixed runs of both distributions: the first by key."""
        groups = self.select_groups(workload=workload, mode=mode, key=key, value_bytes=value_bytes, alloc=alloc,
                                    go_gc=go_gc, load=load)
        if not groups:
            return {}, None
        n = max(g.n for g in groups)
        out = {}
        for g in groups:
            if g.n == n and g.map not in out:
                out[g.map] = g
        return out, n

    def maps(self):
        seen = []
        for r in self.runs:
            if r.map not in seen:
                seen.append(r.map)
        return seen

    def any_run(self):
        return self.runs[0] if self.runs else None


def validate_manifest(path, manifest):
    sc = schema()
    if not isinstance(manifest, dict):
        raise ResultsError(path, "top level is not a JSON object")
    if manifest.get("schema") != sc["manifest_schema"]:
        raise ResultsError(path, f"schema is {_show(manifest.get('schema'))}, expected \"{sc['manifest_schema']}\"")
    _check(path, manifest, sc["manifest"], "")
    for i, entry in enumerate(manifest["runs"]):
        _check(path, entry, sc["manifest_run"], f"runs[{i}].")
        if entry["group"] != group_of(entry["run_id"]):
            raise ResultsError(path, f"runs[{i}].group is {_show(entry['group'])}, expected the run id without "
                                     f"its .rep suffix ({group_of(entry['run_id'])})")
    for name, g in manifest["checksums"].items():
        _check(path, g, sc["manifest_checksum_group"], f"checksums.{name}.")
        if not all(isinstance(m, str) for m in g["maps"]):
            raise ResultsError(path, f"checksums.{name}.maps is not a list of map names")


def validate_aggregate(path, agg):
    sc = schema()
    if not isinstance(agg, dict):
        raise ResultsError(path, "top level is not a JSON object")
    if agg.get("schema") != sc["aggregate_schema"]:
        raise ResultsError(path, f"schema is {_show(agg.get('schema'))}, expected \"{sc['aggregate_schema']}\"")
    _check(path, agg, sc["aggregate"], "")
    for gname, g in agg["groups"].items():
        _check(path, g, sc["aggregate_group"], f"groups.{gname}.")
        if not isinstance(g["fields"], dict):
            raise ResultsError(path, f"groups.{gname}.fields is not an object")
        for fname, st in g["fields"].items():
            _check(path, st, sc["aggregate_stat"], f"groups.{gname}.fields.{fname}.")


def load(directory, quiet=False, eager=True):
    """Loads every run (validated), the manifest and aggregate.json when present.
    Raises ResultsError on a malformed file; warns about missing runs. eager: also read
    every timeline and histogram now, so a broken one is found before anything is drawn."""
    if not os.path.isdir(directory):
        raise ResultsError(directory, "results directory does not exist")
    manifest_path = os.path.join(directory, "manifest.json")
    manifest, missing, paths = None, [], []
    if os.path.isfile(manifest_path):
        manifest = _load_json(manifest_path)
        validate_manifest(manifest_path, manifest)
        for entry in manifest["runs"]:
            if entry["status"] != "ok":
                missing.append((entry["run_id"], f"status {entry['status']}"))
                continue
            result = entry["result"] or entry["run_id"] + ".json"
            path = os.path.join(directory, result)
            if not os.path.isfile(path):
                missing.append((entry["run_id"], f"listed as ok but {result} does not exist"))
                continue
            paths.append(path)
        if manifest["status"] != "complete":
            missing.append(("(suite)", f"manifest status is {manifest['status']}"))
    else:
        if not quiet:
            warn(f"{manifest_path} does not exist; reading every *.json in {directory}")
        paths = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                       if f.endswith(".json") and f not in ("manifest.json", "aggregate.json"))
    runs = [read_run(p) for p in paths]
    seen = {}
    for r in runs:
        if r.run_id in seen:
            raise ResultsError(r.path, f"run_id {r.run_id} also in {seen[r.run_id]}")
        seen[r.run_id] = r.path
    for r in runs:
        for name in ("service_hgrm", "timeline_csv") + (("response_hgrm",) if r.mode == "open" else ()):
            f = r.file(name)
            if not os.path.isfile(f):
                raise ResultsError(r.path, f"files.{name} points to {f}, which does not exist")
        if eager:
            r.timeline()
            r.hgrm("service")
            if r.mode == "open":
                r.hgrm("response")
    if not runs:
        raise ResultsError(directory, "no run results (no ok run in manifest.json / no *.json files)")
    aggregate = None
    agg_path = os.path.join(directory, "aggregate.json")
    if os.path.isfile(agg_path):
        aggregate = _load_json(agg_path)
        validate_aggregate(agg_path, aggregate)
    rs = ResultSet(directory, runs, manifest, aggregate, missing)
    # A repetition that is short (interrupted or failed) is missing too.
    for g in rs.groups.values():
        planned = rs.planned_reps(g.key)
        absent = [i for i in range(planned) if i not in g.by_rep]
        if absent and not any(g.key == group_of(m) for m, _ in missing):
            missing.append((g.key, f"repetition(s) {', '.join(map(str, absent))} of {planned} absent"))
    if not quiet:
        for run_id, reason in missing:
            warn(f"{directory}: missing run {run_id} ({reason})")
    return rs


def main_guard(fn):
    """Runs fn(); a ResultsError becomes 'error: <file>: <problem>' and exit 2."""
    try:
        return fn()
    except ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
