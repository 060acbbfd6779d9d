import os
import re
import unittest

import check_claims
import results_io
import test_util as tu

PAPER_N = "--n-divisor=1000"   # the n = 16384 fixture stands in for the paper suite (10M / 1000)


def _claims(d, *ids, extra=()):
    return tu.call(check_claims.main, [d, PAPER_N, "--only=" + ",".join(ids)] + list(extra))


def _status(out, claim_id):
    m = re.search(r"^(HOLDS|FAILS|NOT CHECKABLE)\s+\d+ " + claim_id + r"\s+(.*)$", out, re.M)
    assert m, out
    return m.group(1), m.group(2)


def _all_reps(map_name, fn, **kw):
    return lambda d: tu.edit_reps(d, map_name, fn, **kw)


def _remove_group(map_name, **kw):
    """Removes the configuration's runs at every n it ran at (or at the n given)."""
    def go(d):
        rest = {k: v for k, v in kw.items() if k != "n"}
        for n in [kw["n"]] if "n" in kw else (tu.N, tu.N // 4, tu.N // 16):
            for rep in range(tu.REPS):
                if os.path.isfile(os.path.join(d, tu.run_id(map_name, rep=rep, n=n, **rest) + ".json")):
                    tu.remove_run(d, tu.run_id(map_name, rep=rep, n=n, **rest))
    return go


def _one_window(map_name, workload="shrink"):
    """Rewrites the timelines of map_name's runs to a single window covering every op."""
    def go(d):
        for rep in range(tu.REPS):
            path = os.path.join(d, tu.run_id(map_name, workload=workload, rep=rep) + ".timeline.csv")
            with open(path) as f:
                lines = f.read().splitlines()
            cols = lines[0].split(",")
            rows = [l.split(",") for l in lines[1:]]
            last = rows[-1][:]
            last[cols.index("first_op")] = "0"
            last[cols.index("window")] = "0"
            last[cols.index("ops")] = str(sum(int(r[cols.index("ops")]) for r in rows))
            last[cols.index("max_ns")] = str(max(int(r[cols.index("max_ns")]) for r in rows))
            with open(path, "w") as f:
                f.write(lines[0] + "\n" + ",".join(last) + "\n")
    return go


def _set_summary(**fields):
    return lambda x: x["summary"].update(**fields)


def _scale(factor, *fields):
    def fn(x):
        for f in fields:
            x["summary"][f] = x["summary"][f] * factor
    return fn


def _top_op(op):
    return lambda x: x["top_k"][0].update(op=op)


def _no_completed_migration(x):
    for r in x["resizes"]:
        r.update(end_op=None, end_op_ns=None)


def _one_migration_op(x):
    for r in x["resizes"]:
        r["migration_ops"] = 1


def _second_payload_copy(x):
    s = x["summary"]
    s["peak_bytes"] += s["final_entries"] * (8 + s["value_bytes"])


def _no_floor(x):
    x["noise_floor"] = None
    x["config"]["noise_ops"] = 0


def _floor_as_large(x):
    x["noise_floor"]["max_ns"] = x["summary"]["max_ns"]


def _only_resizes_in_top_k(x):
    """Keeps only the top-k ops that began a resize: no ordinary op is among the slowest."""
    starts = {r["start_op"] for r in x["resizes"]}
    x["top_k"] = [t for t in x["top_k"] if t["op"] in starts]


def _shrink_final(map_name, fraction):
    """final_bytes = fraction x the live bytes after the first window (what the claims read)."""
    def go(d):
        for rep in range(tu.REPS):
            rid = tu.run_id(map_name, workload="shrink", rep=rep)
            with open(os.path.join(d, rid + ".timeline.csv")) as f:
                lines = f.read().splitlines()
            cols = lines[0].split(",")
            first = int(lines[1].split(",")[cols.index("live_bytes")])
            tu.edit_run(d, rid, _set_summary(final_bytes=int(first * fraction)))
    return go


def _checksum_off(rep_list):
    def go(d):
        for rep in rep_list:
            tu.edit_run(d, tu.run_id("redis_dual", rep=rep), _set_summary(checksum="0x00000000deadbeef"))
    return go


def _lonely_group(d):
    maps = {r.map for r in results_io.load(d, quiet=True).select(workload="shrink")}
    for m in maps - {"full_rehash"}:
        tu.remove_run(d, tu.run_id(m, workload="shrink", rep=0))


def _edit_timeline(map_name, fn, **kw):
    """Applies fn(row dict) to every timeline row of map_name's runs (kw: run_id keys)."""
    def go(d):
        for rep in range(tu.REPS):
            path = os.path.join(d, tu.run_id(map_name, rep=rep, **kw) + ".timeline.csv")
            with open(path) as f:
                lines = f.read().splitlines()
            cols = lines[0].split(",")
            out = [lines[0]]
            for line in lines[1:]:
                row = dict(zip(cols, line.split(",")))
                fn(row)
                out.append(",".join(row[c] for c in cols))
            with open(path, "w") as f:
                f.write("\n".join(out) + "\n")
    return go


def _resizes(fn):
    def go(x):
        for r in x["resizes"]:
            fn(r)
    return go


def _by_op(kind, state, fn):
    def go(x):
        fn(x["by_op"][kind], state)
    return go


def _set_by_op(kind, state, value):
    return _by_op(kind, state, lambda e, s: e.__setitem__(s, value))


def _by_op_field(kind, state, field, factor):
    return _by_op(kind, state, lambda e, s: e[s].__setitem__(field, e[s][field] * factor))


def _counters(**values):
    return lambda x: x["map_counters"].update(**values)


def _drop_counter(name):
    return lambda x: x["map_counters"].pop(name)


def _no_top_response(x):
    x["top_k_response"] = []


def _last_octave_steps_slower(x):
    last = max(r["entries_at_start"] for r in x["resizes"]).bit_length()
    for r in x["resizes"]:
        if r["entries_at_start"].bit_length() == last:
            r["migration_max_ns"] *= 10


def _all(*fns):
    def go(d):
        for fn in fns:
            fn(d)
    return go


Q = tu.N // 4     # the Redis fidelity n of the fixture (REDIS_N / 1000 is 4,000)

# claim id -> (mutation that makes it FAIL, mutation that makes it NOT CHECKABLE, reason expected).
CASES = {
    "FullRehashMaxIsResize": (_all_reps("full_rehash", _top_op(5)),
                              lambda d: tu.remove_run(d, tu.run_id("full_rehash", rep=1)),
                              "repetition(s) 1 of 3 missing"),
    "FullRehashSpikeAboveTail": (_all_reps("full_rehash", lambda x: x["summary"].update(
                                     p999_ns=x["summary"]["max_ns"] // 2)),
                                 _remove_group("full_rehash"), "no closed-loop insert_growth u64/v8 run of full_rehash"),
    "NoiseBelowSpike": (_all_reps("full_rehash", _floor_as_large), _all_reps("full_rehash", _no_floor),
                        "noise floor not measured (--noise-ops=0)"),
    "GoIncMaxBelowFull": (_all_reps("go_incremental", _scale(1000, "max_ns")),
                          _remove_group("go_incremental"), "no closed-loop insert_growth u64/v8 run of go_incremental"),
    "RedisDualMaxBelowFull": (_all_reps("redis_dual", _scale(1000, "max_ns")),
                              _remove_group("redis_dual"), "run of redis_dual"),
    "OverflowSlabMaxBelowFull": (_all_reps("overflow_slab", _scale(1000, "max_ns")),
                                 _remove_group("overflow_slab"), "run of overflow_slab"),
    "GoSwissMaxBelowFull": (_all_reps("go_swiss", _scale(1000, "max_ns")), _remove_group("go_swiss"),
                            "run of go_swiss"),
    "LinearHashingMaxBelowFull": (_all_reps("linear_hashing", _scale(10000, "max_ns")),
                                  _remove_group("linear_hashing"), "run of linear_hashing"),
    "PacedFlatMaxBelowFull": (_all_reps("paced_flat", _scale(10000, "max_ns")), _remove_group("paced_flat"),
                              "run of paced_flat"),
    "GoIncMigrationSpread": (_all_reps("go_incremental", _one_migration_op),
                             _all_reps("go_incremental", _no_completed_migration), "no completed migration"),
    "OverflowSlabMigrationSpread": (_all_reps("overflow_slab", _one_migration_op),
                                    _all_reps("overflow_slab", _no_completed_migration), "no completed migration"),
    "SpreadingRaisesTail": (_all_reps("go_incremental", _set_summary(p99_ns=150)), _remove_group("redis_dual"),
                            "run of redis_dual"),
    "MigratingInsertsCarryTail": (_all_reps("go_incremental", _by_op_field("insert", "migrating", "p99_ns", 0.1)),
                                  _all_reps("overflow_slab", _set_by_op("insert", "migrating", None)),
                                  "no insert ran during a migration"),
    "BoundedNoDoublingPeak": (_all_reps("go_swiss", _scale(2, "peak_bytes")), _remove_group("linear_hashing"),
                              "run of linear_hashing"),
    "NodeMapsRssOverhead": (_all_reps("std_unordered", lambda x: x["memory"].update(
                                rss_final_bytes=x["memory"]["rss_baseline_bytes"] + x["summary"]["final_bytes"])),
                            _all(_all_reps("std_unordered", lambda x: x["memory"].update(allocations=100)),
                                 _all_reps("redis_dual", lambda x: x["memory"].update(allocations=100))),
                            "no node-based map"),
    "LookupsDuringMigration": (_all_reps("redis_dual", _by_op_field("find", "migrating", "p50_ns", 10),
                                         workload="grow_read"),
                               _all_reps("go_incremental", _set_by_op("find", "migrating", None), workload="grow_read"),
                               "no find migrating"),
    "FullRehashCoordinatedOmission": (_all_reps("full_rehash", lambda x: x["summary"]["response"].update(
                                          p999_ns=x["summary"]["p999_ns"]), mode="open"),
                                      _remove_group("full_rehash", mode="open"), "open-loop insert_growth"),
    "IncrementalOpenLoopBelowFull": (_all_reps("redis_dual", lambda x: x["summary"]["response"].update(
                                         max_ns=10 ** 9), mode="open"),
                                     _remove_group("overflow_slab", mode="open"), "run of overflow_slab"),
    "FullRehashWorstResponseIsItsOp": (_edit_timeline("full_rehash", lambda row: row.update(max_ns="100"),
                                                      mode="open"),
                                       _all_reps("full_rehash", _no_top_response, mode="open"), "no top_k_response"),
    "SweepFullAboveIncremental": (_all_reps("go_incremental", lambda x: x["summary"]["response"].update(
                                      max_ns=10 ** 9), mode="open", load=0.5),
                                  _remove_group("go_incremental", mode="open", load=0.5),
                                  "at 50% load run of go_incremental"),
    "SystemAllocationSpikes": (_all_reps("overflow_slab", _scale(0.001, "max_ns"), alloc="system"),
                               _remove_group("redis_dual", alloc="system"),
                               "no n at which every incremental variant ran with --alloc=system"),
    "GoGrowPointsMatchRuntime": (_all_reps("go_incremental", _resizes(lambda r: r.update(
                                     entries_at_start=r["entries_at_start"] + 1)), alloc="system"),
                                 _remove_group("go_runtime", gc="off"), "GC off run of go_runtime"),
    "GoMigrationLengthsMatchRuntime": (_all_reps("go_incremental", _resizes(lambda r: r.update(
                                           migration_ops=r["migration_ops"] * 11 // 10))),
                                       _all_reps("go_incremental", _no_completed_migration),
                                       "has no completed migration from"),
    "GoRuntimeSpikeAtTrigger": (_all_reps("go_runtime", _resizes(lambda r: r.update(
                                    migration_max_op=r["start_op"] + 100))),
                                _remove_group("go_runtime"), "no closed-loop insert_growth u64/v8 run of go_runtime"),
    "GoIncFreshBelowRuntime": (_all_reps("go_runtime", _scale(0.001, "max_ns"), gc="off"),
                               _remove_group("go_incremental", alloc="system"), "--alloc=system run of go_incremental"),
    "GoIncSystemSpikeAtCompletion": (_all_reps("go_incremental", _resizes(lambda r: r.update(
                                         migration_max_op=r["start_op"])), alloc="system"),
                                     _all_reps("go_incremental", _no_completed_migration, alloc="system"),
                                     "no completed doubling"),
    "RedisGrowPointsMatchServer": (_all_reps("redis_server", _resizes(lambda r: r.update(
                                       entries_at_start=r["entries_at_start"] + 1)), n=Q),
                                   _remove_group("redis_dual", alloc="system", n=Q),
                                   f"--alloc=system run of redis_dual at n={Q:,}"),
    "RedisServerSpikeAtCompletion": (_all_reps("redis_server", lambda x: x["peer"].update(server_top_k=[]), n=Q),
                                     _all_reps("redis_server", _no_completed_migration, n=Q), "no completed rehash"),
    "RedisDualSystemSpikeAtCompletion": (_all_reps("redis_dual", _resizes(lambda r: r.update(
                                             migration_max_op=r["start_op"])), alloc="system", n=Q),
                                         _all_reps("redis_dual", _no_completed_migration, alloc="system", n=Q),
                                         "no completed rehash"),
    "RedisServerRehashShorter": (_all_reps("redis_server", _resizes(lambda r: r.update(
                                     migration_ops=r["migration_ops"] * 10)), n=Q),
                                 _remove_group("redis_dual", n=Q), f"run of redis_dual at n={Q:,}"),
    "BoundedWorstSublinear": (_all_reps("go_swiss", _scale(100, "max_ns")), _remove_group("go_swiss", n=tu.N // 16),
                              "go_swiss ran at 2 size(s)"),
    "GoSwissStepCostFlat": (_all_reps("go_swiss", _last_octave_steps_slower),
                            _all_reps("go_swiss", lambda x: x.update(resizes=[])),
                            "fewer than two doublings with 16 steps"),
    "LinearHashingOneBucketPerStep": (_all_reps("linear_hashing", _counters(max_steps_one_op=2)),
                                      _all_reps("linear_hashing", _drop_counter("splits")),
                                      "map counter splits missing"),
    "PacedFlatPNineNine": (_all_reps("paced_flat", _scale(10, "p99_ns")), _remove_group("paced_flat"),
                           "run of paced_flat"),
    "PacedFlatPNineNineNine": (_all_reps("paced_flat", _scale(10, "p999_ns")), _remove_group("paced_flat"),
                               "run of paced_flat"),
    "PacedFlatMaxAtFloor": (_all_reps("paced_flat", _scale(10, "max_ns_quiet")), _all_reps("paced_flat", _no_floor),
                            "noise floor not measured"),
    "PacedFlatMaxAtFlatCeiling": (_all_reps("paced_flat", _scale(10, "max_ns_quiet")),
                                  _all_reps("boost_flat", _only_resizes_in_top_k), "no steal-free op outside"),
    "PacedFlatThroughput": (_all_reps("paced_flat", _scale(0.0001, "ops_per_sec_uninstrumented")),
                            _remove_group("boost_flat"), "run of boost_flat"),
    "PacedFlatMemory": (_all_reps("paced_flat", _scale(10, "bytes_per_entry_mean")), _remove_group("paced_flat"),
                        "run of paced_flat"),
    "PacedFlatFinds": (_all_reps("paced_flat", _by_op_field("find", "steady", "p50_ns", 10), workload="grow_read"),
                       _remove_group("paced_flat", workload="grow_read"), "grow_read u64/v8 run of paced_flat"),
    "StringKeysIncrementalBelowFull": (_all_reps("go_incremental", _scale(10000, "max_ns"), key="str64"),
                                       _remove_group("full_rehash", key="str16"), "str16/v8 run of full_rehash"),
    "OverflowSlabNoPayloadMoved": (_all_reps("overflow_slab", _second_payload_copy, value=256),
                                   _remove_group("overflow_slab", value=64), "u64/v64 run of overflow_slab"),
    "GoIncWriteAmpSameAsFull": (_all_reps("go_incremental", _scale(1.5, "write_amplification"), value=256),
                                _remove_group("go_incremental", value=256), "no n at which go_incremental"),
    "GoIncNeverShrinks": (_shrink_final("go_incremental", 0.5), _one_window("go_incremental"),
                          "1 timeline window(s); a shrink needs at least 2"),
    "RedisDualShrinks": (_shrink_final("redis_dual", 0.9), _one_window("redis_dual"),
                         "1 timeline window(s); a shrink needs at least 2"),
    "LinearHashingShrinks": (_shrink_final("linear_hashing", 0.9), _one_window("linear_hashing"),
                             "1 timeline window(s); a shrink needs at least 2"),
    "ChecksumsAgree": (_checksum_off([0, 1, 2]), _lonely_group, "fewer than 2 distinct maps"),
}


class EveryClaimTest(unittest.TestCase):
    """Each claim HOLDS on the fixture, FAILS when the data contradict it and is NOT
    CHECKABLE when its preconditions are not met."""

    def test_every_claim_has_cases(self):
        self.assertEqual(set(CASES), {c.id for c in check_claims.CLAIMS})

    def test_all_hold_on_the_fixture(self):
        rc, out, _ = tu.call(check_claims.main, [tu.OK, PAPER_N])
        self.assertEqual(rc, 0, out)
        for claim_id in CASES:
            status, detail = _status(out, claim_id)
            self.assertEqual(status, "HOLDS", (claim_id, detail))
            self.assertTrue(detail.startswith("in 3 of 3 runs; medians:"), detail)

    def test_fails(self):
        for claim_id, (fail, _, _) in CASES.items():
            with self.subTest(claim_id):
                d = tu.copy_fixture()
                fail(d)
                rc, out, err = _claims(d, claim_id)
                self.assertEqual(_status(out, claim_id)[0], "FAILS", out + err)
                self.assertEqual(rc, 1)

    def test_not_checkable(self):
        for claim_id, (_, nc, reason) in CASES.items():
            with self.subTest(claim_id):
                d = tu.copy_fixture()
                nc(d)
                rc, out, err = _claims(d, claim_id)
                status, detail = _status(out, claim_id)
                self.assertEqual(status, "NOT CHECKABLE", out + err)
                self.assertIn(reason, detail)
                self.assertEqual(rc, 1)


class RuleTest(unittest.TestCase):
    def test_one_repetition_in_three_failing_fails_the_claim(self):
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("go_incremental", rep=1), _scale(1000, "max_ns"))
        rc, out, _ = _claims(d, "GoIncMaxBelowFull")
        status, detail = _status(out, "GoIncMaxBelowFull")
        self.assertEqual(status, "FAILS")
        self.assertTrue(detail.startswith("in 2 of 3 runs; medians:"), detail)   # holds on the medians
        self.assertNotIn("fails on the medians", detail)
        self.assertIn("rep1 fails", out)

    def test_holding_in_every_repetition_but_not_on_the_medians_fails(self):
        values = {"a": [1, 0, 0], "b": [0, 1, 0], "c": [0, 0, 1]}

        def fn(ctx):
            return check_claims.Test({k: (lambda rep, v=v: v[rep]) for k, v in values.items()},
                                     lambda q: sum(1 for x in q.values() if x > 0) == 1, lambda q: str(q))
        c = check_claims.Claim("Exactly", "In {runs}, exactly one.", fn, {}, None)
        rs = results_io.load(tu.OK, quiet=True)
        r = check_claims.evaluate_one(rs, 1, c)
        self.assertEqual((r.status, r.k, r.reps), ("FAILS", 3, 3))
        self.assertIn("fails on the medians", r.detail)

    def test_configurations_repeated_more_often(self):
        # The suite repeats the headline configuration 5 times and the rest 3 times: each
        # claim is judged over the repetitions all of its configurations have.
        d = tu.copy_fixture()
        for m in ("full_rehash", "go_incremental"):
            for rep in (3, 4):
                tu.add_rep(d, m, rep, reps=5)
        rc, out, err = _claims(d, "GoIncMaxBelowFull", "RedisDualMaxBelowFull", "FullRehashSpikeAboveTail",
                               "ChecksumsAgree")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(_status(out, "GoIncMaxBelowFull")[1].startswith("in 5 of 5 runs"))
        self.assertTrue(_status(out, "FullRehashSpikeAboveTail")[1].startswith("in 5 of 5 runs"))
        self.assertTrue(_status(out, "RedisDualMaxBelowFull")[1].startswith("in 3 of 3 runs"))
        # 80 %: one repetition of five may fail, two may not.
        tu.edit_run(d, tu.run_id("go_incremental", rep=3), _scale(1000, "max_ns"))
        rc, out, _ = _claims(d, "GoIncMaxBelowFull")
        self.assertEqual((rc, _status(out, "GoIncMaxBelowFull")[0]), (0, "HOLDS"))
        self.assertTrue(_status(out, "GoIncMaxBelowFull")[1].startswith("in 4 of 5 runs"))
        tu.edit_run(d, tu.run_id("go_incremental", rep=4), _scale(1000, "max_ns"))
        rc, out, _ = _claims(d, "GoIncMaxBelowFull")
        self.assertEqual((rc, _status(out, "GoIncMaxBelowFull")[0]), (1, "FAILS"))

    def test_fewer_than_three_repetitions_is_not_checkable(self):
        d = tu.copy_fixture()
        for name in os.listdir(d):
            if ".rep1." in name or ".rep2." in name:
                os.remove(os.path.join(d, name))
        tu.edit_manifest(d, lambda m: m.update(reps=1, runs=[r for r in m["runs"] if r["rep"] == 0],
                                               checksums={k: v for k, v in m["checksums"].items()
                                                          if k.endswith(".rep0")}))
        rc, out, _ = tu.call(check_claims.main, [d, PAPER_N])
        self.assertEqual(rc, 1)
        self.assertEqual(out.count("NOT CHECKABLE"), len(check_claims.CLAIMS))
        self.assertIn("R = 1 repetition(s); the rule needs at least 3", out)

    def test_quick_scale(self):
        d = tu.copy_fixture()
        tu.edit_manifest(d, lambda m: m.update(suite="quick"))
        rc, out, _ = tu.call(check_claims.main, [d])   # n = 16384 < 10M
        sized = {c.id for c in check_claims.CLAIMS if c.min_n}
        self.assertGreater(len(sized), 0)
        for claim_id in CASES:
            status, detail = _status(out, claim_id)
            if claim_id in sized:
                self.assertEqual((status, detail), ("NOT CHECKABLE", "at quick scale"))
            else:
                self.assertEqual(status, "HOLDS", claim_id)
        self.assertEqual(rc, 1)
        rc, _, _ = tu.call(check_claims.main, [d, "--scale-exempt"])
        self.assertEqual(rc, 0)
        # Not a quick suite: the reason names the size it needs.
        rc, out, _ = tu.call(check_claims.main, [tu.OK, "--only=GoIncMaxBelowFull"])
        self.assertIn("sized for n >= 10,000,000", out)


class OutputTest(unittest.TestCase):
    def test_every_maximum_carries_its_window_steal(self):
        rc, out, _ = _claims(tu.OK, "GoIncMaxBelowFull", "SystemAllocationSpikes", "IncrementalOpenLoopBelowFull")
        for line in out.splitlines():
            if line.strip().startswith("rep"):
                line = re.sub(r"\(ratio [^)]*\)", "", line)
                marks = len(re.findall(r" \[steal [^\]]+\]", line))
                bare = re.sub(r" \[steal [^\]]+\]", "", line)
                self.assertEqual(len(re.findall(r"[\d,.]+ (?:ns|µs|ms)", bare)), marks, line)
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("go_incremental", rep=0), lambda x: x["top_k"][0].update(steal_ms=None))
        tu.edit_run(d, tu.run_id("go_incremental", rep=1), lambda x: x["top_k"][0].update(steal_ms=1234))
        rc, out, _ = _claims(d, "GoIncMaxBelowFull")
        self.assertRegex(out, r"rep0 holds: .*go_incremental max [\d,.]+ \S+ \[steal n/a\]")
        self.assertRegex(out, r"rep1 holds: .*go_incremental max [\d,.]+ \S+ \[steal 1,234 ms\]")

    def test_tex_sentences_and_compact_markers(self):
        d = tu.copy_fixture()
        CASES["GoIncMaxBelowFull"][0](d)
        CASES["NoiseBelowSpike"][1](d)
        tex = os.path.join(tu.tmpdir(), "claims.tex")
        tu.call(check_claims.main, [d, PAPER_N, f"--tex={tex}"])
        with open(tex) as f:
            text = f.read()
        number = {c.id: i + 1 for i, c in enumerate(check_claims.CLAIMS)}
        self.assertIn(f"\\newcommand{{\\ClaimGoIncMaxBelowFull}}{{\\claimmarker{{{number['GoIncMaxBelowFull']}}}"
                      "{does not hold}}", text)
        self.assertIn(f"\\newcommand{{\\ClaimNoiseBelowSpike}}{{\\claimmarker{{{number['NoiseBelowSpike']}}}"
                      "{not checkable}}", text)
        self.assertIn(r"\newcommand{\ClaimRedisDualShrinks}{Like Redis, \RedisDualName{} gives memory back: in 3 of 3 "
                      r"runs, after erasing", text)
        self.assertIn("at most 10\\,\\%", text)   # the threshold comes from the check's parameter
        self.assertIn(r"\newcommand{\ClaimRuleMinPct}{80}", text)
        # The fresh maximum is also read by SystemAllocationSpikes and GoIncFreshBelowRuntime.
        self.assertIn(r"\newcommand{\ClaimsFailing}{3}", text)
        for other in ("SystemAllocationSpikes", "GoIncFreshBelowRuntime"):
            self.assertIn(r"{\claimmarker{%d}{does not hold}}" % number[other], text)
        self.assertIn(r"\newif\ifHoldsGoIncMaxBelowFull \HoldsGoIncMaxBelowFullfalse", text)
        self.assertIn(r"\newif\ifHoldsRedisDualShrinks \HoldsRedisDualShrinkstrue", text)
        self.assertIn(r"\newcommand{\ClaimsNotCheckable}{1}", text)
        # The marker is short and has no box (it breaks like text).
        self.assertNotIn("fbox", text)
        for c in check_claims.CLAIMS:
            self.assertEqual(text.count(f"\\newcommand{{\\Claim{c.id}}}"), 1, c.id)
        d = tu.copy_fixture()
        tu.edit_manifest(d, lambda m: m.update(suite="quick"))
        tu.call(check_claims.main, [d, f"--tex={tex}"])
        with open(tex) as f:
            self.assertIn("{not checkable at quick scale}", f.read())

    def test_interrupted_run_set_warns_about_missing_runs(self):
        rc, out, err = tu.call(check_claims.main, [tu.PARTIAL, PAPER_N])
        self.assertEqual(rc, 1)
        self.assertIn(f"missing run {tu.run_id('redis_dual')} (status failed)", err)
        self.assertIn("(status not_run)", err)
        self.assertEqual(_status(out, "RedisDualMaxBelowFull")[0], "NOT CHECKABLE")

    def test_bad_input_and_ids(self):
        rc, _, err = tu.call(check_claims.main, [tu.MALFORMED])
        self.assertEqual(rc, 2)
        self.assertIn("missing field 'summary.max_ns'", err)
        rc, _, _ = tu.call(check_claims.main, [tu.OK, "--only=NoSuchClaim"])
        self.assertEqual(rc, 2)
        ids = [c.id for c in check_claims.CLAIMS]
        self.assertEqual(len(ids), len(set(ids)))
        for i in ids:
            self.assertTrue(i.isalpha(), i)
        for c in check_claims.CLAIMS:
            self.assertTrue("{runs}" in c.sentence or "{Runs}" in c.sentence, c.id)

    def test_every_value_size_a_sentence_names_is_required(self):
        c = next(c for c in check_claims.CLAIMS if c.id == "GoIncWriteAmpSameAsFull")
        for v in c.params["values"]:
            self.assertIn(f"{v}-", c.sentence)
        d = tu.copy_fixture()
        _remove_group("full_rehash", value=64)(d)
        rc, out, _ = _claims(d, "GoIncWriteAmpSameAsFull")
        self.assertEqual(_status(out, "GoIncWriteAmpSameAsFull"),
                         ("NOT CHECKABLE", "no n at which go_incremental and full_rehash both ran with v8, v64, v256"))


if __name__ == "__main__":
    unittest.main()
