"""analysis.py against hand-computed expectations on small constructed runs and the fixture."""

import math
import unittest

import analysis
import results_io
import test_util as tu


class FakeRun:
    """The few fields analysis reads, set by hand."""

    def __init__(self, resizes=(), peer=None, mode="closed", rows=(), top=(), summary=None, rate=None, hook=0):
        self.data = {"resizes": list(resizes), "peer": peer, "top_k_response": list(top),
                     "maintenance": {"max_ns": hook}, "top_k": []}
        self.mode = mode
        self.summary = dict(summary or {})
        self.summary.setdefault("mode", mode)
        if rate:
            self.summary["rate"] = rate
        self.config = {"rate": rate}
        self._rows = list(rows)

    def timeline(self):
        return self._rows


def resize(start, end, worst, entries=100, ns=1000):
    return {"start_op": start, "end_op": end, "migration_max_op": worst, "migration_max_ns": ns,
            "entries_at_start": entries, "steal_ms": 0, "migration_ops": (end or start) - start + 1,
            "peak_bytes": 10, "live_bytes_at_start": 5}


def row(window, end_ns, max_ns, steal=0.0):
    return {"window": window, "end_ns": end_ns, "max_ns": max_ns, "steal_ms": steal}


class StepTest(unittest.TestCase):
    def test_positions(self):
        run = FakeRun()
        self.assertEqual(analysis.step_position(run, resize(100, 200, 100)), "trigger")
        self.assertEqual(analysis.step_position(run, resize(100, 200, 100 + analysis.TRIGGER_OPS - 1)), "trigger")
        self.assertEqual(analysis.step_position(run, resize(100, 200, 100 + analysis.TRIGGER_OPS)), "during")
        self.assertEqual(analysis.step_position(run, resize(100, 200, 200)), "completion")
        self.assertEqual(analysis.step_position(run, resize(100, 200, 199)), "during")
        self.assertEqual(analysis.step_position(run, resize(100, None, 150)), "during")
        # The Redis peer knows a completion only to within the ops between two table reads.
        server = FakeRun(peer={"resize_end_granularity_ops": 64})
        self.assertEqual(analysis.step_position(server, resize(100, 300, 240)), "completion")
        self.assertEqual(analysis.step_position(server, resize(100, 300, 230)), "during")

    def test_octaves_keep_the_largest_step_of_each(self):
        run = FakeRun([resize(0, 0, 0, entries=1024, ns=5), resize(1, 1, 1, entries=2000, ns=9),
                       resize(2, 2, 2, entries=2048, ns=7)])
        steps = analysis.octave_steps(run)
        self.assertEqual(sorted(steps), [10, 11])
        self.assertEqual(steps[10]["largest_ns"], 9)
        self.assertEqual(steps[11]["largest_ns"], 7)

    def test_largest_quiet_op_outside_resizes(self):
        run = FakeRun([resize(10, 10, 10), resize(50, 90, 70)])
        top = lambda *ops: [{"op": op, "ns": ns, "steal_ms": steal} for op, ns, steal in ops]
        # resize starts, ends and peaks are skipped, so is a window with steal
        run.data["top_k"] = top((10, 900, 0), (70, 800, 0), (90, 700, 0), (33, 600, 10), (34, 500, 0), (35, 400, 0))
        self.assertEqual(analysis.largest_quiet_op_outside_resizes(run), 500)
        run.data["top_k"] = top((10, 900, 0), (33, 600, 10))
        self.assertIsNone(analysis.largest_quiet_op_outside_resizes(run))

    def test_floor_exposure(self):
        run = FakeRun()
        run.data["noise_floor"] = {"ops": 1000, "mean_ns": 25.0, "wall_ns": 1e6}
        self.assertAlmostEqual(analysis.floor_exposure(run), 0.025)
        run.data["noise_floor"] = None
        self.assertIsNone(analysis.floor_exposure(run))

    def test_loglog_slope(self):
        self.assertAlmostEqual(analysis.loglog_slope([(1, 3), (10, 30), (100, 300)]), 1.0)
        self.assertAlmostEqual(analysis.loglog_slope([(1, 5), (10, 5), (1000, 5)]), 0.0)
        self.assertAlmostEqual(analysis.loglog_slope([(2, 4), (4, 16)]), 2.0)
        self.assertIsNone(analysis.loglog_slope([(2, 4)]))


class OpenLoopTest(unittest.TestCase):
    def test_worst_response_attributed(self):
        # Rate 1M/s: op 5000 scheduled at 5 ms; its response 2 ms spans windows ending 5.5 and
        # 7 ms. A 1.5 ms op in one of them made it wait.
        rows = [row(0, 5.0e6, 200), row(1, 5.5e6, 1.5e6), row(2, 7.0e6, 300, steal=10), row(3, 9e6, 100)]
        top = [{"op": 5000, "ns": 2e6, "window": 1, "steal_ms": 0}]
        run = FakeRun(mode="open", rows=rows, top=top, rate=1e6, summary={"response": {"max_ns": 2e6}})
        w = analysis.worst_response(run)
        self.assertEqual((w["cause"], w["service_ns"], w["steal_ms"]), ("op", 1.5e6, 10))
        # No op that long: a stall outside any op, or the idle hook when it ran that long.
        run._rows[1] = row(1, 5.5e6, 3000)
        self.assertEqual(analysis.worst_response(run)["cause"], "stall")
        run.data["maintenance"]["max_ns"] = 1.2e6
        self.assertEqual(analysis.worst_response(run)["cause"], "hook")
        self.assertIsNone(analysis.worst_response(FakeRun(mode="closed")))

    def test_saturated(self):
        self.assertTrue(analysis.saturated(FakeRun(mode="open", summary={"ops": 100, "late_ops": 51})))
        self.assertFalse(analysis.saturated(FakeRun(mode="open", summary={"ops": 100, "late_ops": 50})))
        self.assertFalse(analysis.saturated(FakeRun(mode="closed", summary={"ops": 100, "late_ops": 0})))


class FixtureTest(unittest.TestCase):
    def test_memory_and_families_on_the_fixture(self):
        rs = results_io.load(tu.OK, quiet=True)
        groups, _ = rs.largest("insert_growth", "closed")
        node = groups["std_unordered"].first
        flat = groups["full_rehash"].first
        self.assertGreaterEqual(analysis.allocations_per_entry(node), 1)
        self.assertLess(analysis.allocations_per_entry(flat), 1)
        self.assertAlmostEqual(analysis.rss_over_counted(node), 8, delta=0.01)
        # The Go peer's map lives in another process: its RSS is not the map's.
        self.assertIsNone(analysis.rss_per_entry(groups["go_runtime"].first))
        self.assertTrue(analysis.is_peer(groups["go_runtime"].first))
        self.assertTrue(analysis.in_house(flat))
        self.assertFalse(analysis.in_house(node))
        self.assertEqual(analysis.common_n(rs, analysis.INCREMENTAL, alloc="system"), tu.N)
        self.assertEqual(analysis.common_value_n(rs, ["go_incremental", "full_rehash"], (8, 64, 256)), tu.N)
        share = analysis.migrating_share(groups["go_incremental"].first, "insert")
        self.assertTrue(0 < share < 1)

    def test_machine_text(self):
        self.assertAlmostEqual(analysis.memory_gib("24683784 kB"), 24683784 / 2 ** 20)
        self.assertIsNone(analysis.memory_gib(None))
        self.assertEqual(analysis.thp_mode("always [madvise] never"), "madvise")
        self.assertEqual(analysis.hypervisor_name("KVMKVMKVM"), "KVM")
        self.assertEqual(analysis.hypervisor_name(""), "none reported")
        self.assertTrue(math.isclose(analysis.memory_gib("1 MB"), 1 / 1024))


if __name__ == "__main__":
    unittest.main()
