import contextlib
import io
import os
import unittest

import results_io
import test_util as tu


class LoadTest(unittest.TestCase):
    def test_complete_fixture_loads_every_run(self):
        rs = results_io.load(tu.OK, quiet=True)
        self.assertEqual(len(rs.runs), 25)
        self.assertEqual(rs.missing, [])
        runs, n = rs.largest("insert_growth", "closed")
        self.assertEqual(n, 2048)
        self.assertEqual(set(runs), {"full_rehash", "go_incremental", "redis_dual", "overflow_slab", "std_unordered"})
        rows = runs["full_rehash"].timeline()
        self.assertEqual(len(rows), 16)
        self.assertEqual(rows[-1]["entries"], 2048)
        points = runs["full_rehash"].hgrm("service")
        self.assertEqual(points[-1][1], 1.0)
        self.assertAlmostEqual(points[-1][0], runs["full_rehash"].summary["max_ns"], delta=1)

    def test_partial_fixture_warns_about_missing_runs(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rs = results_io.load(tu.PARTIAL)
        self.assertEqual(len(rs.runs), 4)
        self.assertIn("insert_growth.u64.v8.closed.redis_dual.n2048 (status failed)", err.getvalue())
        self.assertIn("shrink.u64.v8.closed.full_rehash.n2048 (status not_run)", err.getvalue())

    def test_listed_but_absent_run_is_missing_not_fatal(self):
        d = tu.copy_fixture(tu.PARTIAL)
        os.remove(os.path.join(d, tu.run_id("go_incremental", mode="open") + ".json"))
        rs = results_io.load(d, quiet=True)
        self.assertEqual(len(rs.runs), 3)
        self.assertTrue(any("does not exist" in why for _, why in rs.missing))

    def test_malformed_fixture_names_file_and_problem(self):
        with self.assertRaises(results_io.ResultsError) as cm:
            results_io.load(tu.MALFORMED, quiet=True)
        self.assertIn("insert_growth.u64.v8.closed.full_rehash.n2048.json", str(cm.exception))
        self.assertIn("missing field 'summary.max_ns'", str(cm.exception))

    def test_wrong_type_is_rejected(self):
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("redis_dual"), lambda x: x["summary"].update(p99_ns="fast"))
        with self.assertRaisesRegex(results_io.ResultsError, r"redis_dual.*summary.p99_ns.*expected"):
            results_io.load(d, quiet=True)

    def test_bad_json_and_bad_timeline_are_rejected(self):
        d = tu.copy_fixture()
        with open(os.path.join(d, tu.run_id("go_incremental") + ".timeline.csv"), "w") as f:
            f.write("window,max\n0,1\n")
        with self.assertRaisesRegex(results_io.ResultsError, r"go_incremental.*timeline.csv: header"):
            results_io.load(d, quiet=True)
        d = tu.copy_fixture()
        with open(os.path.join(d, tu.run_id("go_incremental") + ".json"), "w") as f:
            f.write("{ not json")
        with self.assertRaisesRegex(results_io.ResultsError, r"go_incremental.*not valid JSON"):
            results_io.load(d, quiet=True)

    def test_bad_histogram_is_rejected(self):
        d = tu.copy_fixture()
        with open(os.path.join(d, tu.run_id("full_rehash") + ".service.hgrm"), "a") as f:
            f.write("12 0.5 3 2.0\n")  # goes backwards
        rs = results_io.load(d, quiet=True)
        with self.assertRaisesRegex(results_io.ResultsError, r"service.hgrm: line \d+: values/percentiles"):
            rs.largest("insert_growth")[0]["full_rehash"].hgrm()

    def test_missing_directory(self):
        with self.assertRaisesRegex(results_io.ResultsError, "does not exist"):
            results_io.load(os.path.join(tu.tmpdir(), "nope"))


if __name__ == "__main__":
    unittest.main()
