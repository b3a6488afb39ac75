#!/bin/sh
# cluster.sh BIN_DIR [SCENARIO...]: cluster mode across real network hops,
# on the three stand-in hosts of hosts.sh (network and UTS namespaces on
# a bridge, Open MPI's daemons started in them by rsh-agent.sh). Rank 0,
# the driver, and rank 1 run on sp-h1, rank 2 on sp-h2, rank 3 on sp-h3;
# `smallpond run --launcher mpi` is started on sp-h1. Scenarios (by
# default all):
#   quickstart  the quick start across the hosts equals DuckDB's answer,
#               every host ran tasks, MPI's traffic crossed the bridge
#   kill        rank 3 (sp-h3) killed while it runs a slow task: the job
#               ends by itself, smallpond's error names rank 3 and sp-h3,
#               status says failure; rerun with the job id: a valid sort
#   cut         sp-h3's link cut while it runs a slow task: the job ends
#               naming rank 3 and sp-h3, or completes (a speculative
#               duplicate did the work); either way the status agrees;
#               link back, rerun (if it failed): a valid sort
#   outrun      sp-h3's link cut while it runs a slow task, under a host
#               timeout (120 s) longer than the job: a speculative
#               duplicate does the work and the job completes, with a
#               valid sort, long before the timeout (nothing waits for
#               the lost rank)
#   blip        sp-h3's link down for 2 s, below the host timeout (10 s),
#               while it runs a slow task: the job completes with a valid
#               sort, that task's result from sp-h3
# A job that must end by itself gets a deadline (the host timeout, plus
# the slow tasks' time where it may complete, plus $slack seconds) far
# beyond what it needs, and far below the minutes a lost host used to
# hang a job; at the deadline it is stopped and the scenario fails.
# Exits 77 (skipped) unless root with a working `ip netns` and an mpirun.
# The hosts are always removed at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd)
shift
scenarios=${*:-quickstart kill cut outrun blip}
sp=$bin/smallpond
hosts_sh=$here/hosts.sh
net=10.213.7
slack=30

skip() {
  echo "cluster.sh: SKIPPED: needs root and ip netns ($*)"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root"
why=$(sh "$hosts_sh" check) || skip "$why"
command -v mpirun >/dev/null 2>&1 || skip "no mpirun (Debian's openmpi-bin)"

state=${SP_CLUSTER_STATE:-/run/sp-cluster}
mkdir -p "$state"
# One set of stand-in hosts a machine: another run waits for this one.
exec 9>"$state/lock"
flock -w 900 9 || { echo "cluster.sh: another run holds $state/lock" >&2
                    exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-cluster-XXXXXX")
job_pid=
cleanup() {
  if [ -n "$job_pid" ]; then kill "$job_pid" 2>/dev/null || true; fi
  sh "$hosts_sh" down
  if [ -n "${SP_CLUSTER_KEEP:-}" ]; then echo "cluster.sh: kept $tmp"
  else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "cluster.sh: FAIL: $*" >&2; exit 1; }
# job_output: the background job's stderr without Open MPI's help texts
# and PMIx's noise, and the end of its driver.log.
job_output() {
  grep -v -e 'PMIX ERROR' -e '^\*' -e '^  ' -e '^$' -e '^-----' \
    "$tmp/job.err" | tail -n 15
  if [ -f "$tmp/root/$job/log/driver.log" ]; then
    echo "--- $job/log/driver.log:"
    tail -n 5 "$tmp/root/$job/log/driver.log"
  fi
}
say() { echo "== $*"; }

sh "$hosts_sh" up
cd "$tmp"
printf '%s.1 slots=2\n%s.2 slots=1\n%s.3 slots=1\n' "$net" "$net" "$net" \
  >hostfile

# The hosts reach each other over the bridge and nothing else: their only
# link is eth0 in the test subnet, and there is no default route.
for h in sp-h1 sp-h2 sp-h3; do
  links=$(ip -n "$h" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
          sort | tr '\n' ' ')
  [ "$links" = "eth0 lo " ] || fail "$h has links: $links"
  ip -n "$h" -o -4 addr show dev eth0 | grep -q " inet $net\.[123]/24 " ||
    fail "$h: eth0 has no address in $net.0/24"
  [ -z "$(ip -n "$h" route show default)" ] || fail "$h has a default route"
done

# sp_run [ENV=VALUE...] -- ARGS...: smallpond run across the three hosts,
# started on sp-h1; Open MPI starts its daemons with rsh-agent.sh and
# speaks TCP in the test subnet only (between ranks of one host, shared
# memory). Stopped after 90 s, whatever happens.
sp_run() {
  envs=
  while [ "$1" != -- ]; do envs="$envs $1"; shift; done
  shift
  # shellcheck disable=SC2086 # envs: words of the form VAR=value
  env SP_CLUSTER_AGENT_LOG="$tmp/agent.log" $envs \
    timeout 90 sh "$hosts_sh" run sp-h1 "$sp" run --launcher mpi --np 4 \
    --hostfile "$tmp/hostfile" --data-root "$tmp/root" --quiet \
    --mca plm_rsh_agent "$here/rsh-agent.sh" --mca btl self,vader,tcp \
    --mca btl_tcp_if_include "$net.0/24" \
    --mca oob_tcp_if_include "$net.0/24" "$@"
}

# bytes HOST: bytes its bridge port has received and sent so far.
bytes() {
  echo $(($(cat "/sys/class/net/$1-p/statistics/rx_bytes") +
          $(cat "/sys/class/net/$1-p/statistics/tx_bytes")))
}

# wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s until it
# succeeds, or fail saying WHAT did not happen; fail at once if the
# background job ended meanwhile.
wait_for() {
  secs=$1 what=$2
  n=$((secs * 5))
  shift 2
  while ! "$@"; do
    if [ -n "$job_pid" ] && ! kill -0 "$job_pid" 2>/dev/null; then
      job_rc=0
      wait "$job_pid" || job_rc=$?
      job_pid=
      fail "$what: the job ended first (status $job_rc); its output:
$(job_output)"
    fi
    n=$((n - 1))
    [ $n -gt 0 ] || fail "$what (not within $secs s)"
    sleep 0.2
  done
}

# ends_by SECONDS: wait for the background job $job_pid to end by itself
# within SECONDS; its exit status is then in $job_rc.
ends_by() {
  n=$(($1 * 5))
  while kill -0 "$job_pid" 2>/dev/null; do
    n=$((n - 1))
    if [ $n -le 0 ]; then
      kill "$job_pid" 2>/dev/null || true
      wait "$job_pid" || true
      job_pid=
      fail "the job did not end within $1 s; its output:
$(job_output)"
    fi
    sleep 0.2
  done
  job_rc=0
  wait "$job_pid" || job_rc=$?
  job_pid=
}

# slow_started JOB: rank 3 (sp-h3) runs the first attempt of a task of the
# slow partition 2, and some task of JOB has finished (a rerun has
# something to reuse).
slow_started() {
  grep -q 'attempt 0 [a-z]* partition 2: start' \
    "$tmp/root/$1/log/executor-3.log" 2>/dev/null &&
    [ -s "$tmp/root/$1/state.jsonl" ]
}

# named_failure JOB: smallpond's own error names rank 3 and its host, and
# the job's status says failure with that message.
named_failure() {
  grep '^smallpond: ' "$tmp/job.err" | grep 'rank 3' | grep -q sp-h3 ||
    fail "no error of smallpond's naming rank 3 and sp-h3; stderr:
$(job_output)"
  st=$tmp/root/$1/status
  head -n 1 "$st" | grep -q '^failure' ||
    fail "$1's status is not failure: $(cat "$st")"
  grep 'rank 3' "$st" | grep -q sp-h3 ||
    fail "$1's status does not name rank 3 and sp-h3: $(cat "$st")"
}

# resumed JOB: rerun JOB on all hosts; it reuses tasks the failed run
# finished (its driver.log says so) and its output is the input sorted.
resumed() {
  log=$tmp/root/$1/log/driver.log
  before=$(wc -l <"$log")
  sp_run -- --job-id "$1" --read-parquet 'recs/*.parquet' --sort-by key \
    --partitions 8 --write-parquet "$1.out" >"$tmp/rerun.out" 2>&1 ||
    fail "rerun of $1 failed: $(tail -n 20 "$tmp/rerun.out")"
  tail -n +$((before + 1)) "$log" |
    grep -Eq ', [1-9][0-9]* finished tasks reused from state.jsonl' ||
    fail "the rerun of $1 reused no finished task"
  valid_sort "$1"
}

valid_sort() {
  "$sp" valsort --quiet --data-root "$tmp/valsort" --input recs "$1.out" \
    >"$tmp/valsort.out" 2>&1 || fail "$1: $(cat "$tmp/valsort.out")"
}

# end_leftovers HOST: a host cut off keeps its ranks and daemon (they
# cannot hear that the job ended): end them before the next run.
end_leftovers() {
  for pid in $(ip netns pids "$1"); do kill -9 "$pid" 2>/dev/null || true; done
}

# start_sort JOB SLOW TIMEOUT [OPTION...]: the sort of recs/ in the
# background, the first attempts of partition 2 sleeping SLOW ms.
start_sort() {
  job=$1 slow=$2 host_timeout=$3
  shift 3
  sp_run SP_FAULT_SLOW="2:$slow" -- --job-id "$job" \
    --host-timeout "$host_timeout" "$@" --read-parquet 'recs/*.parquet' \
    --sort-by key --partitions 8 --write-parquet "$job.out" \
    >"$tmp/job.out" 2>"$tmp/job.err" &
  job_pid=$!
  wait_for 30 "rank 3 (sp-h3) ran no slow task of $job" slow_started "$job"
}

scenario_quickstart() {
  say "quickstart: 4 ranks on 3 hosts"
  "$bin/sp-gen-prices" prices 1000000 8 >/dev/null
  : >agent.log
  for h in sp-h2 sp-h3; do echo "$h $(bytes "$h")"; done >bytes.before
  sp_run -- --job-id qs --mpirun-arg=--display-map \
    --read-parquet 'prices/*.parquet' --repartition 3 --hash-by ticker \
    --sql 'SELECT ticker, min(price), max(price) FROM {0} GROUP BY ticker' \
    --write-parquet qs.out >qs.log 2>&1 ||
    fail "the quick start failed: $(tail -n 20 qs.log)"
  "$bin/sp-compare" "SELECT ticker, min(price), max(price)
                     FROM read_parquet('prices/*.parquet') GROUP BY ticker" \
    "SELECT * FROM read_parquet('qs.out/*.parquet')" >compare.out ||
    fail "the quick start's output differs from DuckDB's: $(cat compare.out)"

  # Open MPI's map (--display-map) puts ranks 0 and 1 on sp-h1, 2 on
  # 10.213.7.2, 3 on 10.213.7.3; each worker ran tasks.
  map=$(awk '/Data for node:/ { node = $4 }
             /Process rank:/ { for (i = 1; i < NF; i++)
                                 if ($i == "rank:") print $(i + 1) "@" node }' \
        qs.log | sort -u | tr '\n' ' ')
  [ "$map" = "0@sp-h1 1@sp-h1 2@$net.2 3@$net.3 " ] ||
    fail "ranks were placed as $map"
  for rank in 1 2 3; do
    awk -F, -v r=$rank 'NR > 1 && $5 == r && $14 == "ok" { n++ }
                        END { exit !n }' root/qs/log/tasks.csv ||
      fail "rank $rank ran no task: $(cat root/qs/log/tasks.csv)"
  done
  # The driver's log names the hosts by MPI's processor name (`hosts:
  # sp-h1 ranks 1; sp-h2 ranks 2; ...`), and places ranks as Open MPI did.
  hosts=$(grep ' hosts: ' root/qs/log/driver.log) ||
    fail "driver.log has no hosts line"
  status=$("$sp" status --data-root root qs | grep '^hosts: ') ||
    fail "smallpond status shows no hosts line"
  for r in 1 2 3; do
    echo "$hosts" | grep -Eq "sp-h$r ranks $r(;|\$)" ||
      fail "driver.log does not place rank $r on sp-h$r: $hosts"
    echo "$status" | grep -Eq "sp-h$r ranks $r(;|\$)" ||
      fail "smallpond status does not place rank $r on sp-h$r: $status"
  done
  # Daemons were started through the agent on sp-h2 and sp-h3 (sp-h1 is
  # mpirun's own host), and the ranks there spoke over their links:
  # launching and the tasks' messages, both ways, a few kB at least.
  for a in 2 3; do
    grep -q "^$net.$a .*orted" agent.log ||
      fail "no daemon started on $net.$a: $(cat agent.log)"
  done
  ! grep -q "^$net.1 " agent.log || fail "the agent was asked for sp-h1"
  while read -r h was; do
    grew=$(($(bytes "$h") - was))
    [ "$grew" -gt 4096 ] || fail "$h's link carried $grew bytes"
    echo "   $h's link carried $grew bytes"
  done <bytes.before
}

# A sort's input, made once for the fault scenarios.
make_records() {
  [ -d recs ] || "$sp" gensort --quiet --data-root "$tmp/gen" \
    --records 400000 --partitions 4 recs >/dev/null
}

scenario_kill() {
  say "kill: rank 3 on sp-h3 killed mid-job (--host-timeout 5)"
  make_records
  start_sort kill 30000 5 --no-speculation
  pid=$(sed -n 's/.* executor-3\[\([0-9]*\)\] .*/\1/p' \
        root/kill/log/executor-3.log | head -n 1)
  ip netns pids sp-h3 | grep -qx "$pid" || fail "rank 3 ($pid) is not on sp-h3"
  kill -9 "$pid"
  t0=$(date +%s)
  ends_by $((5 + slack))
  echo "   ended $(($(date +%s) - t0)) s after the kill"
  [ "$job_rc" -ne 0 ] || fail "the job succeeded with rank 3 killed"
  named_failure kill
  resumed kill
}

# cut_sp_h3 JOB HOST_TIMEOUT DEADLINE: a sort whose slow task runs on
# sp-h3, whose link is then cut; the job must end by itself within
# DEADLINE seconds. Then the link is up again and sp-h3's leftovers ended.
cut_sp_h3() {
  make_records
  start_sort "$1" 10000 "$2"
  ip link set sp-h3-p down
  t0=$(date +%s)
  ends_by "$3"
  echo "   ended $(($(date +%s) - t0)) s after the cut:" \
       "$(head -c 7 "root/$1/status")"
  ip link set sp-h3-p up
  end_leftovers sp-h3
  sh "$hosts_sh" reach
}

scenario_cut() {
  say "cut: sp-h3's link cut mid-job (--host-timeout 5)"
  # Completing may wait for the slow task's duplicate elsewhere.
  cut_sp_h3 cut 5 $((5 + 10 + slack))
  # The status says how it ended, and the exit status must agree.
  case $(head -n 1 root/cut/status) in
    success*) # a duplicate on another host did sp-h3's work
      [ "$job_rc" -eq 0 ] ||
        fail "the job completed (status success) but smallpond exited" \
             "$job_rc; stderr: $(job_output)"
      valid_sort cut ;;
    failure*)
      [ "$job_rc" -ne 0 ] || fail "status failure, but smallpond exited 0"
      named_failure cut
      resumed cut ;;
    *) fail "the job ended (exit $job_rc) with status $(cat root/cut/status)" ;;
  esac
}

scenario_outrun() {
  say "outrun: sp-h3's link cut mid-job (--host-timeout 120)"
  # The slow task's duplicate: far below 120 s.
  cut_sp_h3 outrun 120 $((10 + slack))
  [ "$job_rc" -eq 0 ] || fail "the job failed: $(job_output)"
  head -n 1 root/outrun/status | grep -q '^success' ||
    fail "status: $(cat root/outrun/status)"
  valid_sort outrun
}

scenario_blip() {
  say "blip: sp-h3's link down for 2 s (--host-timeout 10)"
  make_records
  start_sort blip 4000 10 --no-speculation
  ip link set sp-h3-p down
  sleep 2
  ip link set sp-h3-p up
  ends_by $((10 + slack))
  [ "$job_rc" -eq 0 ] || fail "the job failed: $(job_output)"
  head -n 1 root/blip/status | grep -q '^success' ||
    fail "status: $(cat root/blip/status)"
  # sp-h3 was not given up on: the slow attempt it ran across the outage
  # is the one whose result counted.
  awk -F, '$4 == 2 && $5 == 3 && $6 == 0 && $14 == "ok" { n++ }
           END { exit !n }' root/blip/log/tasks.csv ||
    fail "rank 3's slow attempt did not count: $(cat root/blip/log/tasks.csv)"
  valid_sort blip
}

# Each scenario in a subshell of its own, so that one failing does not
# stop the others; after it, every link is up again and whatever it left
# running on the hosts is ended.
passed='' failed=''
for s in $scenarios; do
  case $s in
    quickstart | kill | cut | outrun | blip) ;;
    *) fail "unknown scenario '$s' (quickstart kill cut outrun blip)" ;;
  esac
  # Not in an if: set -e must hold inside.
  set +e
  (set -e
   trap '[ -z "$job_pid" ] || kill "$job_pid" 2>/dev/null' EXIT
   "scenario_$s")
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then passed="$passed $s"; else failed="$failed $s"; fi
  for h in sp-h1 sp-h2 sp-h3; do
    ip link set "$h-p" up
    end_leftovers "$h"
  done
  sh "$hosts_sh" reach
done
echo "cluster.sh: passed:${passed:- none}; failed:${failed:- none}"
[ -z "$failed" ]
