"""Helpers for the script tests: fixture paths, mutable copies of them, in-process CLIs."""

import contextlib
import io
import json
import os
import shutil
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "testdata")
OK = os.path.join(TESTDATA, "fixture_ok")
PARTIAL = os.path.join(TESTDATA, "fixture_partial")
MALFORMED = os.path.join(TESTDATA, "fixture_malformed")
WORKSPACE = os.path.dirname(HERE)
N = 16384        # the fixtures' n
REPS = 3         # and repetitions


def tmpdir():
    return tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))


def copy_fixture(src=OK):
    dst = os.path.join(tmpdir(), os.path.basename(src))
    shutil.copytree(src, dst)
    return dst


IN_HOUSE = ("full_rehash", "go_incremental", "redis_dual", "overflow_slab", "go_swiss", "linear_hashing",
            "paced_flat")


def run_id(map_name, workload="insert_growth", mode="closed", value=8, n=N, rep=0, alloc="fresh", reps=REPS,
           key="u64", load=None, gc="on"):
    """The fixture's run id (results/README.md's rule)."""
    rid = f"{workload}.{key}.v{value}.{mode}.{map_name}.n{n}"
    if workload == "mixed":
        rid += ".zipf"
    if workload == "grow_read":
        rid += ".r50"
    if load is not None:
        rid += f".load{round(load * 100)}"
    if alloc in ("system", "naive") and map_name in IN_HOUSE:
        rid += "." + alloc
    if gc == "off":
        rid += ".gcoff"
    return rid + (f".rep{rep}" if reps > 1 else "")


def edit_json(path, fn):
    with open(path) as f:
        data = json.load(f)
    fn(data)
    with open(path, "w") as f:
        json.dump(data, f)
    return path


def edit_run(results_dir, rid, fn):
    """Applies fn(data) to <rid>.json in place."""
    return edit_json(os.path.join(results_dir, rid + ".json"), fn)


def edit_reps(results_dir, map_name, fn, reps=range(REPS), **kw):
    """Applies fn(data) to the run of map_name in each of the given repetitions."""
    for rep in reps:
        edit_run(results_dir, run_id(map_name, rep=rep, **kw), fn)


def edit_manifest(results_dir, fn):
    return edit_json(os.path.join(results_dir, "manifest.json"), fn)


def remove_run(results_dir, rid):
    """Deletes a run's files and marks it not_run in the manifest (an interrupted set)."""
    for name in os.listdir(results_dir):
        if name.startswith(rid + "."):
            os.remove(os.path.join(results_dir, name))

    def mark(m):
        for r in m["runs"]:
            if r["run_id"] == rid:
                r.update(status="not_run", result=None, exit_status=None, seconds=None, steal_ms=None)
                m["not_run"].append(rid)
        m["status"] = "interrupted"
    edit_manifest(results_dir, mark)


def add_rep(results_dir, map_name, new_rep, from_rep=REPS - 1, reps=None, **kw):
    """Adds repetition new_rep of map_name's configuration (a copy of from_rep's files),
    planned in the manifest; reps: the configuration's R to record in every repetition."""
    src, dst = run_id(map_name, rep=from_rep, **kw), run_id(map_name, rep=new_rep, **kw)
    for name in os.listdir(results_dir):
        if name.startswith(src + "."):
            shutil.copy(os.path.join(results_dir, name), os.path.join(results_dir, dst + name[len(src):]))

    def fix(x):
        x["run_id"] = dst
        x["summary"]["rep"] = x["config"]["rep"] = new_rep
        x["files"] = {k: None if v is None else dst + v[len(src):] for k, v in x["files"].items()}
    edit_run(results_dir, dst, fix)
    if reps:
        for rep in range(reps):
            if os.path.isfile(os.path.join(results_dir, run_id(map_name, rep=rep, **kw) + ".json")):
                edit_run(results_dir, run_id(map_name, rep=rep, **kw), lambda x: x["config"].update(reps=reps))

    def plan(m):
        entry = dict(next(r for r in m["runs"] if r["run_id"] == src), run_id=dst, rep=new_rep, result=dst + ".json")
        m["runs"].append(entry)
        m["reps"] = max(m["reps"], new_rep + 1)
    edit_manifest(results_dir, plan)


def call(main, args):
    """(exit status, stdout, stderr) of main(args) run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return rc, out.getvalue(), err.getvalue()
