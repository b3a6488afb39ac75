#!/bin/sh
# hosts.sh: three stand-in hosts on this machine, for cluster tests.
#   hosts.sh up             make them (after removing any left over)
#   hosts.sh down           remove all of it (idempotent; also after a
#                           half-made up)
#   hosts.sh run HOST CMD   run CMD on HOST (sp-h1..3 or its address)
#   hosts.sh reach          wait (at most 20 s) until every host reaches
#                           every other, e.g. after a link came back up
#   hosts.sh check          exit 0 if up would work here (root, ip netns)
#
# Each host is a network namespace sp-hN with one veth link (eth0,
# 10.213.7.N/24) to the bridge sp-br0 in the root namespace, loopback up,
# no default route, IPv6 off (no stray traffic on the links), and a UTS
# namespace of its own whose hostname is sp-hN, kept alive by a bind
# mount in /run/sp-cluster. The bridge has no address: the hosts reach
# each other and nothing else. The mount namespace is shared, so every
# host sees the same files (the "shared file system"). Processes are not
# in a PID namespace: the root namespace sees and can signal them.
#
# Only one set of stand-in hosts can exist on a machine: callers that
# might overlap (two test runs) hold the lock file $SP_CLUSTER_STATE/lock
# (flock) around up ... down.
set -eu

net=10.213.7
bridge=sp-br0
hosts="sp-h1 sp-h2 sp-h3"
state=${SP_CLUSTER_STATE:-/run/sp-cluster}

# ns_of HOST: the host's name for sp-hN or 10.213.7.N, else fail.
ns_of() {
  case $1 in
    sp-h1 | "$net.1") echo sp-h1 ;;
    sp-h2 | "$net.2") echo sp-h2 ;;
    sp-h3 | "$net.3") echo sp-h3 ;;
    *) echo "hosts.sh: unknown host '$1' (sp-h1..3 or $net.1..3)" >&2
       return 1 ;;
  esac
}

# No IPv6 on a link: no router solicitations or MLD reports, so its byte
# counters move only with the hosts' own IPv4 traffic.
no_ipv6() {
  f=/proc/sys/net/ipv6/conf/$1/disable_ipv6
  if [ -w "$f" ]; then echo 1 >"$f"; fi
}

down() {
  for h in $hosts; do
    # Whatever still runs in the host (ranks, daemons of a test that
    # failed) would keep its namespace, and so its link, alive.
    if [ -e "/run/netns/$h" ]; then
      for pid in $(ip netns pids "$h" 2>/dev/null); do
        kill -9 "$pid" 2>/dev/null || true
      done
      ip netns del "$h" 2>/dev/null || true
    fi
    ip link del "$h-p" 2>/dev/null || true
    if [ -e "$state/$h.uts" ]; then
      umount "$state/$h.uts" 2>/dev/null || true
      rm -f "$state/$h.uts"
    fi
  done
  ip link del "$bridge" 2>/dev/null || true
}

up() {
  down
  trap 'down' EXIT # a half-made up leaves nothing behind
  mkdir -p "$state"
  ip link add "$bridge" type bridge forward_delay 0 stp_state 0
  no_ipv6 "$bridge"
  ip link set "$bridge" up
  i=1
  for h in $hosts; do
    ip netns add "$h"
    ip link add "$h-p" type veth peer name eth0 netns "$h"
    no_ipv6 "$h-p"
    ip link set "$h-p" master "$bridge" up
    # shellcheck disable=SC2016 # expanded by the host's shell
    ip netns exec "$h" sh -c 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6
                              do echo 1 >"$f"; done'
    ip -n "$h" link set lo up
    ip -n "$h" addr add "$net.$i/24" dev eth0
    ip -n "$h" link set eth0 up
    : >"$state/$h.uts"
    unshare --uts="$state/$h.uts" hostname "$h"
    i=$((i + 1))
  done
  # Links up and bridge ports forwarding (3) before anyone uses them: STP
  # is off, so that is at once or nearly.
  for h in $hosts; do
    n=50
    while :; do
      port=$(cat "/sys/class/net/$h-p/brport/state")
      link=$(ip -n "$h" -o link show eth0)
      case $port:$link in 3:*",UP,LOWER_UP"*) break ;; esac
      n=$((n - 1))
      [ $n -gt 0 ] || { echo "hosts.sh: $h's link is not up (port state" \
                             "$port): $link" >&2; exit 1; }
      sleep 0.1
    done
  done
  reach
  trap - EXIT
}

# reach: every host opens a TCP connection to every other's port 9,
# where nothing listens: "refused" proves the path works both ways (ping
# may not be installed). A link just set up again may drop packets for a
# moment, and a neighbour that failed to answer while it was down stays
# unreachable until asked again: Open MPI's daemons, which try once,
# would fail to start.
reach() {
  until=$(($(date +%s) + 20))
  for h in $hosts; do
    for i in 1 2 3; do
      while :; do
        out=$(ip netns exec "$h" timeout 1 bash -c \
              ": </dev/tcp/$net.$i/9" 2>&1) || true
        case $out in *"Connection refused"*) break ;; esac
        [ "$(date +%s)" -lt "$until" ] ||
          { echo "hosts.sh: $h cannot reach $net.$i: ${out:-no answer}" >&2
            return 1; }
        sleep 0.2
      done
    done
  done
}

run() {
  ns=$(ns_of "$1")
  shift
  exec nsenter --uts="$state/$ns.uts" --net="/run/netns/$ns" -- "$@"
}

# Root, and the kernel lets us make a network namespace (a container may
# not). The probe's name is this process's own.
check() {
  [ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
  command -v ip >/dev/null 2>&1 || { echo "no ip (iproute2)"; return 1; }
  for c in nsenter unshare; do
    command -v $c >/dev/null 2>&1 || { echo "no $c (util-linux)"; return 1; }
  done
  if ! err=$(ip netns add "sp-probe-$$" 2>&1); then
    echo "ip netns add failed: $err"
    return 1
  fi
  ip netns del "sp-probe-$$"
  if ! err=$(unshare --uts true 2>&1); then
    echo "unshare --uts failed: $err"
    return 1
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  reach) reach ;;
  run) shift; [ $# -ge 2 ] || { echo "usage: hosts.sh run HOST CMD..." >&2
                               exit 2; }
       run "$@" ;;
  check) check ;;
  *) echo "usage: hosts.sh up|down|reach|check|run HOST CMD..." >&2
     exit 2 ;;
esac
