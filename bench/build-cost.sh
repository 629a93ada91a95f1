#!/usr/bin/env bash
# Measures what the `publish` feature (AWS SDK) adds to a cold build.
#
#   bench/build-cost.sh [debug|release] [TARGET_DIR]
#
# Builds into a fresh TARGET_DIR (default: a new temp folder): first without default features
# (everything but the SDK), then with them, so the second build's time is what the SDK adds.
# Prints wall and CPU seconds of each step; `--timings` HTML reports are left in TARGET_DIR/cargo-timings.
set -euo pipefail
mode="${1:-debug}"
target="${2:-$(mktemp -d)}"
cd "$(dirname "$0")/.."
flags=()
[ "$mode" = release ] && flags=(--release)
mkdir -p "$target"
export CARGO_TARGET_DIR="$target"
step() {
    local name="$1"; shift
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$target/time.txt" cargo build "${flags[@]}" --timings "$@" >/dev/null 2>"$target/$name.log" \
        || { tail -n 30 "$target/$name.log"; exit 1; }
    end=$(date +%s.%N)
    read -r user sys <"$target/time.txt"
    printf '%-28s wall %6.1f s   cpu %6.1f s   (load %s)\n' "$mode $name" \
        "$(echo "$end - $start" | bc)" "$(echo "$user + $sys" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
step no-default-features --no-default-features
step +publish
