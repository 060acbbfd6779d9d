#!/usr/bin/env python3
"""Every claim the paper makes about results, written once, as a check over them.

    check_claims.py RESULTS_DIR [--tex=FILE] [--only=ID,...] [--scale-exempt] [--list]

THE RULE (stated once; the paper prints it from the macros written by --tex): a
claim HOLDS when its test holds on the medians across repetitions AND in at least
80 % of the repetitions. Each repetition is evaluated on the runs of that
repetition (same seeds for every map); "the medians" means every quantity the test
reads is replaced by its median over the repetitions (a yes/no quantity's median is
yes when more than half of the repetitions say yes). The sentence says "in k of R
runs".

Before testing, each claim checks its preconditions; when one is not met it is
NOT CHECKABLE (which is not HOLDS): the runs it needs exist in every repetition, the
maps it compares are distinct, the noise floor was measured, a timeline has at least
two windows, every value size its sentence names is present, R >= 3 repetitions,
and -- for claims sized for large runs -- n at least their min_n (10M for those sized
for the paper suite's headline runs; "NOT CHECKABLE at quick scale" on the quick suite).

Prints one line per claim (HOLDS / FAILS / NOT CHECKABLE, "in k of R runs", the
numbers on the medians) and one line per repetition; every maximum is printed with
the host steal of the window it fell in ([steal N ms]; "n/a" where /proc/stat has
none). Missing runs (an interrupted or partly failed run set) are warned about first.

Exit status: 0 when every claim HOLDS; 1 when any FAILS or is NOT CHECKABLE (with
--scale-exempt, claims NOT CHECKABLE only for scale do not count: what //:reproduce
uses for the quick suite); 2 for malformed or odd results (one line, no traceback).

--tex writes one macro per claim, \\Claim<ID>: the sentence when the claim HOLDS, and
otherwise a short marker "[claim N: does not hold]" / "[claim N: not checkable]"
that breaks like text, so the PDF never states a claim its own results do not
support. Thresholds in the sentences come from the same parameters as the checks.

Adding a claim: write one function f(ctx, **params) that gets its runs from ctx
(ctx.group / ctx.require raise NOT CHECKABLE) and returns Test({name: per-rep
quantity}, holds(q), describe(q)), then register it with claim(ID, sentence, ...).
Standard library only.
"""

import argparse
import math
import os
import sys

import paper_data
import results_io
import style

CLAIMS = []
RULE_FRACTION = 0.8     # a claim must hold in at least this fraction of repetitions
MIN_REPS = 3            # ... of at least this many
PAPER_N = 10_000_000    # claims sized for the paper suite need runs this large
INCREMENTAL = ("go_incremental", "redis_dual", "overflow_slab")
GO_LIKE = ("go_incremental", "overflow_slab")

HOLDS, FAILS, NOT_CHECKABLE = "HOLDS", "FAILS", "NOT CHECKABLE"


def fmt(x):
    """A number for the console (the paper's macros use paper_data.fmt)."""
    return paper_data.fmt(x).replace("{,}", ",").replace(r"\textbf{n/a}", "n/a")


class Val(float):
    """A number with the host steal (ms) of the window it was measured in (maxima)."""

    def __new__(cls, value, steal=None, has_steal=False):
        v = super().__new__(cls, value)
        v.steal, v.has_steal = steal, has_steal
        return v


def ns(v):
    """A latency for the console, with its window's host steal when it is a maximum."""
    x = float(v)
    text = f"{fmt(x / 1e6)} ms" if x >= 1e6 else (f"{fmt(x / 1e3)} µs" if x >= 1e4 else f"{fmt(x)} ns")
    if getattr(v, "has_steal", False):
        text += " [steal n/a]" if v.steal is None else f" [steal {fmt(v.steal)} ms]"
    return text


class NotCheckable(Exception):
    def __init__(self, reason, scale=False):
        super().__init__(reason)
        self.scale = scale


class Test:
    """quantities: {name: fn(rep) -> number or bool} evaluated per repetition; holds(q)
    and describe(q) take {name: number} (per repetition, or the medians)."""

    def __init__(self, quantities, holds, describe):
        self.quantities, self.holds, self.describe = quantities, holds, describe


class Claim:
    def __init__(self, claim_id, sentence, fn, params, min_n):
        self.id, self.sentence, self.fn, self.params, self.min_n = claim_id, sentence, fn, params, min_n


def claim(claim_id, sentence, min_n=None, **params):
    """Registers a check. sentence: LaTeX; a {param} field is replaced by the keyword
    argument of that name (its threshold), so the sentence and the check cannot
    disagree; {runs} becomes "in k of R runs" ({Runs}: "In k of R runs"). min_n: the claim is sized for runs of at
    least this n (PAPER_N: the paper suite's headline runs); smaller runs make it NOT
    CHECKABLE ("at quick scale" on the quick suite)."""
    if "{runs}" not in sentence and "{Runs}" not in sentence:
        raise ValueError(f"claim {claim_id}: sentence has no {{runs}}")

    def register(fn):
        text = sentence
        for key, value in params.items():
            text = text.replace("{" + key + "}", str(value))
        CLAIMS.append(Claim(claim_id, text, fn, params, min_n))
        return fn
    return register


# ---- what a claim sees -------------------------------------------------------------------

class Context:
    def __init__(self, rs, claim_obj, n_divisor=1):
        self.rs, self.claim, self.n_divisor = rs, claim_obj, n_divisor
        self.planned = []   # repetitions planned for each group the claim uses

    @property
    def reps(self):
        """R of the claim: the repetitions every group it uses has (a suite may repeat some
        configurations more often; repetition i of each is compared), else the suite's."""
        return min(self.planned) if self.planned else self.rs.reps

    def require(self, condition, reason):
        if not condition:
            raise NotCheckable(reason)

    def group(self, map_name, workload="insert_growth", mode="closed", key="u64", value_bytes=8, n=None,
              alloc="fresh"):
        """The repetitions of one configuration, at the largest n it was run with (or n):
        every repetition present, and large enough for the claim."""
        what = f"{mode}-loop {workload} {key}/v{value_bytes}" + ("" if alloc == "fresh" else f" --alloc={alloc}")
        runs = self.rs.select(workload=workload, mode=mode, key=key, value_bytes=value_bytes, map=map_name,
                              alloc=alloc, n=n)
        if not runs:
            raise NotCheckable(f"no {what} run of {map_name}" + ("" if n is None else f" at n={fmt(n)}"))
        size = max(r.n for r in runs)
        g = self.rs.groups[max((r for r in runs if r.n == size), key=lambda r: r.group).group]
        min_n = (self.claim.min_n or 0) // self.n_divisor
        if min_n and g.n < min_n:
            if self.rs.suite == "quick":
                raise NotCheckable("at quick scale", scale=True)
            raise NotCheckable(f"sized for n >= {fmt(min_n)}; the largest {what} run of {map_name} has "
                               f"n={fmt(g.n)}", scale=True)
        planned = self.rs.planned_reps(g.key)
        absent = [i for i in range(planned) if i not in g.by_rep]
        if absent:
            raise NotCheckable(f"{g.key}: repetition(s) {', '.join(map(str, absent))} of {planned} missing")
        self.planned.append(planned)
        return g

    def distinct(self, *groups):
        maps = [g.map for g in groups]
        self.require(len(set(maps)) == len(maps), f"compares a map with itself ({', '.join(maps)})")


def field(group, get):
    """Per-repetition quantity get(run) of one group."""
    return lambda rep: get(group.by_rep[rep])


def maximum(group, which="max_ns"):
    """summary.<which> of a group (a maximum), carrying the steal of the slowest op's window."""
    def q(rep):
        r = group.by_rep[rep]
        return Val(r.summary[which], steal=r.max_steal(), has_steal=True)
    return q


def response_maximum(group):
    def q(rep):
        r = group.by_rep[rep]
        return Val(r.summary["response"]["max_ns"], steal=r.max_steal("top_k_response"), has_steal=True)
    return q


# ---- evaluation ---------------------------------------------------------------------------

def _median(values):
    vals = sorted(float(v) for v in values)
    return results_io.median(vals)


class Result:
    def __init__(self, number, c, status, detail, k=None, reps=None, rep_lines=(), scale=False):
        self.number, self.claim, self.status, self.detail = number, c, status, detail
        self.k, self.reps, self.rep_lines, self.scale = k, reps, list(rep_lines), scale

    id = property(lambda self: self.claim.id)

    def runs_text(self):
        return f"in {self.k} of {self.reps} runs" if self.k is not None else ""


def evaluate_one(rs, number, c, n_divisor=1):
    ctx = Context(rs, c, n_divisor)
    try:
        test = c.fn(ctx, **c.params)
        if ctx.reps < MIN_REPS:
            raise NotCheckable(f"R = {ctx.reps} repetition(s); the rule needs at least {MIN_REPS}")
        per_rep = []
        for rep in range(ctx.reps):
            try:
                q = {name: fn(rep) for name, fn in test.quantities.items()}
            except NotCheckable as e:
                raise NotCheckable(f"repetition {rep}: {e}") from None
            q = {k: (float(v) if isinstance(v, bool) else v) for k, v in q.items()}
            per_rep.append(q)
    except NotCheckable as e:
        return Result(number, c, NOT_CHECKABLE, str(e), scale=e.scale)
    medians = {name: _median([q[name] for q in per_rep]) for name in test.quantities}
    held = [bool(test.holds(q)) for q in per_rep]
    k, reps = sum(held), len(per_rep)
    on_medians = bool(test.holds(medians))
    status = HOLDS if on_medians and k >= RULE_FRACTION * reps - 1e-9 else FAILS
    detail = f"medians: {test.describe(medians)}" + ("" if on_medians else " (fails on the medians)")
    lines = [f"rep{rep} {'holds' if h else 'fails'}: {test.describe(q)}" for rep, (q, h) in
             enumerate(zip(per_rep, held))]
    return Result(number, c, status, detail, k, reps, lines)


def evaluate(rs, only=None, n_divisor=1):
    """[Result] for every registered claim (or those in only), in registration order."""
    return [evaluate_one(rs, i + 1, c, n_divisor) for i, c in enumerate(CLAIMS) if not only or c.id in only]


# ---- the claims ---------------------------------------------------------------------------

def _resize_starts(run):
    return {x["start_op"] for x in run.data["resizes"]}


@claim("FullRehashMaxIsResize", r"{Runs}, the slowest insert of \FullRehashName{} is one that rehashed the "
       r"whole table.", min_n=PAPER_N)
def stw_max_is_resize(ctx):
    g = ctx.group("full_rehash")
    for r in g.runs:
        ctx.require(r.data["top_k"], f"{r.run_id} has no top_k")
        ctx.require(r.data["resizes"], f"{r.run_id} recorded no resize")

    def slowest(rep):
        top = g.by_rep[rep].data["top_k"][0]
        return Val(top["ns"], steal=top["steal_ms"], has_steal=True)

    def is_resize(rep):
        r = g.by_rep[rep]
        return r.data["top_k"][0]["op"] in _resize_starts(r)

    return Test({"slowest": slowest, "is_resize": is_resize}, lambda q: q["is_resize"] == 1,
                lambda q: f"slowest op {ns(q['slowest'])} is a resize start: {'yes' if q['is_resize'] == 1 else 'no'}")


@claim("FullRehashSpikeAboveTail",
       r"The largest insert of \FullRehashName{} (median \FullRehashMaxInsertUs\,\textmu s) is at least {factor} "
       r"times its p99.9 (\FullRehashPNineNineNineNs\,ns) {runs}: percentiles up to p99.9 do not show the rehash.",
       factor=100)
def stw_spike_hidden(ctx, factor):
    g = ctx.group("full_rehash")
    return Test({"max": maximum(g), "p999": field(g, lambda r: r.summary["p999_ns"])},
                lambda q: q["max"] >= factor * q["p999"],
                lambda q: f"max {ns(q['max'])} vs p99.9 {ns(q['p999'])} (ratio {fmt(q['max'] / q['p999'])})"
                if q["p999"] else f"max {ns(q['max'])}, p99.9 0 ns")


def max_below_full(ctx, name, factor):
    full, mine = ctx.group("full_rehash"), ctx.group(name)
    ctx.distinct(full, mine)
    return Test({"full": maximum(full), "mine": maximum(mine)}, lambda q: q["full"] >= factor * q["mine"],
                lambda q: f"full_rehash max {ns(q['full'])}, {name} max {ns(q['mine'])} "
                          f"(ratio {fmt(q['full'] / q['mine'])})")


for _name in INCREMENTAL:
    _p = style.macro_prefix(_name)
    claim(f"{_p}MaxBelowFull",
          rf"{{Runs}}, the largest single insert of \{_p}Name{{}} (median \{_p}MaxInsertUs\,\textmu s) is at "
          rf"least {{factor}} times smaller than that of \FullRehashName{{}} (\FullRehashMaxInsertUs\,\textmu s; "
          rf"ratio of the medians \{_p}MaxBelowFull).", min_n=PAPER_N, factor=100)(
        lambda ctx, factor, _n=_name: max_below_full(ctx, _n, factor))


def _largest_completed(run):
    done = [x for x in run.data["resizes"] if x["end_op"] is not None and x["entries_at_start"] > 0]
    return max(done, key=lambda x: x["entries_at_start"]) if done else None


def migration_spread(ctx, name, divisor):
    g = ctx.group(name)
    for r in g.runs:
        ctx.require(_largest_completed(r), f"{r.run_id}: no completed migration in the measured phase")

    def per_op(rep):
        last = _largest_completed(g.by_rep[rep])
        return last["entries_at_start"] / max(1, last["migration_ops"])

    def entries(rep):
        return _largest_completed(g.by_rep[rep])["entries_at_start"]

    return Test({"entries_per_op": per_op, "entries": entries}, lambda q: q["entries_per_op"] <= divisor,
                lambda q: f"largest completed migration: {fmt(q['entries'])} entries, "
                          f"{fmt(q['entries_per_op'])} entries per operation")


for _name in GO_LIKE:
    _p = style.macro_prefix(_name)
    claim(f"{_p}MigrationSpread",
          rf"\{_p}Name{{}} spreads a doubling over many writes: {{runs}}, its largest completed migration ran over at "
          rf"least one operation per {{divisor}} entries it moved (median \{_p}LastMigrationOps{{}} operations for "
          rf"the last one).", divisor=64)(lambda ctx, divisor, _n=_name: migration_spread(ctx, _n, divisor))


@claim("FullRehashCoordinatedOmission",
       r"Measured in open loop, the response-time p99.9 of \FullRehashName{} is at least {factor} times its "
       r"service-time p99.9 {runs}: operations that arrive during a stall wait for it, a tail that closed-loop "
       r"measurement omits.", factor=10)
def coordinated_omission(ctx, factor):
    g = ctx.group("full_rehash", mode="open")
    return Test({"resp": field(g, lambda r: r.summary["response"]["p999_ns"]),
                 "serv": field(g, lambda r: r.summary["p999_ns"])},
                lambda q: q["resp"] >= factor * q["serv"],
                lambda q: f"full_rehash open loop: response p99.9 {ns(q['resp'])}, service p99.9 {ns(q['serv'])}")


# The worst response is one sample on a shared VM (host page faults and vCPU
# preemption show up there too), so the factor asked for is a modest one.
@claim("IncrementalOpenLoopBelowFull",
       r"{Runs}, the worst open-loop response time of every incremental variant (medians: \GoIncName{} "
       r"\GoIncOpenRespMaxUs\,\textmu s, \RedisDualName{} \RedisDualOpenRespMaxUs\,\textmu s, \OverflowSlabName{} "
       r"\OverflowSlabOpenRespMaxUs\,\textmu s) is at least {factor} times below that of \FullRehashName{} "
       r"(\FullRehashOpenRespMaxUs\,\textmu s).", min_n=PAPER_N, factor=2)
def open_loop_below(ctx, factor):
    full = ctx.group("full_rehash", mode="open")
    mine = {name: ctx.group(name, mode="open") for name in INCREMENTAL}
    ctx.distinct(full, *mine.values())
    qs = {"full": response_maximum(full)}
    qs.update({name: response_maximum(g) for name, g in mine.items()})
    return Test(qs, lambda q: all(q["full"] >= factor * q[name] for name in INCREMENTAL),
                lambda q: f"open-loop response max: full_rehash {ns(q['full'])}; "
                          + ", ".join(f"{name} {ns(q[name])}" for name in INCREMENTAL))


@claim("NaiveAllocationSpikes",
       r"Spreading the moves is not enough on its own: with the naive allocation (the new array zeroed by "
       r"\texttt{memset} when the grow starts, the old one freed at once) the largest insert of every incremental "
       r"variant at $n=\ResNaiveN$ is at least {factor} times the one with fresh pages and chunked release {runs} "
       r"(medians: \GoIncName{} \GoIncNaiveMaxInsertUs{} vs \GoIncFreshMaxInsertUsAtNaiveN\,\textmu s, "
       r"\RedisDualName{} \RedisDualNaiveMaxInsertUs{} vs \RedisDualFreshMaxInsertUsAtNaiveN\,\textmu s, "
       r"\OverflowSlabName{} \OverflowSlabNaiveMaxInsertUs{} vs \OverflowSlabFreshMaxInsertUsAtNaiveN\,\textmu s).",
       min_n=PAPER_N, factor=5)
def naive_spikes(ctx, factor):
    qs, pairs = {}, []
    for name in INCREMENTAL:
        naive = ctx.group(name, alloc="naive")
        fresh = ctx.group(name, n=naive.n)
        qs[name + ".naive"], qs[name + ".fresh"] = maximum(naive), maximum(fresh)
        pairs.append(name)
    return Test(qs, lambda q: all(q[m + ".naive"] >= factor * q[m + ".fresh"] for m in pairs),
                lambda q: "max insert naive vs fresh: " + ", ".join(
                    f"{m} {ns(q[m + '.naive'])} vs {ns(q[m + '.fresh'])}" for m in pairs))


@claim("NoiseBelowSpike",
       r"The stop-the-world pause is not machine noise: {runs}, the largest \FullRehashName{} insert is at least "
       r"{factor} times the largest empty timed operation of the noise floor interleaved with the same run.",
       min_n=PAPER_N, factor=10)
def noise_below_spike(ctx, factor):
    g = ctx.group("full_rehash")
    for r in g.runs:
        floor = r.data["noise_floor"]
        ctx.require(floor is not None, f"{r.run_id}: noise floor not measured (--noise-ops=0)")
        ctx.require(floor["ops"] > 0, f"{r.run_id}: noise floor has no operations")
    return Test({"max": maximum(g), "floor": field(g, lambda r: r.data["noise_floor"]["max_ns"]),
                 "floor_quiet": field(g, lambda r: r.data["noise_floor"]["max_ns_quiet"] or 0)},
                lambda q: q["max"] >= factor * q["floor"],
                lambda q: f"full_rehash max {ns(q['max'])}, noise floor max {ns(q['floor'])} "
                          f"({ns(q['floor_quiet'])} in windows without steal)")


# Sized for n >= 1M: the slab reserves payload memory in chunks, so the overhead can differ
# by up to one chunk between value sizes, which is a few percent of it only from ~1M entries.
def overhead_per_entry(run):
    """Bytes the map holds at its peak beyond its keys and values (peak_bytes less
    final_entries x (key + value bytes)), per entry: measured by the counting
    allocator, not by the map's own counters."""
    s = run.summary
    return (s["peak_bytes"] - s["final_entries"] * (8 + s["value_bytes"])) / s["final_entries"]


@claim("OverflowSlabNoPayloadMoved",
       r"\OverflowSlabName{} never makes room for a second copy of its keys and values while growing: {runs}, the "
       r"memory it holds at its peak beyond the keys and values themselves is the same with {lo}- and {hi}-byte "
       r"values to within {pct}\,\%, while that of \GoIncName{}, whose buckets hold them, grows at least "
       r"{contrast}-fold.", min_n=1_000_000, lo=64, hi=256, pct=10, contrast=2)
def slab_no_payload_room(ctx, lo, hi, pct, contrast):
    qs = {}
    for name in ("overflow_slab", "go_incremental"):
        glo, ghi = ctx.group(name, value_bytes=lo), ctx.group(name, value_bytes=hi)
        ctx.require(glo.n == ghi.n, f"{name}: v{lo} and v{hi} runs at different n ({fmt(glo.n)}, {fmt(ghi.n)})")
        for r in glo.runs + ghi.runs:
            ctx.require(r.summary["final_entries"] > 0, f"{r.run_id} ends empty")
        qs[name + ".lo"], qs[name + ".hi"] = field(glo, overhead_per_entry), field(ghi, overhead_per_entry)

    def holds(q):
        slab = q["overflow_slab.hi"] / q["overflow_slab.lo"] if q["overflow_slab.lo"] > 0 else math.inf
        go = q["go_incremental.hi"] / q["go_incremental.lo"] if q["go_incremental.lo"] > 0 else math.inf
        return abs(slab - 1) <= pct / 100 and go >= contrast

    return Test(qs, holds, lambda q: "bytes per entry beyond keys and values, v{} -> v{}: overflow_slab {} -> {}, "
                "go_incremental {} -> {}".format(lo, hi, *(fmt(q[k]) for k in (
                    "overflow_slab.lo", "overflow_slab.hi", "go_incremental.lo", "go_incremental.hi"))))


def _values_sentence(values):
    words = [f"{v}-" for v in values[:-1]] + [f"{values[-1]}-byte"]
    return (", ".join(words[:-1]) + " and " + words[-1]) if len(words) > 1 else words[0]


@claim("GoIncWriteAmpSameAsFull",
       r"\GoIncName{} copies what \FullRehashName{} copies, only spread over later writes: {runs}, with "
       r"{values_text} values its payload bytes moved per byte inserted equal those of \FullRehashName{} at equal "
       r"$n$ to within {pct}\,\% (\GoIncWriteAmpEight{} with 8-byte values, \GoIncWriteAmpTwoFiftySix{} with "
       r"256-byte values).", values=(8, 64, 256), values_text=_values_sentence((8, 64, 256)), pct=1)
def wa_same_as_full(ctx, values, values_text, pct):
    """Same bucket layout and triggers, so each doubling copies every entry once, only
    later. Compared at equal n: write amplification depends on where n falls between
    two doublings. Every value size the sentence names must be present."""
    qs, sizes = {}, []
    for v in values:
        mine = ctx.group("go_incremental", value_bytes=v)
        full = ctx.group("full_rehash", value_bytes=v, n=mine.n)
        for g in (mine, full):
            for r in g.runs:
                ctx.require(r.summary["write_amplification"] is not None, f"{r.run_id}: nothing inserted")
        qs[f"go.v{v}"] = field(mine, lambda r: r.summary["write_amplification"])
        qs[f"full.v{v}"] = field(full, lambda r: r.summary["write_amplification"])
        sizes.append((v, mine.n))
    return Test(qs, lambda q: all(q[f"full.v{v}"] > 0 and abs(q[f"go.v{v}"] / q[f"full.v{v}"] - 1) <= pct / 100
                                  for v, _ in sizes),
                lambda q: "go_incremental vs full_rehash write amplification: " + "; ".join(
                    f"v{v} n={fmt(n)}: {fmt(q[f'go.v{v}'])} vs {fmt(q[f'full.v{v}'])}" for v, n in sizes))


def kept_fraction(run):
    """Live bytes at the end / live bytes after the first timeline window of the
    measured phase (when erasing had just begun). Not peak_bytes: the peak can fall
    in the load phase while two arrays were alive, which is not a shrink."""
    rows = run.timeline()
    return run.summary["final_bytes"] / rows[0]["live_bytes"]


def _shrink_group(ctx, name):
    g = ctx.group(name, workload="shrink")
    for r in g.runs:
        rows = r.timeline()
        ctx.require(len(rows) >= 2, f"{r.run_id}: {len(rows)} timeline window(s); a shrink needs at least 2")
        ctx.require(rows[0]["live_bytes"] > 0, f"{r.run_id}: no live bytes when erasing began")
    return g


@claim("GoIncNeverShrinks",
       r"Like Go, \GoIncName{} does not shrink: {runs}, after erasing 99\,\% of its entries it still holds at least "
       r"{pct}\,\% of the memory it held when erasing began (median \GoIncShrinkKeptPct\,\%).", pct=90)
def go_never_shrinks(ctx, pct):
    g = _shrink_group(ctx, "go_incremental")
    return Test({"kept": field(g, kept_fraction)}, lambda q: q["kept"] >= pct / 100,
                lambda q: f"go_incremental shrink: final / live bytes when erasing began = {fmt(q['kept'])}")


@claim("RedisDualShrinks",
       r"Like Redis, \RedisDualName{} gives memory back: {runs}, after erasing 99\,\% of its entries it holds at "
       r"most {pct}\,\% of the memory it held when erasing began (median \RedisDualShrinkKeptPct\,\%).", pct=10)
def redis_shrinks(ctx, pct):
    g = _shrink_group(ctx, "redis_dual")
    return Test({"kept": field(g, kept_fraction)}, lambda q: q["kept"] <= pct / 100,
                lambda q: f"redis_dual shrink: final / live bytes when erasing began = {fmt(q['kept'])}")


def checksum_group(run):
    """workload.key.v<value>.n<n>[.zipf|.unif].rep<i>: runs of the same operations (same
    seeds), whatever the map, mode or allocation."""
    dist = ""
    for part in run.run_id.split(".")[6:]:
        if part in ("zipf", "unif"):
            dist = "." + part
    return f"{run.workload}.{run.key}.v{run.value_bytes}.n{run.n}{dist}.rep{run.rep}"


@claim("ChecksumsAgree",
       r"Every map returned the same results: {runs}, for each workload the checksum of all operation results is "
       r"equal across the maps that ran it (at least two distinct maps each).")
def checksums_agree(ctx):
    groups = {}
    for r in ctx.rs.select(alloc=None, go_gc=None):
        g = groups.setdefault(checksum_group(r), {"maps": set(), "sums": set(), "rep": r.rep})
        g["maps"].add(r.map)
        g["sums"].add(r.summary["checksum"])
    ctx.require(groups, "no runs")
    lonely = sorted(k for k, g in groups.items() if len(g["maps"]) < 2)
    ctx.require(not lonely, f"{len(lonely)} workload(s) ran on fewer than 2 distinct maps, which proves nothing: "
                            + ", ".join(lonely[:4]) + (" ..." if len(lonely) > 4 else ""))
    written = (ctx.rs.manifest or {}).get("checksums", {})

    def disagree(rep):
        """Groups of repetition rep whose runs' checksums differ, or that the manifest
        says disagree."""
        ctx.require(any(g["rep"] == rep for g in groups.values()), f"no runs in repetition {rep}")
        return sum(1 for k, g in groups.items() if g["rep"] == rep and
                   (len(g["sums"]) != 1 or (k in written and written[k]["agree"] is not True)))

    def total(rep):
        return sum(1 for g in groups.values() if g["rep"] == rep)

    return Test({"disagree": disagree, "groups": total}, lambda q: q["disagree"] == 0,
                lambda q: f"{fmt(q['groups'] - q['disagree'])}/{fmt(q['groups'])} workloads agree")


# ---- output ------------------------------------------------------------------------------

MARK = {FAILS: "does not hold", NOT_CHECKABLE: "not checkable"}


def sentence_of(result):
    runs = result.runs_text()
    return result.claim.sentence.replace("{runs}", runs).replace("{Runs}", runs[:1].upper() + runs[1:])


def write_tex(results, path, results_dir):
    lines = ["% Generated by scripts/check_claims.py from " + results_dir + ". Do not edit.",
             r"% A claim's macro is its sentence when it HOLDS, else a short marker that breaks like text.",
             r"\providecommand{\claimmarker}[2]{\textbf{[claim~#1: #2]}}",
             f"\\newcommand{{\\ClaimRuleMinPct}}{{{round(RULE_FRACTION * 100)}}}",
             f"\\newcommand{{\\ClaimRuleMinReps}}{{{MIN_REPS}}}", ""]
    for r in results:
        if r.status == HOLDS:
            body = sentence_of(r)
        else:
            mark = MARK[r.status] + (" at quick scale" if r.scale and r.detail == "at quick scale" else "")
            body = f"\\claimmarker{{{r.number}}}{{{mark}}}"
        lines.append(f"% {r.number} {r.id} {r.status} {r.runs_text()}: {r.detail}".replace("\n", " "))
        lines.append(f"\\newcommand{{\\Claim{r.id}}}{{{body}}}")
    count = {s: sum(1 for r in results if r.status == s) for s in (HOLDS, FAILS, NOT_CHECKABLE)}
    lines += [f"\\newcommand{{\\ClaimsTotal}}{{{len(results)}}}",
              f"\\newcommand{{\\ClaimsHolding}}{{{count[HOLDS]}}}",
              f"\\newcommand{{\\ClaimsFailing}}{{{count[FAILS]}}}",
              f"\\newcommand{{\\ClaimsNotCheckable}}{{{count[NOT_CHECKABLE]}}}"]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def report(results, results_dir):
    """The console report as lines (also what the archive keeps as claims.txt)."""
    width = max(len(r.id) for r in results)
    out = []
    for r in results:
        runs = f"{r.runs_text()}; " if r.runs_text() else ""
        out.append(f"{r.status:13} {r.number:>2} {r.id:{width}}  {runs}{r.detail}")
        out += [" " * (18 + width) + line for line in r.rep_lines]
    count = {s: sum(1 for r in results if r.status == s) for s in (HOLDS, FAILS, NOT_CHECKABLE)}
    out.append(f"{count[HOLDS]}/{len(results)} claims hold on {results_dir} ({count[FAILS]} fail, "
               f"{count[NOT_CHECKABLE]} not checkable); rule: on the medians and in >= "
               f"{round(RULE_FRACTION * 100)}% of >= {MIN_REPS} repetitions")
    return out


def exit_status(results, scale_exempt=False):
    for r in results:
        if r.status == FAILS or (r.status == NOT_CHECKABLE and not (scale_exempt and r.scale)):
            return 1
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--tex", help="write the \\Claim<ID> macros here")
    ap.add_argument("--only", help="comma-separated claim ids")
    ap.add_argument("--list", action="store_true", help="list the claim ids and exit")
    ap.add_argument("--scale-exempt", action="store_true",
                    help="claims NOT CHECKABLE only because the runs are too small do not fail the exit status")
    # Tests: divides every claim's min_n, so small fixtures stand in for the paper suite.
    ap.add_argument("--n-divisor", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--report", help="also write the report to this file")
    args = ap.parse_args(argv)
    if args.list:
        for c in CLAIMS:
            print(c.id)
        return 0
    only = set(args.only.split(",")) if args.only else None
    if only:
        unknown = only - {c.id for c in CLAIMS}
        if unknown:
            print(f"error: unknown claim id(s): {', '.join(sorted(unknown))} (see --list)", file=sys.stderr)
            return 2

    def run():
        rs = results_io.load(args.results, quiet=True)
        for run_id, reason in rs.missing:
            results_io.warn(f"{args.results}: missing run {run_id} ({reason}); claims that need it are NOT CHECKABLE")
        results = evaluate(rs, only, max(1, args.n_divisor))
        lines = report(results, args.results)
        print("\n".join(lines))
        if args.report:
            paper_data.atomic_write(args.report, "\n".join(lines) + "\n")
        if args.tex:
            write_tex(results, args.tex, args.results)
        return exit_status(results, args.scale_exempt)

    return results_io.main_guard(run)


if __name__ == "__main__":
    sys.exit(main())
