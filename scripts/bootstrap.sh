#!/usr/bin/env bash
# Installs what pyfleet's demo and tests need, idempotently. Fast (<2 s) when all is present.
#   npm dependencies (npm ci when node_modules is missing or older than package-lock.json)
#   Debian packages: python3 + python3-venv (the interpreter of the project venv), bubblewrap (the
#   sandbox around user code), docker.io and debootstrap (docker backend), chromium (browser tests), redis-server only when no Redis
#   answers (and then a throw-away one is started on 6379).
#   The project venv <repo>/.venv from python/requirements.lock (hashed; Jupyter, ipykernel,
#   numpy, pandas, matplotlib, nbformat/nbclient/nbconvert, pyepics, caproto, pyyaml, ruff, mypy):
#   rebuilt only when the lock changes (its sha256 is stamped in .venv/.pyfleet-lock.sha256).
#   The venv is made with Debian's /usr/bin/python3 (3.11), on purpose: the docker sandbox image
#   is Debian bookworm with the same interpreter, and apt gives it on every machine; the pyenv
#   python on PATH is neither guaranteed nor the sandbox's.
#   The Python client (clients/python, editable) into the same venv, from its own hashed lock.
# As root it installs them; otherwise it prints the exact command to run and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Node.js runtime (.node-version, Node 24 LTS): fetched into .cache/node/ when PATH has another
source scripts/node-runtime.sh

# --- the checkout reachable from the sandbox ---
# Sandboxed runs execute as an unprivileged user (bubblewrap --uid 65534). The local and fork-server
# backends and the CA gate relay a venv or harness that user cannot reach (through a private mount
# namespace: packages/execution/src/sandbox/bind-relay.ts), but the Jupyter kernels' launcher
# (jupyter/pyfleet_kernel.py) still starts bwrap as that user on the checkout's own paths: a clone
# in a private directory (`mktemp -d` makes it 0700) refused every sandboxed kernel with "bwrap:
# Can't find source path .../.venv: Permission denied". The checkout's own folder gets o+x
# (traverse only, no listing); a parent folder that blocks it is named, not changed.
if [ -z "$(find . -maxdepth 0 -perm -o+x)" ]; then
  echo "bootstrap: giving the checkout folder o+x so sandboxed runs (uid 65534) can reach .venv"
  chmod o+x .
fi
dir=$(dirname "$PWD")
while [ "$dir" != "/" ]; do
  if [ -z "$(find "$dir" -maxdepth 0 -perm -o+x)" ]; then
    echo "bootstrap: warning: $dir is not traversable by other users (mode $(stat -c %a "$dir")): sandboxed runs cannot reach the venv; run: chmod o+x $dir" >&2
  fi
  dir=$(dirname "$dir")
done

want_docker=${PYFLEET_BOOTSTRAP_DOCKER:-1}
want_browser=${PYFLEET_BOOTSTRAP_BROWSER:-1}

# --- npm ---
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# --- the web console (Vite + Preact): built when missing or older than its sources ---
if [ ! -f apps/console/dist/web/index.html ] || [ -n "$(find apps/console/web -type f -newer apps/console/dist/web/index.html | head -1)" ]; then
  echo "bootstrap: building the web console (npm run build -w @pyfleet/console)"
  npm run -s build -w @pyfleet/console
fi

# --- Debian packages ---
missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }
# Debian gives only the interpreter (and venv's ensurepip); every Python package comes from the lock.
venv="$PWD/.venv"
if [ ! -f "$venv/.pyfleet-lock.sha256" ]; then need_pkg python3-venv; fi
# bubblewrap: the sandbox around user code on the local, fork-server and Jupyter backends (docs/security.md)
need_pkg bubblewrap
# the venv's interpreter, and node-gyp's toolchain for pyfleet's tree-sitter addon (packages/analysis/native)
need_pkg python3; need_pkg make; need_pkg gcc; need_pkg libc6-dev
if [ "$want_docker" = 1 ]; then need_pkg docker.io; need_pkg debootstrap; fi
if [ "$want_browser" = 1 ]; then need_pkg chromium; fi
redis_answers() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
# Only the default Redis is managed here; with REDIS_URL set, that Redis is the caller's business.
manage_redis=0
if [ -z "${REDIS_URL:-}" ] && ! redis_answers; then
  manage_redis=1
  command -v redis-server >/dev/null || missing+=(redis-server)
fi

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    $cmd >/tmp/pyfleet-apt.log 2>&1 || { tail -30 /tmp/pyfleet-apt.log; exit 1; }
  else
    echo "bootstrap: missing Debian packages. Run:"
    echo "  sudo apt-get update && sudo $cmd"
    exit 1
  fi
fi

# --- pyfleet's tree-sitter addon (the analysis's fast parser): npm ci builds it; rebuilt here when
# missing (npm ci ran before a compiler was installed) or older than its sources (a checkout that
# moved on without a new lock) ---
addon=packages/analysis/native/build/Release/pyfleet_tree_flat.node
if [ ! -f "$addon" ] || [ -n "$(find packages/analysis/native -maxdepth 1 -type f \( -name "*.c" -o -name "*.gyp" -o -name "*.mjs" \) -newer "$addon" | head -1)" ]; then
  echo "bootstrap: building pyfleet's tree-sitter addon (npm rebuild @pyfleet/analysis)"
  npm rebuild @pyfleet/analysis
fi

# --- Redis: start a throw-away one (no persistence) when none answers on the default port ---
if [ "$manage_redis" = 1 ]; then
  echo "bootstrap: no Redis on 127.0.0.1:6379; starting redis-server (no persistence)"
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --daemonize yes \
    --logfile /tmp/pyfleet-redis.log >/dev/null
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "bootstrap: redis-server did not start (see /tmp/pyfleet-redis.log)"; exit 1; }
fi

# --- the project venv from python/requirements.lock ---
lock=python/requirements.lock
lock_hash=$(sha256sum "$lock" | cut -d' ' -f1)
if [ "$(cat "$venv/.pyfleet-lock.sha256" 2>/dev/null)" != "$lock_hash" ] || [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: building the project venv $venv from $lock (Debian's /usr/bin/python3)"
  t0=$(date +%s)
  # --clear: a changed lock is installed into an empty venv, so nothing the lock dropped stays.
  /usr/bin/python3 -m venv --clear "$venv"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input \
    --require-hashes --no-deps --only-binary=:all: -r "$lock" >/tmp/pyfleet-venv.log 2>&1 \
    || { tail -30 /tmp/pyfleet-venv.log; echo "bootstrap: pip install from $lock failed (log: /tmp/pyfleet-venv.log)"; exit 1; }
  "$venv/bin/python" -c 'import epics, caproto, ipykernel, jupyter_server, numpy, pandas, matplotlib, nbformat, nbclient, yaml; epics.ca.initialize_libca()' \
    || { echo "bootstrap: the venv does not import its packages"; exit 1; }
  echo "$lock_hash" >"$venv/.pyfleet-lock.sha256"
  echo "bootstrap: venv ready in $(($(date +%s) - t0)) s"
fi

# --- the Python client (clients/python) in the project venv: its own hashed lock, then the package ---
# The two locks are installed into one venv with --no-deps, so a package both pin must have the same
# version in both (checked here, loudly, instead of one lock silently overwriting the other's pin).
pyc=clients/python
client_hash=$(cat "$lock" "$pyc/requirements.lock" "$pyc/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$venv/.pyfleet-client.sha256" 2>/dev/null)" != "$client_hash" ]; then
  echo "bootstrap: installing the Python client ($pyc, editable) into $venv from $pyc/requirements.lock"
  "$venv/bin/python" - "$lock" "$pyc/requirements.lock" <<'PY' || exit 1
import re, sys
def pins(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^ \\;]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out
a, b = pins(sys.argv[1]), pins(sys.argv[2])
bad = [f"{k}: {a[k]} in {sys.argv[1]}, {b[k]} in {sys.argv[2]}" for k in sorted(set(a) & set(b)) if a[k] != b[k]]
if bad:
    sys.exit("bootstrap: the two Python locks pin different versions (align them and re-lock):\n  " + "\n  ".join(bad))
PY
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input \
    --require-hashes --no-deps --only-binary=:all: -r "$pyc/requirements.lock" >/tmp/pyfleet-client-venv.log 2>&1 \
    && PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input \
      --no-deps --no-build-isolation -e "$pyc" >>/tmp/pyfleet-client-venv.log 2>&1 \
    || { tail -30 /tmp/pyfleet-client-venv.log; echo "bootstrap: installing $pyc failed (log: /tmp/pyfleet-client-venv.log)"; exit 1; }
  "$venv/bin/python" -c 'import pyfleet, pyfleet.osprey' || { echo "bootstrap: the venv does not import pyfleet"; exit 1; }
  echo "$client_hash" >"$venv/.pyfleet-client.sha256"
fi
