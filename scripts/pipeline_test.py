#!/usr/bin/python3
"""The scripts on real harness output, not on fixtures: the `smoke` suite's results
go through the same steps as `bazel run //:reproduce` (figures, paper data, claims)
and through compare.py. Claims are sized for the paper suite, so on smoke results
they may not hold (exit 1), but every step must run to the end: no exit 2 (bad or
unreadable results), no traceback, and every output it promises exists."""

import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
TMP = os.environ.get("TEST_TMPDIR", tempfile.gettempdir())


def script(name, *args):
    return subprocess.run([sys.executable, os.path.join(HERE, name)] + list(args), capture_output=True, text=True)


class SmokeResultsThroughTheScripts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(dir=TMP)
        proc = subprocess.run([BIN, "suite", "--name=smoke", "--out=" + cls.out], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr

    def assertRanClean(self, proc, allowed=(0,)):
        self.assertIn(proc.returncode, allowed, proc.stdout + proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_figures(self):
        figs = os.path.join(TMP, "figures")
        self.assertRanClean(script("figures.py", self.out, "--out=" + figs))
        pngs = glob.glob(os.path.join(figs, "*.png"))
        self.assertGreaterEqual(len(pngs), 6, pngs)
        for png in pngs:
            self.assertGreater(os.path.getsize(png), 1000, png)

    def test_paper_data(self):
        gen = os.path.join(TMP, "generated")
        os.makedirs(gen, exist_ok=True)
        self.assertRanClean(script("paper_data.py", self.out, "--out=" + gen, "--figures=" + TMP,
                                   "--markdown=" + os.path.join(TMP, "tables.md")))
        with open(os.path.join(gen, "macros.tex")) as f:
            macros = f.read()
        self.assertIn("\\newcommand", macros)
        self.assertIsNone(re.search(r"\b(nan|inf)\b", macros, re.IGNORECASE), "a macro holds nan/inf")
        # Real runs record host steal; every run of the set is counted (fewer than
        # 1000 runs, so the number is printed without digit grouping).
        self.assertIn("\\ResStealKnowntrue", macros)
        runs = len([f for f in os.listdir(self.out) if f.endswith(".json") and f != "manifest.json"])
        self.assertIn("\\newcommand{\\ResStealKnownRuns}{%d}" % runs, macros)

    def test_claims_report_every_claim(self):
        listed = script("check_claims.py", self.out, "--list")
        self.assertRanClean(listed)
        ids = listed.stdout.split()
        self.assertGreater(len(ids), 10)
        proc = script("check_claims.py", self.out, "--tex=" + os.path.join(TMP, "claims.tex"))
        self.assertRanClean(proc, allowed=(0, 1))
        for claim in ids:
            self.assertIn(claim, proc.stdout)

    def test_compare_a_results_set_with_itself(self):
        proc = script("compare.py", self.out, self.out)
        self.assertRanClean(proc)
        self.assertIn("full_rehash", proc.stdout)


if __name__ == "__main__":
    unittest.main()
