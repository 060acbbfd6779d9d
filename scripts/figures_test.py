import contextlib
import io
import os
import unittest

import figures
import test_util as tu

ALL = ["fig1_latency_timeline", "fig2_percentiles", "fig3_memory_timeline", "fig4_tradeoff",
       "fig5_write_amplification", "fig6_shrink"]


def _run(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = figures.main(args)
    return rc, out.getvalue(), err.getvalue()


class FiguresTest(unittest.TestCase):
    def test_every_figure_from_complete_results(self):
        out = tu.tmpdir()
        rc, stdout, err = _run([tu.OK, f"--out={out}"])
        self.assertEqual(rc, 0, err)
        for name in ALL:
            for ext, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
                path = os.path.join(out, f"{name}.{ext}")
                self.assertTrue(os.path.isfile(path), path)
                with open(path, "rb") as f:
                    self.assertEqual(f.read(4), magic)
                self.assertIn(path, stdout)
        self.assertNotIn("warning", err)

    def test_partial_results_draw_what_exists_and_warn(self):
        out = tu.tmpdir()
        rc, _, err = _run([tu.PARTIAL, f"--out={out}"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.isfile(os.path.join(out, "fig1_latency_timeline.png")))
        self.assertTrue(os.path.isfile(os.path.join(out, "fig2_percentiles.png")))
        self.assertFalse(os.path.exists(os.path.join(out, "fig6_shrink.png")))
        self.assertIn("fig6_shrink: no closed-loop shrink", err)
        self.assertIn("missing run insert_growth.u64.v8.closed.redis_dual.n2048 (status failed)", err)
        self.assertIn("value sizes present: [8]", err)

    def test_malformed_results_exit_2_with_file_and_problem(self):
        rc, _, err = _run([tu.MALFORMED, f"--out={tu.tmpdir()}"])
        self.assertEqual(rc, 2)
        self.assertIn("fixture_malformed/insert_growth.u64.v8.closed.full_rehash.n2048.json: "
                      "missing field 'summary.max_ns'", err)

    def test_one_style_per_map(self):
        import style
        colors = [style.color(m) for m in style.MAPS]
        markers = [style.marker(m) for m in style.MAPS]
        self.assertEqual(len(set(colors)), len(colors))
        self.assertEqual(len(set(markers)), len(markers))
        for m in style.MAPS:
            self.assertTrue(style.macro_prefix(m).isalpha(), m)


if __name__ == "__main__":
    unittest.main()
