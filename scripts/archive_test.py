import csv
import json
import os
import unittest

import analysis
import archive
import check_claims
import results_io
import test_util as tu
import validate_results


def _read(path):
    with open(path) as f:
        return f.read()


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class SaveTest(unittest.TestCase):
    def test_complete_attempt(self):
        root = tu.tmpdir()
        out = archive.save(tu.OK, root)
        self.assertEqual(os.path.basename(out), "20240101T0000Z.unknown")
        self.assertEqual(sorted(os.listdir(out)), ["aggregate.json", "attempt.json", "claims.txt", "manifest.json",
                                                   "summaries.jsonl"])
        lines = _read(os.path.join(out, "summaries.jsonl")).splitlines()
        rs = results_io.load(tu.OK, quiet=True)
        self.assertEqual(len(lines), len(rs.runs))
        first = json.loads(lines[0])
        self.assertEqual(sorted(first), sorted(archive.SUMMARY_KEYS))   # no timelines, no histograms
        a = json.loads(_read(os.path.join(out, "attempt.json")))
        self.assertEqual((a["status"], a["reps"], a["runs_ok"], a["runs_planned"]), ("complete", 3, len(rs.runs),
                                                                                     len(rs.runs)))
        self.assertTrue(a["machine"].startswith("fixture CPU"), a["machine"])   # from the runs' provenance
        # The claims are those of check_claims at its default (paper) scale: on this small
        # fixture the paper-sized ones are not checkable, and that is what is archived.
        results = check_claims.evaluate(rs)
        self.assertEqual(a["claims"]["HOLDS"], sum(1 for r in results if r.status == "HOLDS"))
        self.assertEqual(a["claims"]["NOT CHECKABLE"], sum(1 for r in results if r.status == "NOT CHECKABLE"))
        self.assertIn("claims hold on", _read(os.path.join(out, "claims.txt")))

    def test_interrupted_and_malformed_attempts_are_archived_too(self):
        root = tu.tmpdir()
        a = json.loads(_read(os.path.join(archive.save(tu.PARTIAL, root), "attempt.json")))
        self.assertEqual(a["status"], "interrupted")
        self.assertGreater(a["runs_not_run"], 0)
        self.assertEqual(a["runs_failed"], 1)
        d = tu.copy_fixture()
        tu.edit_run(d, tu.run_id("full_rehash"), lambda x: x["summary"].update(max_ns=0))
        out = archive.save(d, tu.tmpdir())
        self.assertIn("claims not evaluated: malformed results", _read(os.path.join(out, "claims.txt")))

    def test_a_manifest_left_running_was_killed(self):
        d = tu.copy_fixture(tu.PARTIAL)
        path = os.path.join(d, "manifest.json")
        m = json.loads(_read(path))
        m["status"], m["finished"] = "running", None
        with open(path, "w", encoding="utf-8") as f:
            json.dump(m, f)
        a = json.loads(_read(os.path.join(archive.save(d, tu.tmpdir()), "attempt.json")))
        self.assertEqual(a["status"], "killed")

    def test_legacy_single_run_set_with_its_own_claims_report(self):
        d = tu.tmpdir()
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump({"schema": "rehashlab-manifest/1", "suite": "paper", "status": "complete",
                       "started": "2026-11-22T01:04:37Z", "runs": [
                           {"run_id": "a", "status": "ok", "result": "a.json"}]}, f)
        with open(os.path.join(d, "a.json"), "w") as f:
            json.dump({"schema": "rehashlab-run/1", "run_id": "a", "summary": {"max_ns": 5}, "config": {},
                       "provenance": {"git_commit": "1e4b61a45214"}, "timeline": "not kept"}, f)
        report = os.path.join(d, "claims.txt")
        with open(report, "w") as f:
            f.write("# old rule\nHOLDS    X  detail\nFAILS    Y  detail\n")
        out = archive.save(d, tu.tmpdir(), claims_report=report, role="set aside", claims_rule="single run")
        self.assertEqual(os.path.basename(out), "20261122T0104Z.1e4b61a")
        a = json.loads(_read(os.path.join(out, "attempt.json")))
        self.assertEqual((a["reps"], a["claims"], a["role"]), (1, {"HOLDS": 1, "FAILS": 1, "NOT CHECKABLE": 0},
                                                               "set aside"))
        self.assertEqual(json.loads(_read(os.path.join(out, "summaries.jsonl")))["summary"], {"max_ns": 5})


class PromoteTest(unittest.TestCase):
    def test_incomplete_attempt_is_refused(self):
        ref = os.path.join(tu.tmpdir(), "reference")
        rc, _, err = tu.call(archive.main, ["promote", tu.PARTIAL, f"--reference={ref}"])
        self.assertEqual(rc, 1)
        self.assertIn("only a complete attempt becomes the reference", err)
        self.assertFalse(os.path.exists(ref))

    def test_complete_attempt_replaces_the_reference_with_short_timelines(self):
        ref = os.path.join(tu.tmpdir(), "reference")
        os.makedirs(ref)
        with open(os.path.join(ref, "old.json"), "w") as f:
            f.write("{}")
        rc, out, err = tu.call(archive.main, ["promote", tu.OK, f"--reference={ref}", "--max-rows=4",
                                              "--other-rows=3", "--attempt=20240101T0000Z.unknown"])
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(os.path.join(ref, "old.json")))
        self.assertEqual(_read(os.path.join(ref, "ATTEMPT")).strip(), "20240101T0000Z.unknown")
        record = json.loads(_read(os.path.join(ref, archive.DOWNSAMPLED)))
        rid = tu.run_id("full_rehash")
        self.assertEqual(record["runs"][rid], {"rows": 8, "kept": 4, "merged": 3})
        full, short = _rows(os.path.join(tu.OK, rid + ".timeline.csv")), _rows(os.path.join(ref, rid + ".timeline.csv"))
        self.assertEqual(short[0], full[0])                       # the first window as it was
        self.assertEqual([r["window"] for r in short], ["0", "1", "4", "7"])
        self.assertEqual(sum(int(r["ops"]) for r in short), tu.N)
        merged = full[1:4]
        self.assertEqual(int(short[1]["max_ns"]), max(int(r["max_ns"]) for r in merged))
        self.assertEqual(int(short[1]["peak_bytes"]), max(int(r["peak_bytes"]) for r in merged))
        self.assertEqual(float(short[1]["steal_ms"]), sum(float(r["steal_ms"]) for r in merged))
        self.assertEqual(short[1]["live_bytes"], merged[-1]["live_bytes"])
        self.assertEqual(short[1]["end_ns"], merged[-1]["end_ns"])
        self.assertEqual(max(int(r["max_ns"]) for r in short), max(int(r["max_ns"]) for r in full))
        # A timeline no figure draws is shorter still.
        self.assertEqual(record["runs"][tu.run_id("redis_dual", workload="shrink")], {"rows": 8, "kept": 3, "merged": 4})
        # The reference is valid, and the claims say on it what they say on the full results.
        self.assertEqual(validate_results.validate(ref), [])
        before = [(r.id, r.status, r.k) for r in check_claims.evaluate(results_io.load(tu.OK, quiet=True), n_divisor=1000)]
        after = [(r.id, r.status, r.k) for r in check_claims.evaluate(results_io.load(ref, quiet=True), n_divisor=1000)]
        self.assertEqual(before, after)

    def test_long_resize_lists_are_thinned_and_read_the_same(self):
        ref = os.path.join(tu.tmpdir(), "reference")
        rc, _, err = tu.call(archive.main, ["promote", tu.OK, f"--reference={ref}", "--max-resizes=1"])
        self.assertEqual(rc, 0, err)
        record = json.loads(_read(os.path.join(ref, archive.DOWNSAMPLED)))
        full, short = results_io.load(tu.OK, quiet=True), results_io.load(ref, quiet=True)
        thinned = 0
        for a in full.runs:
            b = next(r for r in short.runs if r.run_id == a.run_id)
            n = len(a.data["resizes"])
            if n <= 1:
                self.assertNotIn("resizes_thinned", b.data)
                continue
            thinned += 1
            t = b.data["resizes_thinned"]
            self.assertEqual((t["resizes"], t["events"], t["kept"]), (n, len(a.data["events"]), len(b.data["resizes"])))
            self.assertEqual(record["resizes_thinned"][a.run_id]["resizes"], n)
            self.assertTrue(all(e["op"] in {r["start_op"] for r in b.data["resizes"]} |
                                {r["end_op"] for r in b.data["resizes"]} for e in b.data["events"]))
            # What the claims and figures read comes out the same from the thinned list.
            for f in (analysis.octave_medians, analysis.resize_count, analysis.octave_steps, analysis.largest_step,
                      analysis.top_op_is_step, lambda r: analysis.octave_steps(r, completed_only=True)):
                self.assertEqual(f(a), f(b), a.run_id)
        self.assertGreater(thinned, 0)
        self.assertEqual(validate_results.validate(ref), [])
        before = [(r.id, r.status, r.k) for r in check_claims.evaluate(full, n_divisor=1000)]
        after = [(r.id, r.status, r.k) for r in check_claims.evaluate(short, n_divisor=1000)]
        self.assertEqual(before, after)


class TexTest(unittest.TestCase):
    def test_attempts_table_and_roles(self):
        root, ref = tu.tmpdir(), os.path.join(tu.tmpdir(), "reference")
        archive.save(tu.PARTIAL, root)
        name = os.path.basename(archive.save(tu.OK, root))
        self.assertEqual(name, "20240101T0000Z.unknown.2")
        tu.call(archive.main, ["promote", tu.OK, f"--reference={ref}", f"--attempt={name}"])
        out = os.path.join(tu.tmpdir(), "attempts.tex")
        rc, _, err = tu.call(archive.main, ["tex", f"--archive={root}", f"--reference={ref}", f"--out={out}"])
        self.assertEqual(rc, 0, err)
        text = _read(out)
        self.assertIn(r"\newcommand{\AttemptsTotal}{2}", text)   # same start and commit: never overwritten
        self.assertEqual(sorted(os.listdir(root)), ["20240101T0000Z.unknown", "20240101T0000Z.unknown.2"])
        self.assertIn("& interrupted &", text)
        self.assertIn("& fixture CPU", text)
        self.assertIn("& reference \\\\", text)
        empty = os.path.join(tu.tmpdir(), "none.tex")
        archive.write_tex(tu.tmpdir(), None, empty)
        self.assertIn("no attempt archived yet", _read(empty))

    def test_the_committed_archive_records_the_attempts_set_aside(self):
        attempts = archive.attempts(os.path.join(tu.WORKSPACE, "results", "archive"))
        roles = {a["name"]: a["role"] for a in attempts}
        self.assertEqual(roles.get("20261122T0049Z.1e4b61a"), "set aside")
        self.assertEqual(roles.get("20261122T0104Z.1e4b61a"), "retired")


if __name__ == "__main__":
    unittest.main()
