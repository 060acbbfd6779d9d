#!/usr/bin/env bash
# One command from benchmarks to paper:
#   bazel run //:reproduce                        quick suite -> results/latest/ (figures, claims, its own
#                                                 PDF in results/latest/paper/); changes no tracked file
#   bazel run //:reproduce -- --full              paper suite -> results/latest/, archived under
#                                                 results/archive/; if complete it becomes results/reference
#                                                 and the committed paper is rebuilt from it
#   bazel run //:reproduce -- --results=results/reference   no run: rebuild the committed paper
#                                                 (paper/generated/*.tex, paper/paper.pdf) and the
#                                                 reference's figures from the reference results
# Flags:
#   --full              run the `paper` suite instead of `quick`
#   --results=DIR       do not run anything; regenerate from DIR
#   --out=DIR           with a run: where the results go (default results/latest; a previous set there
#                       is moved to DIR.prev). With --results: where figures and the PDF go (default DIR;
#                       results/reference without --out publishes the committed paper)
#   --suite-args="..."  extra flags for `rehashlab suite` (e.g. --reps=5 or --maps=...); a paper-suite
#                       attempt run with them is archived but never becomes the reference
#   --archive=DIR       the attempts archive (default results/archive)
#   --no-paper          skip the PDF
# Outputs of every build that is not the committed paper: OUT/figures/*.png|pdf, tables.md,
# OUT/claims.txt, OUT/paper/{paper.tex,refs.bib,generated/*.tex,paper.pdf} (untracked).
# Relative DIRs are relative to the workspace root.
# Exit status: 0 everything produced and every claim checkable at this scale holds (the quick
# suite: claims sized for the paper suite report NOT CHECKABLE at quick scale and do not count);
# 1 a claim fails or is not checkable, or a step failed (everything that could be produced still
# is); 2 bad usage or malformed results.
set -uo pipefail

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }

suite=quick out="" results="" suite_args="" want_paper=1 archive_arg=""
for arg in "$@"; do
  case "$arg" in
    --full) suite=paper ;;
    --out=*) out="${arg#--out=}" ;;
    --results=*) results="${arg#--results=}" ;;
    --suite-args=*) suite_args="${arg#--suite-args=}" ;;
    --archive=*) archive_arg="${arg#--archive=}" ;;
    --no-paper) want_paper=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "reproduce: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "$results" && ( "$suite" == paper || -n "$suite_args" ) ]]; then
  echo "reproduce: --results=DIR regenerates from existing results; it cannot be combined with --full/--suite-args" >&2
  exit 2
fi

# Where things are: under `bazel run` the scripts, the paper sources and the harness binary
# are runfiles and the source tree is $BUILD_WORKSPACE_DIRECTORY; run directly, both are this
# checkout.
self_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runfiles=""
for cand in "${RUNFILES_DIR:-}/rehashlab" "$0.runfiles/rehashlab" "$PWD"; do
  if [[ -f "$cand/scripts/figures.py" ]]; then runfiles="$cand"; break; fi
done
[[ -n "$runfiles" ]] || runfiles="$(cd "$self_dir/.." && pwd)"
workspace="${BUILD_WORKSPACE_DIRECTORY:-$(cd "$self_dir/.." && pwd)}"
scripts="$runfiles/scripts"
rehashlab="${REHASHLAB_BIN:-$runfiles/harness/rehashlab}"
# The harness looks for the go_runtime peer in its own runfiles, which exist only when
# //harness:rehashlab was built by itself; under //:reproduce the peer is one of this
# script's runfiles, so point the harness at it.
if [[ -z "${REHASHLAB_GO_PEER:-}" && -x "$runfiles/peers/go_runtime/go_runtime" ]]; then
  export REHASHLAB_GO_PEER="$runfiles/peers/go_runtime/go_runtime"
fi
paper_src="$runfiles/paper"
[[ -f "$paper_src/paper.tex" ]] || paper_src="$workspace/paper"
export REHASHLAB_SCHEMA="${REHASHLAB_SCHEMA:-$runfiles/results/schema.json}"
[[ -f "$REHASHLAB_SCHEMA" ]] || REHASHLAB_SCHEMA="$workspace/results/schema.json"

python=/usr/bin/python3
[[ -x "$python" ]] || python="$(command -v python3)"
# figures.py re-executes itself under a Python that has matplotlib if this one has not.

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$workspace/$1" ;; esac; }
realdir() { (cd "$1" 2>/dev/null && pwd -P); }

status=0
note() { echo "reproduce: $*" >&2; }
step() {  # step NAME CMD...: runs a step; exit 2 (malformed) ends everything, else status=1
  local name="$1"; shift
  "$@"
  local rc=$?
  case $rc in 0) ;; 2) note "$name: malformed results or bad usage (exit 2)"; exit 2 ;; *) status=1 ;; esac
  return $rc
}

archive="$(abspath "${archive_arg:-results/archive}")"
reference="$workspace/results/reference"
publish=0

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
  derived="$dir"
  if [[ "$suite" == paper ]]; then
    # Every paper-suite attempt is archived, complete or not, whatever its claims say.
    note "archiving this attempt under $archive"
    attempt_dir=$("$python" "$scripts/archive.py" save "$dir" --archive="$archive" \
                  ${suite_args:+--note="suite args: $suite_args"})
    rc=$?
    [[ $rc -eq 0 ]] || { note "archiving failed (exit $rc)"; status=1; }
    if [[ $rc -eq 0 && -z "$suite_args" ]]; then
      # The latest COMPLETE attempt is the reference (an incomplete one is refused, exit 1).
      "$python" "$scripts/archive.py" promote "$dir" --reference="$reference" --attempt="$(basename "$attempt_dir")"
      case $? in
        0) note "this attempt is now results/reference; rebuilding the committed paper from it"
           dir="$reference"; publish=1 ;;
        1) note "incomplete attempt: archived, not the reference"; status=1 ;;
        *) note "promotion failed"; status=1 ;;
      esac
    fi
  fi
else
  dir="$(abspath "$results")"
  [[ -d "$dir" ]] || { note "results directory $dir does not exist"; exit 2; }
  if [[ -z "$out" && "$(realdir "$dir")" == "$(realdir "$reference" || echo none)" ]]; then
    publish=1
  fi
  derived="$(abspath "${out:-$results}")"
fi

if [[ $publish -eq 1 ]]; then
  figures="$dir/figures" paperdir="$workspace/paper" report="$dir/claims.txt"
else
  figures="$derived/figures" paperdir="$derived/paper" report="$derived/claims.txt"
  mkdir -p "$paperdir"
  cp "$paper_src/paper.tex" "$paper_src/refs.bib" "$paperdir/" || { note "cannot copy the paper sources from $paper_src"; exit 2; }
  chmod u+w "$paperdir/paper.tex" "$paperdir/refs.bib"
fi
generated="$paperdir/generated"
mkdir -p "$generated" "$figures"

note "figures -> $figures"
step figures "$python" "$scripts/figures.py" "$dir" --out="$figures"

note "macros and tables -> $generated"
step paper_data "$python" "$scripts/paper_data.py" "$dir" --out="$generated" --figures="$figures" \
  --markdown="$figures/tables.md" >/dev/null

note "attempts table -> $generated/attempts.tex (from $archive)"
step attempts "$python" "$scripts/archive.py" tex --archive="$archive" --reference="$reference" \
  --out="$generated/attempts.tex" >/dev/null

manifest_suite=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("suite",""))' "$dir/manifest.json" 2>/dev/null)
scale_flag=""
[[ "$manifest_suite" != paper ]] && scale_flag="--scale-exempt"
note "checking the paper's claims against $dir${scale_flag:+ (claims sized for the paper suite do not count at this scale)}"
"$python" "$scripts/check_claims.py" "$dir" --tex="$generated/claims.tex" --report="$report" $scale_flag
claims_rc=$?
case $claims_rc in 0) ;; 2) exit 2 ;; *) status=1 ;; esac

pdf=""
if [[ $want_paper -eq 1 ]]; then
  if command -v latexmk >/dev/null && command -v pdflatex >/dev/null; then
    note "building the paper in $paperdir"
    # The PDF is dated when its results were recorded (manifest "started"), not when
    # it was built, so the same results give the same PDF (pdfTeX reads these).
    started=$("$python" -c 'import json,sys,datetime; print(int(datetime.datetime.strptime(json.load(open(sys.argv[1]))["started"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$dir/manifest.json" 2>/dev/null) || started=""
    if [[ -n "$started" ]]; then export SOURCE_DATE_EPOCH=$started FORCE_SOURCE_DATE=1; fi
    if (cd "$paperdir" && latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=build paper.tex >build.log 2>&1); then
      cp "$paperdir/build/paper.pdf" "$paperdir/paper.pdf" && pdf="$paperdir/paper.pdf"
    else
      note "latexmk failed; last lines of $paperdir/build.log:"; tail -n 25 "$paperdir/build.log" >&2
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
echo "macros:   $generated/{macros,claims,table_insert_growth,paths,attempts}.tex"
echo "paper:    ${pdf:-not built}"
echo "claims:   $([[ $claims_rc -eq 0 ]] && echo 'every claim checkable at this scale holds' || echo 'NOT all hold (see above)') on $dir (report: $report)"
exit $status
