#!/usr/bin/env bash
# Checks of the Python client (run by scripts/test.sh): ruff (lint + format), mypy --strict,
# then pytest against a real fleet the tests start. Runs on the project venv (<repo>/.venv), into
# which scripts/bootstrap.sh installs the client and its locked dependencies.
set -euo pipefail
cd "$(dirname "$0")"
py=../../.venv/bin
"$py/python" -c "import pyfleet.osprey" 2>/dev/null || { echo "clients/python: pyfleet is not installed in the project venv; run bash scripts/bootstrap.sh" >&2; exit 1; }
echo "== python client: ruff"
"$py/ruff" check src tests scripts ../../examples/python
"$py/ruff" format --check src tests scripts ../../examples/python
echo "== python client: client.py generated from async_client.py (unasync)"; "$py/python" scripts/gen_sync_client.py --check
echo "== python client: mypy --strict"; "$py/mypy"
echo "== python client: pytest"; "$py/pytest" -q "$@"
