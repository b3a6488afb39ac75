#!/bin/sh
# rsh-agent.sh: ssh for the stand-in hosts of hosts.sh. mpirun runs it as
#   --mca plm_rsh_agent .../rsh-agent.sh
# and calls it as ssh: `rsh-agent.sh [ssh options] HOST COMMAND...`, the
# words of COMMAND joined into one shell command line (Open MPI 4.1
# passes the orted command with `PATH=...; export PATH; ...` prefixed).
# It runs that line with sh inside HOST's network and UTS namespaces, in
# a clean environment as a login over ssh would have (so nothing reaches
# a remote rank unless mpirun forwards it). With $SP_CLUSTER_AGENT_LOG
# set, every call is appended to that file, a line of its words.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ -n "${SP_CLUSTER_AGENT_LOG:-}" ]; then
  printf '%s\n' "$*" >>"$SP_CLUSTER_AGENT_LOG"
fi
# ssh options before the host: a flag alone, or one taking a value.
while [ $# -gt 0 ]; do
  case $1 in
    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "rsh-agent.sh: usage: [options] HOST COMMAND..." >&2
                  exit 255; }
host=$1
shift
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME="${HOME:-/}" USER="$(id -un)" LOGNAME="$(id -un)" \
  sh "$here/hosts.sh" run "$host" sh -c "$*"
