#!/bin/sh
# Runs the libFuzzer harnesses of tests/fuzz over their seeds
# (tests/fuzz/corpus/<name>/) and a scratch corpus beside the build, so
# that the committed seeds are only ever read.
#
#   run.sh check HARNESS RUNS
#       CTest: RUNS inputs with a fixed seed, from a scratch corpus emptied
#       first; a crash fails the test.
#   run.sh fuzz BUILD SECONDS [NAME...]
#       make fuzz: each harness of BUILD/bin (or only NAME...) for SECONDS,
#       growing the scratch corpus BUILD/fuzz/<name>/corpus/ across runs;
#       a crash stops that harness and is written to
#       BUILD/fuzz/<name>/crashes/. Prints a line per harness and fails if
#       any crashed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# run_one HARNESS WORK [libFuzzer options...]: output in WORK/log.
run_one() {
  bin=$1 work=$2
  shift 2
  name=${bin##*/fuzz_}
  mkdir -p "$work/corpus" "$work/crashes"
  set -- -artifact_prefix="$work/crashes/" -timeout=10 "$@"
  [ -f "$here/$name.dict" ] && set -- -dict="$here/$name.dict" "$@"
  seeds=""
  [ -d "$here/corpus/$name" ] && seeds="$here/corpus/$name"
  # shellcheck disable=SC2086
  "$bin" "$@" "$work/corpus" $seeds >"$work/log" 2>&1
}

# The runs and seconds of libFuzzer's last line, "Done N runs in S
# second(s)".
summary() {
  sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' \
    "$1/log" | tail -n 1
}

case "${1:-}" in
check)
  bin=$2 runs=$3
  work="$(dirname "$bin")/../fuzz/check/${bin##*/fuzz_}"
  rm -rf "$work"
  if ! run_one "$bin" "$work" -runs="$runs" -seed=1; then
    tail -n 40 "$work/log"
    exit 1
  fi
  echo "${bin##*/}: $(summary "$work"), no crash"
  ;;
fuzz)
  build=$2 seconds=$3
  shift 3
  if [ $# -eq 0 ]; then
    for bin in "$build"/bin/fuzz_*; do
      set -- "$@" "${bin##*/fuzz_}"
    done
  fi
  failed=0
  for name in "$@"; do
    bin="$build/bin/fuzz_$name"
    work="$build/fuzz/$name"
    [ -x "$bin" ] || { echo "no harness $bin" >&2; exit 2; }
    echo "fuzz_$name: $seconds s (log: $work/log)"
    if run_one "$bin" "$work" -max_total_time="$seconds"; then
      echo "fuzz_$name: $(summary "$work"), no crash"
    else
      echo "fuzz_$name: FAILED, see $work/log; crashes in $work/crashes/:"
      ls "$work/crashes"
      failed=1
    fi
  done
  exit $failed
  ;;
*)
  echo "usage: run.sh check HARNESS RUNS | fuzz BUILD SECONDS [NAME...]" >&2
  exit 2
  ;;
esac
