#!/usr/bin/python3
"""End-to-end: the `smoke` suite (every map, every workload, closed and open loop)
writes results that validate against results/README.md; the validator rejects
broken files; an interrupted suite keeps its finished results and lists the rest;
bad command lines exit 2 with a clear message."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validate_results  # noqa: E402

BIN = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
TMP = os.environ.get("TEST_TMPDIR", tempfile.gettempdir())


def load(path):
    with open(path) as f:
        return json.load(f)


def run(*args, **kw):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, **kw)


class SmokeSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(dir=TMP)
        cls.proc = run("suite", "--name=smoke", "--out=" + cls.out)
        cls.maps = run("list").stdout.split()
        cls.peers = [line.split()[0] for line in run("list", "--long").stdout.splitlines() if " peer " in line]

    def test_suite_succeeds_and_validates(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(validate_results.validate(self.out), [])

    def test_every_map_and_workload_ran(self):
        man = load((os.path.join(self.out, "manifest.json")))
        self.assertEqual(man["status"], "complete")
        ran = {(r["map"], r["workload"], r["mode"]) for r in man["runs"] if r["status"] == "ok"}
        cxx_maps = [m for m in self.maps if m not in self.peers]
        for m in cxx_maps:
            for w in ("insert_growth", "mixed", "churn", "shrink", "replay"):
                self.assertIn((m, w, "closed"), ran)
            self.assertIn((m, "insert_growth", "open"), ran)
        for m in self.peers:
            self.assertIn((m, "insert_growth", "closed"), ran)
        # Every checksum group saw several distinct maps, and they agreed.
        self.assertTrue(man["checksums"])
        for name, g in man["checksums"].items():
            self.assertTrue(g["agree"], name)
            self.assertGreaterEqual(len(g["maps"]), 2, name)

    def test_repetitions_and_aggregate(self):
        man = load(os.path.join(self.out, "manifest.json"))
        self.assertEqual(man["reps"], 2)
        ids = [r["run_id"] for r in man["runs"] if r["map"] == "full_rehash" and r["workload"] == "insert_growth"
               and r["mode"] == "closed" and r["alloc"] == "fresh"]
        self.assertEqual(sorted(ids), ["insert_growth.u64.v8.closed.full_rehash.n3000.rep0",
                                       "insert_growth.u64.v8.closed.full_rehash.n3000.rep1"])
        r0, r1 = (load(os.path.join(self.out, i + ".json")) for i in sorted(ids))
        self.assertEqual(r0["config"]["seed"], r0["config"]["base_seed"])
        self.assertNotEqual(r1["config"]["seed"], r0["config"]["seed"], "repetition 1 has its own workload seed")
        self.assertNotEqual(r1["config"]["hash_seed"], r0["config"]["hash_seed"])
        agg = load(os.path.join(self.out, "aggregate.json"))
        g = agg["groups"]["insert_growth.u64.v8.closed.full_rehash.n3000"]
        self.assertEqual(g["reps"], 2)
        mx = g["fields"]["summary.max_ns"]
        vals = [r0["summary"]["max_ns"], r1["summary"]["max_ns"]]
        self.assertEqual(mx["values"], vals)
        self.assertEqual(mx["median"], sum(vals) / 2)
        # Per-window host steal and the interleaved noise floor.
        with open(os.path.join(self.out, ids[0] + ".timeline.csv")) as f:
            header = f.readline().strip().split(",")
        self.assertIn("steal_ms", header)
        self.assertGreater(r0["noise_floor"]["ops"], 0)
        self.assertGreater(r0["noise_floor"]["coverage"], 0.5)
        self.assertIsNotNone(r0["summary"]["ops_per_sec_uninstrumented"])

    def test_insert_growth_results_make_sense(self):
        for m in self.maps:
            run_id = "insert_growth.u64.v8.closed.%s.n3000.rep0" % m
            r = load((os.path.join(self.out, run_id + ".json")))
            s = r["summary"]
            self.assertEqual(s["final_entries"], 3000)
            self.assertEqual(s["ops"], 3000)
            self.assertGreater(s["bytes_per_entry_final"], 16)  # at least key + value
            self.assertGreaterEqual(len(r["resizes"]), 1, m)  # 3000 entries need a grow
            if m in self.peers:  # a peer's copies are not observable: no write amplification
                self.assertEqual(s["payload_bytes_inserted"], 0)
                self.assertIsNone(s["write_amplification"])
                self.assertIn("version", r["peer"])
            else:
                self.assertGreater(s["payload_bytes_inserted"], 0)
            if m not in self.peers:
                self.assertGreater(len(r["memory"]["over_doubling"]), 0)
            # Linux has /proc/stat: host steal during the measured phase is a number.
            self.assertGreaterEqual(r["host"]["steal_ms"], 0, m)

    def test_validator_rejects_broken_results(self):
        # One defect per file (the validator reports a file's first problem).
        def broken(map_name, rep, damage):
            bad = tempfile.mkdtemp(dir=TMP)
            shutil.rmtree(bad)
            shutil.copytree(self.out, bad)
            name = "insert_growth.u64.v8.open.%s.n3000.rep%d.json" % (map_name, rep)
            path = os.path.join(bad, name)
            r = load(path)
            damage(r, bad, name)
            with open(path, "w") as f:
                json.dump(r, f)
            return "\n".join(validate_results.validate(bad))

        def garbage_hgrm(r, bad, name):
            with open(os.path.join(bad, name.replace(".json", ".service.hgrm")), "w") as f:
                f.write("garbage\n")

        self.assertIn("p999_ns", broken("full_rehash", 0, lambda r, *_: r["summary"].pop("p999_ns")))
        self.assertIn("response", broken("full_rehash", 1, lambda r, *_: r["summary"].pop("response")))
        self.assertIn("host.steal_ms", broken("go_incremental", 0, lambda r, *_: r["host"].update(steal_ms=-10)))
        self.assertRegex(broken("go_incremental", 1, garbage_hgrm), "hgrm|header")


class Interrupt(unittest.TestCase):
    def test_interrupted_suite_keeps_results_and_lists_the_rest(self):
        out = tempfile.mkdtemp(dir=TMP)
        p = subprocess.Popen([BIN, "suite", "--name=quick", "--out=" + out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        man_path = os.path.join(out, "manifest.json")
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until at least one run finished
            try:
                if any(r["status"] == "ok" for r in load((man_path))["runs"]):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        man = load((man_path))
        self.assertEqual(man["status"], "interrupted")
        self.assertGreater(len(man["not_run"]), 0)
        self.assertIn("not run", err)
        self.assertEqual(validate_results.validate(out), [])


class BadCommandLines(unittest.TestCase):
    def check(self, args, needle):
        r = run(*args)
        self.assertEqual(r.returncode, 2, (args, r.stderr))
        self.assertIn(needle, r.stderr)

    def test_errors(self):
        out = "--out=" + os.path.join(TMP, "x")
        self.check(["run", "--maps=nope", "--workload=insert_growth", "--n=10", out], "valid maps:")
        self.check(["run", "--maps=all", "--workload=nope", "--n=10", out], "valid workloads: insert_growth")
        self.check(["run", "--maps=all", "--workload=mixed", "--n=10", "--bogus=1", out], "unknown flag --bogus")
        self.check(["run", "--maps=all", "--workload=mixed", "--n=10", "--mode=open", out], "--rate")
        self.check(["run", "--maps=all", "--workload=mixed", "--n=10", "--key=str16", "--value-bytes=64", out],
                   "string keys")
        self.check(["run", "--maps=all", "--workload=mixed", out], "--n")
        self.check(["suite", "--name=nope", out], "valid suites")
        self.check(["run", "--maps=all", "--workload=replay", "--trace=/no/such/file", out], "cannot open")

    def test_help_documents_every_run_flag(self):
        h = run("--help")
        self.assertEqual(h.returncode, 0)
        for flag in ["maps", "workload", "mode", "alloc", "reps", "rate", "n", "ops", "out", "seed", "hash-seed", "key",
                     "value-bytes", "read", "update", "insert", "dist", "theta", "trace", "window", "top-k",
                     "noise-ops", "maintenance", "maintenance-interval-ms", "maintenance-budget-us", "timer",
                     "calibration-ms"]:
            self.assertIn("--" + flag + " ", h.stdout)
        for s in ("smoke", "quick", "paper"):
            self.assertIn(s, h.stdout)


if __name__ == "__main__":
    unittest.main()
