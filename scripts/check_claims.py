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
for the paper suite's headline runs, 4M for its Redis fidelity runs, 1M for its
open-loop, key-type and value-size runs). On the quick suite such a claim is "NOT
CHECKABLE at quick scale", also when the quick suite does not run its configuration
at all.

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

import analysis
import paper_data
import results_io
import style
from results_io import FIXED

CLAIMS = []
RULE_FRACTION = 0.8     # a claim must hold in at least this fraction of repetitions
MIN_REPS = 3            # ... of at least this many
PAPER_N = 10_000_000    # claims sized for the paper suite's headline runs need runs this large
OPEN_N = 1_000_000      # ... its open-loop, key-type and write-amplification runs
REDIS_N = 4_000_000     # ... its Redis fidelity runs (the tables whose free costs milliseconds)
INCREMENTAL = analysis.INCREMENTAL
GO_LIKE = ("go_incremental", "overflow_slab")
BOUNDED = analysis.BOUNDED

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
              alloc="fresh", go_gc="on", load=FIXED, sized=True):
        """The repetitions of one configuration, at the largest n it was run with (or n):
        every repetition present, and large enough for the claim (sized=False: any n)."""
        what = f"{mode}-loop {workload} {key}/v{value_bytes}" + ("" if alloc == "fresh" else f" --alloc={alloc}") \
            + ("" if go_gc == "on" else f" GC {go_gc}") + ("" if load is FIXED else f" at {round(load * 100)}% load")
        runs = self.rs.select(workload=workload, mode=mode, key=key, value_bytes=value_bytes, map=map_name,
                              alloc=alloc, n=n, go_gc=go_gc, load=load)
        if not runs:
            if sized and self.claim.min_n and self.rs.suite == "quick":
                raise NotCheckable("at quick scale", scale=True)   # the quick suite leaves paper-scale runs out
            raise NotCheckable(f"no {what} run of {map_name}" + ("" if n is None else f" at n={fmt(n)}"))
        size = max(r.n for r in runs)
        g = self.rs.groups[max((r for r in runs if r.n == size), key=lambda r: r.group).group]
        min_n = (self.claim.min_n or 0) // self.n_divisor
        if sized and min_n and g.n < min_n:
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

    def sizes(self, map_name, **kw):
        """The n values a configuration ran at, ascending."""
        return sorted({r.n for r in self.rs.select(map=map_name, **kw)})

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
# Grouped by the paper's sections. Each sentence names the numbers it rests on through
# paper_data.py's macros (medians), and its thresholds through the parameters.

def _resize_starts(run):
    return {x["start_op"] for x in run.data["resizes"]}


# -- the spike --

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


def max_below_full(ctx, name, factor):
    full, mine = ctx.group("full_rehash"), ctx.group(name)
    ctx.distinct(full, mine)
    return Test({"full": maximum(full), "mine": maximum(mine)}, lambda q: q["full"] >= factor * q["mine"],
                lambda q: f"full_rehash max {ns(q['full'])}, {name} max {ns(q['mine'])} "
                          f"(ratio {fmt(q['full'] / q['mine'])})")


for _name in INCREMENTAL + BOUNDED + analysis.PACED:
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


# -- the cost of spreading --

@claim("SpreadingRaisesTail",
       r"Spreading has a price in the tail: {runs}, the p99 of every incremental variant is at least {factor} times "
       r"that of \FullRehashName{} (medians: \GoIncName{} \GoIncPNineNineNs, \RedisDualName{} \RedisDualPNineNineNs, "
       r"\OverflowSlabName{} \OverflowSlabPNineNineNs{} vs \FullRehashPNineNineNs\,ns).", factor=2)
def spreading_raises_tail(ctx, factor):
    full = ctx.group("full_rehash")
    mine = {m: ctx.group(m) for m in INCREMENTAL}
    ctx.distinct(full, *mine.values())
    qs = {"full": field(full, lambda r: r.summary["p99_ns"])}
    qs.update({m: field(g, lambda r: r.summary["p99_ns"]) for m, g in mine.items()})
    return Test(qs, lambda q: all(q[m] >= factor * q["full"] for m in INCREMENTAL),
                lambda q: f"p99: full_rehash {ns(q['full'])}; " + ", ".join(f"{m} {ns(q[m])}" for m in INCREMENTAL))


@claim("MigratingInsertsCarryTail",
       r"The price is paid by the inserts that run while a migration is in progress: {runs}, for every incremental "
       r"variant they are at least {share}\,\% of all inserts and their p99 is at least {factor} times that of the "
       r"other inserts (\GoIncName{}: \GoIncMigratingInsertPct\,\% of inserts, p99 \GoIncInsertPNineNineMigratingNs{} "
       r"vs \GoIncInsertPNineNineSteadyNs\,ns).", share=5, factor=2.5)
def migrating_inserts_carry_tail(ctx, share, factor):
    qs = {}
    for m in INCREMENTAL:
        g = ctx.group(m)
        for r in g.runs:
            ctx.require(analysis.by_op(r, "insert", "migrating") is not None,
                        f"{r.run_id}: no insert ran during a migration (by_op)")
            ctx.require(analysis.by_op(r, "insert", "steady") is not None, f"{r.run_id}: no insert outside one")
        qs[m + ".share"] = field(g, lambda r: 100 * analysis.migrating_share(r, "insert"))
        qs[m + ".mig"] = field(g, lambda r: analysis.by_op_field(r, "insert", "migrating", "p99_ns"))
        qs[m + ".steady"] = field(g, lambda r: analysis.by_op_field(r, "insert", "steady", "p99_ns"))
    return Test(qs, lambda q: all(q[m + ".share"] >= share and q[m + ".mig"] >= factor * q[m + ".steady"]
                                  for m in INCREMENTAL),
                lambda q: "; ".join(f"{m}: {fmt(q[m + '.share'])}% migrating, p99 {ns(q[m + '.mig'])} vs "
                                    f"{ns(q[m + '.steady'])}" for m in INCREMENTAL))


# -- memory --

def _peak_over(run, basis):
    s = run.summary
    return s["peak_bytes"] / s[basis] if s[basis] else math.inf


@claim("BoundedNoDoublingPeak",
       r"A design that never holds two arrays has no memory transient: {runs}, the peak live bytes of "
       r"\GoSwissName{} and \LinearHashingName{} are within {pct}\,\% of their final bytes, while the last doubling "
       r"of \FullRehashName{} held at least {factor} times the live bytes it started from (peak "
       r"\FullRehashPeakBytesPerEntry{} vs final \FullRehashBytesPerEntryFinal\,B per entry).", pct=10, factor=1.4)
def bounded_no_peak(ctx, pct, factor):
    full = ctx.group("full_rehash")
    mine = {m: ctx.group(m) for m in BOUNDED}
    for r in full.runs:
        ctx.require(_largest_completed(r), f"{r.run_id}: no completed resize")
    for g in mine.values():
        for r in g.runs:
            ctx.require(r.summary["final_bytes"] > 0, f"{r.run_id}: ends empty")
    qs = {m: field(g, lambda r: _peak_over(r, "final_bytes")) for m, g in mine.items()}
    qs["full"] = field(full, lambda r: _largest_completed(r)["peak_bytes"]
                       / max(1, _largest_completed(r)["live_bytes_at_start"]))
    return Test(qs, lambda q: all(q[m] <= 1 + pct / 100 for m in BOUNDED) and q["full"] >= factor,
                lambda q: ", ".join(f"{m} peak/final {fmt(q[m])}" for m in BOUNDED)
                + f"; full_rehash last doubling peak/start {fmt(q['full'])}")


@claim("NodeMapsRssOverhead",
       r"Counted bytes understate what node-based maps cost: {runs}, for every map that made at least one allocation "
       r"per entry its RSS grew by at least {node} bytes per entry more than the bytes it holds (allocator headers "
       r"and size classes; \StdUnorderedName{}: \StdUnorderedRssOverCounted\,B), while for \FullRehashName{}, one "
       r"array, the difference is at most {flat} bytes per entry (\FullRehashRssOverCounted\,B).",
       min_n=PAPER_N, node=4, flat=2)
def node_rss(ctx, node, flat):
    groups, _ = ctx.rs.largest("insert_growth", "closed")
    nodes = []
    for name, g in groups.items():
        if any(analysis.allocations_per_entry(r) is not None and analysis.allocations_per_entry(r) >= 1
               and analysis.rss_over_counted(r) is not None for r in g.runs):
            nodes.append(ctx.group(name))
    ctx.require(nodes, "no node-based map (one allocation per entry or more) among the headline runs")
    full = ctx.group("full_rehash")
    for g in nodes + [full]:
        for r in g.runs:
            ctx.require(analysis.rss_over_counted(r) is not None, f"{r.run_id}: no RSS for the map's process")
    qs = {g.map: field(g, analysis.rss_over_counted) for g in nodes}
    qs["full_rehash"] = field(full, analysis.rss_over_counted)
    names = [g.map for g in nodes]
    return Test(qs, lambda q: all(q[m] >= node for m in names) and q["full_rehash"] <= flat,
                lambda q: "RSS - counted bytes per entry: " + ", ".join(f"{m} {fmt(q[m])}" for m in names)
                + f"; full_rehash {fmt(q['full_rehash'])}")


# -- lookups during migration --

@claim("LookupsDuringMigration",
       r"Lookups barely notice a migration: {runs}, for every incremental variant the median and the p99 of the finds "
       r"that ran during a migration are at most {factor} times those of the finds outside one (\GoIncName{}: median "
       r"\GoIncFindPFiftyMigratingNs{} vs \GoIncFindPFiftySteadyNs\,ns; \RedisDualName{}, whose finds also move a "
       r"bucket: \RedisDualFindPFiftyMigratingNs{} vs \RedisDualFindPFiftySteadyNs\,ns).", factor=3)
def lookups_during_migration(ctx, factor):
    qs = {}
    for m in INCREMENTAL:
        g = ctx.group(m, workload="grow_read")
        for r in g.runs:
            for state in ("steady", "migrating"):
                ctx.require(analysis.by_op(r, "find", state) is not None, f"{r.run_id}: no find {state} (by_op)")
        for q in ("p50_ns", "p99_ns"):
            for state in ("steady", "migrating"):
                qs[f"{m}.{state}.{q}"] = field(g, lambda r, q=q, state=state: analysis.by_op_field(r, "find", state, q))
    return Test(qs, lambda q: all(q[f"{m}.migrating.{p}"] <= factor * q[f"{m}.steady.{p}"]
                                  for m in INCREMENTAL for p in ("p50_ns", "p99_ns")),
                lambda q: "; ".join(f"{m} find p50 {ns(q[m + '.migrating.p50_ns'])} vs {ns(q[m + '.steady.p50_ns'])}, "
                                    f"p99 {ns(q[m + '.migrating.p99_ns'])} vs {ns(q[m + '.steady.p99_ns'])}"
                                    for m in INCREMENTAL))


# -- open loop --

@claim("FullRehashCoordinatedOmission",
       r"Measured in open loop at \ResOpenRateM\,M\,ops/s, the response-time p99.9 of \FullRehashName{} is at least "
       r"{factor} times its service-time p99.9 {runs}: operations that arrive during a stall wait for it, a tail that "
       r"closed-loop measurement omits.", min_n=OPEN_N, factor=10)
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
       r"(\FullRehashOpenRespMaxUs\,\textmu s).", min_n=OPEN_N, factor=2)
def open_loop_below(ctx, factor):
    full = ctx.group("full_rehash", mode="open")
    mine = {name: ctx.group(name, mode="open") for name in INCREMENTAL}
    ctx.distinct(full, *mine.values())
    qs = {"full": response_maximum(full)}
    qs.update({name: response_maximum(g) for name, g in mine.items()})
    return Test(qs, lambda q: all(q["full"] >= factor * q[name] for name in INCREMENTAL),
                lambda q: f"open-loop response max: full_rehash {ns(q['full'])}; "
                          + ", ".join(f"{name} {ns(q[name])}" for name in INCREMENTAL))


@claim("FullRehashWorstResponseIsItsOp",
       r"{Runs}, the worst open-loop response of \FullRehashName{} at \ResOpenRateM\,M\,ops/s waited for one of its "
       r"own operations: a single insert of at least half its length ran while it waited.", min_n=OPEN_N)
def full_worst_is_op(ctx):
    g = ctx.group("full_rehash", mode="open")
    for r in g.runs:
        ctx.require(r.data.get("top_k_response"), f"{r.run_id}: no top_k_response")

    def cause(rep):
        return analysis.worst_response(g.by_rep[rep])["cause"] == "op"

    def resp(rep):
        w = analysis.worst_response(g.by_rep[rep])
        return Val(w["response_ns"], steal=w["steal_ms"], has_steal=True)
    return Test({"by_op": cause, "resp": resp}, lambda q: q["by_op"] == 1,
                lambda q: f"worst response {ns(q['resp'])} caused by a map op: {'yes' if q['by_op'] == 1 else 'no'}")


def _sweep_loads(ctx):
    return sorted({r.load for r in ctx.rs.select(workload="insert_growth", mode="open", load=None, alloc=None,
                                                  go_gc=None) if r.load is not None})


@claim("SweepFullAboveIncremental",
       r"At every load of the rate sweep that both keep up with, {runs}, the worst response of \FullRehashName{} is "
       r"at least {factor} times that of \GoIncName{}.", min_n=OPEN_N, factor=2)
def sweep_full_above(ctx, factor):
    loads = _sweep_loads(ctx)
    ctx.require(loads, "no open-loop run at a share of the map's own throughput (rate sweep)")
    pairs = []
    for load in loads:
        full, go = ctx.group("full_rehash", mode="open", load=load), ctx.group("go_incremental", mode="open", load=load)
        if not any(analysis.saturated(r) for r in full.runs + go.runs):
            pairs.append((load, full, go))
    ctx.require(pairs, "at every load of the sweep full_rehash or go_incremental fell behind its schedule for good "
                       "(more than half of its ops started late): the sweep measured saturation")
    qs = {}
    for load, full, go in pairs:
        qs[f"full{load}"], qs[f"go{load}"] = response_maximum(full), response_maximum(go)
    return Test(qs, lambda q: all(q[f"full{l}"] >= factor * q[f"go{l}"] for l, _, _ in pairs),
                lambda q: "; ".join(f"{round(l * 100)}%: full_rehash {ns(q[f'full{l}'])}, go_incremental "
                                    f"{ns(q[f'go{l}'])}" for l, _, _ in pairs))


# -- allocation: the intervention and what the real systems do --

@claim("SystemAllocationSpikes",
       r"Spreading the moves is not enough on its own: with the platform allocator (\texttt{calloc} of the new array, "
       r"one \texttt{free} of the old one when the migration ends, as the real systems do), the largest insert of every "
       r"incremental variant at $n=\ResSystemN$ is at least {factor} times the one with fresh pages and chunked "
       r"release {runs} (medians: \GoIncName{} \GoIncSystemMaxInsertUs{} vs \GoIncFreshMaxInsertUsAtSystemN\,\textmu s, "
       r"\RedisDualName{} \RedisDualSystemMaxInsertUs{} vs \RedisDualFreshMaxInsertUsAtSystemN\,\textmu s, "
       r"\OverflowSlabName{} \OverflowSlabSystemMaxInsertUs{} vs \OverflowSlabFreshMaxInsertUsAtSystemN\,\textmu s).",
       min_n=PAPER_N, factor=3)
def system_spikes(ctx, factor):
    n = analysis.common_n(ctx.rs, INCREMENTAL, alloc="system")
    ctx.require(n is not None, "no n at which every incremental variant ran with --alloc=system")
    qs = {}
    for name in INCREMENTAL:
        system = ctx.group(name, alloc="system", n=n)
        fresh = ctx.group(name, n=n)
        qs[name + ".system"], qs[name + ".fresh"] = maximum(system), maximum(fresh)
    return Test(qs, lambda q: all(q[m + ".system"] >= factor * q[m + ".fresh"] for m in INCREMENTAL),
                lambda q: "max insert system vs fresh: " + ", ".join(
                    f"{m} {ns(q[m + '.system'])} vs {ns(q[m + '.fresh'])}" for m in INCREMENTAL))


# -- fidelity: Go --

def _go_fidelity_groups(ctx, sized=True):
    """go_runtime (GC on, off) and go_incremental (fresh, system) at the largest n the real
    map ran at."""
    real_on = ctx.group("go_runtime", sized=sized)
    real_off = ctx.group("go_runtime", go_gc="off", n=real_on.n, sized=sized)
    fresh = ctx.group("go_incremental", n=real_on.n, sized=sized)
    system = ctx.group("go_incremental", alloc="system", n=real_on.n, sized=sized)
    return {"go_runtime GC on": real_on, "go_runtime GC off": real_off, "go_incremental fresh": fresh,
            "go_incremental system": system}


def _doublings(run):
    return sorted(r["entries_at_start"] for r in run.data["resizes"])


def _require_resizes(ctx, groups):
    for g in groups.values():
        for r in g.runs:
            ctx.require(r.data["resizes"], f"{r.run_id}: no resize recorded")


def _grow_point_mismatches(groups, real, rep, least=0):
    """How many of the groups' repetition `rep` grow at other sizes than the real system's
    (groups[real]), counting only grows that began at >= least entries."""
    def points(run):
        return [e for e in _doublings(run) if e >= least]
    ref = points(groups[real].by_rep[rep])
    return sum(1 for g in groups.values() if points(g.by_rep[rep]) != ref)


@claim("GoGrowPointsMatchRuntime",
       r"\GoIncName{} grows where Go does: {runs}, every grow of the real Go map (\ResGoFidelityN{} inserts, GC on "
       r"and off) starts at the same map size as in \GoIncName{} with either allocation, \GoRuntimeGrows{} grows each.")
def go_grow_points(ctx):
    groups = _go_fidelity_groups(ctx, sized=False)
    _require_resizes(ctx, groups)

    def mismatches(rep):
        return _grow_point_mismatches(groups, "go_runtime GC on", rep)

    def grows(rep):
        return len(_doublings(groups["go_runtime GC on"].by_rep[rep]))
    return Test({"mismatches": mismatches, "grows": grows}, lambda q: q["mismatches"] == 0,
                lambda q: f"{fmt(q['grows'])} grows; configurations whose grow points differ from the real map's: "
                          f"{fmt(q['mismatches'])}")


_completed_lengths = analysis.completed_lengths


@claim("GoMigrationLengthsMatchRuntime",
       r"{Runs}, every migration at least {share}\,\% of $n$ long in \GoIncName{} (either allocation) lasts as many "
       r"inserts as the same grow of the real Go map to within {pct}\,\% (largest difference, median over runs: "
       r"\ResGoMigrationLengthMaxDiffPct\,\%; shorter migrations vary by a few percent with the hash seed).",
       share=1, pct=2)
def go_migration_lengths(ctx, share, pct):
    groups = _go_fidelity_groups(ctx, sized=False)
    min_ops = groups["go_runtime GC on"].n * share // 100

    def worst(rep):
        real = _completed_lengths(groups["go_runtime GC on"].by_rep[rep], min_ops)
        ctx.require(real, f"no migration of the real Go map in repetition {rep} is {min_ops} operations long")
        diffs = []
        for name, g in groups.items():
            mine = _completed_lengths(g.by_rep[rep], min_ops)
            for entries, length in real.items():
                ctx.require(entries in mine, f"{name} has no completed migration from {fmt(entries)} entries")
                diffs.append(abs(mine[entries] / length - 1) * 100)
        return max(diffs)
    return Test({"worst_pct": worst}, lambda q: q["worst_pct"] <= pct,
                lambda q: f"largest relative difference of a migration length: {fmt(q['worst_pct'])}%")


def _last_doublings(run, k):
    done = [r for r in run.data["resizes"] if r["end_op"] is not None]
    return sorted(done, key=lambda r: r["entries_at_start"])[-k:]


@claim("GoRuntimeSpikeAtTrigger",
       r"In the real Go map the spike lands where the grow starts: {runs}, the largest operation of each of its last "
       r"{k} doublings (GC on and off) is within {trigger} inserts of the one that started it (Go clears the garbage "
       r"collector's bitmap for the new array there).", min_n=PAPER_N, k=3, trigger=analysis.TRIGGER_OPS)
def go_spike_at_trigger(ctx, k, trigger):
    groups = _go_fidelity_groups(ctx)
    real = [groups["go_runtime GC on"], groups["go_runtime GC off"]]
    for g in real:
        for r in g.runs:
            ctx.require(len(_last_doublings(r, k)) == k, f"{r.run_id}: fewer than {k} completed doublings")

    def elsewhere(rep):
        return sum(1 for g in real for x in _last_doublings(g.by_rep[rep], k)
                   if analysis.step_position(g.by_rep[rep], x) != "trigger")
    return Test({"elsewhere": elsewhere}, lambda q: q["elsewhere"] == 0,
                lambda q: f"doublings whose largest op is not at the trigger: {fmt(q['elsewhere'])} of {2 * k}")


@claim("GoIncFreshBelowRuntime",
       r"Fresh pages and chunked release make \GoIncName{} better than the system it follows, not a copy of it: "
       r"{runs}, its largest insert is at least {factor} times below the real Go map's with its GC off (medians "
       r"\GoIncMaxInsertUsAtGoN{} vs \GoRuntimeGcOffMaxInsertUs\,\textmu s).", min_n=PAPER_N, factor=10)
def go_fresh_below_runtime(ctx, factor):
    groups = _go_fidelity_groups(ctx)
    off, fresh = groups["go_runtime GC off"], groups["go_incremental fresh"]
    return Test({"real": maximum(off), "fresh": maximum(fresh)}, lambda q: q["real"] >= factor * q["fresh"],
                lambda q: f"max insert: go_runtime GC off {ns(q['real'])}, go_incremental fresh {ns(q['fresh'])}")


def _last_step_at_completion(ctx, group, step):
    """Test: the largest op of the group's last completed `step` (doubling, rehash) is
    the one that completed it, in each repetition."""
    for r in group.runs:
        ctx.require(_last_doublings(r, 1), f"{r.run_id}: no completed {step}")

    def at_end(rep):
        r = group.by_rep[rep]
        return analysis.step_position(r, _last_doublings(r, 1)[0]) == "completion"
    return Test({"at_completion": at_end}, lambda q: q["at_completion"] == 1,
                lambda q: f"largest op of the last {step} at its completion: {'yes' if q['at_completion'] else 'no'}")


@claim("GoIncSystemSpikeAtCompletion",
       r"With the platform allocator \GoIncName{} does not reproduce where Go pays: {runs}, the largest operation of its "
       r"last doubling is the one that completes it (one \texttt{free} of the old array), not the trigger.",
       min_n=PAPER_N)
def go_system_at_completion(ctx):
    return _last_step_at_completion(ctx, _go_fidelity_groups(ctx)["go_incremental system"], "doubling")


# -- fidelity: Redis --

def _redis_groups(ctx, sized=True):
    server = ctx.group("redis_server", sized=sized)
    return {"redis_server": server, "redis_dual system": ctx.group("redis_dual", alloc="system", n=server.n, sized=sized),
            "redis_dual fresh": ctx.group("redis_dual", n=server.n, sized=sized)}


@claim("RedisGrowPointsMatchServer",
       r"\RedisDualName{} rehashes where Redis does: {runs}, every rehash of the real server (\ResRedisFidelityN{} SETs) "
       r"from \ResRedisEndGranularity{} keys on starts at the same number of keys as in \RedisDualName{} with either "
       r"allocation (smaller rehashes finish between two of the harness's reads of the server's table).")
def redis_grow_points(ctx):
    groups = _redis_groups(ctx, sized=False)
    _require_resizes(ctx, groups)

    def mismatches(rep):
        least = analysis.end_granularity(groups["redis_server"].by_rep[rep])
        return _grow_point_mismatches(groups, "redis_server", rep, least)
    return Test({"mismatches": mismatches}, lambda q: q["mismatches"] == 0,
                lambda q: f"configurations whose rehash points differ from the server's: {fmt(q['mismatches'])}")


def _server_top_in(run, resize):
    """The server's slowest command (peer.server_top_k) within a resize, or None."""
    end = resize["end_op"]
    inside = [t for t in (run.data.get("peer") or {}).get("server_top_k") or []
              if resize["start_op"] <= t["op"] <= end]
    return max(inside, key=lambda t: t["ns"]) if inside else None


@claim("RedisServerSpikeAtCompletion",
       r"In the real Redis the spike lands where the rehash completes: {runs}, the slowest command inside the server "
       r"(its own time, from \texttt{SLOWLOG}) during its last completed rehash is the SET that moved the last bucket "
       r"and freed the old table (to within the \ResRedisEndGranularity{} operations at which the harness reads the "
       r"table).", min_n=REDIS_N)
def redis_server_at_completion(ctx):
    server = _redis_groups(ctx)["redis_server"]
    for r in server.runs:
        ctx.require(_last_doublings(r, 1), f"{r.run_id}: no completed rehash")

    def at_end(rep):
        r = server.by_rep[rep]
        last = _last_doublings(r, 1)[0]
        top = _server_top_in(r, last)
        return top is not None and last["end_op"] - top["op"] <= analysis.end_granularity(r)
    return Test({"at_completion": at_end}, lambda q: q["at_completion"] == 1,
                lambda q: f"slowest server command of the last rehash at its completion: "
                          f"{'yes' if q['at_completion'] else 'no'}")


@claim("RedisDualSystemSpikeAtCompletion",
       r"With the platform allocator \RedisDualName{} puts its spike there too: {runs}, the largest operation of its last "
       r"completed rehash is the one that completes it.", min_n=REDIS_N)
def redis_system_at_completion(ctx):
    return _last_step_at_completion(ctx, _redis_groups(ctx)["redis_dual system"], "rehash")


@claim("RedisServerRehashShorter",
       r"The server's rehashes take fewer commands than \RedisDualName{}'s: {runs}, its last completed rehash ended "
       r"after at most {pct}\,\% of the SETs \RedisDualName{} needed (\RedisServerLastMigrationOpsAtRedisN{} vs "
       r"\RedisDualLastMigrationOpsAtRedisN): its cron also rehashes for a millisecond at every tick of wall time, and a "
       r"server command takes far longer than a call into \RedisDualName, so more of the work falls to the cron.",
       min_n=REDIS_N, pct=100)
def redis_server_shorter(ctx, pct):
    groups = _redis_groups(ctx)
    server, fresh = groups["redis_server"], groups["redis_dual fresh"]
    for r in server.runs + fresh.runs:
        ctx.require(_last_doublings(r, 1), f"{r.run_id}: no completed rehash")

    def last_ops(g):
        return lambda rep: _last_doublings(g.by_rep[rep], 1)[0]["migration_ops"]
    return Test({"server": last_ops(server), "dual": last_ops(fresh)},
                lambda q: q["server"] <= pct / 100 * q["dual"],
                lambda q: f"last rehash: redis_server {fmt(q['server'])} ops, redis_dual {fmt(q['dual'])} ops")


# -- bounded growth --

def _worst_slope(ctx, name):
    sizes = ctx.sizes(name, workload="insert_growth", mode="closed", key="u64", value_bytes=8)
    groups = [ctx.group(name, n=n, sized=(n == sizes[-1])) for n in sizes]
    return sizes, groups


def _scaling_test(ctx, names, slope_max, contrast):
    qs, ranges = {}, {}
    full_sizes, full = _worst_slope(ctx, "full_rehash")
    ctx.require(len(full_sizes) >= 3 and full_sizes[-1] >= 8 * full_sizes[0],
                f"full_rehash ran at {len(full_sizes)} sizes; a slope needs 3 spanning a factor 8")
    for name in names:
        sizes, groups = _worst_slope(ctx, name)
        ctx.require(len(sizes) >= 3 and sizes[-1] >= 8 * sizes[0],
                    f"{name} ran at {len(sizes)} size(s) ({', '.join(fmt(n) for n in sizes)}); a slope needs 3 "
                    "spanning a factor 8")
        qs[name] = lambda rep, gs=groups: analysis.loglog_slope([(g.n, g.by_rep[rep].summary["max_ns"]) for g in gs])
        ranges[name] = (sizes[0], sizes[-1])
    qs["full_rehash"] = lambda rep: analysis.loglog_slope([(g.n, g.by_rep[rep].summary["max_ns"]) for g in full])
    return Test(qs, lambda q: all(q[m] <= slope_max for m in names) and q["full_rehash"] >= contrast,
                lambda q: "log-log slope of the largest insert over n: " + ", ".join(
                    f"{m} {fmt(q[m])}" for m in names) + f"; full_rehash {fmt(q['full_rehash'])}")


@claim("BoundedWorstSublinear",
       r"The worst insert of the designs without a migration barely grows with the table: {runs}, over $n$ from "
       r"\ResScalingMinN{} to \ResScalingMaxN{} the log--log slope of the largest insert is at most {slope} for "
       r"\GoSwissName{} (\GoSwissScalingSlope) and \LinearHashingName{} (\LinearHashingScalingSlope), against at least "
       r"{contrast} for \FullRehashName{} (\FullRehashScalingSlope), whose rehash is proportional to $n$.",
       min_n=PAPER_N, slope=0.5, contrast=0.8)
def bounded_sublinear(ctx, slope, contrast):
    return _scaling_test(ctx, BOUNDED, slope, contrast)


@claim("GoSwissStepCostFlat",
       r"A \GoSwissName{} growth step costs the same at every size: {runs}, the median step of the map's last doubling "
       r"(\GoSwissLastOctaveStepUs\,\textmu s) is at most {factor} times the median step of the first doubling in "
       r"which it made at least {min_steps} steps (\GoSwissFirstOctaveStepUs\,\textmu s).", factor=2, min_steps=16)
def go_swiss_flat(ctx, factor, min_steps):
    g = ctx.group("go_swiss")

    def pair(rep):
        med = analysis.octave_medians(g.by_rep[rep])
        full = sorted(k for k, (count, _) in med.items() if count >= min_steps)
        ctx.require(len(full) >= 2, f"{g.by_rep[rep].run_id}: fewer than two doublings with {min_steps} steps")
        return med[full[0]][1], med[max(med)][1]
    return Test({"first": lambda rep: pair(rep)[0], "last": lambda rep: pair(rep)[1]},
                lambda q: q["last"] <= factor * q["first"],
                lambda q: f"median step: last doubling {ns(q['last'])}, first with {min_steps} steps {ns(q['first'])}")


@claim("LinearHashingOneBucketPerStep",
       r"\LinearHashingName{} never splits more than one bucket in an operation: {runs}, in every workload its own "
       r"count of the most splits and merges in one operation is at most 1 (2 merges after a failed allocation), and "
       r"its bucket count equals one plus its splits minus its merges.")
def linear_one_bucket(ctx):
    runs = [r for r in ctx.rs.select(map="linear_hashing", alloc=None, load=None) if r.rep < ctx.rs.reps]
    ctx.require(runs, "no linear_hashing run")
    for r in runs:
        for c in ("max_steps_one_op", "splits", "merges", "buckets"):
            ctx.require(c in r.data["map_counters"], f"{r.run_id}: map counter {c} missing")
    ctx.planned.append(min(ctx.rs.planned_reps(r.group) for r in runs))

    def violations(rep):
        bad = 0
        for r in runs:
            if r.rep != rep:
                continue
            c = r.data["map_counters"]
            limit = 2 if c.get("merge_alloc_failures", 0) else 1
            bad += c["max_steps_one_op"] > limit or c["buckets"] != 1 + c["splits"] - c["merges"]
        return bad
    return Test({"violations": violations}, lambda q: q["violations"] == 0,
                lambda q: f"runs where a step split more than one bucket or the bucket count disagrees: "
                          f"{fmt(q['violations'])}")


# -- paced_flat: the bar of issue 17 --

def _paced_vs(ctx, metric, ratio_max=None, ratio_min=None):
    paced, ref = ctx.group("paced_flat"), ctx.group(analysis.FLAT_REFERENCE)
    ctx.distinct(paced, ref)
    for r in paced.runs + ref.runs:
        ctx.require(metric(r) is not None, f"{r.run_id}: no value")
    return Test({"paced": field(paced, metric), "ref": field(ref, metric)},
                lambda q: (ratio_max is None or q["paced"] <= ratio_max * q["ref"])
                and (ratio_min is None or q["paced"] >= ratio_min * q["ref"]),
                lambda q: f"paced_flat {fmt(q['paced'])}, {analysis.FLAT_REFERENCE} {fmt(q['ref'])} "
                          f"(ratio {fmt(q['paced'] / q['ref']) if q['ref'] else 'n/a'})")


@claim("PacedFlatPNineNine",
       r"{Runs}, the p99 of \PacedFlatName{} is at most {factor} times that of \BoostFlatName{} (ratio of the medians "
       r"\PacedFlatPNineNineOverBoost).", min_n=PAPER_N, factor=1.25)
def paced_p99(ctx, factor):
    return _paced_vs(ctx, lambda r: r.summary["p99_ns"], ratio_max=factor)


@claim("PacedFlatPNineNineNine",
       r"{Runs}, its p99.9 is at most {factor} times that of \BoostFlatName{} (\PacedFlatPNineNineNineOverBoost).",
       min_n=PAPER_N, factor=1.5)
def paced_p999(ctx, factor):
    return _paced_vs(ctx, lambda r: r.summary["p999_ns"], ratio_max=factor)


@claim("PacedFlatMaxAtFloor",
       r"{Runs}, its largest insert in windows without host steal is at most {factor} times the largest empty "
       r"operation of the noise floor in those windows (\PacedFlatMaxQuietOverFloor): indistinguishable from the "
       r"machine.", min_n=PAPER_N, factor=2)
def paced_max_floor(ctx, factor):
    g = ctx.group("paced_flat")
    for r in g.runs:
        ctx.require(r.data["noise_floor"] is not None, f"{r.run_id}: noise floor not measured")
        ctx.require(r.summary["max_ns_quiet"] is not None and r.data["noise_floor"]["max_ns_quiet"] is not None,
                    f"{r.run_id}: every window had host steal")
    return Test({"max": field(g, lambda r: r.summary["max_ns_quiet"]),
                 "floor": field(g, lambda r: r.data["noise_floor"]["max_ns_quiet"])},
                lambda q: q["max"] <= factor * q["floor"],
                lambda q: f"paced_flat max (quiet windows) {ns(q['max'])}, floor max {ns(q['floor'])}")


@claim("PacedFlatMaxAtFlatCeiling",
       r"{Runs}, its largest insert in windows without host steal is at most {factor} times the largest such insert "
       r"of \BoostFlatName{} that began no resize (\PacedFlatMaxQuietOverFlatCeiling): the floor's empty operations "
       r"spend \PacedFlatFloorExposurePct\,\% of a run's time being timed, the inserts of \BoostFlatName{} outside "
       r"its resizes most of it, so the machine's rare events reach them as they reach \PacedFlatName{}.",
       min_n=PAPER_N, factor=2)
def paced_max_flat_ceiling(ctx, factor):
    paced, ref = ctx.group("paced_flat"), ctx.group(analysis.FLAT_REFERENCE)
    ctx.distinct(paced, ref)
    for r in paced.runs:
        ctx.require(r.summary["max_ns_quiet"] is not None, f"{r.run_id}: every window had host steal")
    for r in ref.runs:
        ctx.require(analysis.largest_quiet_op_outside_resizes(r) is not None,
                    f"{r.run_id}: no steal-free op outside its resizes among the slowest {len(r.data['top_k'])}")
    return Test({"max": field(paced, lambda r: r.summary["max_ns_quiet"]),
                 "ceiling": field(ref, analysis.largest_quiet_op_outside_resizes)},
                lambda q: q["max"] <= factor * q["ceiling"],
                lambda q: f"paced_flat max (quiet windows) {ns(q['max'])}, {analysis.FLAT_REFERENCE}'s largest quiet "
                          f"op outside resizes {ns(q['ceiling'])}")


@claim("PacedFlatThroughput",
       r"{Runs}, its uninstrumented throughput is at least {factor} times that of \BoostFlatName{} "
       r"(\PacedFlatOpsOverBoost).", min_n=PAPER_N, factor=0.85)
def paced_throughput(ctx, factor):
    return _paced_vs(ctx, lambda r: r.summary["ops_per_sec_uninstrumented"], ratio_min=factor)


@claim("PacedFlatMemory",
       r"{Runs}, its mean bytes per entry are at most {factor} times those of \BoostFlatName{} "
       r"(\PacedFlatBytesOverBoost).", min_n=PAPER_N, factor=1.15)
def paced_memory(ctx, factor):
    return _paced_vs(ctx, lambda r: r.summary["bytes_per_entry_mean"], ratio_max=factor)


def _all_finds(run, q):
    """A find percentile over every find of the run (steady and migrating, the larger)."""
    vals = [analysis.by_op_field(run, "find", s, q) for s in ("steady", "migrating")]
    vals = [v for v in vals if v is not None]
    return max(vals) if vals else None


@claim("PacedFlatFinds",
       r"{Runs}, the median find of \PacedFlatName{} while the table grows (\texttt{grow\_read}, inside and outside "
       r"migrations, the slower of the two) is at most {factor} times that of \BoostFlatName{} "
       r"(\PacedFlatFindOverBoost).", min_n=OPEN_N, factor=1.3)
def paced_finds(ctx, factor):
    paced = ctx.group("paced_flat", workload="grow_read")
    ref = ctx.group(analysis.FLAT_REFERENCE, workload="grow_read", n=paced.n)
    for r in paced.runs + ref.runs:
        ctx.require(_all_finds(r, "p50_ns") is not None, f"{r.run_id}: no finds (by_op)")
    return Test({"paced": field(paced, lambda r: _all_finds(r, "p50_ns")),
                 "ref": field(ref, lambda r: _all_finds(r, "p50_ns"))},
                lambda q: q["paced"] <= factor * q["ref"],
                lambda q: f"median find: paced_flat {ns(q['paced'])}, boost_flat {ns(q['ref'])}")


# -- workloads and key types --

@claim("StringKeysIncrementalBelowFull",
       r"The ordering holds for string keys: {runs}, with \texttt{str16} and with \texttt{str64} keys the largest "
       r"insert of every incremental variant is at least {factor} times below that of \FullRehashName{} "
       r"(\texttt{str64}: \RedisDualName{} \RedisDualStrSixtyFourMaxInsertUs{} vs "
       r"\FullRehashStrSixtyFourMaxInsertUs\,\textmu s).", min_n=OPEN_N, factor=5)
def string_keys(ctx, factor):
    qs = {}
    for key in ("str16", "str64"):
        full = ctx.group("full_rehash", key=key)
        qs[f"full.{key}"] = maximum(full)
        for m in INCREMENTAL:
            qs[f"{m}.{key}"] = maximum(ctx.group(m, key=key, n=full.n))
    return Test(qs, lambda q: all(q[f"full.{k}"] >= factor * q[f"{m}.{k}"] for k in ("str16", "str64")
                                  for m in INCREMENTAL),
                lambda q: "; ".join(f"{k}: full_rehash {ns(q[f'full.{k}'])}, " + ", ".join(
                    f"{m} {ns(q[f'{m}.{k}'])}" for m in INCREMENTAL) for k in ("str16", "str64")))


# -- write amplification --

def overhead_per_entry(run):
    """Bytes the map holds at its peak beyond its keys and values (peak_bytes less
    final_entries x (key + value bytes)), per entry: measured by the counting
    allocator, not by the map's own counters."""
    s = run.summary
    return (s["peak_bytes"] - s["final_entries"] * (8 + s["value_bytes"])) / s["final_entries"]


# Sized for n >= 1M: the slab reserves payload memory in chunks, so the overhead can differ
# by up to one chunk between value sizes, which is a few percent of it only from ~1M entries.
@claim("OverflowSlabNoPayloadMoved",
       r"\OverflowSlabName{} never makes room for a second copy of its keys and values while growing: {runs}, the "
       r"memory it holds at its peak beyond the keys and values themselves is the same with {lo}- and {hi}-byte "
       r"values to within {pct}\,\%, while that of \GoIncName{}, whose buckets hold them, grows at least "
       r"{contrast}-fold.", min_n=OPEN_N, lo=64, hi=256, pct=10, contrast=2)
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
       r"{values_text} values at $n=\ResWriteAmpN$ its payload bytes moved per byte inserted equal those of "
       r"\FullRehashName{} to within {pct}\,\% (\GoIncWriteAmpEight{} with 8-byte values, \GoIncWriteAmpTwoFiftySix{} "
       r"with 256-byte values).", values=(8, 64, 256), values_text=_values_sentence((8, 64, 256)), pct=1)
def wa_same_as_full(ctx, values, values_text, pct):
    """Same bucket layout and triggers, so each doubling copies every entry once, only
    later. Compared at one n for every value size: write amplification depends on where
    n falls between two doublings. Every value size the sentence names must be present."""
    n = analysis.common_value_n(ctx.rs, ("go_incremental", "full_rehash"), values)
    ctx.require(n is not None, "no n at which go_incremental and full_rehash both ran with "
                               + ", ".join(f"v{v}" for v in values))
    qs = {}
    for v in values:
        mine = ctx.group("go_incremental", value_bytes=v, n=n)
        full = ctx.group("full_rehash", value_bytes=v, n=n)
        for g in (mine, full):
            for r in g.runs:
                ctx.require(r.summary["write_amplification"] is not None, f"{r.run_id}: nothing inserted")
        qs[f"go.v{v}"] = field(mine, lambda r: r.summary["write_amplification"])
        qs[f"full.v{v}"] = field(full, lambda r: r.summary["write_amplification"])
    return Test(qs, lambda q: all(q[f"full.v{v}"] > 0 and abs(q[f"go.v{v}"] / q[f"full.v{v}"] - 1) <= pct / 100
                                  for v in values),
                lambda q: f"n={fmt(n)}, go_incremental vs full_rehash write amplification: " + "; ".join(
                    f"v{v}: {fmt(q[f'go.v{v}'])} vs {fmt(q[f'full.v{v}'])}" for v in values))


# -- shrinking --

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


def _shrinks(map_name, pct):
    def fn(ctx):
        g = _shrink_group(ctx, map_name)
        return Test({"kept": field(g, kept_fraction)}, lambda q: q["kept"] <= pct / 100,
                    lambda q: f"{map_name} shrink: final / live bytes when erasing began = {fmt(q['kept'])}")
    return fn


claim("RedisDualShrinks",
      r"Like Redis, \RedisDualName{} gives memory back: {runs}, after erasing 99\,\% of its entries it holds at "
      r"most {pct}\,\% of the memory it held when erasing began (median \RedisDualShrinkKeptPct\,\%).", pct=50)(
    lambda ctx, pct: _shrinks("redis_dual", pct)(ctx))
claim("LinearHashingShrinks",
      r"\LinearHashingName{} merges buckets as it empties: {runs}, it ends holding at most {pct}\,\% of that memory "
      r"(median \LinearHashingShrinkKeptPct\,\%).", pct=10)(
    lambda ctx, pct: _shrinks("linear_hashing", pct)(ctx))


# -- correctness --

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
    for r in ctx.rs.select(alloc=None, go_gc=None, load=None):
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
        # \ifHolds<ID>: prose elsewhere (abstract, conclusion) states a result only when it holds.
        lines.append(f"\\newif\\ifHolds{r.id} \\Holds{r.id}{'true' if r.status == HOLDS else 'false'}")
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
