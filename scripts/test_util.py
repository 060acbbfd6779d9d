"""Helpers for the script tests: fixture paths and mutable copies of them."""

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


def tmpdir():
    return tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))


def copy_fixture(src=OK):
    dst = os.path.join(tmpdir(), os.path.basename(src))
    shutil.copytree(src, dst)
    return dst


def edit_run(results_dir, run_id, fn):
    """Applies fn(data) to <run_id>.json in place."""
    path = os.path.join(results_dir, run_id + ".json")
    with open(path) as f:
        data = json.load(f)
    fn(data)
    with open(path, "w") as f:
        json.dump(data, f)
    return path


def run_id(map_name, workload="insert_growth", mode="closed", value=8, n=2048):
    return f"{workload}.u64.v{value}.{mode}.{map_name}.n{n}"
