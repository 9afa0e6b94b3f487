#!/usr/bin/env bash
# Starts, stops or reports a Docker engine for pyfleet's docker backend.
#   bash scripts/dockerd.sh start    # reuse an engine that answers, else start our own dockerd
#   bash scripts/dockerd.sh stop     # stop only the dockerd this script started
#   bash scripts/dockerd.sh status   # exit 0 when an engine answers
# The last line of `start` and `status` is `DOCKER_HOST=<url>`: export it for the engine that answered.
# Our own engine has its own data root, pidfile and socket, and no bridge or iptables rules:
# sandbox containers run with `--network none` and need neither.
set -euo pipefail

data_root=${PYFLEET_DOCKER_DATA_ROOT:-/var/lib/pyfleet-docker}
exec_root=${PYFLEET_DOCKER_EXEC_ROOT:-/run/pyfleet-docker}
sock=${PYFLEET_DOCKER_SOCKET:-/run/pyfleet-docker.sock}
pidfile=${PYFLEET_DOCKER_PIDFILE:-/run/pyfleet-docker.pid}
logfile=${PYFLEET_DOCKER_LOG:-/tmp/pyfleet-dockerd.log}
lockfile=/tmp/pyfleet-dockerd.lock
own_host="unix://$sock"

answers() { DOCKER_HOST="$1" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The first engine that answers: DOCKER_HOST if set, then our own socket, then the default socket.
find_engine() {
  local h
  for h in ${DOCKER_HOST:-} "$own_host" unix:///var/run/docker.sock; do
    if answers "$h"; then echo "$h"; return 0; fi
  done
  return 1
}

start() {
  local h
  if h=$(find_engine); then echo "dockerd: engine already answers"; echo "DOCKER_HOST=$h"; return 0; fi
  command -v dockerd >/dev/null || { echo "dockerd: not installed (apt-get install -y docker.io, or bash scripts/bootstrap.sh)" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "dockerd: starting an engine needs root; run: sudo bash $0 start" >&2; exit 1; }
  mkdir -p "$data_root" "$exec_root"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "dockerd: pid $(cat "$pidfile") exists but does not answer yet; waiting"
  else
    rm -f "$pidfile" "$sock"
    # setsid: the engine must outlive the shell (and test runner) that started it;
    # 9>&-: it must not inherit (and hold forever) this script's lock.
    setsid dockerd --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pidfile" \
      -H "$own_host" --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
      >"$logfile" 2>&1 </dev/null 9>&- &
  fi
  local i
  for i in $(seq 1 150); do
    if answers "$own_host"; then echo "dockerd: started (pid $(cat "$pidfile"), log $logfile)"; echo "DOCKER_HOST=$own_host"; return 0; fi
    sleep 0.2
  done
  echo "dockerd: engine did not answer on $own_host within 30 s; last log lines:" >&2
  tail -20 "$logfile" >&2 || true
  exit 1
}

stop() {
  if [ ! -f "$pidfile" ]; then echo "dockerd: not started by this script"; return 0; fi
  local pid i
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  fi
  rm -f "$pidfile" "$sock"
  echo "dockerd: stopped"
}

status() {
  local h
  if h=$(find_engine); then echo "dockerd: engine answers"; echo "DOCKER_HOST=$h"; return 0; fi
  echo "dockerd: no engine answers" >&2
  exit 1
}

case "${1:-}" in
  start) exec 9>"$lockfile"; flock -w 60 9; start ;;
  stop) exec 9>"$lockfile"; flock -w 60 9; stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
