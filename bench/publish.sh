#!/usr/bin/env bash
# Benchmark: `notesite publish` against `aws s3 sync --delete` on a 1,000-file site, same loopback
# s3s-fs server (examples/s3s_server.rs), same run. Not a test: prints medians and ratios.
#
#   bench/publish.sh [RUNS]          # RUNS per scenario (default 5)
#
# Scenarios (each tool gets its own prefix, so they never see each other's objects):
#   first    publish into an empty prefix (a fresh prefix every run)
#   noop     publish again, nothing changed
#   rebuild  every file rewritten with identical bytes and a new mtime, then publish
#
# Needs: the AWS CLI (Debian's v2 at /usr/bin/aws unless AWS_CLI is set), python3, and cargo.
# Builds `notesite` and the example server in release.
# Everything stays on 127.0.0.1.
set -euo pipefail
runs="${1:-5}"
cd "$(dirname "$0")/.."
repo=$(pwd)
aws_cli="${AWS_CLI:-/usr/bin/aws}"
[ -x "$aws_cli" ] || aws_cli=aws
target="${CARGO_TARGET_DIR:-$repo/target}"

cargo build --release --quiet
cargo build --release --example s3s_server --quiet
notesite="$target/release/notesite"
server_bin="$target/release/examples/s3s_server"

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$server_bin" "$work/s3" 0 AKBENCH bench-secret >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/server.out")
[ -n "$endpoint" ] || { echo "server did not start"; cat "$work/server.out"; exit 1; }

# Isolated AWS environment: test keys, no profiles, no IMDS.
export AWS_ACCESS_KEY_ID=AKBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1 \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN
"$aws_cli" s3api create-bucket --bucket bench --endpoint-url "$endpoint" >/dev/null

# The site: 8 files at the top, 992 under docs/d0..d9; HTML, CSS, JS and PNG-like bytes, 25 B to 8 KB.
site="$work/site"
python3 - "$site/public" <<'EOF'
import os, random, sys
out = sys.argv[1]
rnd = random.Random(42)
words = "bucket policy region object prefix website endpoint index error cache".split()
paths = [f"top{i}.html" for i in range(6)] + ["assets/style.0123456789.css", "assets/app.abcdef0123.js"]
paths += [f"docs/d{i % 10}/page{i:04}.html" if i % 4 else f"docs/d{i % 10}/img{i:04}.a1b2c3d4e5.png" for i in range(992)]
for p in paths:
    full = os.path.join(out, p)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    size = rnd.randint(25, 8000)
    if p.endswith(".png"):
        data = b"\x89PNG\r\n\x1a\n" + bytes(rnd.getrandbits(8) for _ in range(size))
    else:
        data = " ".join(rnd.choice(words) for _ in range(size // 6)).encode()
    with open(full, "wb") as f:
        f.write(data)
EOF
echo 'title = "bench"' >"$site/notesite.toml"
files=$(find "$site/public" -type f | wc -l)
bytes=$(du -sb "$site/public" | cut -f1)
echo "site: $files files, $bytes bytes; server $endpoint; $("$aws_cli" --version 2>&1 | cut -d' ' -f1); load $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
# time_it NAME CMD... : appends the wall seconds of CMD to $work/NAME.times
time_it() {
    local name="$1"; shift
    local start end
    start=$(now)
    "$@" >"$work/last.out" 2>&1 || { echo "failed: $*"; tail -n 20 "$work/last.out"; exit 1; }
    end=$(now)
    echo "$end - $start" | bc >>"$work/$name.times"
}
median() { sort -n "$work/$1.times" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
uploads_notesite() { grep -o '"uploaded":[0-9]*' "$work/last.out" | cut -d: -f2; }
uploads_aws() { grep -c '^upload:' "$work/last.out" || true; }

ns() { "$notesite" publish --root "$site" --no-build --bucket bench --prefix "$1" --endpoint-url "$endpoint" --delete --json; }
cli() { "$aws_cli" s3 sync "$site/public" "s3://bench/$1" --delete --endpoint-url "$endpoint" --no-progress --only-show-errors; }
cli_verbose() { "$aws_cli" s3 sync "$site/public" "s3://bench/$1" --delete --endpoint-url "$endpoint" --no-progress; }
touch_all() { find "$site/public" -type f -exec sh -c 'for f; do cp -p "$f" "$f.tmp"; mv "$f.tmp" "$f"; touch "$f"; done' _ {} +; }

for run in $(seq 1 "$runs"); do
    time_it notesite_first ns "ns-$run/"
    time_it notesite_noop ns "ns-$run/"
    n_noop=$(uploads_notesite)
    time_it cli_first cli "cli-$run/"
    time_it cli_noop cli "cli-$run/"
    sleep 1.1   # mtimes must move past the remote LastModified for the CLI to notice
    touch_all
    time_it notesite_rebuild ns "ns-$run/"
    n_rebuild=$(uploads_notesite)
    time_it cli_rebuild cli_verbose "cli-$run/"
    c_rebuild=$(uploads_aws)
    echo "run $run: notesite no-op uploads $n_noop, rebuild uploads $n_rebuild; aws s3 sync rebuild uploads $c_rebuild"
done

printf '\n%-10s %12s %14s %8s\n' scenario "notesite s" "aws s3 sync s" ratio
for s in first noop rebuild; do
    a=$(median "notesite_$s"); b=$(median "cli_$s")
    printf '%-10s %12s %14s %7.1fx\n' "$s" "$a" "$b" "$(echo "$b / $a" | bc -l)"
done
echo "(medians of $runs runs; ratio = aws s3 sync time / notesite time; load now $(cut -d' ' -f1-3 /proc/loadavg))"
