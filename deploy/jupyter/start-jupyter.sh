#!/bin/sh
# Starts jupyter_server for exactly one pyfleet kernelspec (PYFLEET_KERNELSPEC) on 0.0.0.0
# (JUPYTER_IP, JUPYTER_PORT: default 8888).
# The token comes from JUPYTER_TOKEN (read by jupyter_server itself, so it is not on the command
# line; the kernel launcher removes it from the kernels' environment). No token, no server.
set -eu
spec=${PYFLEET_KERNELSPEC:-}
case "$spec" in
  python3-epics-readonly | python3-epics-write) ;;
  *) echo "start-jupyter: PYFLEET_KERNELSPEC must be python3-epics-readonly or python3-epics-write, not '$spec'" >&2; exit 2 ;;
esac
[ -n "${JUPYTER_TOKEN:-}" ] || { echo "start-jupyter: JUPYTER_TOKEN is empty; refusing to serve kernels without a token" >&2; exit 2; }
# Kernels run in bubblewrap (jupyter/pyfleet_kernel.py) unless the operator opts out. A container
# that cannot create the sandbox (deploy/README.md "Kernel sandbox" lists what it needs) would fail
# every kernel start: the server refuses to start instead, naming the fix. Never a silent fallback.
sandbox=${PYFLEET_KERNEL_SANDBOX:-on}
case "$sandbox" in
  on)
    if ! why=$(/usr/bin/python3 /opt/pyfleet/server/sandbox_check.py 2>&1); then
      echo "start-jupyter: $spec kernels must run in a bubblewrap sandbox, but this container cannot create one: $why" >&2
      echo "start-jupyter: run the container with the kernel sandbox's seccomp profile and an unmasked /proc (docker: --security-opt seccomp=deploy/jupyter/seccomp-kernel-sandbox.json --security-opt systempaths=unconfined; see deploy/README.md), or opt out with PYFLEET_KERNEL_SANDBOX=off (kernels then run unsandboxed: the container is their only boundary)" >&2
      exit 3
    fi
    echo "start-jupyter: $spec kernels run sandboxed (bubblewrap: own user, PID, IPC and network namespaces; ZMQ over IPC)" >&2 ;;
  off) echo "start-jupyter: WARNING: PYFLEET_KERNEL_SANDBOX=off (operator opt-out): $spec kernels run UNSANDBOXED, in this container's own namespaces; the container is their only boundary" >&2 ;;
  *) echo "start-jupyter: PYFLEET_KERNEL_SANDBOX must be on or off, not '$sandbox'" >&2; exit 2 ;;
esac
export PYFLEET_KERNEL_SANDBOX="$sandbox"
state=${PYFLEET_JUPYTER_STATE:-/tmp/jupyter}
mkdir -p "$state/config" "$state/runtime" "$state/data" "${MPLCONFIGDIR:-/tmp/matplotlib}" /work
# matplotlib's font cache was built into the sandbox image; a writable copy saves seconds per kernel.
if [ -d /opt/pyfleet/matplotlib ]; then cp -R /opt/pyfleet/matplotlib/. "${MPLCONFIGDIR:-/tmp/matplotlib}/"; fi
# PYTHONPATH only lets the server import the kernelspec manager, which drops it again.
export PYTHONPATH=/opt/pyfleet/server JUPYTER_PATH="/opt/pyfleet/kernelspecs/$spec" JUPYTER_CONFIG_DIR="$state/config" \
  JUPYTER_RUNTIME_DIR="$state/runtime" JUPYTER_DATA_DIR="$state/data" JUPYTER_PLATFORM_DIRS=1
exec /usr/bin/python3 -m jupyter_server \
  --config=/opt/pyfleet/jupyter/jupyter_server_config.py \
  --ip="${JUPYTER_IP:-0.0.0.0}" --port="${JUPYTER_PORT:-8888}" --no-browser --ServerApp.port_retries=0 \
  --ServerApp.root_dir=/work \
  --ServerApp.kernel_spec_manager_class=pyfleet_kernelspecs.AllowedKernelSpecManager \
  --KernelSpecManager.ensure_native_kernel=False \
  --KernelSpecManager.allowed_kernelspecs="$spec" \
  --MappingKernelManager.default_kernel_name="$spec"
