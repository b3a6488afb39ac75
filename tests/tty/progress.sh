#!/bin/sh
# The progress display as a person sees it: smallpond runs in a real
# terminal (a tmux pane), whose screen is captured every 0.2 s. A task
# made slow (SP_FAULT_SLOW) holds each stage for 3 s with no task
# finishing: its line must still move (the elapsed time grows, redrawn by
# ticks), and when the job ends every stage is one summary line.
#   progress.sh BIN_DIR
set -eu

bin=$1
if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIPPED: tmux is missing (scripts/bootstrap.sh installs it)"
  exit 77
fi
work=$(mktemp -d)
sock=
trap '[ -z "$sock" ] || tmux -L "$sock" kill-server 2>/dev/null || true
      rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- last screen:"; cat "$work/screen"; exit 1; }

"$bin/sp-gen-prices" "$work/prices" 200000 4 >/dev/null

# run_in_pane ARGS...: runs smallpond in a new pane, capturing its screen
# into $work/frames (frames split by "@@") until it exits; the last screen
# is $work/screen.
run_in_pane() {
  : >"$work/frames"
  [ -z "$sock" ] || tmux -L "$sock" kill-server 2>/dev/null || true
  sock=sp-progress-$$-$#-$(date +%s%N) # a tmux server of its own
  tmux -L "$sock" new-session -d -s t -x 200 -y 40 \
    "cd '$work' && SP_FAULT_SLOW=0:3000 '$bin/smallpond' run --workers 2 \
       --data-root '$work/root' --no-speculation \
       --read-parquet 'prices/*.parquet' --repartition 4 --hash-by ticker \
       --sql 'SELECT ticker, median(price) AS m FROM {0} GROUP BY ticker' \
       $*; echo EXIT=\$?; sleep 60"
  i=0
  while [ $i -lt 300 ]; do
    tmux -L "$sock" capture-pane -p -t t >"$work/screen"
    { cat "$work/screen"; echo @@; } >>"$work/frames"
    grep -q '^EXIT=' "$work/screen" && return 0
    sleep 0.2
    i=$((i + 1))
  done
  fail "smallpond did not end within 60 s"
}

run_in_pane --write-parquet out
grep -q '^EXIT=0$' "$work/screen" || fail "smallpond failed"

# While the slow task runs and the others are done, the stage's line is
# redrawn: the same count of tasks with a growing elapsed time.
live='^#2 repartition 4 hash(ticker): 3/4 tasks (1 running), '
times=$(grep "$live" "$work/frames" | sed 's/.*, \([0-9.]*\) s, ETA.*/\1/' |
        sort -u | wc -l)
[ "$times" -ge 5 ] ||
  fail "the running stage was drawn with $times elapsed times (want >= 5)"
grep -q '^#3 sql SELECT ticker, median(price) AS m FROM {0} GROUP BY ticker: [0-3]/4 tasks' \
  "$work/frames" || fail "the SQL stage's live line never showed"

# At the end: one summary line a stage, no live line left over.
for stage in '#2 repartition 4 hash(ticker)' '#3 sql SELECT ticker'; do
  n=$(grep -c "^$stage.*: 4/4 tasks, .* s$" "$work/screen" || true)
  [ "$n" -eq 1 ] || fail "'$stage' has $n summary lines (want 1)"
done
! grep -q 'running)' "$work/screen" || fail "a live line stayed on screen"
grep -q 'wrote 4 partitions to out' "$work/screen" || fail "no result line"

# --quiet: nothing of the display.
run_in_pane --write-parquet out2 --quiet
grep -q '^EXIT=0$' "$work/screen" || fail "smallpond --quiet failed"
! grep -q '^#[0-9]' "$work/frames" || fail "--quiet still showed progress"

echo "progress display: OK ($times redraws of a stage held by a slow task)"
