#!/usr/bin/env bash
# Starts a local Jupyter server for development with pyfleet's kernelspecs
# (python3-epics-readonly / python3-epics-write) and its config (TCP_NODELAY on kernel websockets).
#
#   JUPYTER_PORT=8888 JUPYTER_TOKEN=secret scripts/jupyter.sh
#
# Then run with execution_method=container and the same JUPYTER_HOST/PORT/TOKEN in the
# environment of the worker or of `pyfleet exec`. The server sees only PATH, LANG, its own
# folders and the EPICS_CA_* settings (so kernels reach the control system), so no API key of
# your shell reaches the kernels. Runs on the project venv (scripts/bootstrap.sh builds it) or on
# LOCAL_PYTHON_VENV (a venv folder); the kernels run on the server's interpreter.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host="${JUPYTER_HOST:-127.0.0.1}"
port="${JUPYTER_PORT:-8888}"
token="${JUPYTER_TOKEN:-}"
if [[ -z "$token" ]]; then
  token="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "JUPYTER_TOKEN not set; using a random one: export JUPYTER_TOKEN=$token" >&2
fi
venv="${LOCAL_PYTHON_VENV:-.venv}"
[[ "$venv" = /* ]] || venv="$repo/$venv"
python="$venv/bin/python"
[[ -x "$python" ]] || { echo "no $python: run bash scripts/bootstrap.sh to build the project venv" >&2; exit 1; }
# The control system the kernels talk to (pyepics reads these); nothing else of the caller's env.
epics_env=()
for name in EPICS_CA_ADDR_LIST EPICS_CA_AUTO_ADDR_LIST EPICS_CA_SERVER_PORT EPICS_CA_REPEATER_PORT EPICS_CA_MAX_ARRAY_BYTES EPICS_CA_CONN_TMO; do
  [[ -n "${!name:-}" ]] && epics_env+=("$name=${!name}")
done
state="${PYFLEET_JUPYTER_STATE:-$repo/.pyfleet/jupyter}"
mkdir -p "$state/config" "$state/runtime" "$state/data" "$state/work"

exec env -i \
  PATH="/usr/bin:/bin" LANG="C.UTF-8" HOME="$state" \
  JUPYTER_PATH="$repo/jupyter" \
  JUPYTER_CONFIG_DIR="$state/config" \
  JUPYTER_RUNTIME_DIR="$state/runtime" \
  JUPYTER_DATA_DIR="$state/data" \
  JUPYTER_PLATFORM_DIRS=1 \
  "${epics_env[@]}" \
  "$python" -m jupyter_server \
  --config="$repo/jupyter/jupyter_server_config.py" \
  --ip="$host" --port="$port" --no-browser --allow-root \
  --ServerApp.token="$token" --ServerApp.port_retries=0 \
  --ServerApp.root_dir="$state/work"
