#!/usr/bin/env bash
# One command from benchmarks to paper:
#   bazel run //:reproduce                         quick suite -> results/latest/, figures, paper
#   bazel run //:reproduce -- --full               paper suite (N up to 20M; 687 s in the reference run)
#   bazel run //:reproduce -- --results=results/reference   no run: figures + paper from existing results
# Flags:
#   --full              run the `paper` suite instead of `quick`
#   --out=DIR           where a run writes its results (default results/latest; a previous
#                       results set there is moved to DIR.prev first)
#   --results=DIR       do not run anything; regenerate from DIR
#   --suite-args="..."  extra flags for `rehashlab suite` (e.g. --maps=full_rehash,go_incremental)
#   --no-paper          skip the PDF
# Steps: suite (unless --results) -> figures (DIR/figures/*.png|pdf, tables.md) ->
# paper/generated/*.tex (macros, table, claims) -> scripts/check_claims.py ->
# latexmk -> paper/paper.pdf. Relative DIRs are relative to the workspace root.
# Exit status: 0 all done and every claim holds; 1 a claim does not hold or a step
# failed (everything that could be produced still is); 2 bad usage or malformed results.
# For the default quick run, the claims (sized for the paper suite) are reported for
# the fresh results but decided on the committed results/reference.
set -uo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

suite=quick out="" results="" suite_args="" want_paper=1
for arg in "$@"; do
  case "$arg" in
    --full) suite=paper ;;
    --out=*) out="${arg#--out=}" ;;
    --results=*) results="${arg#--results=}" ;;
    --suite-args=*) suite_args="${arg#--suite-args=}" ;;
    --no-paper) want_paper=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "reproduce: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "$results" && ( -n "$out" || "$suite" == paper || -n "$suite_args" ) ]]; then
  echo "reproduce: --results=DIR regenerates from existing results; it cannot be combined with --full/--out/--suite-args" >&2
  exit 2
fi

# Where things are: under `bazel run` the scripts and the harness binary are runfiles
# and the source tree is $BUILD_WORKSPACE_DIRECTORY; run directly, both are this checkout.
self_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runfiles=""
for cand in "${RUNFILES_DIR:-}/rehashlab" "$0.runfiles/rehashlab" "$PWD"; do
  if [[ -f "$cand/scripts/figures.py" ]]; then runfiles="$cand"; break; fi
done
[[ -n "$runfiles" ]] || runfiles="$(cd "$self_dir/.." && pwd)"
workspace="${BUILD_WORKSPACE_DIRECTORY:-$(cd "$self_dir/.." && pwd)}"
scripts="$runfiles/scripts"
rehashlab="${REHASHLAB_BIN:-$runfiles/harness/rehashlab}"

python=/usr/bin/python3
[[ -x "$python" ]] || python="$(command -v python3)"
# figures.py re-executes itself under a Python that has matplotlib if this one has not.

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$workspace/$1" ;; esac; }

status=0
note() { echo "reproduce: $*" >&2; }

if [[ -z "$results" ]]; then
  [[ -x "$rehashlab" ]] || { note "harness binary not found at $rehashlab (run through 'bazel run //:reproduce', or set REHASHLAB_BIN)"; exit 2; }
  dir="$(abspath "${out:-results/latest}")"
  if [[ -e "$dir" ]]; then
    rm -rf "$dir.prev" && mv "$dir" "$dir.prev" && note "previous results moved to $dir.prev"
  fi
  mkdir -p "$(dirname "$dir")"
  note "running the '$suite' suite into $dir"
  # shellcheck disable=SC2086
  "$rehashlab" suite --name="$suite" --out="$dir" $suite_args
  rc=$?
  if [[ $rc -ne 0 ]]; then
    note "suite exited with status $rc; continuing with whatever results it wrote"
    status=1
    [[ -f "$dir/manifest.json" ]] || { note "no manifest.json in $dir: nothing to plot"; exit 1; }
  fi
else
  dir="$(abspath "$results")"
  [[ -d "$dir" ]] || { note "results directory $dir does not exist"; exit 2; }
fi

generated="$workspace/paper/generated"
figures="$dir/figures"
mkdir -p "$generated" "$figures"

note "figures -> $figures"
"$python" "$scripts/figures.py" "$dir" --out="$figures"
rc=$?
case $rc in 0) ;; 2) exit 2 ;; *) status=1 ;; esac

note "macros and tables -> $generated"
"$python" "$scripts/paper_data.py" "$dir" --out="$generated" --figures="$figures" --markdown="$figures/tables.md" >/dev/null
rc=$?
case $rc in 0) ;; 2) exit 2 ;; *) status=1 ;; esac

note "checking the paper's claims against $dir"
"$python" "$scripts/check_claims.py" "$dir" --tex="$generated/claims.tex"
claims_rc=$?
quick_run=0
[[ -z "$results" && "$suite" == quick ]] && quick_run=1
case $claims_rc in
  0) ;;
  2) exit 2 ;;
  *)
    if [[ $quick_run -eq 1 ]]; then
      # The claims are sized for the paper suite (N up to 20M): at the quick suite's
      # N the spikes are smaller and several thresholds cannot be met. Informational.
      note "some claims do not hold on this quick run (they are sized for the paper suite); the PDF marks them"
    else
      status=1; note "some claims do not hold on these results (see above); the PDF marks them"
    fi ;;
esac
reference="$workspace/results/reference"
if [[ $quick_run -eq 1 && -f "$reference/manifest.json" ]]; then
  note "checking the paper's claims against the committed reference results ($reference)"
  "$python" "$scripts/check_claims.py" "$reference"
  ref_rc=$?
  case $ref_rc in 0) ;; 2) exit 2 ;; *) status=1 ;; esac
fi

pdf=""
if [[ $want_paper -eq 1 ]]; then
  if command -v latexmk >/dev/null && command -v pdflatex >/dev/null; then
    note "building the paper with latexmk"
    # The PDF is dated when its results were recorded (manifest "started"), not when
    # it was built, so the same results give the same PDF (pdfTeX reads these).
    started=$("$python" -c 'import json,sys,datetime; print(int(datetime.datetime.strptime(json.load(open(sys.argv[1]))["started"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$dir/manifest.json" 2>/dev/null) || started=""
    if [[ -n "$started" ]]; then export SOURCE_DATE_EPOCH=$started FORCE_SOURCE_DATE=1; fi
    if (cd "$workspace/paper" && latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=build paper.tex >build.log 2>&1); then
      cp "$workspace/paper/build/paper.pdf" "$workspace/paper/paper.pdf" && pdf="$workspace/paper/paper.pdf"
    else
      note "latexmk failed; last lines of paper/build.log:"; tail -n 25 "$workspace/paper/build.log" >&2
      status=1
    fi
  else
    note "LaTeX is not installed (latexmk/pdflatex not found): figures and tables were produced, the PDF was not."
    note "install it with: scripts/setup.sh  (or apt-get install latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-science)"
  fi
fi

echo
echo "results:  $dir"
echo "figures:  $figures/*.png (README), *.pdf (paper); table: $figures/tables.md"
echo "macros:   $generated/{macros,claims,table_insert_growth,paths}.tex"
echo "paper:    ${pdf:-not built}"
echo "claims:   $([[ $claims_rc -eq 0 ]] && echo 'all hold' || echo 'NOT all hold (see above)') on $dir"
[[ -n "${ref_rc:-}" ]] && echo "          $([[ $ref_rc -eq 0 ]] && echo 'all hold' || echo 'NOT all hold') on the committed reference ($reference)"
exit $status
