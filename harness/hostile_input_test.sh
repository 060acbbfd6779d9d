#!/usr/bin/env bash
# The harness under hostile input (issue 7): every case of docs/RELIABILITY.md,
# checked from outside. Each case names its row in that table ("[R-xx]").
# Usage: hostile_input_test.sh PATH/TO/rehashlab
# A case passes when the exit status is the documented one, stderr says what is
# wrong (file:line for traces), and no results file is left half-written.
set -u
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"  # absolute: the test cds below
tmp="${TEST_TMPDIR:-$(mktemp -d)}/hostile"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp" || exit 1
fail=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
# expect ID EXPECTED_STATUS STDERR_REGEX -- COMMAND...: runs COMMAND, checks both.
expect() {
  local id="$1" status="$2" pattern="$3"; shift 4
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  check "[$id] exit status $status (got $rc): $*" test "$rc" -eq "$status"
  if ! grep -qE -- "$pattern" <<<"$err"; then
    echo "FAIL [$id] stderr does not match /$pattern/:"; echo "$err" | head -5 | sed 's/^/     /'; fail=1
  else
    echo "ok   [$id] stderr matches /$pattern/"
  fi
  if grep -q "AddressSanitizer\|runtime error\|terminate called\|Segmentation" <<<"$err"; then
    echo "FAIL [$id] crashed: $err"; fail=1
  fi
}
# Every *.json under DIR parses (a reader never sees a torn result).
json_valid() {
  local dir="$1" f ok=0
  for f in "$dir"/*.json; do
    [ -e "$f" ] || continue
    /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || { echo "     invalid JSON: $f"; ok=1; }
  done
  return $ok
}
# ...and no temporary file of an atomic write was left behind.
results_intact() {
  json_valid "$1" || return 1
  if ls "$1" | grep -q '\.tmp\.'; then echo "     left behind: $(ls "$1" | grep '\.tmp\.')"; return 1; fi
}
manifest_field() {  # manifest_field DIR EXPR (python expression over m)
  /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json")); print(eval(sys.argv[2]))' "$1" "$2"
}
R() { "$bin" "$@"; }

good="$tmp/good.trace"
printf 'I 1 10\nF 1\nE 1\n' >"$good"

# --- Malformed traces: file:line: message, exit 2 -------------------------------
t() { printf "$2" >"$tmp/$1.trace"; echo "$tmp/$1.trace"; }
f=$(t bad_op 'I 1 2\nF 1\nQ 3\n')
expect T-op 2 "$f:3: unknown operation 'Q' \(expected I, F or E\)" -- R replay --map=full_rehash --trace="$f"
f=$(t lowercase_op 'i 1 2\n')
expect T-op 2 "$f:1: unknown operation 'i'" -- R replay --map=full_rehash --trace="$f"
f=$(t missing_value 'I 1 2\nI 5\n')
expect T-missing 2 "$f:2: missing value" -- R replay --map=full_rehash --trace="$f"
f=$(t missing_key '# header\nF\n')
expect T-missing 2 "$f:2: missing key" -- R replay --map=full_rehash --trace="$f"
f=$(t extra_field 'E 1 2\n')
expect T-extra 2 "$f:1: unexpected extra field '2'" -- R replay --map=full_rehash --trace="$f"
f=$(t key_range 'I 18446744073709551616 1\n')
expect T-range 2 "$f:1: key '18446744073709551616' is out of range" -- R replay --map=full_rehash --trace="$f"
f=$(t value_reserved 'I 1 18446744073709551615\n')
expect T-range 2 "$f:1: value 18446744073709551615 \(2\^64-1\) is reserved" -- R replay --map=full_rehash --trace="$f"
f=$(t negative 'F -1\n')
expect T-range 2 "$f:1: key '-1' is not an unsigned decimal" -- R replay --map=full_rehash --trace="$f"
f=$(t long_number "F $(printf '9%.0s' $(seq 5000))\n")
expect T-range 2 "$f:1: key '9{40}\.\.\.' is out of range" -- R replay --map=full_rehash --trace="$f"
f=$(t empty '')
expect T-empty 2 "$f: no operations \(empty trace\)" -- R replay --map=full_rehash --trace="$f"
f=$(t comments_only '# nothing\n\n   \n')
expect T-empty 2 "$f: no operations \(empty trace\)" -- R replay --map=full_rehash --trace="$f"
f=$(t garbage '\177ELF\002\001\001\000\000\000\377\376\n\000\001')
expect T-binary 2 "$f:1: unknown operation '\\\\x7fELF\\\\x02" -- R replay --map=full_rehash --trace="$f"
f=$(t nul_in_number 'F 1\000\n')
expect T-binary 2 "$f:1: key '1\\\\x00' is not an unsigned decimal" -- R replay --map=full_rehash --trace="$f"
/usr/bin/python3 -c 'import random,sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(65536)))' >"$tmp/random.trace"
expect T-binary 2 "$tmp/random.trace:[0-9]+: " -- R replay --map=full_rehash --trace="$tmp/random.trace"
expect T-nofile 2 "$tmp/absent.trace: cannot open trace file \(No such file or directory\)" -- \
  R replay --map=full_rehash --trace="$tmp/absent.trace"
expect T-dir 2 "$tmp: is a directory, not a trace file" -- R replay --map=full_rehash --trace="$tmp"
expect T-dir 2 "$tmp: is a directory, not a trace file" -- R run --maps=full_rehash --workload=replay --trace="$tmp" --out="$tmp/o"
# CRLF line endings are accepted (not hostile): the same checksum as LF.
printf 'I 1 10\r\nF 1\r\nE 1\r\n' >"$tmp/crlf.trace"
check "[T-crlf] CRLF trace replays like LF" test \
  "$(R replay --map=full_rehash --trace="$tmp/crlf.trace" | grep -o '"checksum":"[^"]*"')" = \
  "$(R replay --map=full_rehash --trace="$good" | grep -o '"checksum":"[^"]*"')"

# --- Names and flags: message, exit 2 -------------------------------------------
maps=$(R list)
err=$(R replay --map=no_such_map --trace="$good" 2>&1 >/dev/null); rc=$?
check "[N-map] unknown map exits 2" test "$rc" -eq 2
for m in $maps; do
  check "[N-map] unknown map error lists '$m'" grep -q "valid maps: .*\b$m\b" <<<"$err"
done
expect N-map 2 "unknown map 'bogus' \(valid maps: " -- R run --maps=full_rehash,bogus --workload=mixed --n=5 --out="$tmp/o"
expect N-verb 2 "unknown verb 'frobnicate'" -- R frobnicate
expect N-verb 2 "usage: rehashlab VERB" -- R
expect N-suite 2 "unknown suite 'nope' \(valid suites: " -- R suite --name=nope --out="$tmp/o"
expect N-workload 2 "unknown workload 'nope' \(valid workloads: " -- R run --maps=full_rehash --workload=nope --n=5 --out="$tmp/o"
expect F-unknown 2 "unknown flag --bogus for 'replay'" -- R replay --map=full_rehash --trace="$good" --bogus=1
expect F-twice 2 "flag --map given twice" -- R replay --map=full_rehash --map=redis_dual --trace="$good"
expect F-missing 2 "missing required flag --trace" -- R replay --map=full_rehash
expect F-missing 2 "missing required flag --out" -- R run --maps=full_rehash --workload=insert_growth --n=5
expect F-number 2 "--hash-seed=abc: expected a non-negative integer" -- R replay --map=full_rehash --trace="$good" --hash-seed=abc
expect F-number 2 "--hash-seed=99999999999999999999999: out of range" -- \
  R replay --map=full_rehash --trace="$good" --hash-seed=99999999999999999999999
expect F-number 2 "--hash-seed" -- R replay --map=full_rehash --trace="$good" --hash-seed=
# replay's hash seed and run's workload seed have different names: --seed is not replay's.
expect F-unknown 2 "unknown flag --seed for 'replay'" -- R replay --map=full_rehash --trace="$good" --seed=1
expect F-positional 2 "unexpected argument 'extra'" -- R replay --map=full_rehash --trace="$good" extra
expect F-conflict 2 "--n is the trace length" -- R run --maps=full_rehash --workload=replay --trace="$good" --n=5 --out="$tmp/o"
expect F-conflict 2 "--mode=open needs --rate" -- R run --maps=full_rehash --workload=mixed --n=5 --mode=open --out="$tmp/o"
expect F-conflict 2 "must sum to 100" -- \
  R run --maps=full_rehash --workload=mixed --n=5 --read=50 --update=50 --insert=50 --out="$tmp/o"
expect F-conflict 2 "string keys" -- R run --maps=full_rehash --workload=insert_growth --n=5 --key=str16 --value-bytes=64 --out="$tmp/o"
expect F-conflict 2 "--alloc=naive: map 'boost_flat' has no such switch \(maps that have one: full_rehash, go_incremental" -- \
  R run --maps=boost_flat --workload=insert_growth --n=5 --alloc=naive --out="$tmp/o"
expect F-conflict 2 "--alloc=lazy: expected fresh, system or naive" -- R run --maps=full_rehash --workload=insert_growth --n=5 --alloc=lazy --out="$tmp/o"
# Duplicate names would run twice under one run id: rejected.
expect F-dup 2 "--maps=full_rehash,full_rehash: 'full_rehash' given twice" -- \
  R run --maps=full_rehash,full_rehash --workload=insert_growth --n=5 --out="$tmp/o"
expect F-dup 2 "--mode=closed,closed: 'closed' given twice" -- \
  R run --maps=full_rehash --workload=insert_growth --n=5 --mode=closed,closed --out="$tmp/o"
expect F-dup 2 "--workload=mixed,mixed: 'mixed' given twice" -- \
  R run --maps=full_rehash --workload=mixed,mixed --n=5 --out="$tmp/o"
# Absurd sizes: refused with the memory estimate, before anything runs.
expect F-size 2 "--n=18446744073709551615: this run needs about .* GiB at its peak .* this machine has" -- \
  R run --maps=full_rehash --workload=insert_growth --n=18446744073709551615 --out="$tmp/o"
expect F-size 2 "--n=99000000000: this run needs about" -- R run --maps=full_rehash --workload=insert_growth --n=99G --out="$tmp/o"
expect F-range 2 "--top-k must be in \[1, 256\]" -- R run --maps=full_rehash --workload=insert_growth --n=5 --top-k=0 --out="$tmp/o"
expect F-range 2 "--reps must be in \[1, 1000\]" -- R run --maps=full_rehash --workload=insert_growth --n=5 --reps=0 --out="$tmp/o"
check "[F-*] nothing was created for rejected command lines" test ! -e "$tmp/o"

# --- Output that cannot be written: stdout full or closed -> message, exit 1 ------
for verb in list "replay --map=full_rehash --trace=$good"; do
  # shellcheck disable=SC2086
  err=$(R $verb 2>&1 >/dev/full); rc=$?
  check "[O-stdout] $verb > /dev/full: exit 1 (got $rc)" test "$rc" -eq 1
  check "[O-stdout] $verb > /dev/full: says so" grep -q "cannot write to standard output: No space left on device" <<<"$err"
  # shellcheck disable=SC2086
  err=$(R $verb 2>&1 >&-); rc=$?
  check "[O-stdout] $verb with stdout closed: exit 1 (got $rc)" test "$rc" -eq 1
  check "[O-stdout] $verb with stdout closed: says so" grep -q "cannot write to standard output" <<<"$err"
done

# --- A long open-loop run says how long it will take ------------------------------
d="$tmp/slow"
R run --maps=full_rehash --workload=insert_growth --n=200 --mode=open --rate=1 --out="$d" 2>"$tmp/slow.err" &
pid=$!
for i in $(seq 100); do grep -q "open loop: about" "$tmp/slow.err" && break; sleep 0.1; done
kill -INT "$pid"; wait "$pid"
check "[P-open] --rate=1 --n=200 announces its duration" grep -q "open loop: about 200 s" "$tmp/slow.err"

# --- Output directory that cannot be written: message, exit 1 --------------------
# (Root ignores permission bits, so the test uses paths no one can create.)
touch "$tmp/a_file"
expect O-unwritable 1 "cannot create directory $tmp/a_file/sub: Not a directory" -- \
  R run --maps=full_rehash --workload=insert_growth --n=1000 --out="$tmp/a_file/sub"
expect O-unwritable 1 "not a directory: $tmp/a_file" -- \
  R run --maps=full_rehash --workload=insert_growth --n=1000 --out="$tmp/a_file"
expect O-unwritable 1 "cannot create directory /proc/rehashlab-test" -- \
  R run --maps=full_rehash --workload=insert_growth --n=1000 --out=/proc/rehashlab-test/out
if [ "$(id -u)" != 0 ]; then
  mkdir -p "$tmp/readonly" && chmod 555 "$tmp/readonly"
  expect O-unwritable 1 "cannot (create|write).*Permission denied" -- \
    R run --maps=full_rehash --workload=insert_growth --n=1000 --out="$tmp/readonly"
  chmod 755 "$tmp/readonly"
fi

# --- Full disk (RLIMIT_FSIZE): EFBIG reported, exit 1, nothing half-written ------
# stderr goes to a pipe (not limited); only files the harness writes hit the limit.
limited() { local blocks="$1"; shift; ( ulimit -f "$blocks"; exec "$@" ); }
for blocks in 0 1 4; do
  d="$tmp/full$blocks"
  err=$(limited "$blocks" "$bin" run --maps=full_rehash,redis_dual --workload=insert_growth --n=1000 --out="$d" 2>&1 >/dev/null)
  rc=$?
  check "[D-full] ulimit -f $blocks: exit 1 (got $rc)" test "$rc" -eq 1
  check "[D-full] ulimit -f $blocks: 'File too large' reported" grep -q "File too large" <<<"$err"
  check "[D-full] ulimit -f $blocks: not killed by SIGXFSZ" test "$rc" -lt 128
  check "[D-full] ulimit -f $blocks: no partial or temporary files" results_intact "$d"
  check "[D-full] ulimit -f $blocks: no file of a failed run (.hgrm, .csv, .json) left" \
    test -z "$(ls "$d" 2>/dev/null | grep -v '^manifest.json$' | grep -v '^aggregate.json$')"
  for m in full_rehash redis_dual; do
    check "[D-full] ulimit -f $blocks: no $m result claimed" test ! -e "$d/insert_growth.u64.v8.closed.$m.n1000.json"
  done
done
# 4 KiB fits the manifest but not a run's JSON: the manifest records the failures.
check "[D-full] manifest says failed" test "$(manifest_field "$tmp/full4" 'm["status"]')" = failed
check "[D-full] manifest lists both runs as failed" test "$(manifest_field "$tmp/full4" 'len(m["failed"])')" = 2

# --- Out of memory (RLIMIT_AS): the run fails cleanly, exit 1 --------------------
# Skipped in sanitizer builds: ASan reserves terabytes of address space up front.
if [ -z "${ASAN_OPTIONS:-}" ]; then
  d="$tmp/oom"
  err=$( (ulimit -v 120000; exec "$bin" run --maps=full_rehash --workload=insert_growth --n=100M --out="$d") 2>&1 >/dev/null)
  rc=$?
  check "[M-oom] address-space limit: exit 1 (got $rc)" test "$rc" -eq 1
  check "[M-oom] address-space limit: 'out of memory' reported" grep -q "rehashlab: out of memory" <<<"$err"
  check "[M-oom] address-space limit: run failed, results intact" results_intact "$d"
  check "[M-oom] address-space limit: manifest says failed" test "$(manifest_field "$d" 'm["status"]')" = failed
else
  echo "skip [M-oom] (sanitizer build)"
fi

# --- SIGINT / SIGTERM / SIGKILL in the middle of a suite --------------------------
# The suite runs in its own session (setsid) so that a group signal reaches the
# parent and its current child, as Ctrl-C in a terminal does.
interrupt_suite() {  # interrupt_suite SIG GROUP(0|1) DIR -> sets rc, err
  local sig="$1" group="$2" d="$3" pid n i
  rm -rf "$d"
  setsid "$bin" suite --name=smoke --out="$d" 2>"$d.err" &
  pid=$!
  for i in $(seq 300); do
    n=$(ls "$d" 2>/dev/null | grep -c '\.json$')
    [ "$n" -ge 3 ] && break  # manifest + two results
    sleep 0.05
  done
  if [ "$group" = 1 ]; then kill -s "$sig" -- "-$pid"; else kill -s "$sig" "$pid"; fi
  wait "$pid"; rc=$?
  err=$(cat "$d.err")
}
for sig in INT TERM; do
  for group in 0 1; do
    d="$tmp/sig_${sig}_$group"
    interrupt_suite "$sig" "$group" "$d"
    what="SIG$sig to $([ "$group" = 1 ] && echo "the process group" || echo "the parent")"
    check "[S-$sig] $what: exit 130 (got $rc)" test "$rc" -eq 130
    check "[S-$sig] $what: says interrupted" grep -q "^interrupted: [0-9]*/[0-9]* runs ok" <<<"$err"
    check "[S-$sig] $what: says what was not run" grep -q 'not run: [0-9]* (listed in manifest.json "not_run")' <<<"$err"
    # The parent removes the *.tmp.PID files of a child stopped inside a write.
    check "[S-$sig] $what: results valid, no temporary file left" results_intact "$d"
    check "[S-$sig] $what: manifest status interrupted" test "$(manifest_field "$d" 'm["status"]')" = interrupted
    check "[S-$sig] $what: manifest lists unrun runs" test "$(manifest_field "$d" 'len(m["not_run"]) > 0')" = True
    # Every run the manifest calls ok has its result file, and conversely (a child
    # stopped after writing its result still completed its run).
    check "[S-$sig] $what: ok runs have their results" test "$(manifest_field "$d" \
      'all(__import__("os").path.exists(sys.argv[1]+"/"+r["run_id"]+".json") for r in m["runs"] if r["status"]=="ok")')" = True
    check "[S-$sig] $what: every result file is an ok run" test "$(manifest_field "$d" \
      '{r["run_id"]+".json" for r in m["runs"] if r["status"]=="ok"} == {f for f in __import__("os").listdir(sys.argv[1]) if f.endswith(".json") and f not in ("manifest.json", "aggregate.json")}')" = True
  done
done
d="$tmp/sig_KILL"
interrupt_suite KILL 1 "$d"
check "[S-KILL] SIGKILL: killed (got $rc)" test "$rc" -eq 137
check "[S-KILL] SIGKILL: finished results and manifest stay valid JSON" json_valid "$d"
check "[S-KILL] SIGKILL: manifest still says running" test "$(manifest_field "$d" 'm["status"]')" = running
# SIGKILL of the parent alone: its run-one child dies with it (PR_SET_PDEATHSIG)
# instead of running on and writing into the directory.
d="$tmp/sig_KILL_parent"
interrupt_suite KILL 0 "$d"
check "[S-KILL] SIGKILL of the parent: killed (got $rc)" test "$rc" -eq 137
sleep 0.5
check "[S-KILL] SIGKILL of the parent: no run-one child survives" \
  test -z "$(pgrep -f -- "run-one .*--out=$d" || true)"
check "[S-KILL] SIGKILL of the parent: manifest stays valid JSON" json_valid "$d"
# A later run into the same directory removes temporary files the killed child left.
touch "$d/stale.json.tmp.999999"
R run --maps=full_rehash --workload=insert_growth --n=1000 --out="$d" 2>/dev/null
check "[S-KILL] a later run removes a dead process's temporary files" test ! -e "$d/stale.json.tmp.999999"

rm -rf "$tmp"
exit $fail
