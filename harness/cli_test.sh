#!/usr/bin/env bash
# The CLI contract of issue 2, checked from outside: `list`, `replay` with the
# example traces' expected checksums for every map, and the documented errors.
set -u
bin="$1"
testdata="$2"
fail=0
check() {  # check DESCRIPTION CONDITION...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

maps=$("$bin" list)
check "list prints at least 6 maps" test "$(echo "$maps" | wc -l)" -ge 6
check "list includes full_rehash" grep -qx full_rehash <<<"$maps"

while read -r file sum size ops; do
  for m in $maps; do
    out=$("$bin" replay --map="$m" --trace="$testdata/$file")
    check "$m $file checksum" grep -q "\"checksum\":\"$sum\"" <<<"$out"
    check "$m $file size" grep -q "\"size\":${size#size=}[,}]" <<<"$out"
    check "$m $file ops" grep -q "\"ops\":${ops#ops=}[,}]" <<<"$out"
    check "$m $file map" grep -q "\"map\":\"$m\"" <<<"$out"
  done
done <"$testdata/EXPECTED"

tmp=$(mktemp -d)
printf 'I 1 2\nF 1\nQ 3\n' >"$tmp/bad.trace"
err=$("$bin" replay --map=full_rehash --trace="$tmp/bad.trace" 2>&1 >/dev/null); rc=$?
check "malformed trace exits 2" test "$rc" -eq 2
check "malformed trace names file:line" grep -q "$tmp/bad.trace:3: unknown operation 'Q'" <<<"$err"

err=$("$bin" replay --map=no_such_map --trace="$testdata/example-grow.trace" 2>&1 >/dev/null); rc=$?
check "unknown map exits 2" test "$rc" -eq 2
check "unknown map lists valid names" grep -q "valid maps: .*full_rehash" <<<"$err"

err=$("$bin" replay --map=full_rehash --trace="$tmp/missing.trace" 2>&1 >/dev/null); rc=$?
check "missing trace exits 2" test "$rc" -eq 2
check "missing trace says so" grep -q "missing.trace: cannot open trace file" <<<"$err"

"$bin" replay --map=full_rehash --trace="$testdata/example-grow.trace" --bogus=1 >/dev/null 2>&1; rc=$?
check "unknown flag exits 2" test "$rc" -eq 2
"$bin" frobnicate >/dev/null 2>&1; rc=$?
check "unknown verb exits 2" test "$rc" -eq 2
rm -rf "$tmp"
exit $fail
