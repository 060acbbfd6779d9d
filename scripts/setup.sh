#!/usr/bin/env bash
# Installs what rehashlab needs on Debian 12, from Debian's packages only
# (offline-safe: Bazel never downloads anything; see DEVELOPERS.md). Idempotent:
# packages already installed are not touched, and apt-get update runs only when
# something is missing.
#   scripts/setup.sh             build + test + figures + paper (LaTeX)
#   scripts/setup.sh --no-latex  build + test + figures (what CI uses)
set -euo pipefail

want_latex=1
for arg in "$@"; do
  case "$arg" in
    --no-latex) want_latex=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (valid: --no-latex)" >&2; exit 2 ;;
  esac
done

packages=(
  bazel-bootstrap bazel-rules-java g++
  libbenchmark-dev libgtest-dev libboost1.81-dev robin-map-dev libabsl-dev
  libcli11-dev nlohmann-json3-dev
  golang-go
  python3 python3-matplotlib python3-numpy
  clang-14 libclang-rt-14-dev
  libhiredis-dev redis-server
)
if [ "$want_latex" = 1 ]; then
  packages+=(latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra
             texlive-fonts-recommended texlive-science)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
else
  echo "setup.sh: all ${#packages[@]} packages already installed" >&2
fi

# Sanity checks for the traps DEVELOPERS.md describes.
/usr/bin/python3 -c "import matplotlib, numpy" \
  || { echo "setup.sh: /usr/bin/python3 cannot import matplotlib/numpy" >&2; exit 1; }
test -d /usr/share/bazel/rules/java \
  || { echo "setup.sh: /usr/share/bazel/rules/java missing (bazel-rules-java)" >&2; exit 1; }
# The go_runtime peer reads Go 1.19's map layout; Debian 12's golang-go is 1.19.
go version | grep -q "go1\.19" \
  || { echo "setup.sh: 'go version' is not Go 1.19 (the go_runtime peer reads its map layout): $(go version)" >&2; exit 1; }
echo "setup.sh: ready" >&2
