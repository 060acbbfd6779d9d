import contextlib
import io
import unittest

import compare
import results_io
import test_util as tu


def _load(d):
    return results_io.load(d, quiet=True)


def _scale_times(data, k):
    s = data["summary"]
    for f in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns", "min_ns", "mean_ns"):
        s[f] *= k
    s["ops_per_sec"] /= k
    if "response" in s:
        for f in s["response"]:
            s["response"][f] *= k


class CompareTest(unittest.TestCase):
    def test_identical_sets_flag_nothing(self):
        rows, notes = compare.compare(_load(tu.OK), _load(tu.OK))
        self.assertTrue(rows)
        self.assertFalse([r for r in rows if r["flagged"]])
        self.assertEqual(notes, [])

    def test_uniformly_slower_machine_flags_nothing(self):
        d = tu.copy_fixture()
        rs = _load(d)
        for r in rs.runs:
            tu.edit_run(d, r.run_id, lambda x: _scale_times(x, 3.0))
        rows, _ = compare.compare(_load(tu.OK), _load(d))
        self.assertFalse([r for r in rows if r["flagged"]])

    def test_changed_ratio_and_bytes_are_flagged(self):
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("go_incremental"), lambda x: x["summary"].update(max_ns=x["summary"]["max_ns"] * 10))
        tu.edit_run(d, tu.run_id("redis_dual"),
                    lambda x: x["summary"].update(bytes_per_entry_mean=x["summary"]["bytes_per_entry_mean"] * 1.2))
        rows, _ = compare.compare(_load(tu.OK), _load(d))
        flagged = {(r["map"], r["metric"]) for r in rows if r["flagged"]}
        self.assertEqual(flagged, {("go_incremental", "max / full_rehash"), ("redis_dual", "B/entry mean")})
        row = next(r for r in rows if r["map"] == "go_incremental" and r["metric"] == "max / full_rehash"
                   and r["config"][:4] == ("insert_growth", "u64", "v8", "closed"))
        self.assertAlmostEqual(row["change"], 10.0)

    def test_within_tolerance_is_not_flagged(self):
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("go_incremental"), lambda x: x["summary"].update(max_ns=x["summary"]["max_ns"] * 1.3))
        rows, _ = compare.compare(_load(tu.OK), _load(d), time_tol=0.5)
        self.assertFalse([r for r in rows if r["flagged"]])
        rows, _ = compare.compare(_load(tu.OK), _load(d), time_tol=0.2)
        self.assertTrue([r for r in rows if r["flagged"]])

    def test_missing_runs_are_noted_and_cli_exit_codes(self):
        rows, notes = compare.compare(_load(tu.OK), _load(tu.PARTIAL))
        self.assertTrue(any("shrink" in n and "only in BASE" in n for n in notes))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.assertEqual(compare.main([tu.OK, tu.OK]), 0)
            self.assertEqual(compare.main([tu.OK, tu.MALFORMED]), 2)
        self.assertIn("missing field 'summary.max_ns'", err.getvalue())
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("go_incremental"), lambda x: x["summary"].update(p99_ns=x["summary"]["p99_ns"] * 4))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.assertEqual(compare.main([tu.OK, d]), 1)
        self.assertIn("! insert_growth", out.getvalue())

    def test_different_sizes_match_at_largest_n(self):
        d = tu.copy_fixture()
        for r in _load(d).runs:
            tu.edit_run(d, r.run_id, lambda x: (x["summary"].update(n=4096),
                                                x.update(run_id=x["run_id"].replace(".n2048", ".n4096"))))
        rows, notes = compare.compare(_load(tu.OK), _load(d))
        self.assertTrue(rows)
        self.assertTrue(any("largest n" in n for n in notes))


if __name__ == "__main__":
    unittest.main()
