import os
import unittest

import test_util as tu
import validate_results


def _problems(mutate):
    d = tu.copy_fixture()
    mutate(d)
    return "\n".join(validate_results.validate(d))


class ValidateTest(unittest.TestCase):
    def test_fixtures(self):
        self.assertEqual(validate_results.validate(tu.OK), [])
        self.assertEqual(validate_results.validate(tu.PARTIAL), [])   # interrupted, but consistent
        self.assertIn("missing field 'summary.max_ns'", "\n".join(validate_results.validate(tu.MALFORMED)))

    def test_rejects(self):
        rid = tu.run_id("go_incremental")
        cases = [
            (lambda d: tu.edit_run(d, rid, lambda x: x["summary"].pop("p999_ns")), "missing field 'summary.p999_ns'"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["host"].update(steal_ms=-10)), "host.steal_ms"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["summary"].update(quiet_windows=0)),
             "windows without steal, summary.quiet_windows says 0"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["summary"].update(max_ns_quiet=1)), "summary.max_ns_quiet 1"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["top_k"][0].update(steal_ms=12345)),
             "top_k[0].steal_ms 12345 != the timeline's"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["top_k"][0].update(window=7)), "is not op // config.window"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["config"].update(seed=99)), "repetition 0 must use the base seeds"),
            (lambda d: tu.edit_run(d, rid, lambda x: x["summary"].update(ops_per_sec_uninstrumented=None)),
             "ops_per_sec_uninstrumented missing"),
            (lambda d: tu.edit_run(d, rid, lambda x: x.update(noise_floor=None)),
             "noise_floor is null but config.noise_ops"),
            (lambda d: tu.edit_run(d, tu.run_id("go_runtime"), lambda x: x.pop("peer")), "missing field 'peer'"),
            (lambda d: tu.edit_manifest(d, lambda m: m["runs"][0].update(group="x")), "group must be the run_id"),
            (lambda d: tu.edit_manifest(d, lambda m: next(iter(m["checksums"].values())).update(agree=False)),
             "maps disagree on the checksum"),
            (lambda d: tu.edit_json(os.path.join(d, "aggregate.json"),
                                    lambda a: next(iter(a["groups"].values()))["fields"]["summary.max_ns"].update(max=1)),
             "summary.max_ns.max"),
            (lambda d: os.remove(os.path.join(d, "aggregate.json")), "aggregate.json: missing"),
        ]
        for mutate, needle in cases:
            with self.subTest(needle):
                self.assertIn(needle, _problems(mutate))

    def test_hgrm_header_and_truncation(self):
        path = tu.run_id("full_rehash") + ".service.hgrm"

        def garbage(d):
            with open(os.path.join(d, path), "w") as f:
                f.write("garbage\n")

        def truncate(d):
            with open(os.path.join(d, path)) as f:
                lines = f.read().splitlines()
            with open(os.path.join(d, path), "w") as f:
                f.write("\n".join(lines[:-4]) + "\n")
        self.assertIn("bad header", _problems(garbage))
        self.assertIn("truncated", _problems(truncate))

    def test_cli(self):
        rc, out, _ = tu.call(validate_results.main, ["validate_results.py", tu.OK])
        self.assertEqual((rc, out.strip()), (0, f"valid: {tu.OK}"))
        self.assertEqual(tu.call(validate_results.main, ["validate_results.py", tu.MALFORMED])[0], 1)
        self.assertEqual(tu.call(validate_results.main, ["validate_results.py"])[0], 2)


if __name__ == "__main__":
    unittest.main()
