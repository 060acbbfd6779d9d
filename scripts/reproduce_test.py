"""`reproduce.sh --results=<fixture> --out=<tmp>` writes only under --out: no file of
the source tree (the workspace it is pointed at, and the runfiles tree it runs from)
is created, changed or removed -- what makes the README's first command leave `git
status` clean. Also: the quick build names its suite in the title, builds its own PDF
from its own generated/ directory, and its exit status follows only the claims
checkable at its scale. Runs inside Bazel's sandbox (a throw-away workspace)."""

import hashlib
import os
import shutil
import subprocess
import unittest

import test_util as tu

SCRIPT = os.path.join(tu.HERE, "reproduce.sh")
RUNFILES_ROOT = tu.WORKSPACE   # scripts/.. : the runfiles tree under Bazel, the checkout otherwise


def snapshot(root):
    """{relative path: (size, mtime_ns, sha256)} of every file under root (symlinks followed)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__", "bazel-out")
                       and not d.startswith("bazel-")]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                continue
            out[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns, digest)
    return out


def fake_workspace():
    """A workspace with what reproduce reads from the source tree: the paper sources and
    the attempts archive."""
    ws = os.path.join(tu.tmpdir(), "workspace")
    os.makedirs(os.path.join(ws, "paper"))
    for name in ("paper.tex", "refs.bib"):
        shutil.copy(os.path.join(tu.WORKSPACE, "paper", name), os.path.join(ws, "paper", name))
    shutil.copytree(os.path.join(tu.WORKSPACE, "results", "archive"), os.path.join(ws, "results", "archive")) \
        if os.path.isdir(os.path.join(tu.WORKSPACE, "results", "archive")) else \
        os.makedirs(os.path.join(ws, "results", "archive"))
    return ws


def reproduce(ws, *args, **env_extra):
    env = dict(os.environ, BUILD_WORKSPACE_DIRECTORY=ws, HOME=tu.tmpdir(), **env_extra)
    env.pop("REHASHLAB_SCHEMA", None)
    return subprocess.run(["bash", SCRIPT] + list(args), capture_output=True, text=True, env=env,
                          cwd=RUNFILES_ROOT, timeout=600)


class QuickReproduceTest(unittest.TestCase):
    def test_quick_build_writes_only_under_out(self):
        ws = fake_workspace()
        results = tu.copy_fixture()
        tu.edit_manifest(results, lambda m: m.update(suite="quick"))
        out = os.path.join(tu.tmpdir(), "out")
        before_ws, before_rf, before_res = snapshot(ws), snapshot(RUNFILES_ROOT), snapshot(results)
        proc = reproduce(ws, f"--results={results}", f"--out={out}")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertEqual(snapshot(ws), before_ws, "reproduce wrote into the workspace")
        self.assertEqual(snapshot(RUNFILES_ROOT), before_rf, "reproduce wrote into the source/runfiles tree")
        self.assertEqual(snapshot(results), before_res, "reproduce changed the results it read")
        # What it promises, under --out.
        for rel in ["figures/fig1_latency_timeline.png", "figures/fig4_tradeoff.pdf", "figures/tables.md",
                    "claims.txt", "paper/paper.tex", "paper/refs.bib", "paper/generated/macros.tex",
                    "paper/generated/claims.tex", "paper/generated/table_insert_growth.tex",
                    "paper/generated/paths.tex", "paper/generated/attempts.tex"]:
            self.assertTrue(os.path.isfile(os.path.join(out, rel)), rel)
        with open(os.path.join(out, "paper", "generated", "macros.tex")) as f:
            macros = f.read()
        self.assertIn(r"\newcommand{\ResSuiteTitle}{quick suite: not the paper's results}", macros)
        with open(os.path.join(out, "paper", "generated", "paths.tex")) as f:
            self.assertIn(r"\graphicspath{{../figures/}}", f.read())   # relative to where LaTeX runs
        with open(os.path.join(out, "claims.txt")) as f:
            self.assertIn("NOT CHECKABLE", f.read())                   # paper-scale claims at quick scale
        if shutil.which("latexmk") and shutil.which("pdflatex"):
            pdf = os.path.join(out, "paper", "paper.pdf")
            self.assertTrue(os.path.isfile(pdf), proc.stderr[-3000:])
            with open(pdf, "rb") as f:
                self.assertEqual(f.read(4), b"%PDF")

    def test_exit_status_follows_claims_checkable_at_the_scale(self):
        # The same small results labelled as the paper suite: the claims sized for it are
        # NOT CHECKABLE, which now counts.
        ws = fake_workspace()
        out = os.path.join(tu.tmpdir(), "out")
        proc = reproduce(ws, f"--results={tu.OK}", f"--out={out}", "--no-paper")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("NOT all hold", proc.stdout)
        # Bad usage and malformed results: 2.
        self.assertEqual(reproduce(ws, "--bogus").returncode, 2)
        self.assertEqual(reproduce(ws, f"--results={tu.MALFORMED}", f"--out={out}", "--no-paper").returncode, 2)


FAKE_HARNESS = """#!/bin/bash
# Stands in for `rehashlab suite --name=paper --out=DIR`: copies a fixture, exits $FAKE_RC.
for a in "$@"; do case "$a" in --out=*) out="${a#--out=}" ;; esac; done
cp -r "$FAKE_RESULTS" "$out" && exit "${FAKE_RC:-0}"
"""


class FullReproduceTest(unittest.TestCase):
    """--full: every attempt is archived; a complete one becomes the reference and the
    committed paper is rebuilt from it; an interrupted one does not."""

    def harness(self):
        path = os.path.join(tu.tmpdir(), "rehashlab")
        with open(path, "w") as f:
            f.write(FAKE_HARNESS)
        os.chmod(path, 0o755)
        return path

    def test_complete_attempt_is_archived_and_becomes_the_reference(self):
        ws = fake_workspace()
        before_rf = snapshot(RUNFILES_ROOT)
        out = os.path.join(tu.tmpdir(), "latest")
        proc = reproduce(ws, "--full", f"--out={out}", REHASHLAB_BIN=self.harness(), FAKE_RESULTS=tu.OK)
        # n is far below the paper scale: the claims sized for it are NOT CHECKABLE, exit 1.
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertEqual(snapshot(RUNFILES_ROOT), before_rf)
        attempt = os.path.join(ws, "results", "archive", "20240101T0000Z.unknown")
        for name in ("attempt.json", "manifest.json", "aggregate.json", "summaries.jsonl", "claims.txt"):
            self.assertTrue(os.path.isfile(os.path.join(attempt, name)), name)
        ref = os.path.join(ws, "results", "reference")
        with open(os.path.join(ref, "ATTEMPT")) as f:
            self.assertEqual(f.read().strip(), "20240101T0000Z.unknown")
        self.assertTrue(os.path.isfile(os.path.join(ref, "figures", "fig1_latency_timeline.png")))
        for name in ("macros.tex", "claims.tex", "table_insert_growth.tex", "paths.tex", "attempts.tex"):
            self.assertTrue(os.path.isfile(os.path.join(ws, "paper", "generated", name)), name)
        with open(os.path.join(ws, "paper", "generated", "attempts.tex")) as f:
            self.assertIn("& reference \\\\", f.read())
        if shutil.which("latexmk") and shutil.which("pdflatex"):
            self.assertTrue(os.path.isfile(os.path.join(ws, "paper", "paper.pdf")), proc.stderr[-3000:])

    def test_interrupted_attempt_is_archived_not_promoted(self):
        ws = fake_workspace()
        out = os.path.join(tu.tmpdir(), "latest")
        proc = reproduce(ws, "--full", f"--out={out}", "--no-paper", REHASHLAB_BIN=self.harness(),
                         FAKE_RESULTS=tu.PARTIAL, FAKE_RC="130")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("incomplete attempt: archived, not the reference", proc.stderr)
        with open(os.path.join(ws, "results", "archive", "20240101T0000Z.unknown", "attempt.json")) as f:
            self.assertIn('"status": "interrupted"', f.read())
        self.assertFalse(os.path.exists(os.path.join(ws, "results", "reference")))
        self.assertFalse(os.path.exists(os.path.join(ws, "paper", "generated")))
        self.assertTrue(os.path.isfile(os.path.join(out, "paper", "generated", "claims.tex")))


if __name__ == "__main__":
    unittest.main()
