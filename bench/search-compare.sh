#!/usr/bin/env bash
# Search benchmark: builds the AWS docs corpus (../shared/corpus, 1,021 pages) replicated to 1,000 and
# 10,000 notes with notesite, mdBook and Pagefind, and prints side by side: index bytes on disk and the
# bytes a cold first query transfers (raw, and gzipped as a compressing server would send them).
#
# Usage: bench/search-compare.sh [sizes...]      (default: 1000 10000)
# Env:   CORPUS (default ../shared/corpus), WORK (default bench-out/search), NOTESITE (binary; default:
#        cargo build --release), MDBOOK (default: mdbook on PATH), PAGEFIND (default: pagefind on PATH or
#        in $PAGEFIND_DIR/node_modules/.bin). A missing peer is skipped with a line saying so.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS:-$here/../shared/corpus}
work=${WORK:-$here/bench-out/search}
sizes=("${@:-1000}")
[ $# -eq 0 ] && sizes=(1000 10000)
queries=(bucket "access point" s3:PutObject lifecycle policy encryption)
mkdir -p "$work"

if [ -z "${NOTESITE:-}" ]; then
  (cd "$here" && cargo build --release --quiet)
  NOTESITE=${CARGO_TARGET_DIR:-$here/target}/release/notesite
fi
MDBOOK=${MDBOOK:-$(command -v mdbook || true)}
PAGEFIND=${PAGEFIND:-$(command -v pagefind || ls "${PAGEFIND_DIR:-/nonexistent}"/node_modules/.bin/pagefind 2>/dev/null || true)}

gz() { gzip -9 -c "$1" | wc -c; }
# Replicates the corpus into $1/notes/copyK/<guide>/ until $2 notes; licences go beside each copy.
prepare() {
  [ -f "$1/.ready" ] && return
  rm -rf "$1" && mkdir -p "$1/notes"
  printf 'title = "Corpus %s"\n' "$2" > "$1/notesite.toml"
  python3 - "$corpus" "$1/notes" "$2" <<'PY'
import glob, os, shutil, sys
corpus, dest, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
have, k = 0, 0
while have < want:
    for guide in ("iam-user-guide", "amazon-s3-userguide"):
        out = os.path.join(dest, f"copy{k}", guide)
        os.makedirs(out, exist_ok=True)
        for lic in glob.glob(os.path.join(corpus, guide, "LICENSE*")):
            shutil.copy(lic, out)
        for page in sorted(glob.glob(os.path.join(corpus, guide, "doc_source", "*.md"))):
            if have >= want:
                break
            shutil.copy(page, out)
            have += 1
    k += 1
PY
  touch "$1/.ready"
}

for n in "${sizes[@]}"; do
  site="$work/corpus-$n"
  prepare "$site" "$n"
  echo "== $n notes =="
  # notesite
  out="$work/notesite-$n"
  # The summary line is "Built N notes into DIR in T ms: … (scan … · write … ms)": keep T and the stages.
  line=$("$NOTESITE" build --force --root "$site" --out "$out" 2>&1 | tail -1)
  total=$(sed -n 's/.* in \([0-9.]* m\?s\): .*/\1/p' <<<"$line")
  stages=${line##*(}
  echo "notesite: build ${total:-?} (${stages%)})"
  node "$here/bench/search-cold.cjs" notesite "$out" "${queries[@]}"
  # mdBook: one chapter per note, search on (its default).
  if [ -n "$MDBOOK" ]; then
    book="$work/mdbook-$n"
    rm -rf "$book" && mkdir -p "$book/src"
    printf '[book]\ntitle = "Corpus"\n[output.html.search]\nenable = true\n' > "$book/book.toml"
    (cd "$site/notes" && find . -name '*.md' | sort | while read -r f; do
      printf -- '- [%s](%s)\n' "$(basename "$f" .md)" "${f#./}"; done) > "$book/src/SUMMARY.md"
    cp -r "$site/notes/." "$book/src/"
    start=$(date +%s.%N)
    "$MDBOOK" build "$book" -d "$book/out" >/dev/null 2>&1
    echo "mdbook: build $(echo "$(date +%s.%N) - $start" | bc) s (whole book)"
    node "$here/bench/search-cold.cjs" mdbook "$book/out" "${queries[@]}"
  else
    echo "mdbook: SKIPPED (not installed: cargo install mdbook)"
  fi
  # Pagefind over notesite's HTML (the note content only, as its docs recommend).
  if [ -n "$PAGEFIND" ]; then
    start=$(date +%s.%N)
    "$PAGEFIND" --site "$out" --root-selector main --output-subdir pagefind >/dev/null
    echo "pagefind: index $(echo "$(date +%s.%N) - $start" | bc) s"
    node "$here/bench/search-cold.cjs" pagefind "$out/pagefind" "${queries[@]}"
  else
    echo "pagefind: SKIPPED (not installed: npm install pagefind, then PAGEFIND_DIR=that folder)"
  fi
done
