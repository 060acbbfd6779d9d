import os
import unittest

import aggregate
import check_claims
import compare
import paper_data
import results_io
import test_util as tu


def _truncate_hgrm(d, drop_footer):
    path = os.path.join(d, tu.run_id("full_rehash") + ".service.hgrm")
    with open(path) as f:
        lines = f.read().splitlines()
    if drop_footer:   # cut mid-file: no footer, last rows missing
        lines = [l for l in lines if not l.startswith("#")][:-3]
    else:             # the footer's total does not match the last row
        lines = [l.replace("Total count    =      16384", "Total count    =      99999") for l in lines]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _set_top(field, value):
    def fn(x):
        if value is KeyError:
            del x["top_k"][0][field]
        else:
            x["top_k"][0][field] = value
    return fn


# name -> (mutation of a copy of fixture_ok, text the one-line reason must contain)
HOSTILE = {
    "max_ns 0": (lambda d: tu.edit_run(d, tu.run_id("go_incremental"), lambda x: x["summary"].update(max_ns=0)),
                 "summary.max_ns is 0"),
    "resize without migration_ops": (
        lambda d: tu.edit_run(d, tu.run_id("go_incremental"), lambda x: x["resizes"][0].pop("migration_ops")),
        "missing field 'resizes[0].migration_ops'"),
    "top-k entry without op": (lambda d: tu.edit_run(d, tu.run_id("full_rehash"), _set_top("op", KeyError)),
                               "missing field 'top_k[0].op'"),
    "top-k steal_ms as a string": (lambda d: tu.edit_run(d, tu.run_id("full_rehash"), _set_top("steal_ms", "10")),
                                   "field 'top_k[0].steal_ms' is \"10\", expected number?"),
    "host steal_ms as a string": (
        lambda d: tu.edit_run(d, tu.run_id("redis_dual"), lambda x: x["host"].update(steal_ms="300")),
        "field 'host.steal_ms' is \"300\", expected number?"),
    "checksums as a list": (lambda d: tu.edit_manifest(d, lambda m: m.update(checksums=[True, True])),
                            "field 'checksums' is [true, true], expected object"),
    "checksum group agree as a string": (
        lambda d: tu.edit_manifest(d, lambda m: next(iter(m["checksums"].values())).update(agree="yes")),
        ".agree' is \"yes\", expected bool"),
    "truncated hgrm (no footer)": (lambda d: _truncate_hgrm(d, True), "truncated: no"),
    "hgrm total count mismatch": (lambda d: _truncate_hgrm(d, False), "footer says 99999"),
    "wrong type": (lambda d: tu.edit_run(d, tu.run_id("redis_dual"), lambda x: x["summary"].update(p99_ns="fast")),
                   "field 'summary.p99_ns' is \"fast\", expected number"),
    "negative steal": (lambda d: tu.edit_run(d, tu.run_id("redis_dual"), lambda x: x["host"].update(steal_ms=-1)),
                       "host.steal_ms is negative"),
    "noise floor wrong type": (
        lambda d: tu.edit_run(d, tu.run_id("full_rehash"), lambda x: x["noise_floor"].update(coverage=None)),
        "noise_floor.coverage"),
    "old schema": (lambda d: tu.edit_run(d, tu.run_id("full_rehash"), lambda x: x.update(schema="rehashlab-run/1")),
                   "expected \"rehashlab-run/2\""),
    "manifest group not the run id": (lambda d: tu.edit_manifest(d, lambda m: m["runs"][0].update(group="x")),
                                      "runs[0].group"),
}


class LoadTest(unittest.TestCase):
    def test_complete_fixture_loads_every_run_and_group(self):
        rs = results_io.load(tu.OK, quiet=True)
        self.assertEqual(rs.reps, 3)
        self.assertEqual(rs.suite, "paper")
        self.assertEqual(rs.missing, [])
        self.assertEqual(len(rs.runs), 3 * len(rs.groups))
        groups, n = rs.largest("insert_growth", "closed")
        self.assertEqual(n, tu.N)
        self.assertEqual(set(groups), {"full_rehash", "go_incremental", "redis_dual", "overflow_slab", "go_swiss",
                                       "linear_hashing", "paced_flat", "std_unordered", "boost_flat", "go_runtime"})
        g = groups["full_rehash"]
        self.assertEqual([r.rep for r in g.runs], [0, 1, 2])
        self.assertEqual(g.key, f"insert_growth.u64.v8.closed.full_rehash.n{tu.N}")
        rows = g.first.timeline()
        self.assertEqual(len(rows), 8)
        self.assertEqual(rows[-1]["entries"], tu.N)
        points = g.first.hgrm("service")
        self.assertEqual(points[-1][1], 1.0)
        self.assertAlmostEqual(points[-1][0], g.first.summary["max_ns"], delta=1)
        self.assertIsNotNone(rs.aggregate)

    def test_groups_and_selection_over_repetitions_alloc_and_peers(self):
        rs = results_io.load(tu.OK, quiet=True)
        self.assertEqual(results_io.group_of("a.u64.v8.closed.m.n5.naive.rep12"), "a.u64.v8.closed.m.n5.naive")
        self.assertEqual(results_io.group_of("a.u64.v8.closed.m.n5"), "a.u64.v8.closed.m.n5")
        # fresh by default, and maps without the switch (alloc null: adapters, peers) with it.
        fresh = rs.select(workload="insert_growth", mode="closed", value_bytes=8)
        self.assertEqual({r.alloc for r in fresh}, {"fresh", None})
        self.assertIn("go_runtime", {r.map for r in fresh})
        system = rs.select(workload="insert_growth", alloc="system", n=tu.N)
        self.assertEqual({r.map for r in system}, set(tu.IN_HOUSE))
        # fresh and system at n, fresh at n/4 and n/16: 4 configurations x 3 repetitions.
        self.assertEqual(len(rs.select(map="full_rehash", workload="insert_growth", value_bytes=8, alloc=None,
                                       mode="closed", key="u64")), 12)
        self.assertEqual([r.rep for r in rs.select(rep=1, map="go_runtime")], [1])
        # go_gc: "on" by default; "off" runs are a separate experiment.
        self.assertEqual({r.go_gc for r in rs.select(go_gc="off")}, {"off"})
        self.assertNotIn("off", {r.go_gc for r in rs.select(map="go_runtime")})
        # load: the rate sweep's runs are left out unless asked for.
        self.assertEqual({r.load for r in rs.select(mode="open")}, {None})
        self.assertEqual({r.load for r in rs.select(mode="open", load=0.5)}, {0.5})
        self.assertEqual({r.load for r in rs.select(mode="open", load=None)}, {None, 0.5, 0.9})
        med, lo, hi, vals = rs.groups[tu.run_id("full_rehash").rsplit(".", 1)[0]].summary("p999_ns")
        self.assertEqual(len(vals), 3)
        self.assertTrue(lo <= med <= hi)

    def test_interrupted_set_warns_about_missing_runs_and_repetitions(self):
        rs = results_io.load(tu.PARTIAL, quiet=True)
        missing = dict(rs.missing)
        self.assertEqual(missing[tu.run_id("redis_dual")], "status failed")
        self.assertIn("(suite)", missing)
        self.assertTrue(any("status not_run" == why for _, why in rs.missing))
        # Without a manifest, a repetition short of config.reps is missing too.
        d = tu.copy_fixture()
        os.remove(os.path.join(d, "manifest.json"))
        os.remove(os.path.join(d, tu.run_id("redis_dual", rep=1) + ".json"))
        rs = results_io.load(d, quiet=True)
        self.assertIn((results_io.group_of(tu.run_id("redis_dual")), "repetition(s) 1 of 3 absent"), rs.missing)

    def test_listed_but_absent_run_is_missing_not_fatal(self):
        d = tu.copy_fixture(tu.PARTIAL)
        os.remove(os.path.join(d, tu.run_id("go_incremental", mode="open") + ".json"))
        rs = results_io.load(d, quiet=True)
        self.assertTrue(any("does not exist" in why for _, why in rs.missing))

    def test_malformed_fixture_names_file_and_problem(self):
        with self.assertRaises(results_io.ResultsError) as cm:
            results_io.load(tu.MALFORMED, quiet=True)
        self.assertIn(f"insert_growth.u64.v8.closed.full_rehash.n{tu.N}.json", str(cm.exception))
        self.assertIn("missing field 'summary.max_ns'", str(cm.exception))

    def test_missing_directory_and_bad_json_and_timeline(self):
        with self.assertRaisesRegex(results_io.ResultsError, "does not exist"):
            results_io.load(os.path.join(tu.tmpdir(), "nope"))
        d = tu.copy_fixture()
        with open(os.path.join(d, tu.run_id("go_incremental") + ".json"), "w") as f:
            f.write("{ not json")
        with self.assertRaisesRegex(results_io.ResultsError, r"go_incremental.*not valid JSON"):
            results_io.load(d, quiet=True)
        d = tu.copy_fixture()
        with open(os.path.join(d, tu.run_id("go_incremental") + ".timeline.csv"), "w") as f:
            f.write("window,max\n0,1\n")
        with self.assertRaisesRegex(results_io.ResultsError, r"go_incremental.*timeline.csv: header"):
            results_io.load(d, quiet=True)

    def test_timeline_steal_may_be_empty_but_not_text(self):
        d = tu.copy_fixture()
        path = os.path.join(d, tu.run_id("go_incremental") + ".timeline.csv")
        with open(path) as f:
            lines = f.read().splitlines()
        cols = lines[0].split(",")
        i = cols.index("steal_ms")

        def rewrite(value):
            out = [lines[0]]
            for line in lines[1:]:
                cells = line.split(",")
                cells[i] = value
                out.append(",".join(cells))
            with open(path, "w") as f:
                f.write("\n".join(out) + "\n")
        rewrite("")
        rs = results_io.load(d, quiet=True)
        self.assertIsNone(rs.groups[results_io.group_of(tu.run_id("go_incremental"))].first.timeline()[0]["steal_ms"])
        rewrite("lots")
        with self.assertRaisesRegex(results_io.ResultsError, "column 'steal_ms' is 'lots'"):
            results_io.load(d, quiet=True)


class HostileInputTest(unittest.TestCase):
    """Every malformed or odd input is a ResultsError, and every CLI turns it into exit 2
    with one line on stderr, never a traceback."""

    def test_each_hostile_input(self):
        for name, (mutate, needle) in HOSTILE.items():
            with self.subTest(name):
                d = tu.copy_fixture()
                mutate(d)
                with self.assertRaises(results_io.ResultsError) as cm:
                    results_io.load(d, quiet=True)
                self.assertIn(needle, str(cm.exception))
                for main, args in ((check_claims.main, [d]), (compare.main, [tu.OK, d]),
                                   (aggregate.main, [d]), (paper_data.main, [d, f"--out={tu.tmpdir()}"])):
                    rc, _, err = tu.call(main, args)
                    self.assertEqual(rc, 2, (name, main.__module__, err))
                    lines = [l for l in err.splitlines() if l.startswith("error:")]
                    self.assertEqual(len(lines), 1, err)
                    self.assertIn(needle, lines[0])
                    self.assertNotIn("Traceback", err)


class SchemaTest(unittest.TestCase):
    def test_field_lists_come_from_schema_json(self):
        sc = results_io.schema()
        self.assertEqual(sc["run_schema"], "rehashlab-run/2")
        self.assertEqual(results_io.timeline_columns(), sc["timeline_columns"])
        self.assertIn("ops_per_sec_uninstrumented", results_io.summary_fields())
        self.assertTrue(results_io.type_ok(None, "number?"))
        self.assertFalse(results_io.type_ok(None, "number"))
        self.assertFalse(results_io.type_ok(True, "int"))
        self.assertFalse(results_io.type_ok(float("nan"), "number"))
        self.assertTrue(results_io.type_ok(3, "number"))
        self.assertFalse(results_io.type_ok(3.5, "int"))


if __name__ == "__main__":
    unittest.main()
