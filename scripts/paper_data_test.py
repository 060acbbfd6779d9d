import os
import re
import unittest

import check_claims
import paper_data
import results_io
import test_util as tu

PAPER = os.path.join(tu.WORKSPACE, "paper", "paper.tex")

# Digits the paper's prose may contain: design constants and names of the systems
# described (from maps/*.h headers), never results. Everything about results is a macro.
ALLOWED_DIGITS = [
    r"Go~1\.23", r"6\.5", r"\$2\^B\$", r"32-bit", r"\$t_0\+i/R\$", r"p99(\.9{1,2})?",
    r"99\\,\\%", r"118742|54766|20135", r"--full", r"\[t\]", r"\[10pt,twocolumn\]", r"0\.75in",
    r"fig\d_[a-z_]+", r"T1", r"utf8", r"u64",
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
        paper_data.write_macros(rs, os.path.join(self.out, "macros.tex"))
        paper_data.write_table_tex(rs, os.path.join(self.out, "table.tex"))
        check_claims.write_tex(check_claims.evaluate(rs), os.path.join(self.out, "claims.tex"), tu.OK)
        self.defined = set()
        for name in ("macros.tex", "claims.tex"):
            with open(os.path.join(self.out, name)) as f:
                text = f.read()
            names = re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", text)
            self.assertEqual(len(names), len(set(names)), f"duplicate macro in {name}")
            self.defined |= set(names)

    def test_numbers_come_from_results(self):
        with open(os.path.join(self.out, "macros.tex")) as f:
            text = f.read()
        self.assertIn(r"\newcommand{\FullRehashMaxInsertUs}{52.1}", text)  # 52079 ns in the fixture
        self.assertIn(r"\newcommand{\ResGrowthN}{2{,}048}", text)
        self.assertIn(r"\newcommand{\GoIncMaxBelowFull}{24.2}", text)
        # Maps absent from the results still get every macro, printed as n/a.
        self.assertIn(r"\newcommand{\AbslFlatMaxInsertUs}{\textbf{n/a}}", text)
        # The fixture predates host.steal_ms: the paper says so instead of printing n/a.
        self.assertIn(r"\newif\ifResStealKnown \ResStealKnownfalse", text)

    def test_fmt(self):
        self.assertEqual(paper_data.fmt(1234567), "1{,}234{,}567")
        self.assertEqual(paper_data.fmt(0.000123), "0.000123")
        self.assertEqual(paper_data.fmt(12.345), "12.3")
        self.assertEqual(paper_data.fmt(None), r"\textbf{n/a}")
        self.assertEqual(paper_data.tex_escape("a_b%&"), r"a\_b\%\&")

    def test_every_macro_the_paper_uses_is_generated(self):
        with open(PAPER) as f:
            tex = re.sub(r"(?<!\\)%.*", "", f.read())
        used = set(re.findall(r"\\((?:Res|Claim|FullRehash|GoInc|RedisDual|OverflowSlab|StdUnordered|BoostFlat|"
                              r"BoostFca|TslRobin|AbslFlat)[A-Za-z]*)", tex))
        self.assertTrue(used)
        self.assertEqual(sorted(used - self.defined), [])
        # Every claim is used by the paper, and the paper uses no claim that is not checked.
        claims = {c[0] for c in check_claims.CLAIMS}
        self.assertEqual({u[len("Claim"):] for u in used if u.startswith("Claim") and u not in
                          ("ClaimsHolding", "ClaimsTotal")}, claims)

    def test_no_number_typed_by_hand(self):
        with open(PAPER) as f:
            prose = _prose(f.read())
        for pattern in ALLOWED_DIGITS:
            prose = re.sub(pattern, "", prose)
        lines = [line for line in prose.splitlines() if re.search(r"\d", line)]
        self.assertEqual(lines, [], "digits in paper prose: use a generated macro")


if __name__ == "__main__":
    unittest.main()
