import os
import re
import unittest

import archive
import check_claims
import paper_data
import results_io
import style
import test_util as tu

PAPER = os.path.join(tu.WORKSPACE, "paper", "paper.tex")

# Digits the paper's prose may contain: design constants and names of the systems
# described (from maps/*.h headers), never results. Everything about results is a macro.
ALLOWED_DIGITS = [
    r"Go~1\.(19|23|24)", r"Redis~7\.0", r"Valkey~8\.1", r"6\.5", r"\$2\^B\$", r"32-bit", r"\$t_0\+i/R\$",
    r"p(50|99)(\.9{1,2})?", r"99\\,\\%", r"118742|54766|20135", r"--full", r"\[t\]", r"\[10pt,twocolumn\]",
    r"0\.75in", r"fig\d+_[a-z_]+", r"T1", r"utf8", r"u64", r"str(16|64)", r"\[0\.4em\]",
    r"8-byte|64- and 256-byte", r"; 0: nothing moved",
    # macro parameters (\newcommand{\fig}[2]{... #1 ... #2 ...})
    r"\[\d\]", r"#\d",
    # float placement parameters of the preamble (layout, not results)
    r"\\setcounter\{\w+\}\{\d\}", r"\\renewcommand\{\\\w+\}\{0\.\d\}",
]


def _prose(tex):
    tex = re.sub(r"(?<!\\)%.*", "", tex)                                   # comments
    tex = re.sub(r"\\begin\{verbatim\}.*?\\end\{verbatim\}", "", tex, flags=re.S)
    tex = re.sub(r"\\(cite|ref|label|input|IfFileExists|bibliography\w*|usepackage)(\[[^]]*\])?\{[^}]*\}", "", tex)
    return tex


class PaperDataTest(unittest.TestCase):
    def setUp(self):
        self.out = tu.tmpdir()
        rs = results_io.load(tu.OK, quiet=True)
        self.rs = rs
        paper_data.write_macros(rs, os.path.join(self.out, "macros.tex"))
        paper_data.write_table_tex(rs, os.path.join(self.out, "table.tex"))
        paper_data.write_table_md(rs, os.path.join(self.out, "table.md"))
        check_claims.write_tex(check_claims.evaluate(rs), os.path.join(self.out, "claims.tex"), tu.OK)
        archive.write_tex(tu.tmpdir(), None, os.path.join(self.out, "attempts.tex"))
        self.defined = set()
        for name in ("macros.tex", "claims.tex", "attempts.tex"):
            with open(os.path.join(self.out, name)) as f:
                text = f.read()
            names = re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", text) + re.findall(r"\\newif\\if([A-Za-z]+)", text)
            self.assertEqual(len(names), len(set(names)), f"duplicate macro in {name}")
            self.defined |= set(names)

    def _macros(self):
        with open(os.path.join(self.out, "macros.tex")) as f:
            return f.read()

    def test_numbers_are_medians_over_repetitions(self):
        text = self._macros()
        full = self.rs.groups[results_io.group_of(tu.run_id("full_rehash"))]
        p99 = sorted(r.summary["p99_ns"] for r in full.runs)[1]
        self.assertIn(r"\newcommand{\FullRehashPNineNineNs}{%s}" % paper_data.fmt(p99), text)
        self.assertIn(r"\newcommand{\ResGrowthN}{16{,}384}", text)
        self.assertIn(r"\newcommand{\ResReps}{3}", text)
        self.assertIn(r"\newif\ifResPaperSuite \ResPaperSuitetrue", text)
        # Maps absent from the results still get every macro, printed as n/a.
        self.assertIn(r"\newcommand{\AbslFlatMaxInsertUs}{\textbf{n/a}}", text)
        # A ratio between maps is the ratio of their medians.
        go = self.rs.groups[results_io.group_of(tu.run_id("go_incremental"))]
        med = lambda g: sorted(r.summary["max_ns"] for r in g.runs)[1]
        self.assertIn(r"\newcommand{\GoIncMaxBelowFull}{%s}" % paper_data.fmt(med(full) / med(go)), text)
        self.assertIn(r"\newif\ifResStealKnown \ResStealKnowntrue", text)

    def test_table_median_with_min_max_and_uninstrumented_throughput(self):
        with open(os.path.join(self.out, "table.tex")) as f:
            tex = f.read()
        self.assertIn("Mops/s uninstr.", tex)
        go = self.rs.groups[results_io.group_of(tu.run_id("go_incremental"))]
        maxima = sorted(r.summary["max_ns"] / 1e3 for r in go.runs)
        self.assertIn(r"{\scriptsize[%s--%s]}" % (paper_data.fmt(maxima[0]), paper_data.fmt(maxima[2])), tex)
        ops = sorted(r.summary["ops_per_sec_uninstrumented"] / 1e6 for r in go.runs)
        self.assertIn(paper_data.fmt(ops[1]), tex)
        with open(os.path.join(self.out, "table.md")) as f:
            md = f.read()
        self.assertIn("median [min–max] over the repetitions (3)", md)
        self.assertRegex(md, r"\| go_incremental \| [\d.,]+ \[[\d.,]+–[\d.,]+\]")
        self.assertIn("Go 1.19 runtime map" if False else "go_runtime", md)   # peers are maps like any other

    def test_run_set_from_the_results_not_typed(self):
        text = self._macros()
        for line in (r"\newcommand{\ResNumInHouse}{7}", r"\newcommand{\ResNumAdapters}{2}",
                     r"\newcommand{\ResNumPeers}{2}", r"\newcommand{\ResHypervisor}{KVM}",
                     r"\newcommand{\ResTHP}{madvise}", r"\newcommand{\ResCPUMHz}{2{,}000}",
                     r"\newcommand{\ResMemoryGiB}{8}", r"\newcommand{\ResBuildFlags}{NDEBUG, \_\_OPTIMIZE\_\_}",
                     r"\newcommand{\ResScalingSizes}{1{,}024, 4{,}096, 16{,}384}",
                     r"\newcommand{\ResGrowthNShort}{16{,}384}", r"\newcommand{\ResSweepLoads}{50 and 90}",
                     r"\newcommand{\ResRedisFidelityN}{4{,}096}", r"\newcommand{\ResSystemN}{16{,}384}",
                     r"\newif\ifResHasPacedFlat \ResHasPacedFlattrue"):
            self.assertIn(line, text)
        self.assertIn(r"\newcommand{\ResAdapterList}{\texttt{std\_unordered} and \texttt{boost\_flat}}", text)
        # The Go peer's grow count and the system/fresh ratio of the allocation claim.
        self.assertRegex(text, r"\\newcommand\{\\GoRuntimeGrows\}\{\d+\}")
        self.assertRegex(text, r"\\newcommand\{\\GoIncSystemOverFresh\}\{[\d.{},]+\}")

    def test_workload_open_loop_and_fidelity_tables(self):
        paper_data.write_workload_table(self.rs, os.path.join(self.out, "w.tex"))
        paper_data.write_open_loop_table(self.rs, os.path.join(self.out, "o.tex"))
        paper_data.write_fidelity_table(self.rs, os.path.join(self.out, "f.tex"))
        read = lambda name: open(os.path.join(self.out, name)).read()
        w, o, f = read("w.tex"), read("o.tex"), read("f.tex")
        for label in (r"\texttt{str16} keys", r"\texttt{str64} keys", "mixed, zipfian", "churn", r"grow\_read"):
            self.assertIn(label, w)
        # Open loop: the fixed rate and each load; full_rehash's worst response is its rehash;
        # at 90 % the fixture's loop falls behind its schedule (saturated), and says so.
        self.assertIn(r"\multicolumn{2}{c}{90\,\%}", o)
        full = next(line for line in o.splitlines() if line.startswith(r"\texttt{full\_rehash}"))
        self.assertIn(r"{\scriptsize op}", full)
        self.assertTrue(full.rstrip(r" \\").endswith(r"{\scriptsize sat.}"), full)
        # Fidelity: the real Go map pays at the trigger (T); go_incremental with the system
        # allocator at the completion (C); Redis at n/4 with the server first.
        self.assertIn("Go, $n$=", f)
        self.assertIn("Redis, $n$=", f)
        go_rows = [line for line in f.splitlines() if line[:1].isdigit() and line.count("&") == 10]
        self.assertTrue(go_rows)
        last = go_rows[-1].split("&")
        self.assertIn("T", last[2])      # Go GC on
        self.assertIn("C", last[6])      # go_incremental, system

    def test_suite_title(self):
        self.assertEqual(paper_data.suite_title("paper"), "")
        self.assertEqual(paper_data.suite_title("quick"), "quick suite: not the paper's results")
        d = tu.copy_fixture()
        tu.edit_manifest(d, lambda m: m.update(suite="quick"))
        paper_data.write_macros(results_io.load(d, quiet=True), os.path.join(self.out, "quick.tex"))
        with open(os.path.join(self.out, "quick.tex")) as f:
            text = f.read()
        self.assertIn(r"\newif\ifResPaperSuite \ResPaperSuitefalse", text)
        self.assertIn(r"\newcommand{\ResSuiteTitle}{quick suite: not the paper's results}", text)

    def test_fmt(self):
        self.assertEqual(paper_data.fmt(1234567), "1{,}234{,}567")
        self.assertEqual(paper_data.fmt(0.000123), "0.000123")
        self.assertEqual(paper_data.fmt(12.345), "12.3")
        self.assertEqual(paper_data.fmt(None), r"\textbf{n/a}")
        self.assertEqual(paper_data.tex_escape("a_b%&"), r"a\_b\%\&")

    def test_every_macro_the_paper_uses_is_generated(self):
        with open(PAPER) as f:
            tex = re.sub(r"(?<!\\)%.*", "", f.read())
        prefixes = "|".join(style.macro_prefix(m) for m in style.MAPS)
        used = set(re.findall(r"\\((?:Res|Claim|Attempts|" + prefixes + r")[A-Za-z]*)", tex))
        used |= set(re.findall(r"\\if(Res[A-Za-z]+)", tex))
        self.assertTrue(used)
        self.assertEqual(sorted(used - self.defined - {"ResStealKnowntrue"}), [])
        # Every claim is used by the paper, and the paper uses no claim that is not checked.
        claims = {c.id for c in check_claims.CLAIMS}
        self.assertEqual({u[len("Claim"):] for u in used if u.startswith("Claim") and not u.startswith("Claims")
                          and not u.startswith("ClaimRule")}, claims)

    def test_position_tag_is_the_majority_or_every_tied_position(self):
        self.assertEqual(paper_data.position_tag(["completion", "trigger", "completion"]), "C")
        self.assertEqual(paper_data.position_tag(["completion", "during", "trigger"]), "T/--/C")
        self.assertEqual(paper_data.position_tag(["during", "trigger"]), "T/--")
        self.assertEqual(paper_data.position_tag([]), "")

    def test_no_number_typed_by_hand(self):
        with open(PAPER) as f:
            prose = _prose(f.read())
        for pattern in ALLOWED_DIGITS:
            prose = re.sub(pattern, "", prose)
        lines = [line for line in prose.splitlines() if re.search(r"\d", line)]
        self.assertEqual(lines, [], "digits in paper prose: use a generated macro")

    def test_only_the_paper_suite_build_says_paper_suite(self):
        with open(PAPER) as f:
            tex = re.sub(r"(?<!\\)%.*", "", f.read())
        # Drop the paper-suite branches of \ifResPaperSuite ... \else ... \fi: what is left
        # is what a quick build prints.
        quick = re.sub(r"\\ifResPaperSuite(.*?)(\\else(.*?))?\\fi", lambda m: m.group(3) or "", tex, flags=re.S)
        self.assertNotIn("paper suite", quick.replace("\n", " "))
        self.assertIn(r"\ResSuiteTitle", quick)
        for word in (r"\ResReps", r"\ClaimRuleMinPct", r"\AttemptsTable"):
            self.assertIn(word, tex)


if __name__ == "__main__":
    unittest.main()
