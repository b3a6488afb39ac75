#!/bin/sh
# report.sh BUILD_DIR OUT_DIR: `smallpond report` as a user sees it. Runs
# a pipeline of several stages on generated rows, with injected failures
# (retries) and slow tasks (speculative duplicates, whose losers are
# "lost"), writes its report and renders it in headless Chromium. The
# rendered page must have one timeline bar per row of log/tasks.csv (as
# many of each outcome), one graph node per node of plan.json, nothing
# fetched from anywhere; the screenshot stays in OUT_DIR/report.png. Then
# a failed job, and bad input: a folder that is not a job, a tasks.csv with garbage rows (left
# out and counted), a plan.json of an older version (an error, nothing
# written). Exits 77 (skipped) when there is no Chromium.
set -eu
build=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
sp="$build/bin/smallpond"
fail() { echo "report.sh: $*" >&2; exit 1; }

chrome=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then chrome=$c; break; fi
done
if [ -z "$chrome" ]; then
  echo "report.sh: SKIPPED: no chromium (scripts/bootstrap.sh installs it)"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-report-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SP_DATA_ROOT="$tmp/root"
rm -f "$out"/report.png "$out"/report.html

# Chromium, headless, with its profile in tmp; DOM or screenshot of $1.
render() {
  timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
    --hide-scrollbars --user-data-dir="$tmp/chrome" "$@" \
    2>>"$tmp/chrome.log"
}

# How many times the pattern $1 occurs in the file $2.
occurs() { grep -o "$1" "$2" | wc -l | tr -d ' '; }

# A pipeline of several stages over generated rows. Its task keys hash
# only its definition, so the injected faults (placed by a hash of key and
# attempt) are the same on every machine: at 35% three attempts are
# retried and the job succeeds, at 60% a task fails four times and so does
# the job. The slow first attempts of partition 1 get speculative
# duplicates, and the slow ones are then "lost".
pipeline() {
  "$sp" run --quiet --workers 3 --job-id "$1" --from-sql \
    "SELECT i AS order_id, 'region_' || (i % 500 % 7) AS region,
            (hash(i) % 10000) / 100.0 AS amount FROM range(200000) t(i)" \
    --repartition 4 --by-rows \
    --sql 'SELECT region, count(*) AS n, sum(amount) AS total
           FROM {0} GROUP BY region' \
    --repartition 3 --hash-by region \
    --sql 'SELECT region, sum(n) AS n, sum(total) AS total
           FROM {0} GROUP BY region ORDER BY region' --take-all
}
SP_FAULT_INJECTION=0.35 SP_FAULT_SLOW=1:3000 pipeline q >"$tmp/run.out" 2>&1 ||
  fail "the job failed: $(cat "$tmp/run.out")"
job="$SP_DATA_ROOT/q"
csv="$job/log/tasks.csv"
grep -q ',retry,' "$csv" || fail "no retried attempt in $csv: nothing to mark"

(cd "$tmp" && "$sp" report q >"$tmp/report.out") ||
  fail "smallpond report q failed"
grep -q "wrote report-q.html" "$tmp/report.out" ||
  fail "report says: $(cat "$tmp/report.out")"
"$sp" report "$job" -o "$out/report.html" >/dev/null
grep -q 'class="node"' "$tmp/report-q.html" || fail "report-q.html has no plan"

# Self-contained: no URL, no script, nothing to fetch.
if grep -Eq '://|<script|<link|<img|<iframe|@import' "$out/report.html"; then
  fail "report.html refers to something outside it"
fi

render --dump-dom "file://$out/report.html" >"$tmp/dom.html"
rows=$(($(wc -l <"$csv") - 1))
bars=$(occurs 'class="attempt[ "]' "$tmp/dom.html")
[ "$rows" -gt 0 ] && [ "$bars" -eq "$rows" ] ||
  fail "$bars timeline bars for $rows rows of tasks.csv"
for outcome in ok retry failed lost; do
  want=$(occurs ",$outcome," "$csv")
  got=$(occurs "class=\"attempt $outcome" "$tmp/dom.html")
  [ "$got" -eq "$want" ] ||
    fail "$got bars marked $outcome for $want such rows of tasks.csv"
done
if grep -q ',lost,' "$csv"; then
  grep -q 'class="attempt [a-z]* speculative"' "$tmp/dom.html" ||
    fail "a duplicate won but no attempt is marked speculative"
fi
nodes=$(occurs '"id": ' "$job/plan.json")
drawn=$(occurs 'class="node"' "$tmp/dom.html")
[ "$nodes" -gt 3 ] && [ "$drawn" -eq "$nodes" ] ||
  fail "$drawn graph nodes for $nodes nodes of plan.json"
render --window-size=1400,1400 --screenshot="$out/report.png" \
  "file://$out/report.html" >/dev/null
[ -s "$out/report.png" ] || fail "no screenshot"

# A failed job is reported as well, its failed attempt marked.
if SP_FAULT_INJECTION=0.6 pipeline failing >"$tmp/run.out" 2>&1; then
  fail "the job meant to fail succeeded"
fi
"$sp" report failing -o "$tmp/failing.html" >/dev/null ||
  fail "report on a failed job failed"
fcsv="$SP_DATA_ROOT/failing/log/tasks.csv"
[ "$(occurs 'class="attempt[ "]' "$tmp/failing.html")" -eq \
  "$(($(wc -l <"$fcsv") - 1))" ] || fail "failed job: a bar per row"
[ "$(occurs 'class="attempt failed' "$tmp/failing.html")" -eq \
  "$(occurs ',failed,' "$fcsv")" ] && grep -q ',failed,' "$fcsv" ||
  fail "failed job: its failed attempt is not marked"
grep -q 'state: <b>failure</b>' "$tmp/failing.html" ||
  fail "failed job: its state is not said"

# Not a job: said so, nothing written.
if "$sp" report "$tmp" -o "$tmp/no.html" 2>"$tmp/err"; then
  fail "report on a folder that is not a job succeeded"
fi
grep -q "not a smallpond job folder" "$tmp/err" || fail "$(cat "$tmp/err")"
[ ! -e "$tmp/no.html" ] || fail "a report was written for a non-job"

# Garbage rows in tasks.csv (and a cut last line): left out and counted.
cp -r "$job" "$tmp/garbage"
printf 'garbage\n\001\377,1,2\n"open quote,\nk,1,sql,0,1,0,yesterday\n' \
  >>"$tmp/garbage/log/tasks.csv"
printf 'cut,5,sql,0,1,0,2026-12-02T14:1' >>"$tmp/garbage/log/tasks.csv"
"$sp" report "$tmp/garbage" -o "$tmp/garbage.html" >/dev/null ||
  fail "report on a tasks.csv with garbage rows failed"
[ "$(occurs 'class="attempt[ "]' "$tmp/garbage.html")" -eq "$rows" ] ||
  fail "garbage rows drawn as attempts"
grep -Eq '[0-9]+ rows of log/tasks.csv could not be read' \
  "$tmp/garbage.html" || fail "the skipped rows are not said"

# A plan.json of an older version (no version field): an error naming it.
cp -r "$job" "$tmp/old"
grep -v '"version"' "$job/plan.json" >"$tmp/old/plan.json"
if "$sp" report "$tmp/old" -o "$tmp/old.html" 2>"$tmp/err"; then
  fail "report on an older plan.json succeeded"
fi
grep -q "older smallpond" "$tmp/err" || fail "$(cat "$tmp/err")"
[ ! -e "$tmp/old.html" ] || fail "a report was written for an older plan"
echo "report.sh: $bars bars, $drawn nodes; screenshot $out/report.png"
