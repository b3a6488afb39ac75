#!/bin/sh
# report.sh BUILD_DIR OUT_DIR: `smallpond report` as a user sees it. Runs
# a SQL query with a join and a GROUP BY on generated data, with injected
# failures (retries) and a slow task (a speculative duplicate, whose loser
# is "lost"), writes its report and renders it in headless Chromium. The
# rendered page must have one timeline bar per row of log/tasks.csv (as
# many of each outcome), one graph node per node of plan.json, nothing
# fetched from anywhere; the screenshot stays in OUT_DIR/report.png. Then
# bad input: a folder that is not a job, a tasks.csv with garbage rows (left
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

"$sp" run --workers 2 --quiet --from-sql \
  "SELECT i AS order_id, i % 500 AS customer_id,
          (hash(i) % 10000) / 100.0 AS amount FROM range(200000) t(i)" \
  --repartition 4 --by-rows --write-parquet "$tmp/orders" >/dev/null
"$sp" run --workers 1 --quiet --from-sql \
  "SELECT i AS customer_id, 'region_' || (i % 7) AS region
   FROM range(500) t(i)" --write-parquet "$tmp/customers" >/dev/null

# Injected faults are placed by a hash of the task: the same every run.
SP_FAULT_INJECTION=0.1 SP_FAULT_SLOW=2:3000 \
  "$sp" sql --quiet --workers 3 --job-id q --partitions 4 \
  --broadcast-mib 0 \
  --table orders="$tmp/orders/*.parquet" \
  --table customers="$tmp/customers/*.parquet" \
  "SELECT c.region, count(*) AS n, sum(o.amount) AS total
   FROM orders o JOIN customers c ON o.customer_id = c.customer_id
   GROUP BY c.region ORDER BY c.region" >"$tmp/sql.out" ||
  fail "the query failed: $(cat "$tmp/sql.out")"
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

# Not a job: said so, nothing written.
if "$sp" report "$tmp/orders" -o "$tmp/no.html" 2>"$tmp/err"; then
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
