import os
import unittest

import figures
import results_io
import style
import test_util as tu

ALL = ["fig1_latency_timeline", "fig2_percentiles", "fig3_memory_timeline", "fig4_tradeoff",
       "fig5_write_amplification", "fig6_shrink"]


class FiguresTest(unittest.TestCase):
    def test_every_figure_from_complete_results(self):
        out = tu.tmpdir()
        rc, stdout, err = tu.call(figures.main, [tu.OK, f"--out={out}"])
        self.assertEqual(rc, 0, err)
        for name in ALL:
            for ext, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
                path = os.path.join(out, f"{name}.{ext}")
                self.assertTrue(os.path.isfile(path), path)
                with open(path, "rb") as f:
                    self.assertEqual(f.read(4), magic)
                self.assertIn(path, stdout)
        # The only gap: the Go peer ran insert_growth alone, so it is not in the shrink figure.
        self.assertEqual([l for l in err.splitlines() if "warning" in l], ["warning: fig6_shrink: no data for go_runtime"])

    def test_repetitions_are_drawn_never_a_single_run(self):
        import matplotlib.pyplot as plt
        rs = results_io.load(tu.OK, quiet=True)
        drawn = []
        real_save = figures._save
        figures._save = lambda fig, out_dir, name: drawn.append(fig) or []
        try:
            figures.fig1_latency_timeline(rs, tu.tmpdir())
            figures.fig4_tradeoff(rs, tu.tmpdir())
        finally:
            figures._save = real_save
        timeline, tradeoff = drawn
        # fig1: one line per repetition in each map's panel.
        panel = next(ax for ax in timeline.axes if any(t.get_text() == style.label("go_incremental")
                                                        for t in ax.texts))
        self.assertEqual(len([l for l in panel.get_lines() if len(l.get_xdata()) > 2]), tu.REPS)
        # fig4: median points with min-max whiskers (error bars), throughput uninstrumented.
        throughput_ax = tradeoff.axes[0]
        self.assertIn("uninstrumented", throughput_ax.get_xlabel())
        self.assertGreater(len(throughput_ax.containers), 0)
        for fig in drawn:
            plt.close(fig)

    def test_partial_results_draw_what_exists_and_warn(self):
        out = tu.tmpdir()
        rc, _, err = tu.call(figures.main, [tu.PARTIAL, f"--out={out}"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.isfile(os.path.join(out, "fig1_latency_timeline.png")))
        self.assertIn(f"missing run {tu.run_id('redis_dual')} (status failed)", err)
        self.assertIn("value sizes present: [8]", err)

    def test_malformed_and_truncated_histogram_exit_2(self):
        rc, _, err = tu.call(figures.main, [tu.MALFORMED, f"--out={tu.tmpdir()}"])
        self.assertEqual(rc, 2)
        self.assertIn(f"fixture_malformed/insert_growth.u64.v8.closed.full_rehash.n{tu.N}.json: "
                      "missing field 'summary.max_ns'", err)
        d = tu.copy_fixture()
        path = os.path.join(d, tu.run_id("redis_dual", mode="open") + ".response.hgrm")
        with open(path) as f:
            lines = f.read().splitlines()
        with open(path, "w") as f:
            f.write("\n".join(lines[:len(lines) // 2]) + "\n")   # a write cut short
        out = tu.tmpdir()
        rc, _, err = tu.call(figures.main, [d, f"--out={out}"])
        self.assertEqual(rc, 2)
        self.assertIn("response.hgrm: truncated", err)
        self.assertEqual(os.listdir(out), [])    # nothing drawn from a broken set

    def test_one_style_per_map(self):
        colors = [style.color(m) for m in style.MAPS]
        markers = [style.marker(m) for m in style.MAPS]
        self.assertEqual(len(set(colors)), len(colors))
        self.assertEqual(len(set(markers)), len(markers))
        for m in style.MAPS:
            self.assertTrue(style.macro_prefix(m).isalpha(), m)


if __name__ == "__main__":
    unittest.main()
