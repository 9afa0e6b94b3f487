#!/usr/bin/env bash
# The README's test command (`npm test`): bootstrap, typecheck, lint + import cycles,
# unit and integration tests against real services, the hostile suite, the checkpointer
# conformance suite, the Python client and the fault suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 LTS first on PATH for everything below (scripts/node-runtime.sh says why)
source scripts/node-runtime.sh
bash scripts/bootstrap.sh
# The docker tests start an engine with scripts/dockerd.sh when none answers: stop it afterwards
# (only then; an engine that was already running is left alone).
if ! bash scripts/dockerd.sh status >/dev/null 2>&1; then
  trap 'bash scripts/dockerd.sh stop >/dev/null 2>&1 || true' EXIT
fi
echo "== typecheck"; npx tsc -p tsconfig.json; npx tsc -p apps/console/web/tsconfig.json
echo "== lint"; npm run -s lint
echo "== python lint (ruff + mypy --strict over sim/)"
.venv/bin/ruff check sim && .venv/bin/ruff format --check sim && (cd sim && ../.venv/bin/mypy)
echo "== tests"; npx vitest run --project unit --project int
# hostile snippets against the sandbox and the CA gate (docs/security.md); ~1.5 min on 2 cores
echo "== hostile"; npm run -s test:hostile
echo "== checkpointer conformance"; npm run -s test:conformance
bash clients/python/check.sh
# processes SIGKILLed, Redis restarted, backends stopped, a full disk, load, fuzzing (chaos/,
# docs/reliability.md); ~10 min on a quiet 2-core machine, at reduced scale (see the doc's rows)
echo "== chaos"; npm run -s test:chaos
