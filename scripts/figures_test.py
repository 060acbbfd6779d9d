import os
import unittest

import figures
import results_io
import style
import test_util as tu

ALL = [f.__name__ for f in figures.FIGURES]


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
        # Every figure the paper uses, and no gap: the peers (which run insert_growth only) are
        # not expected in the shrink figure.
        self.assertEqual(len(ALL), 10)
        self.assertEqual([l for l in err.splitlines() if "warning" in l], [])

    def test_repetitions_are_drawn_never_a_single_run(self):
        import matplotlib.pyplot as plt
        rs = results_io.load(tu.OK, quiet=True)
        drawn = []
        real_save = figures._save
        figures._save = lambda fig, out_dir, name: drawn.append(fig) or [name]
        try:
            figures.fig1_latency_timeline(rs, tu.tmpdir())
            figures.fig4_tradeoff(rs, tu.tmpdir())
            figures.fig7_scaling(rs, tu.tmpdir())
        finally:
            figures._save = real_save
        timeline, tradeoff, scaling = drawn
        # fig1: per window the median over the repetitions and the band between the smallest
        # and the largest of them (a filled area), in the panel of each design.
        panel = next(ax for ax in timeline.axes if ax.get_title() == style.label("go_incremental"))
        self.assertEqual(len(panel.collections) >= 1, True)
        groups, _ = rs.largest("insert_growth", "closed")
        g = groups["go_incremental"]
        xs, med, low, high = figures._window_stats(g, tu.N / 8)
        self.assertTrue(all(lo <= m <= hi for lo, m, hi in zip(low, med, high)))
        self.assertTrue(any(lo < hi for lo, hi in zip(low, high)))   # the repetitions differ: a band
        # fig4: median points with min-max whiskers (error bars), throughput uninstrumented, and
        # the direction that is better marked on both panels.
        throughput_ax = tradeoff.axes[0]
        self.assertIn("uninstrumented", throughput_ax.get_xlabel())
        self.assertGreater(len(throughput_ax.containers), 0)
        self.assertTrue(all(any(t.get_text() == "better" for t in ax.texts) for ax in tradeoff.axes))
        # fig7: log-log, and one line per design with whiskers over the repetitions.
        for ax in scaling.axes:
            self.assertEqual((ax.get_xscale(), ax.get_yscale()), ("log", "log"))
        self.assertGreater(sum(len(ax.containers) for ax in scaling.axes), 3)
        for fig in drawn:
            plt.close(fig)

    def test_write_amplification_at_one_n_for_every_value_size(self):
        import matplotlib.pyplot as plt
        rs = results_io.load(tu.OK, quiet=True)
        drawn = []
        real_save = figures._save
        figures._save = lambda fig, out_dir, name: drawn.append(fig) or [name]
        try:
            figures.fig5_write_amplification(rs, tu.tmpdir())
            figures.fig6_shrink(rs, tu.tmpdir())
        finally:
            figures._save = real_save
        wa, shrink = drawn
        ax = wa.axes[0]
        self.assertEqual(ax.get_yscale(), "linear")
        # A zero bar is labelled 0 (the out-of-line designs move no payload), not left blank.
        self.assertIn("0", [t.get_text() for t in ax.texts])
        # The shrink figure: shares on a linear axis (no bars on a log axis).
        self.assertEqual(shrink.axes[0].get_xscale(), "linear")
        for fig in drawn:
            plt.close(fig)

    def test_partial_results_draw_what_exists_and_warn(self):
        out = tu.tmpdir()
        rc, stdout, err = tu.call(figures.main, [tu.PARTIAL, f"--out={out}"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.isfile(os.path.join(out, "fig1_latency_timeline.png")))
        self.assertIn(f"missing run {tu.run_id('redis_dual')} (status failed)", err)
        self.assertIn("value sizes present: [8]", err)
        # What the partial set cannot draw is named, not drawn from something else.
        self.assertIn("figures not drawn (missing data): ", err)
        self.assertIn("fig5_write_amplification", err)

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
