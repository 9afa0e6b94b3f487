#!/usr/bin/env bash
# The README's test command (`npm test`): bootstrap, typecheck, lint + import cycles,
# unit and integration tests against real services, then the checkpointer conformance suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== typecheck"; npx tsc -p tsconfig.json
echo "== lint"; npm run -s lint
echo "== tests"; npx vitest run
echo "== checkpointer conformance"; npm run -s test:conformance
