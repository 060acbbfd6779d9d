"""Derived quantities that figures.py, paper_data.py and check_claims.py share, each
defined once over the results format (results/README.md).

  growth_steps(run)          every resize of a run as (entries at its start, its largest
                             op, where that op fell: trigger / during / completion)
  octave_steps(run)          the largest op per octave of table size (one point per
                             doubling, whatever the map: go_swiss splits many tables
                             per doubling, Go and Redis migrate once)
  octave_medians(run)        steps and median step cost per octave of table size
  resize_count(run)          resizes the run recorded (also in a thinned reference run)
  worst_response(run)        the open-loop run's worst response, attributed to a map
                             operation, the idle hook, or a stall outside any op
  saturated(run)             the open loop could not keep up (most ops started late)
  by_op(run, kind, state)    service time of one op kind inside / outside migrations
  loglog_slope(points)       least-squares slope of log(y) over log(x)
  rss_per_entry(run), ...    memory per entry: counted (final, peak) and RSS

Everything here reads one run; medians over repetitions are the caller's (Group.values).
Standard library only.
"""

import math
import statistics

# Design families, from the maps' headers (maps/*.h, `rehashlab list --long`): which
# maps migrate incrementally, which bound growth without a migration, and which pace
# one. The figures and claims compare these; which maps ran comes from the results.
INCREMENTAL = ("go_incremental", "redis_dual", "overflow_slab")
BOUNDED = ("go_swiss", "linear_hashing")
PACED = ("paced_flat",)
STOP_THE_WORLD_BASELINE = "full_rehash"
FLAT_REFERENCE = "boost_flat"   # the production open-addressing table paced_flat is judged against

# An op this close to a resize's start is "at the trigger" (the real Go map pays for the
# new array on the insert that starts the grow, or the next one or two that its GC
# assists land on).
TRIGGER_OPS = 4


def in_house(run):
    """Reports whether a run's map has the allocation switch (the in-house maps)."""
    return run.alloc is not None


def is_peer(run):
    return run.peer is not None


def end_granularity(run):
    """How precisely the run knows the op that completed a migration: the redis_server
    peer reads the table every few ops while a rehash runs (peer.resize_end_granularity_ops);
    everything else knows it exactly (0)."""
    peer = run.data.get("peer") or {}
    g = peer.get("resize_end_granularity_ops")
    return int(g) if isinstance(g, (int, float)) and g > 0 else 0


def step_position(run, resize):
    """'trigger', 'completion' or 'during': where the largest op of a resize fell."""
    worst = resize["migration_max_op"]
    if worst - resize["start_op"] < TRIGGER_OPS:
        return "trigger"
    end = resize["end_op"]
    if end is not None and end - worst <= end_granularity(run):
        return "completion"
    return "during"


def growth_steps(run, completed_only=False):
    """[{entries, largest_ns, where, steal_ms, ops, start_op, end_op}] per resize of the
    measured phase, in order. entries: the map's size when the resize began."""
    out = []
    for r in run.data["resizes"]:
        if completed_only and r["end_op"] is None:
            continue
        if r["migration_max_ns"] is None:
            continue
        out.append({"entries": r["entries_at_start"], "largest_ns": r["migration_max_ns"],
                    "where": step_position(run, r), "steal_ms": r["steal_ms"], "ops": r["migration_ops"],
                    "start_op": r["start_op"], "end_op": r["end_op"], "peak_bytes": r["peak_bytes"],
                    "live_bytes": r["live_bytes_at_start"]})
    return out


def octave(entries):
    """The octave of a table size: floor(log2(entries)) (0 for an empty map)."""
    return int(math.floor(math.log2(entries))) if entries > 0 else 0


def octave_steps(run, completed_only=False):
    """{octave: step} with the largest op among the resizes that began in that octave of
    map size (the step dicts of growth_steps)."""
    out = {}
    for s in growth_steps(run, completed_only):
        k = octave(s["entries"])
        if k not in out or s["largest_ns"] > out[k]["largest_ns"]:
            out[k] = s
    return out


def octave_medians(run):
    """{octave: (steps, median largest op in ns)} over every growth step of the run. A
    reference run whose resize list was thinned (scripts/archive.py) carries these numbers,
    computed before thinning, in resizes_thinned.octaves."""
    thinned = run.data.get("resizes_thinned")
    if thinned:
        return {int(k): (v["steps"], v["median_largest_ns"]) for k, v in thinned["octaves"].items()}
    by = {}
    for s in growth_steps(run):
        by.setdefault(octave(s["entries"]), []).append(s["largest_ns"])
    return {k: (len(v), statistics.median(v)) for k, v in by.items()}


def resize_count(run):
    """The number of resizes the run recorded (before any thinning of its resize list)."""
    thinned = run.data.get("resizes_thinned")
    return thinned["resizes"] if thinned else len(run.data["resizes"])


def largest_step(run):
    """The resize whose largest op is the run's largest growth cost (None without resizes)."""
    steps = growth_steps(run)
    return max(steps, key=lambda s: s["largest_ns"]) if steps else None


def top_op_is_step(run):
    """Reports whether the run's slowest op (top_k[0]) began a resize (None without top-k)."""
    top = run.data["top_k"]
    if not top:
        return None
    starts = {r["start_op"] for r in run.data["resizes"]}
    return top[0]["op"] in starts


def largest_quiet_op_outside_resizes(run):
    """The largest op among the run's top_k that began, ended or peaked no resize and whose
    window had no host steal (ns), or None when every such op is a resize or had steal (a
    thinned resize list keeps every resize a top_k op belongs to). For a map whose resize
    is one op (full_rehash, boost_flat, ...) this is what the machine put on an ordinary
    op over the whole run: every other op shares its exposure, unlike the noise floor's
    empty ops (floor_exposure)."""
    resize_ops = set()
    for r in run.data["resizes"]:
        resize_ops.update((r["start_op"], r["end_op"], r.get("migration_max_op")))
    quiet = [t["ns"] for t in run.data["top_k"] if t["op"] not in resize_ops and not t.get("steal_ms")]
    return max(quiet) if quiet else None


def floor_exposure(run):
    """Fraction of the measured phase's wall time spent inside the noise floor's empty ops
    (ops x mean / wall): the chance that a machine event lands on one of them rather than on
    a measured op (None without a floor)."""
    nf = run.data.get("noise_floor")
    if not nf or not nf.get("wall_ns") or nf.get("mean_ns") is None:
        return None
    return nf["ops"] * nf["mean_ns"] / nf["wall_ns"]


def by_op(run, kind, state):
    """by_op[kind][state] (count and percentiles), or None when the run has no such ops."""
    entry = (run.data.get("by_op") or {}).get(kind) or {}
    return entry.get(state)


def by_op_field(run, kind, state, field):
    e = by_op(run, kind, state)
    return None if e is None else e.get(field)


def migrating_share(run, kind="insert"):
    """Fraction of the ops of one kind that began while a migration was in progress
    (None when the run has none of that kind)."""
    st, mg = by_op(run, kind, "steady"), by_op(run, kind, "migrating")
    total = (st["count"] if st else 0) + (mg["count"] if mg else 0)
    return None if total == 0 else (mg["count"] if mg else 0) / total


# ---- open loop ----------------------------------------------------------------------------

SATURATED_LATE_FRACTION = 0.5


def late_fraction(run):
    s = run.summary
    return None if s["mode"] != "open" or not s["ops"] else s["late_ops"] / s["ops"]


def saturated(run):
    """Reports whether an open-loop run fell behind its schedule for good: more than half
    of its ops started more than one interval late, so the queue grew over the run and
    its response times measure that backlog, not the map's stalls."""
    f = late_fraction(run)
    return f is not None and f > SATURATED_LATE_FRACTION


def worst_response(run):
    """The worst response of an open-loop run and what caused it:
      {response_ns, op, steal_ms, service_ns, cause}
    The worst response waited for whatever ran between its scheduled start and its end.
    service_ns is the largest single op in the timeline windows that overlap that span;
    cause is 'op' when that op is at least half of the response (a map operation made it
    wait), 'hook' when the map's idle-time hook (maintenance) ran at least that long,
    else 'stall' (the time went outside any op: the host, the kernel, the harness);
    steal_ms is the host steal over those windows. None for closed-loop runs."""
    if run.mode != "open":
        return None
    top = run.data.get("top_k_response") or []
    resp = run.summary["response"]["max_ns"]
    if not top:
        return None
    op = top[0]["op"]
    rate = run.summary.get("rate") or run.config.get("rate")
    rows = run.timeline()
    if rate:
        end = op * 1e9 / rate + resp
        begin = end - resp
        prev_end, span = 0, []
        for row in rows:
            if row["end_ns"] >= begin and prev_end <= end:
                span.append(row)
            prev_end = row["end_ns"]
    else:
        span = []
    if not span:   # no schedule to place it: the op's own window
        w = top[0]["window"]
        span = [r for r in rows if r["window"] == w] or rows[-1:]
    service = max(r["max_ns"] for r in span)
    steals = [r["steal_ms"] for r in span if r["steal_ms"] is not None]
    steal = sum(steals) if steals else None
    hook = (run.data.get("maintenance") or {}).get("max_ns") or 0
    if service >= 0.5 * resp:
        cause = "op"
    elif hook >= 0.5 * resp:
        cause = "hook"
    else:
        cause = "stall"
    return {"response_ns": resp, "op": op, "steal_ms": steal, "service_ns": service, "cause": cause}


# ---- memory ---------------------------------------------------------------------------------

def counted_per_entry(run):
    s = run.summary
    return None if not s["final_entries"] else s["final_bytes"] / s["final_entries"]


def peak_per_entry(run):
    """Peak live bytes over the run per final entry: the transient of the last doubling."""
    s = run.summary
    return None if not s["final_entries"] else s["peak_bytes"] / s["final_entries"]


def rss_measures_map(run):
    """Reports whether the run's RSS is the map's process: not for the go_runtime peer,
    whose map lives in a child process (its memory_source says so: no RSS)."""
    peer = run.data.get("peer") or {}
    return "no rss" not in str(peer.get("memory_source", "")).lower()


def rss_per_entry(run):
    """RSS growth over the run (final - baseline) per final entry, or None."""
    m = run.data["memory"]
    if not rss_measures_map(run) or not run.summary["final_entries"] or m.get("rss_final_bytes") is None:
        return None
    return (m["rss_final_bytes"] - m["rss_baseline_bytes"]) / run.summary["final_entries"]


def rss_over_counted(run):
    """RSS growth minus counted final bytes, per entry: allocator headers, size-class
    rounding, cached free pages (None where RSS does not measure the map)."""
    rss, counted = rss_per_entry(run), counted_per_entry(run)
    return None if rss is None or counted is None else rss - counted


def allocations_per_entry(run):
    """Allocations the map made per final entry: >= 1 for node-based maps (one node per
    entry), far below 1 for flat ones."""
    m, e = run.data["memory"], run.summary["final_entries"]
    return None if not e else m["allocations"] / e


def holds_old_array_at_end(run):
    """Reports whether the run ended in the middle of a migration that still holds an old
    array (its final bytes count both arrays, so peak/final understates the transient)."""
    rc = run.data["resize_counters"]
    return bool(rc.get("migrating")) and rc.get("old_arrays_freed", 0) > 0


# ---- fits ----------------------------------------------------------------------------------

def loglog_slope(points):
    """Least-squares slope of log(y) on log(x) over [(x, y)] with x, y > 0 (None with fewer
    than two distinct x)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x and y and x > 0 and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den


def machine(run):
    """provenance.machine of a run, with the keys the paper prints (missing ones None)."""
    m = run.data["provenance"].get("machine") or {}
    keys = ("cpu_model", "cpu_mhz", "cores", "caches", "memory", "transparent_hugepage", "kernel", "hypervisor")
    return {k: m.get(k) for k in keys}


def memory_gib(text):
    """'24683784 kB' -> GiB (float), or None."""
    if not isinstance(text, str):
        return None
    parts = text.split()
    try:
        value = float(parts[0])
    except (ValueError, IndexError):
        return None
    unit = parts[1].lower() if len(parts) > 1 else "b"
    scale = {"kb": 2 ** 10, "mb": 2 ** 20, "gb": 2 ** 30, "b": 1}.get(unit, 1)
    return value * scale / 2 ** 30


def thp_mode(text):
    """'always [madvise] never' -> 'madvise' (the bracketed choice), else the text."""
    if not isinstance(text, str):
        return None
    for word in text.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return text


# ---- where configurations meet ------------------------------------------------------------

def common_n(rs, maps, workload="insert_growth", mode="closed", key="u64", value_bytes=8, **kw):
    """The largest n at which every map in maps ran the configuration (None if none)."""
    common = None
    for m in maps:
        sizes = {r.n for r in rs.select(workload=workload, mode=mode, key=key, value_bytes=value_bytes, map=m, **kw)}
        common = sizes if common is None else common & sizes
    return max(common) if common else None


def common_value_n(rs, maps, values):
    """The largest n at which every map in maps ran closed-loop insert_growth with every
    value size (None if there is none): write amplification compared at one n."""
    common = None
    for v in values:
        for m in maps:
            s = {r.n for r in rs.select(workload="insert_growth", mode="closed", key="u64", value_bytes=v, map=m)}
            common = s if common is None else common & s
    return max(common) if common else None


def completed_lengths(run, min_ops=0):
    """{entries at start: migration ops} of the completed resizes at least min_ops long."""
    return {r["entries_at_start"]: r["migration_ops"] for r in run.data["resizes"]
            if r["end_op"] is not None and r["migration_ops"] >= min_ops}


def length_differences(real, others, min_ops):
    """Relative differences (%) between each completed migration of `real` at least min_ops
    long and the migration from the same size in each of `others` (None where another
    has no such migration)."""
    out = []
    for entries, length in completed_lengths(real, min_ops).items():
        for o in others:
            mine = completed_lengths(o).get(entries)
            out.append(None if mine is None else abs(mine / length - 1) * 100)
    return out


_HYPERVISORS = {"KVMKVMKVM": "KVM", "Microsoft Hv": "Hyper-V", "VMwareVMware": "VMware", "XenVMMXenVMM": "Xen",
                "TCGTCGTCGTCG": "QEMU (TCG)", "ACRNACRNACRN": "ACRN", "bhyve bhyve": "bhyve"}


def hypervisor_name(signature):
    """The CPUID hypervisor vendor signature as a name ('KVMKVMKVM' -> 'KVM'); 'none
    reported' without one."""
    if not signature:
        return "none reported"
    sig = str(signature).strip()
    return _HYPERVISORS.get(sig, sig)
