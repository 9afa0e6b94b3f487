#!/usr/bin/env bash
# `npm run demo`: the main job end to end on this machine.
#   1. bootstraps what is missing (npm packages, Python/Jupyter, Redis),
#   2. starts `pyfleet dev` (producer, every stage, approver) on free ports with a private prefix,
#   3. (a) a read-only run with provided code that builds a results dict and a figure,
#      (b) a run whose code writes to EPICS: it parks for human approval,
#      (c) a `--task` run written by the LLM when OPENAI_API_KEY or OPENAI_BASE_URL is set,
#   4. prints each run's status, results and notebook path, stops everything and exits 0.
# PYFLEET_DEMO_KERNELS=local|jupyter|auto picks the kernels (default auto: Jupyter when installed).
set -euo pipefail
cd "$(dirname "$0")/.."

PYFLEET_BOOTSTRAP_DOCKER=${PYFLEET_BOOTSTRAP_DOCKER:-0} PYFLEET_BOOTSTRAP_BROWSER=${PYFLEET_BOOTSTRAP_BROWSER:-0} bash scripts/bootstrap.sh

work="$(mktemp -d -t pyfleet-demo-XXXXXX)"
prefix="pyfleet-demo-$$-$RANDOM"
pyfleet() { node apps/cli/bin/pyfleet.mjs "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pyfleet dev --producer-port 0 --approver-port 0 --prefix "$prefix" --artifacts "$work/artifacts" \
  --kernels "${PYFLEET_DEMO_KERNELS:-auto}" >"$work/dev.log" 2>"$work/dev.err" &
dev_pid=$!
cleanup() {
  if kill -0 "$dev_pid" 2>/dev/null; then
    kill -TERM "$dev_pid" 2>/dev/null || true
    wait "$dev_pid" 2>/dev/null || true
  fi
  node --import tsx scripts/demo-cleanup.ts "$prefix" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 600); do
  grep -q "dev: ready" "$work/dev.log" 2>/dev/null && break
  if ! kill -0 "$dev_pid" 2>/dev/null; then cat "$work/dev.log" "$work/dev.err"; echo "demo: pyfleet dev did not start"; exit 1; fi
  sleep 0.2
done
grep -q "dev: ready" "$work/dev.log" || { cat "$work/dev.log" "$work/dev.err"; echo "demo: pyfleet dev not ready after 120 s"; exit 1; }
say "pyfleet dev is up"
sed 's/^dev: /  /' "$work/dev.log"
PYFLEET_URL="$(grep -o 'PYFLEET_URL=[^ )]*' "$work/dev.log" | head -1 | cut -d= -f2)"
export PYFLEET_URL
if grep -q 'PYFLEET_APPROVER_URL=' "$work/dev.log"; then
  PYFLEET_APPROVER_URL="$(grep -o 'PYFLEET_APPROVER_URL=[^ )]*' "$work/dev.log" | head -1 | cut -d= -f2)"
  PYFLEET_TOKEN="$(grep -o 'PYFLEET_TOKEN=[^ )]*' "$work/dev.log" | head -1 | cut -d= -f2)"
  export PYFLEET_APPROVER_URL PYFLEET_TOKEN
fi

say "(a) read-only analysis with provided code: a results dict and a figure"
cat >"$work/beam.py" <<'PY'
import math
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

t = [i / 10 for i in range(100)]
current = [100 + 5 * math.sin(x) for x in t]
plt.plot(t, current)
plt.xlabel("time [s]")
plt.ylabel("beam current [mA]")
plt.title("beam current")
print("samples:", len(current))
results = {"mean_mA": round(sum(current) / len(current), 3), "min_mA": round(min(current), 3), "max_mA": round(max(current), 3)}
PY
pyfleet submit --code "$work/beam.py" --expected mean_mA=float --expected min_mA=float --expected max_mA=float --wait

say "(b) code that writes to EPICS: parks for human approval"
cat >"$work/write.py" <<'PY'
import epics
epics.caput("DEMO:MAGNET:SETPOINT", 1.25)
results = {"setpoint": 1.25}
PY
pyfleet submit --code "$work/write.py" --dry-run --wait || true
echo "  the run waits at awaiting_approval for a human; review it with: pyfleet approvals (PYFLEET_APPROVER_URL, PYFLEET_TOKEN as printed above)"

say "(c) a task for the code generator"
if [ -n "${OPENAI_API_KEY:-}" ] || [ -n "${OPENAI_BASE_URL:-}" ]; then
  pyfleet submit --task "Compute the first 20 Fibonacci numbers and their ratio convergence to the golden ratio" \
    --expected fibonacci=list --expected ratio=float --wait || true
else
  echo "  skipped: set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) to let the LLM write the code"
fi

say "runs of this demo"
pyfleet runs
say "stopping"
