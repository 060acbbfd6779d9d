import os
import unittest

import compare
import results_io
import test_util as tu


def _load(d):
    return results_io.load(d, quiet=True)


def _scale_times(data, k):
    s = data["summary"]
    for f in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns", "min_ns", "mean_ns", "max_ns_quiet"):
        if s[f] is not None:
            s[f] *= k
    if s["ops_per_sec_uninstrumented"] is not None:
        s["ops_per_sec_uninstrumented"] /= k
    if "response" in s:
        for f in s["response"]:
            s["response"][f] *= k


def _all_runs(d, fn):
    for r in _load(d).runs:
        tu.edit_run(d, r.run_id, fn)


class CompareTest(unittest.TestCase):
    def test_identical_sets_flag_nothing(self):
        rows, notes, unmatched = compare.compare(_load(tu.OK), _load(tu.OK))
        self.assertTrue(rows)
        self.assertFalse([r for r in rows if r["flagged"]])
        # The only notes: configurations that full_rehash (the baseline of the time ratios) did
        # not run (the Go peer with its GC off, the Redis fidelity runs).
        self.assertTrue(all("baseline map full_rehash not in both sets" in n for n in notes), notes)
        self.assertEqual(unmatched, ([], []))

    def test_uniformly_slower_machine_flags_nothing(self):
        d = tu.copy_fixture()
        _all_runs(d, lambda x: _scale_times(x, 3.0))
        rows, _, _ = compare.compare(_load(tu.OK), _load(d))
        self.assertFalse([r for r in rows if r["flagged"]])

    def test_medians_are_compared_not_single_runs(self):
        # One repetition of go_incremental 10x slower: the median does not move.
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("go_incremental", rep=2), lambda x: x["summary"].update(max_ns=x["summary"]["max_ns"] * 10))
        rows, _, _ = compare.compare(_load(tu.OK), _load(d))
        self.assertFalse([r for r in rows if r["flagged"]])
        # Two of three: it does.
        tu.edit_run(d, tu.run_id("go_incremental", rep=1), lambda x: x["summary"].update(max_ns=x["summary"]["max_ns"] * 10))
        rows, _, _ = compare.compare(_load(tu.OK), _load(d))
        flagged = {(r["config"], r["map"], r["metric"]) for r in rows if r["flagged"]}
        self.assertIn((f"insert_growth.u64.v8.closed.n{tu.N}", "go_incremental", "max / full_rehash"), flagged)

    def test_changed_ratio_and_bytes_are_flagged(self):
        d = tu.copy_fixture()
        tu.edit_reps(d, "go_incremental", lambda x: x["summary"].update(max_ns=x["summary"]["max_ns"] * 10))
        tu.edit_reps(d, "redis_dual", lambda x: x["summary"].update(
            bytes_per_entry_mean=x["summary"]["bytes_per_entry_mean"] * 1.2))
        rows, _, _ = compare.compare(_load(tu.OK), _load(d))
        flagged = {(r["map"], r["metric"]) for r in rows if r["flagged"]}
        self.assertEqual(flagged, {("go_incremental", "max / full_rehash"), ("redis_dual", "B/entry mean")})
        row = next(r for r in rows if r["map"] == "go_incremental" and r["metric"] == "max / full_rehash"
                   and r["config"] == f"insert_growth.u64.v8.closed.n{tu.N}")
        self.assertAlmostEqual(row["change"], 10.0)

    def test_only_like_with_like(self):
        # NEW ran every configuration at another n: nothing is comparable, nothing is matched
        # to something else, and every group is counted as without counterpart.
        d = tu.copy_fixture()
        for r in _load(d).runs:
            new_id = r.run_id.replace(f".n{r.n}", f".n{r.n + 1}")
            tu.edit_run(d, r.run_id, lambda x, m=r.n + 1: (x["summary"].update(n=m), x["config"].update(n=m),
                                                            x.update(run_id=new_id)))
            os.rename(os.path.join(d, r.run_id + ".json"), os.path.join(d, new_id + ".json"))
        os.remove(os.path.join(d, "manifest.json"))
        os.remove(os.path.join(d, "aggregate.json"))
        base, new = _load(tu.OK), _load(d)
        rows, notes, (only_base, only_new) = compare.compare(base, new)
        self.assertEqual(rows, [])
        self.assertEqual(len(only_base), len(base.groups))
        self.assertEqual(len(only_new), len(new.groups))
        rc, out, err = tu.call(compare.main, [tu.OK, d])
        self.assertEqual(rc, 2)
        self.assertIn(f"0 group(s) compared, {len(base.groups)} of BASE and {len(new.groups)} of NEW without a "
                      "counterpart", out)
        self.assertIn("nothing to compare", err)

    def test_other_allocation_is_not_a_counterpart(self):
        # NEW lacks go_incremental's system-allocation runs: BASE's system group has no
        # counterpart (it is not compared with the fresh runs), and the count says so.
        d = tu.copy_fixture()
        for rep in range(tu.REPS):
            tu.remove_run(d, tu.run_id("go_incremental", alloc="system", rep=rep))
        rows, notes, (only_base, only_new) = compare.compare(_load(tu.OK), _load(d))
        system = results_io.group_of(tu.run_id("go_incremental", alloc="system"))
        self.assertEqual((only_base, only_new), ([system], []))
        self.assertFalse([r for r in rows if r["flagged"]])
        self.assertTrue(any("1 group(s) of BASE and 0 of NEW have no counterpart" in n for n in notes))
        self.assertEqual({r["map"] for r in rows if r["config"] == f"insert_growth.u64.v8.closed.n{tu.N}.system"},
                         set(tu.IN_HOUSE) - {"go_incremental"})
        # An interrupted set: what it has is compared, the rest counted.
        rows, notes, (only_base, only_new) = compare.compare(_load(tu.OK), _load(tu.PARTIAL))
        self.assertTrue(rows)
        self.assertIn(results_io.group_of(tu.run_id("overflow_slab")), only_base)
        self.assertTrue(any("repetition(s) in BASE" in n for n in notes))

    def test_cli_exit_codes(self):
        self.assertEqual(tu.call(compare.main, [tu.OK, tu.OK])[0], 0)
        rc, _, err = tu.call(compare.main, [tu.OK, tu.MALFORMED])
        self.assertEqual(rc, 2)
        self.assertIn("missing field 'summary.max_ns'", err)
        d = tu.copy_fixture()
        tu.edit_reps(d, "go_incremental", lambda x: x["summary"].update(p99_ns=x["summary"]["p99_ns"] * 4))
        rc, out, _ = tu.call(compare.main, [tu.OK, d])
        self.assertEqual(rc, 1)
        self.assertIn("! insert_growth", out)


if __name__ == "__main__":
    unittest.main()
