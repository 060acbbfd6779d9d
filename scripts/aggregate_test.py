import json
import os
import unittest

import aggregate
import results_io
import test_util as tu


class ConfidenceIntervalTest(unittest.TestCase):
    """The order-statistic interval of the median, against hand-computed binomial sums."""

    def test_below_five_values_there_is_none(self):
        self.assertEqual(aggregate.median_ci([1, 2, 3, 4]), (None, None, None))

    def test_five_values_min_max_at_its_real_coverage(self):
        # P(all 5 on one side of the median) = 2/32: coverage 30/32 < 0.95, still [min, max].
        self.assertEqual(aggregate.median_ci([5, 1, 4, 2, 3]), (1, 5, 0.9375))

    def test_six_values(self):
        self.assertEqual(aggregate.median_ci([6, 5, 4, 3, 2, 1]), (1, 6, 1 - 2 / 64))

    def test_ten_values_narrower_than_min_max(self):
        # l = 2: 1 - 2 (1 + 10) / 1024 = 0.978515625 >= 0.95; l = 3: 1 - 2 (1 + 10 + 45) / 1024 = 0.890625.
        xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
        self.assertEqual(aggregate.median_ci(xs), (2, 9, 0.978515625))

    def test_twenty_values(self):
        # l = 6: 1 - 2 * sum(C(20, i), i < 6) / 2^20 = 1 - 2 * 21700 / 1048576 = 0.958610534...
        # l = 7: 1 - 2 * (21700 + 38760) / 1048576 = 0.8846797...
        lo, hi, cov = aggregate.median_ci(list(range(1, 21)))
        self.assertEqual((lo, hi), (6, 15))
        self.assertAlmostEqual(cov, 1 - 2 * 21700 / 1048576)

    def test_stat_median_of_even_count_is_the_mean_of_the_middle_two(self):
        s = aggregate.stat([4, 1, 3, 2])
        self.assertEqual((s["median"], s["min"], s["max"], s["reps"], s["values"]), (2.5, 1, 4, 4, [4, 1, 3, 2]))


class AgreementTest(unittest.TestCase):
    def test_recomputed_aggregate_equals_the_fixture_one(self):
        # fixture_ok/aggregate.json was written by make_fixtures.py's own coding of the rule.
        rs = results_io.load(tu.OK, quiet=True)
        self.assertEqual(aggregate.differences(aggregate.aggregate(rs), rs.aggregate), [])
        rc, out, _ = tu.call(aggregate.main, [tu.OK])
        self.assertEqual(rc, 0, out)

    def test_every_numeric_field_and_null_handling(self):
        rs = results_io.load(tu.OK, quiet=True)
        agg = aggregate.aggregate(rs)
        g = agg["groups"][results_io.group_of(tu.run_id("full_rehash", mode="open"))]
        self.assertEqual(g["run_ids"], [tu.run_id("full_rehash", mode="open", rep=i) for i in range(3)])
        for f in ("summary.p99_ns", "summary.response.max_ns", "noise_floor.max_ns", "memory.peak_bytes",
                  "host.steal_ms", "host.windows_with_steal"):
            self.assertIn(f, g["fields"])
        # Not numbers (strings, bools, arrays, null) are not aggregated.
        for f in ("summary.checksum", "timer.tsc_invariant", "memory.over_doubling",
                  "summary.ops_per_sec_uninstrumented"):
            self.assertNotIn(f, g["fields"])
        self.assertEqual(g["fields"]["summary.p99_ns"]["values"],
                         [r.summary["p99_ns"] for r in rs.groups[results_io.group_of(g["run_ids"][0])].runs])

    def test_a_difference_is_reported(self):
        d = tu.copy_fixture()
        key = results_io.group_of(tu.run_id("redis_dual"))

        def bump(a):
            a["groups"][key]["fields"]["summary.max_ns"]["median"] += 1
            del a["groups"][key]["fields"]["summary.p99_ns"]
        tu.edit_json(os.path.join(d, "aggregate.json"), bump)
        rc, out, _ = tu.call(aggregate.main, [d])
        self.assertEqual(rc, 1)
        self.assertIn(f"{key}: summary.max_ns.median", out)
        self.assertIn(f"{key}: field summary.p99_ns missing from the written aggregate", out)

    def test_write(self):
        path = os.path.join(tu.tmpdir(), "agg.json")
        rc, _, _ = tu.call(aggregate.main, [tu.OK, f"--write={path}"])
        self.assertEqual(rc, 0)
        with open(path) as f:
            self.assertEqual(json.load(f)["schema"], "rehashlab-aggregate/1")


if __name__ == "__main__":
    unittest.main()
