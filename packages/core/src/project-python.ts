import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The pyfleet checkout (the folder holding `config.yml`, `python/`, `sim/`, `.venv`). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");

/**
 * The project venv built by `scripts/bootstrap.sh` from `python/requirements.lock` (Debian's
 * Python 3.11 with every Python package of the project: Jupyter, ipykernel, numpy, pyepics, caproto).
 */
export const PROJECT_VENV: string = join(PROJECT_ROOT, ".venv");

/**
 * `execution.local.python_env_path` made absolute: a relative path (the default `.venv`) is taken
 * from the pyfleet checkout, not from the cwd, so every process finds the same venv.
 */
export function resolvePythonEnvPath(pythonEnvPath: string): string {
  return isAbsolute(pythonEnvPath) ? pythonEnvPath : resolve(PROJECT_ROOT, pythonEnvPath);
}

/**
 * The interpreter every Python process of the project uses (Jupyter servers, the simulated IOC,
 * test helpers): `$LOCAL_PYTHON_VENV/bin/python` when that variable names a venv folder, the
 * interpreter it names when it is a file path ending in a python binary name, else the project
 * venv's `bin/python`. Does not check that it exists (callers report a missing one with the fix).
 */
export function projectPython(env: Record<string, string | undefined> = process.env): string {
  const configured = env.LOCAL_PYTHON_VENV;
  if (!configured) return join(PROJECT_VENV, "bin", "python");
  const path = resolvePythonEnvPath(configured);
  return /\/python[0-9.]*$/.test(path) ? path : join(path, "bin", "python");
}

/** The fix to print when the project venv is missing. */
export const BUILD_VENV_HINT = "run bash scripts/bootstrap.sh to build the project venv (.venv) from python/requirements.lock";
