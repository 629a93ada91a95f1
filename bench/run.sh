#!/usr/bin/env bash
# Benchmarks full builds of notesite against Hugo and mdBook on corpora made from ../shared/corpus.
#
#   bench/run.sh [CORPUS...]        corpora: 1k 10k 50k shots (default: 1k 10k shots)
#
# Environment:
#   SCRATCH   where corpora and outputs go (default /tmp/notesite-bench; never inside the repository)
#   CORPUS    the source corpus (default: ../shared/corpus beside the repository)
#   NOTESITE  a notesite binary to use instead of building one (cargo build --release)
#   RUNS, RUNS_50K, TOOLS, TIMEOUT   see bench/bench.py
# Peers that are not installed are skipped with a line saying so (apt-get install -y hugo;
# cargo install mdbook --locked). Needs python3, /usr/bin/time (apt time) and, for the screenshot
# corpus, ImageMagick's /usr/bin/convert (apt imagemagick).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=${SCRATCH:-/tmp/notesite-bench}
corpus=${CORPUS:-$repo/../shared/corpus}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
case "$scratch/" in "$repo"/*)
  echo "run.sh: SCRATCH must be outside the repository" >&2; exit 2 ;;
esac
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }
[ -d "$corpus" ] || { echo "run.sh: no corpus at $corpus (set CORPUS)" >&2; exit 2; }
if [ $# -eq 0 ]; then set -- 1k 10k shots; fi

if [ -z "${NOTESITE:-}" ]; then
  (cd "$repo" && cargo build --release --locked --quiet)
  target=${CARGO_TARGET_DIR:-$repo/target}
  mkdir -p "$scratch/bin"
  # A copy: a shared target folder may be rebuilt from another worktree while the benchmark runs.
  cp "$target/release/notesite" "$scratch/bin/notesite"
  NOTESITE=$scratch/bin/notesite
fi

python3 "$repo/bench/prepare.py" "$scratch" "$corpus" "$@"
python3 "$repo/bench/bench.py" "$scratch" "$NOTESITE" "$@"
