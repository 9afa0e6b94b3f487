#!/usr/bin/env bash
# `npm run demo`: the main job end to end on this machine.
#   1. bootstraps what is missing (npm packages, Python/Jupyter, Redis),
#   2. starts `pyfleet dev` (producer, every stage, approver) on free ports with a private prefix,
#   3. (a) a read-only run with provided code that builds a results dict and a figure,
#      (b) a run whose code writes a magnet setpoint: a dry run on the read-only side builds the
#          write manifest (current → proposed, limits), the run parks for human approval, is approved
#          through the approver API by the dev identity, writes the IOC once on the write executor
#          (readback and the IOC's put count shown before and after), and its audit trail is verified,
#      (c) a `--task` run written by the LLM when OPENAI_API_KEY or OPENAI_BASE_URL is set,
#   4. prints each run's status, results and notebook URL, stops everything and exits 0.
# PYFLEET_DEMO_KERNELS=local|jupyter|auto picks the kernels (default auto: Jupyter when installed).
# pyfleet dev starts the simulated storage ring (sim/) and gives every backend its EPICS_CA_*;
# with EPICS_CA_ADDR_LIST already set, the demo reads (and writes!) that control system instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 LTS first on PATH for everything below (scripts/node-runtime.sh says why)
source scripts/node-runtime.sh

PYFLEET_BOOTSTRAP_DOCKER=${PYFLEET_BOOTSTRAP_DOCKER:-0} PYFLEET_BOOTSTRAP_BROWSER=${PYFLEET_BOOTSTRAP_BROWSER:-0} bash scripts/bootstrap.sh

work="$(mktemp -d -t pyfleet-demo-XXXXXX)"
prefix="pyfleet-demo-$$-$RANDOM"
pyfleet() { node apps/cli/bin/pyfleet.mjs "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Started as node itself (not through the shell function) so $! is the process to stop.
node apps/cli/bin/pyfleet.mjs dev --producer-port 0 --approver-port 0 --console-port 0 --prefix "$prefix" --artifacts "$work/artifacts" \
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

for _ in $(seq 1 900); do
  grep -q "dev: ready" "$work/dev.log" 2>/dev/null && break
  if ! kill -0 "$dev_pid" 2>/dev/null; then cat "$work/dev.log" "$work/dev.err"; echo "demo: pyfleet dev did not start"; exit 1; fi
  sleep 0.2
done
grep -q "dev: ready" "$work/dev.log" || { cat "$work/dev.log" "$work/dev.err"; echo "demo: pyfleet dev not ready after 180 s"; exit 1; }
say "pyfleet dev is up"
sed 's/^dev: /  /' "$work/dev.log"
PYFLEET_URL="$(grep -o 'PYFLEET_URL=[^ )]*' "$work/dev.log" | head -1 | cut -d= -f2)"
redis_url="$(grep -o 'Redis [^ ;]*' "$work/dev.log" | head -1 | cut -d' ' -f2)"
export PYFLEET_URL
PYFLEET_APPROVER_URL="$(grep -o 'PYFLEET_APPROVER_URL=[^ )]*' "$work/dev.log" | head -1 | cut -d= -f2)"
PYFLEET_TOKEN="$(grep -o 'PYFLEET_TOKEN=[^ );]*' "$work/dev.log" | head -1 | cut -d= -f2)"
export PYFLEET_APPROVER_URL PYFLEET_TOKEN

say "(a) read-only analysis with provided code: the live beam current from the IOC, a results dict and a figure"
cat >"$work/beam.py" <<'PY'
import time
import epics
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

# 4 s of the ring's DCCT at 10 Hz over Channel Access (the simulated ring: its lifetime decay
# runs 60x fast, so the sawtooth of top-up injections shows)
t0 = time.time()
t, current = [], []
for _ in range(40):
    value = epics.caget("SR:DCCT:CURRENT", timeout=5)
    if value is None:
        raise RuntimeError("SR:DCCT:CURRENT did not answer: is the IOC reachable (EPICS_CA_ADDR_LIST)?")
    t.append(time.time() - t0)
    current.append(value)
    time.sleep(0.1)
plt.plot(t, current)
plt.xlabel("time [s]")
plt.ylabel("SR:DCCT:CURRENT [mA]")
plt.title("beam current (live)")
print("samples:", len(current), "lifetime [h]:", epics.caget("SR:DCCT:LIFETIME"))
results = {"mean_mA": round(sum(current) / len(current), 3), "min_mA": round(min(current), 3), "max_mA": round(max(current), 3)}
PY
pyfleet submit --code "$work/beam.py" --expected mean_mA=float --expected min_mA=float --expected max_mA=float --wait

say "(b) code that writes to EPICS: a dry run on the read-only side builds the write manifest, then it parks for a human"
# the control system the runs use (the simulated ring pyfleet dev started, or EPICS_CA_ADDR_LIST)
ca_env="$(grep -o 'EPICS_CA_[A-Z_]*=[^ ;)]*' "$work/dev.log" | sort -u | tr '\n' ' ')"
[ -n "${EPICS_CA_ADDR_LIST:-}" ] && ca_env="EPICS_CA_ADDR_LIST=$EPICS_CA_ADDR_LIST EPICS_CA_AUTO_ADDR_LIST=${EPICS_CA_AUTO_ADDR_LIST:-YES}"
sp=SR:MAG:QF1:CURRENT_SP
# read from outside any run, as an operator's console would: setpoint, readback and the IOC's put counter
ring() {
  env $ca_env "${LOCAL_PYTHON_VENV:-.venv}/bin/python" -c '
import sys, epics
sp = sys.argv[1]; rb = sp.replace("_SP", "_RB")
v = lambda pv: epics.caget(pv, use_monitor=False, timeout=5)
n = v("SIM:PUTS:" + sp)
print(f"  {sp} = {v(sp)} A, {rb} = {v(rb):.3f} A, accepted puts counted by the IOC (SIM:PUTS:{sp}) = {n}")
' "$sp" 2>/dev/null
}
echo "  before:"; ring
cat >"$work/write.py" <<'PY'
import epics
epics.caput("SR:MAG:QF1:CURRENT_SP", 102.5)
results = {"setpoint": 102.5}
PY
pyfleet submit --code "$work/write.py" --wait --json >"$work/write.json"
write_run="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).runId)' "$work/write.json")"
approval="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).approvalId ?? "")' "$work/write.json")"
echo "  run $write_run: awaiting_approval (write_access), approval $approval"
[ -n "$approval" ] || { echo "demo: the EPICS write did not park for approval"; exit 1; }
pyfleet approval "$approval"
say "(b) a human (the dev identity) approves the manifest, quoting the code hash it reviewed: the write runs once"
pyfleet approve "$approval" --reason "demo: setpoint within limits"
pyfleet status "$write_run" --wait
echo "  after (the readback follows the setpoint with a lag):"; sleep 1; ring
say "(b) the audit trail of that run (hash-chained)"
REDIS_URL="$redis_url" PYFLEET_PREFIX="$prefix" pyfleet audit tail -n 8
REDIS_URL="$redis_url" PYFLEET_PREFIX="$prefix" pyfleet audit verify

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
