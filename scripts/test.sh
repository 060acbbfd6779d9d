#!/usr/bin/env bash
# Runs every test: unit, differential, trace, CLI and script tests (`bazel test
# //...`), then the differential and conformance tests again under ASan+UBSan.
# This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
bazel test //...
bazel test --config=asan //maps:differential_test //maps:conformance_test //workloads:trace_test
