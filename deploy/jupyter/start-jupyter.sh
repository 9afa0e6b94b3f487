#!/bin/sh
# Starts jupyter_server for exactly one pyfleet kernelspec (PYFLEET_KERNELSPEC) on 0.0.0.0.
# The token comes from JUPYTER_TOKEN (read by jupyter_server itself, so it is not on the command
# line; the kernel launcher removes it from the kernels' environment). No token, no server.
set -eu
spec=${PYFLEET_KERNELSPEC:-}
case "$spec" in
  python3-epics-readonly | python3-epics-write) ;;
  *) echo "start-jupyter: PYFLEET_KERNELSPEC must be python3-epics-readonly or python3-epics-write, not '$spec'" >&2; exit 2 ;;
esac
[ -n "${JUPYTER_TOKEN:-}" ] || { echo "start-jupyter: JUPYTER_TOKEN is empty; refusing to serve kernels without a token" >&2; exit 2; }
state=${PYFLEET_JUPYTER_STATE:-/tmp/jupyter}
mkdir -p "$state/config" "$state/runtime" "$state/data" "${MPLCONFIGDIR:-/tmp/matplotlib}" /work
# matplotlib's font cache was built into the sandbox image; a writable copy saves seconds per kernel.
if [ -d /opt/pyfleet/matplotlib ]; then cp -R /opt/pyfleet/matplotlib/. "${MPLCONFIGDIR:-/tmp/matplotlib}/"; fi
# PYTHONPATH only lets the server import the kernelspec manager, which drops it again.
export PYTHONPATH=/opt/pyfleet/server JUPYTER_PATH="/opt/pyfleet/kernelspecs/$spec" JUPYTER_CONFIG_DIR="$state/config" \
  JUPYTER_RUNTIME_DIR="$state/runtime" JUPYTER_DATA_DIR="$state/data" JUPYTER_PLATFORM_DIRS=1
exec /usr/bin/python3 -m jupyter_server \
  --config=/opt/pyfleet/jupyter/jupyter_server_config.py \
  --ip=0.0.0.0 --port="${JUPYTER_PORT:-8888}" --no-browser --ServerApp.port_retries=0 \
  --ServerApp.root_dir=/work \
  --ServerApp.kernel_spec_manager_class=pyfleet_kernelspecs.AllowedKernelSpecManager \
  --KernelSpecManager.ensure_native_kernel=False \
  --KernelSpecManager.allowed_kernelspecs="$spec" \
  --MappingKernelManager.default_kernel_name="$spec"
