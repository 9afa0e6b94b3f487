import { stat } from "node:fs/promises";
import { join } from "node:path";
import { BUILD_VENV_HINT, PROJECT_VENV, PyfleetError, resolvePythonEnvPath } from "@pyfleet/core";

/**
 * The interpreter for `execution.local.python_env_path`: a venv folder means its `bin/python`,
 * anything else must be an interpreter file. A relative path is taken from the pyfleet checkout
 * (the default `.venv` is the project venv).
 * @throws PyfleetError `BACKEND_MISCONFIGURED` when neither exists (naming the fix).
 */
export async function resolveInterpreter(pythonEnvPath: string): Promise<string> {
  const path = resolvePythonEnvPath(pythonEnvPath);
  const hint = path === PROJECT_VENV ? `; ${BUILD_VENV_HINT}` : "";
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) {
    const python = join(path, "bin", "python");
    if ((await stat(python).catch(() => null))?.isFile()) return python;
    throw new PyfleetError("BACKEND_MISCONFIGURED", `execution.local.python_env_path ${path} is a folder without bin/python (not a venv)${hint}`);
  }
  if (info?.isFile()) return path;
  throw new PyfleetError("BACKEND_MISCONFIGURED", `execution.local.python_env_path ${path} does not exist${hint}`);
}
