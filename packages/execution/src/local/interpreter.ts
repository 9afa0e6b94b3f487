import { stat } from "node:fs/promises";
import { join } from "node:path";
import { PyfleetError } from "@pyfleet/core";

/**
 * The interpreter for `execution.local.python_env_path`: a venv folder means its `bin/python`,
 * anything else must be an interpreter file.
 * @throws PyfleetError `BACKEND_MISCONFIGURED` when neither exists.
 */
export async function resolveInterpreter(pythonEnvPath: string): Promise<string> {
  const info = await stat(pythonEnvPath).catch(() => null);
  if (info?.isDirectory()) {
    const python = join(pythonEnvPath, "bin", "python");
    if ((await stat(python).catch(() => null))?.isFile()) return python;
    throw new PyfleetError("BACKEND_MISCONFIGURED", `execution.local.python_env_path ${pythonEnvPath} is a folder without bin/python (not a venv)`);
  }
  if (info?.isFile()) return pythonEnvPath;
  throw new PyfleetError("BACKEND_MISCONFIGURED", `execution.local.python_env_path ${pythonEnvPath} does not exist`);
}
