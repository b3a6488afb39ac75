#!/bin/sh
# Install the Debian packages smallpond needs to build and test, and only the
# ones that are missing, so a second run costs one dpkg-query and nothing else.
# As root it runs apt-get itself; otherwise it prints the command to run.
set -eu

packages="gcc make cmake ninja-build pkg-config libjansson-dev libcmocka-dev
libopenmpi-dev openmpi-bin ca-certificates"
# tmux is the terminal tests/tty/progress.sh watches the progress display in.
packages="$packages tmux"
# clang and its runtime build the libFuzzer harnesses of tests/fuzz (make
# test runs them briefly, make fuzz for longer).
packages="$packages clang libclang-rt-14-dev"
# Headless Chromium renders `smallpond report`'s page in its test
# (tests/report/report.sh), which is skipped without it.
packages="$packages chromium"
# npm brings DuckDB (scripts/fetch-duckdb.sh); only install it when absent, as
# a machine may have its own Node.js that Debian's npm would conflict with.
command -v npm >/dev/null 2>&1 || packages="$packages npm"

missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing Debian packages:$missing" >&2
  echo "bootstrap: run: sudo apt-get install -y$missing" >&2
  exit 1
fi

echo "bootstrap: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
